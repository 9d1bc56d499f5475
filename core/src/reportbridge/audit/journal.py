"""The SQLite journal of an audit bundle: what was submitted, seen and fetched.

Each write commits at once (WAL mode), so a crash or kill loses at most the
request in flight; a re-run reads the journal to poll jobs already submitted and
to skip files already verified. Files are keyed by (job key, format, result part);
a journal written before parts existed is migrated when it is opened.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import attrs

from reportbridge.audit.dberrors import journal_errors
from reportbridge.errors import ValidationError
from reportbridge.model import FetchedFile, ReportJob, ResultPart, utcnow
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
    submit_attempts INTEGER NOT NULL DEFAULT 0,
    parts TEXT,                     -- JSON: the result parts last seen (state, error)
    rows INTEGER,
    complete INTEGER NOT NULL DEFAULT 0  -- every part of the result is fetched
);
CREATE TABLE IF NOT EXISTS files (
    key TEXT NOT NULL,
    format TEXT NOT NULL,
    part TEXT NOT NULL,             -- the part id (the format name for a single file)
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT,
    rows INTEGER,
    next_part TEXT,                 -- JSON: paged results, the page after this one
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (key, format, part)
);
"""

# Journals from before result parts: one file per (key, format), which is the part
# named after its format; a job with a file then had every file it would get.
_MIGRATE_1_TO_2 = """
BEGIN;
ALTER TABLE jobs ADD COLUMN parts TEXT;
ALTER TABLE jobs ADD COLUMN rows INTEGER;
ALTER TABLE jobs ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET complete = 1
    WHERE status = 'succeeded' AND key IN (SELECT key FROM files);
ALTER TABLE files RENAME TO files_v1;
CREATE TABLE files (
    key TEXT NOT NULL, format TEXT NOT NULL, part TEXT NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, content_type TEXT, rows INTEGER,
    next_part TEXT, fetched_at TEXT NOT NULL, PRIMARY KEY (key, format, part)
);
INSERT INTO files(key, format, part, path, size, sha256, content_type, fetched_at)
    SELECT key, format, format, path, size, sha256, content_type, fetched_at FROM files_v1;
DROP TABLE files_v1;
COMMIT;
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
                columns = {r["name"] for r in self._db.execute("PRAGMA table_info(files)")}
                if columns and "part" not in columns:
                    self._db.executescript(_MIGRATE_1_TO_2)
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

    @staticmethod
    def observed_state(job: ReportJob) -> tuple[Any, ...]:
        """What :meth:`observed` writes of ``job``, but the time it writes it: equal
        states make equal rows."""
        return (
            job.status,
            job.provider_status,
            job.created_at,
            job.finished_at,
            job.warnings,
            job.error,
            job.parts,
            job.rows,
        )

    def observed(self, key: str, job: ReportJob) -> None:
        phase = "finished" if job.is_terminal else "submitted"
        self._exec(
            "UPDATE jobs SET phase = ?, status = ?, provider_status = ?, created_at = ?, "
            "finished_at = ?, updated_at = ?, warnings = ?, error = ?, "
            "parts = COALESCE(?, parts), rows = COALESCE(?, rows) WHERE key = ?",
            (
                phase,
                job.status.value,
                job.provider_status,
                _iso(job.created_at),
                _iso(job.finished_at) or (utcnow().isoformat() if job.is_terminal else None),
                utcnow().isoformat(),
                json.dumps(list(job.warnings)) if job.warnings else None,
                job.error.message if job.error else None,
                json.dumps([attrs.asdict(p) for p in job.parts]) if job.parts else None,
                job.rows,
                key,
            ),
        )

    def completed(self, key: str) -> None:
        """Every part of the job's result is fetched (the batch fetched it without error)."""
        self._exec("UPDATE jobs SET complete = 1 WHERE key = ?", (key,))

    def failed(self, key: str, message: str) -> None:
        self._exec(
            "UPDATE jobs SET error = ?, updated_at = ?, "
            "phase = CASE WHEN ref IS NULL THEN 'error' ELSE phase END WHERE key = ?",
            (message, utcnow().isoformat(), key),
        )

    # -- files -------------------------------------------------------------------------
    def fetched(self, key: str, file: FetchedFile, rel_path: str) -> None:
        following = file.next_part
        self._exec(
            "INSERT OR REPLACE INTO files"
            "(key, format, part, path, size, sha256, content_type, rows, next_part, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                file.format,
                file.part or file.format,
                rel_path,
                file.size,
                file.sha256,
                file.content_type,
                file.rows,
                json.dumps(attrs.asdict(following)) if following is not None else None,
                utcnow().isoformat(),
            ),
        )

    def files(self, key: str | None = None) -> list[dict[str, Any]]:
        """Files per job and format in part order (numbers in part ids compare as numbers:
        chunk 2 before chunk 10), whatever order they were fetched in."""
        if key is None:
            rows = self._exec("SELECT * FROM files")
        else:
            rows = self._exec("SELECT * FROM files WHERE key = ?", (key,))
        return sorted((dict(r) for r in rows), key=_part_order)

    def forget_file(self, key: str, fmt: str, part: str) -> None:
        """A file that is missing or damaged: it and the job's completeness are forgotten."""
        self._exec("DELETE FROM files WHERE key = ? AND format = ? AND part = ?", (key, fmt, part))
        self._exec("UPDATE jobs SET complete = 0 WHERE key = ?", (key,))

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
            "(key, format, part, path, size, sha256, content_type, rows, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                f["format"],
                _text(f.get("part")) or f["format"],
                f["path"],
                f["size"],
                f["sha256"],
                _text(f.get("content_type")),
                f["rows"] if isinstance(f.get("rows"), int) else None,
                _text(f.get("fetched_at")) or utcnow().isoformat(),
            ),
        )


def next_part_of(row: dict[str, Any]) -> ResultPart | None:
    """The page after a journalled file, as its stream announced it.

    Raises ValueError when the record is damaged: the file is then fetched again, which
    learns its next page again (a lost resume point must never end a result early).
    """
    raw = row.get("next_part")
    if not raw:
        return None
    try:
        return ResultPart(**json.loads(raw))
    except (ValueError, TypeError, ValidationError):
        raise ValueError(f"damaged next_part record of {row.get('path')!r}") from None


def _part_order(row: dict[str, Any]) -> tuple[Any, ...]:
    pieces = re.split(r"(\d+)", str(row["part"]))
    natural = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pieces if p)
    return (row["key"], row["format"], natural)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_TERMINAL = {s.value for s in ReportStatus if s.is_terminal}
