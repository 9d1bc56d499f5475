"""SQLite failures of a bundle's journal, as typed errors that say how to proceed."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from reportbridge.errors import BundleError, LocalWriteError, ReportBridgeError

# SQLite primary result codes (https://sqlite.org/rescode.html)
_DAMAGED = {
    1: "not a reportbridge journal",  # SQLITE_ERROR: e.g. a table of another schema
    11: "damaged",  # SQLITE_CORRUPT
    24: "damaged",  # SQLITE_FORMAT
    26: "not a database",  # SQLITE_NOTADB
}
_DISK = {3, 5, 6, 8, 10, 13, 14, 15}  # PERM BUSY LOCKED READONLY IOERR FULL CANTOPEN PROTOCOL


def damaged_journal(path: Path, what: str) -> BundleError:
    return BundleError(
        f"the journal {str(path)!r} is {what}. It records which jobs were submitted, so "
        "reportbridge will not guess: move it aside (mv journal.sqlite journal.sqlite.damaged) "
        "and run the same command again; jobs listed with a reference in manifest.json are "
        "then recovered from it and only polled (jobs it does not list may be submitted "
        "again). Or choose a new --out folder",
        path=path,
    )


def translate(exc: sqlite3.Error, path: Path) -> ReportBridgeError:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    reason = str(exc) or type(exc).__name__
    if primary in _DAMAGED:
        return damaged_journal(path, f"{_DAMAGED[primary]} (sqlite: {reason})")
    if primary in _DISK or isinstance(exc, sqlite3.OperationalError):
        return LocalWriteError(
            f"cannot use the journal {str(path)!r}: {reason} (a full, read-only or failing "
            "disk?); the run stopped. Free space or fix permissions and run the same command "
            "again to resume",
            path=path,
        )
    return damaged_journal(path, f"unreadable (sqlite: {reason})")


@contextlib.contextmanager
def journal_errors(path: Path) -> Iterator[None]:
    """Turn any sqlite3 error inside the block into a typed error naming the journal."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path) from None


__all__ = ["damaged_journal", "journal_errors", "translate"]
