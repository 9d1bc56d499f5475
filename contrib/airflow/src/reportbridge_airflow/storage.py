"""Where a report task puts its files: a local folder or an Airflow object-storage path.

A local folder gets what ``Reports.fetch`` writes (streamed, SHA-256 while streaming,
length-checked, fsynced, renamed into place). An object-storage path
(:class:`airflow.sdk.ObjectStoragePath`, or a URL such as ``s3://bucket/reports/``) gets
the same file fetched into a local temporary folder, copied up, then **read back and
hashed again**: the task fails (and removes the object) unless the SHA-256 of what the
store holds equals the SHA-256 of what the vendor sent.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import ObjectStoragePath

from reportbridge.cli.output import file_dict
from reportbridge.facade import Reports
from reportbridge.model import FetchedFile, ReportJob
from reportbridge_airflow.events import ReportJobError

CHUNK = 1 << 20
Destination = str | os.PathLike[str] | ObjectStoragePath


def is_object_storage(destination: Destination) -> bool:
    return isinstance(destination, ObjectStoragePath) or "://" in str(destination)


def fetch_into(
    reports: Reports, job: ReportJob, destination: Destination, formats: Sequence[str | None]
) -> list[dict[str, Any]]:
    """Fetch ``job``'s result in each of ``formats`` (None: the provider's default) into
    ``destination``: every available part; one JSON-ready record per file."""
    if not is_object_storage(destination):
        folder = Path(os.fspath(destination))
        return [record(f) for fmt in formats for f in reports.fetch(job, folder, format=fmt)]
    target = (
        destination
        if isinstance(destination, ObjectStoragePath)
        else ObjectStoragePath(str(destination))
    )
    records = []
    with tempfile.TemporaryDirectory(prefix="rb-airflow-") as tmp:
        for fmt in formats:
            for fetched in reports.fetch(job, tmp, format=fmt):  # one file per result part
                uri = upload_verified(fetched, target / fetched.path.name)
                fetched.path.unlink()
                records.append(record(fetched, path=uri))
    return records


def upload_verified(fetched: FetchedFile, target: ObjectStoragePath) -> str:
    """Copy ``fetched`` to ``target``, then check the stored bytes' SHA-256; the URI."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with fetched.path.open("rb") as src, target.open("wb") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            dst.write(chunk)
    digest, size = hashlib.sha256(), 0
    with target.open("rb") as back:
        for chunk in iter(lambda: back.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    if digest.hexdigest() != fetched.sha256 or size != fetched.size:
        target.unlink(missing_ok=True)
        raise ReportJobError(
            f"the copy of {fetched.path.name} in {target} does not match what the vendor sent "
            f"(SHA-256 {digest.hexdigest()} and {size} bytes, expected {fetched.sha256} and "
            f"{fetched.size}); it was removed",
            ref=fetched.job_ref,
        )
    return str(target)


def record(fetched: FetchedFile, *, path: str | None = None) -> dict[str, Any]:
    """A fetched file as XCom carries it: the command line's JSON form of a file."""
    out = file_dict(fetched)
    if path is not None:
        out["path"] = path
    return out


__all__ = ["fetch_into", "is_object_storage", "record", "upload_verified"]
