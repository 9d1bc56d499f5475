"""Bundle files: the manifest, and re-verifying every file against it."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs

from reportbridge.download import sha256_of
from reportbridge.errors import ValidationError

MANIFEST = "manifest.json"
JOURNAL = "journal.sqlite"
FILES = "files"


def write_manifest(bundle: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically (temporary file, fsync, rename)."""
    target = bundle / MANIFEST
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".part", dir=bundle)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(manifest, out, indent=2, sort_keys=False, default=str)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def file_is_intact(bundle: Path, rel_path: str, size: int, sha256: str) -> bool:
    path = bundle / rel_path
    try:
        return path.is_file() and path.stat().st_size == size and sha256_of(path) == sha256
    except OSError:
        return False


@attrs.frozen
class VerifyResult:
    bundle: Path
    files_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(bundle: str | os.PathLike[str]) -> VerifyResult:
    """Re-hash every file the manifest lists; report missing, changed and stray files."""
    root = Path(bundle)
    manifest_path = root / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(
            f"{str(root)!r} is not an audit bundle: it has no {MANIFEST}", field="bundle"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(f"{str(manifest_path)!r} is not valid JSON", field="bundle") from None
    problems: list[str] = []
    listed: set[Path] = set()
    checked = 0
    for job in manifest.get("jobs", []):
        for f in job.get("files", []):
            checked += 1
            rel = str(f.get("path", ""))
            path = (root / rel).resolve()
            if root.resolve() not in path.parents:
                problems.append(f"{rel}: path points outside the bundle")
                continue
            listed.add(path)
            if not path.is_file():
                problems.append(f"{rel}: missing")
            elif path.stat().st_size != f.get("size"):
                problems.append(f"{rel}: size {path.stat().st_size}, manifest says {f.get('size')}")
            elif sha256_of(path) != f.get("sha256"):
                problems.append(f"{rel}: sha256 differs from the manifest")
    files_dir = root / FILES
    if files_dir.is_dir():
        for path in sorted(files_dir.rglob("*")):
            if path.is_file() and path.resolve() not in listed:
                problems.append(f"{path.relative_to(root)}: not listed in the manifest")
    return VerifyResult(root, checked, tuple(problems))
