"""Reading a bundle's ``manifest.json`` as untrusted input: bounded, shape-checked.

A manifest can be edited, truncated or replaced by anyone who can write the bundle, so
every field the library relies on is checked before use; a wrong shape is a
:class:`~reportbridge.errors.BundleError` naming the field, never a KeyError.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any

from reportbridge import jsonsafe
from reportbridge.errors import BundleError
from reportbridge.localfs import read_regular_file
from reportbridge.status import ReportStatus

MANIFEST = "manifest.json"
#: a manifest larger than this is refused (tens of thousands of jobs fit in a few MiB)
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PART_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_STATUSES = {s.value for s in ReportStatus}


def read_manifest(bundle: Path) -> dict[str, Any] | None:
    """The bundle's manifest, shape-checked; None when it has none."""
    path = bundle / MANIFEST
    try:
        raw = read_regular_file(path, limit=MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BundleError(
                f"{str(path)!r} is a symbolic link; a bundle holds none, and reportbridge does "
                "not read or write through one. Replace it with the real file",
                path=path,
            ) from None
        raise BundleError(f"cannot read {str(path)!r}: {exc.strerror or exc}", path=path) from None
    try:
        data = jsonsafe.loads(raw, what="the manifest")
    except (ValueError, RecursionError):
        raise BundleError(f"{str(path)!r} is not valid JSON (damaged?)", path=path) from None
    check_shape(data, path)
    return data  # type: ignore[no-any-return]


def check_shape(data: Any, path: Path) -> None:
    """Raise BundleError naming the first field that is not what a manifest holds."""

    def wrong(where: str, expected: str) -> BundleError:
        return BundleError(
            f"{str(path)!r} is not an audit manifest: {where} must be {expected}", path=path
        )

    if not isinstance(data, dict):
        raise wrong("the document", "a JSON object")
    jobs = data.get("jobs")
    if not isinstance(jobs, list):
        raise wrong("jobs", "a list")
    if "plan" in data and not isinstance(data["plan"], dict):
        raise wrong("plan", "an object")
    for i, job in enumerate(jobs):
        at = f"jobs[{i}]"
        if not isinstance(job, dict):
            raise wrong(at, "an object")
        if not isinstance(job.get("key"), str):
            raise wrong(f"{at}.key", "a string")
        for name in ("ref", "job_id", "provider", "status", "provider_status", "error"):
            if job.get(name) is not None and not isinstance(job[name], str):
                raise wrong(f"{at}.{name}", "a string or null")
        if job.get("status") is not None and job["status"] not in _STATUSES:
            raise wrong(f"{at}.status", f"one of {', '.join(sorted(_STATUSES))} or null")
        attempts = job.get("submit_attempts", 0)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
            raise wrong(f"{at}.submit_attempts", "an integer >= 0")
        files = job.get("files", [])
        if not isinstance(files, list):
            raise wrong(f"{at}.files", "a list")
        for n, f in enumerate(files):
            _check_file(f, f"{at}.files[{n}]", wrong)


def _check_file(f: Any, at: str, wrong: Any) -> None:
    if not isinstance(f, dict):
        raise wrong(at, "an object")
    for name in ("path", "format"):
        if not isinstance(f.get(name), str) or not f[name]:
            raise wrong(f"{at}.{name}", "a non-empty string")
    size = f.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise wrong(f"{at}.size", "an integer >= 0")
    if not isinstance(f.get("sha256"), str) or not _SHA256.fullmatch(f["sha256"]):
        raise wrong(f"{at}.sha256", "64 lowercase hex digits")
    part = f.get("part")
    if part is not None and (not isinstance(part, str) or not _PART_ID.fullmatch(part)):
        raise wrong(f"{at}.part", "a result part id (1-128 of A-Z a-z 0-9 . _ -) or null")


__all__ = ["MANIFEST", "MAX_MANIFEST_BYTES", "check_shape", "read_manifest"]
