"""The SQLite journal of an audit bundle: what was submitted, seen and fetched.

Each write commits at once (WAL mode), so a crash or kill loses at most the
request in flight; a re-run reads the journal to poll jobs already submitted and
to skip files already verified.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from reportbridge.audit.dberrors import journal_errors
from reportbridge.model import FetchedFile, ReportJob, utcnow
from reportbridge.status import ReportStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    provider TEXT,
    report_type TEXT NOT NULL,
    params TEXT NOT NULL,
    phase TEXT NOT NULL,            -- planned, submitting, submitted, finished, error
    ref TEXT,
    job_id TEXT,
    status TEXT,
    provider_status TEXT,
    submitted_at TEXT,
    created_at TEXT,
    finished_at TEXT,
    updated_at TEXT,
    error TEXT,
    warnings TEXT,
    submit_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
    key TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (key, format)
);
"""


class Journal:
    """Thread-safe access to ``journal.sqlite`` in a bundle folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with journal_errors(path):
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
                self._check()
            except BaseException:
                self._db.close()
                raise

    def _check(self) -> None:
        """A journal damaged inside is refused when opened, not halfway through a run."""
        verdict = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {verdict}")

    def close(self) -> None:
        with self._lock, journal_errors(self.path):
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock, journal_errors(self.path):
            return list(self._db.execute(sql, args).fetchall())

    # -- meta --------------------------------------------------------------------------
    def meta(self, name: str) -> str | None:
        rows = self._exec("SELECT value FROM meta WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, name: str, value: str) -> None:
        self._exec("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))

    # -- jobs --------------------------------------------------------------------------
    def plan_job(
        self, key: str, profile: str, provider: str, report_type: str, params: dict[str, Any]
    ) -> None:
        self._exec(
            "INSERT OR IGNORE INTO jobs(key, profile, provider, report_type, params, phase) "
            "VALUES (?, ?, ?, ?, ?, 'planned')",
            (key, profile, provider, report_type, json.dumps(params, sort_keys=True, default=str)),
        )

    def job(self, key: str) -> dict[str, Any] | None:
        rows = self._exec("SELECT * FROM jobs WHERE key = ?", (key,))
        return dict(rows[0]) if rows else None

    def jobs(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._exec("SELECT * FROM jobs ORDER BY key")]

    def submitting(self, key: str) -> None:
        self._exec(
            "UPDATE jobs SET phase = 'submitting', submit_attempts = submit_attempts + 1, "
            "updated_at = ? WHERE key = ?",
            (utcnow().isoformat(), key),
        )

    def submitted(self, key: str, job: ReportJob) -> None:
        self._exec(
            "UPDATE jobs SET phase = 'submitted', ref = ?, job_id = ?, provider = ?, "
            "submitted_at = COALESCE(submitted_at, ?), error = NULL, updated_at = ? WHERE key = ?",
            (
                job.ref,
                job.job_id,
                job.provider,
                _iso(job.submitted_at),
                utcnow().isoformat(),
                key,
            ),
        )
        self.observed(key, job)

    def observed(self, key: str, job: ReportJob) -> None:
        phase = "finished" if job.is_terminal else "submitted"
        self._exec(
            "UPDATE jobs SET phase = ?, status = ?, provider_status = ?, created_at = ?, "
            "finished_at = ?, updated_at = ?, warnings = ?, error = ? WHERE key = ?",
            (
                phase,
                job.status.value,
                job.provider_status,
                _iso(job.created_at),
                _iso(job.finished_at) or (utcnow().isoformat() if job.is_terminal else None),
                utcnow().isoformat(),
                json.dumps(list(job.warnings)) if job.warnings else None,
                job.error.message if job.error else None,
                key,
            ),
        )

    def failed(self, key: str, message: str) -> None:
        self._exec(
            "UPDATE jobs SET error = ?, updated_at = ?, "
            "phase = CASE WHEN ref IS NULL THEN 'error' ELSE phase END WHERE key = ?",
            (message, utcnow().isoformat(), key),
        )

    # -- files -------------------------------------------------------------------------
    def fetched(self, key: str, file: FetchedFile, rel_path: str) -> None:
        self._exec(
            "INSERT OR REPLACE INTO files"
            "(key, format, path, size, sha256, content_type, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                file.format,
                rel_path,
                file.size,
                file.sha256,
                file.content_type,
                utcnow().isoformat(),
            ),
        )

    def files(self, key: str | None = None) -> list[dict[str, Any]]:
        if key is None:
            return [dict(r) for r in self._exec("SELECT * FROM files ORDER BY key, format")]
        return [
            dict(r) for r in self._exec("SELECT * FROM files WHERE key = ? ORDER BY format", (key,))
        ]

    def forget_file(self, key: str, fmt: str) -> None:
        self._exec("DELETE FROM files WHERE key = ? AND format = ?", (key, fmt))

    # -- recovery (see reportbridge.audit.recovery) -------------------------------------
    def recover_job(self, key: str, rec: dict[str, Any]) -> None:
        """Take a job's state from a manifest entry (already shape-checked)."""
        finished = rec.get("status") in _TERMINAL
        phase = "finished" if finished else "submitted" if rec.get("ref") else "planned"
        if rec.get("error") and not rec.get("ref"):
            phase = "error"
        self._exec(
            "UPDATE jobs SET phase = ?, ref = ?, job_id = ?, provider = COALESCE(?, provider), "
            "status = ?, provider_status = ?, submitted_at = ?, created_at = ?, finished_at = ?, "
            "updated_at = ?, error = ?, warnings = ?, submit_attempts = ? WHERE key = ?",
            (
                phase,
                rec.get("ref"),
                rec.get("job_id"),
                rec.get("provider"),
                rec.get("status"),
                rec.get("provider_status"),
                _text(rec.get("submitted_at")),
                _text(rec.get("created_at")),
                _text(rec.get("finished_at")),
                utcnow().isoformat(),
                rec.get("error"),
                json.dumps(rec["warnings"]) if isinstance(rec.get("warnings"), list) else None,
                rec.get("submit_attempts", 0),
                key,
            ),
        )

    def recover_file(self, key: str, f: dict[str, Any]) -> None:
        """Take a verified file's row from a manifest entry."""
        self._exec(
            "INSERT OR REPLACE INTO files"
            "(key, format, path, size, sha256, content_type, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                f["format"],
                f["path"],
                f["size"],
                f["sha256"],
                _text(f.get("content_type")),
                _text(f.get("fetched_at")) or utcnow().isoformat(),
            ),
        )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_TERMINAL = {s.value for s in ReportStatus if s.is_terminal}
