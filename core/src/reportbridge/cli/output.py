"""Turning jobs and files into what the command line prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from reportbridge.cli.terminal import clean
from reportbridge.model import FetchedFile, ReportJob


def file_dict(f: FetchedFile) -> dict[str, Any]:
    return {
        "path": str(f.path),
        "size": f.size,
        "sha256": f.sha256,
        "format": f.format,
        "content_type": f.content_type,
        "part": f.part,
        "rows": f.rows,
    }


def job_dict(job: ReportJob, files: Iterable[FetchedFile] = ()) -> dict[str, Any]:
    return {
        "ref": job.ref,
        "provider": job.provider,
        "profile": job.profile,
        "job_id": job.job_id,
        "report_type": job.report_type,
        "status": job.status.value,
        "provider_status": job.provider_status,
        "submitted_at": _iso(job.submitted_at),
        "created_at": _iso(job.created_at),
        "finished_at": _iso(job.finished_at),
        "progress": job.progress,
        "progress_text": job.progress_text,
        "formats": list(job.formats),
        "error": None
        if job.error is None
        else {
            "message": job.error.message,
            "code": job.error.code,
            "retryable": job.error.retryable,
        },
        "warnings": list(job.warnings),
        "rows": job.rows,
        "failed_parts": [
            {"id": p.id, "format": p.format, "error": p.error}
            for p in job.parts
            if p.state == "failed"
        ],
        "files": [file_dict(f) for f in files],
    }


def emit_json(obj: Any, *, sort_keys: bool = False) -> None:
    """One JSON line on stdout; control characters in strings are escaped (ASCII only)."""
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=sort_keys, ensure_ascii=True) + "\n")
    sys.stdout.flush()


def print_job(job: ReportJob, files: Iterable[FetchedFile] = ()) -> None:
    """A job for people; vendor text has its control characters made visible."""
    status = job.status.value.upper()
    raw = f" (vendor: {clean(job.provider_status)})" if job.provider_status else ""
    print(
        f"{clean(job.provider)}/{clean(job.profile)} {clean(job.report_type)} "
        f"job {clean(job.job_id)}: {status}{raw}"
    )
    if job.error is not None:
        print(f"  error: {clean(job.error.message)}")
    for w in job.warnings:
        print(f"  warning: {clean(w)}")
    for p in job.parts:
        if p.state == "failed":
            why = clean(p.error or "no reason given")
            print(f"  failed part {clean(p.format)}/{clean(p.id)}: {why}")
    for f in files:
        print(f"  file: {clean(f.path)} ({f.size} bytes, sha256 {f.sha256})")
    print(f"  ref: {clean(job.ref)}")


def human_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
