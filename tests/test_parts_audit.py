"""Audits of results in parts: journal and manifest keyed by (job, format, part), partial
jobs counted and exiting 3, damaged parts fetched again alone, old journals migrated."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportbridge.audit import AuditPlan, run_audit, verify_bundle
from reportbridge.audit.journal import Journal
from reportbridge.audit.plan import PlannedJob
from reportbridge.plugins import PluginRegistry
from tests.toy import ToySimulator
from tests.toy_chunked import ChunkySimulator

FAST = {"initial": 0.05, "backoff": 1.2, "cap": 0.1, "jitter": 0.0}


@pytest.fixture
def chunky(parts_vendor: Callable[..., tuple[Any, Any]]) -> Callable[..., tuple[Any, Any]]:
    return functools.partial(parts_vendor, ChunkySimulator)


def plan(*keys: str) -> AuditPlan:
    return AuditPlan(
        name="chunks",
        jobs=tuple(PlannedJob(key=k, profile="chunky", report_type="VULNS") for k in keys),
    )


def test_a_partial_job_is_counted_named_and_exits_3(chunky: Any, tmp_path: Path) -> None:
    sim, reports = chunky(chunks=3, failed=(2,))
    result = run_audit(reports, plan("a"), tmp_path)
    assert result.summary == {
        "jobs": 1, "succeeded": 0, "partial": 1, "failed": 0, "incomplete": 0, "files": 2,
    }  # fmt: skip
    assert result.exit_code == 3
    (job,) = result.manifest["jobs"]
    assert job["status"] == "partial"
    assert job["failed_parts"] == [
        {"id": "2", "format": "json", "error": "chunk 2 failed at the vendor"}
    ]
    assert [(f["format"], f["part"]) for f in job["files"]] == [("json", "1"), ("json", "3")]
    for f in job["files"]:
        assert f["sha256"] == sim.served_sha256(job["job_id"], "json", part=f["part"])
    assert verify_bundle(tmp_path).ok
    again = run_audit(reports, plan("a"), tmp_path)  # nothing left to do: no request
    assert again.exit_code == 3 and sim.count("GET", "/chunks/") == 2


def test_a_damaged_chunk_is_fetched_again_alone(chunky: Any, tmp_path: Path) -> None:
    sim, reports = chunky(chunks=3)
    first = run_audit(reports, plan("a"), tmp_path)
    assert first.exit_code == 0 and first.summary["files"] == 3
    victim = tmp_path / first.manifest["jobs"][0]["files"][1]["path"]
    victim.write_bytes(b"tampered")
    assert sim.count("GET", "/chunks/") == 3
    second = run_audit(reports, plan("a"), tmp_path)
    assert second.exit_code == 0
    assert [sim.count("GET", f"/chunks/{n}$") for n in (1, 2, 3)] == [1, 2, 1]
    assert sim.count("POST", "^/exports$") == 1
    assert [f["part"] for f in second.manifest["jobs"][0]["files"]] == ["1", "2", "3"]
    assert verify_bundle(tmp_path).ok


OLD_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE jobs (
    key TEXT PRIMARY KEY, profile TEXT NOT NULL, provider TEXT, report_type TEXT NOT NULL,
    params TEXT NOT NULL, phase TEXT NOT NULL, ref TEXT, job_id TEXT, status TEXT,
    provider_status TEXT, submitted_at TEXT, created_at TEXT, finished_at TEXT,
    updated_at TEXT, error TEXT, warnings TEXT, submit_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE files (
    key TEXT NOT NULL, format TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, content_type TEXT, fetched_at TEXT NOT NULL,
    PRIMARY KEY (key, format)
);
"""


def old_bundle(new_bundle: Path, old: Path) -> None:
    """The bundle a version before result parts would have written for the same audit."""
    import shutil

    shutil.copytree(new_bundle, old)
    (old / "journal.sqlite").unlink()
    for stray in old.glob("journal.sqlite-*"):
        stray.unlink()
    src = sqlite3.connect(new_bundle / "journal.sqlite")
    src.row_factory = sqlite3.Row
    db = sqlite3.connect(old / "journal.sqlite")
    db.executescript(OLD_SCHEMA)
    for row in src.execute("SELECT * FROM meta"):
        db.execute("INSERT INTO meta VALUES (?, ?)", tuple(row))
    cols = [c[1] for c in db.execute("PRAGMA table_info(jobs)")]
    for row in src.execute(f"SELECT {', '.join(cols)} FROM jobs"):  # noqa: S608 - test data
        db.execute(f"INSERT INTO jobs VALUES ({', '.join('?' * len(cols))})", tuple(row))  # noqa: S608
    for row in src.execute(
        "SELECT key, format, path, size, sha256, content_type, fetched_at FROM files"
    ):
        db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", tuple(row))
    db.commit()
    db.close()
    src.close()


def test_a_journal_from_before_parts_still_opens_and_resumes(
    toy_sim: ToySimulator,
    toy_registry: PluginRegistry,
    make_reports: Callable[..., Any],
    tmp_path: Path,
) -> None:
    reports = make_reports({"toy": toy_sim}, registry=toy_registry, polling=FAST)
    toy_plan = AuditPlan(
        name="old",
        jobs=(
            PlannedJob(key="u", profile="toy", report_type="USERS", formats=("csv", "json")),
            PlannedJob(key="a", profile="toy", report_type="AUDIT", params={"since": "2025"}),
        ),
    )
    run_audit(reports, toy_plan, tmp_path / "new")
    old_bundle(tmp_path / "new", tmp_path / "old")
    journal = Journal(tmp_path / "old" / "journal.sqlite")
    try:
        files = journal.files("u")
        assert [(f["format"], f["part"]) for f in files] == [("csv", "csv"), ("json", "json")]
        assert all(j["complete"] == 1 for j in journal.jobs())
    finally:
        journal.close()
    downloads = toy_sim.count("GET", "/file$")
    result = run_audit(reports, toy_plan, tmp_path / "old")
    assert result.exit_code == 0 and result.summary["files"] == 3
    assert toy_sim.count("GET", "/file$") == downloads  # nothing fetched again
    assert toy_sim.count("POST", "^/jobs$") == 2
    manifest = json.loads((tmp_path / "old" / "manifest.json").read_text())
    assert {f["part"] for job in manifest["jobs"] for f in job["files"]} == {"csv", "json"}
    assert verify_bundle(tmp_path / "old").ok
