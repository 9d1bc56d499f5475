"""What a run needs to know about a bundle before it writes to it."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportbridge.audit.manifest import read_manifest
from reportbridge.audit.seal import SEAL
from reportbridge.errors import BundleError, EvidenceError
from reportbridge.model import utcnow

if TYPE_CHECKING:
    from reportbridge.audit.journal import Journal


def refuse_sealed(bundle: Path) -> None:
    """A sealed bundle is final: a run never writes to it."""
    if (bundle / SEAL).exists() or (bundle / SEAL).is_symlink():
        raise EvidenceError(
            f"bundle {str(bundle)!r} is sealed, and a sealed bundle is never changed; verify "
            "it with `reportbridge audit verify DIR --key PUB`, or run into a new --out folder"
        )


def resolution_time(journal_path: Path) -> dt.datetime:
    """When the bundle's relative times were resolved: as the journal recorded it, else
    as the manifest did (a lost journal is recovered from it), else now."""
    if journal_path.is_file() and not journal_path.is_symlink():
        with contextlib.closing(
            sqlite3.connect(f"{journal_path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            try:
                row = db.execute("SELECT value FROM meta WHERE name = 'resolved_at'").fetchone()
            except sqlite3.Error:
                row = None
        if row:
            return dt.datetime.fromisoformat(row[0])
    return _from_manifest(journal_path.parent) or utcnow()


def _from_manifest(bundle: Path) -> dt.datetime | None:
    try:
        manifest = read_manifest(bundle)
        stamp = ((manifest or {}).get("resolution") or {}).get("resolved_at")
        return dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except (BundleError, ValueError, AttributeError):
        return None  # the run's own checks say what is wrong with the bundle


def resume_state(journal: Journal) -> dict[str, Any]:
    """What an earlier run left, for the custody log's ``resumed`` event."""
    jobs = journal.jobs()
    return {
        "jobs_submitted": sorted(j["key"] for j in jobs if j.get("ref")),
        "jobs_finished": sorted(j["key"] for j in jobs if j.get("phase") == "finished"),
        "files_recorded": len(journal.files()),
    }


__all__ = ["refuse_sealed", "resolution_time", "resume_state"]
