"""Chunks as result parts: fetched while the export runs, each resumed or retried on its own,
the good ones of a partial export kept and verified, the failed ones named."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tenable_testkit import FAST, NEW_YEAR

from reportbridge import NotFoundError, Reports, ReportStatus, ValidationError
from reportbridge.model import FetchedFile, ResultPart
from reportbridge.testing import Fault
from reportbridge_tenable.simulator import TenableSimulator

Make = Callable[..., TenableSimulator]
MakeReports = Callable[..., Reports]


def check_files(sim: TenableSimulator, job_id: str, files: list[FetchedFile]) -> None:
    """Every file is what the simulator served for its chunk, and no temporary file is left."""
    for f in files:
        assert f.part is not None and f.format == "json"
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
        assert f.sha256 == sim.served_sha256(job_id, "json", f.part)
    folder = {f.path.parent for f in files}
    for path in folder:
        assert sorted(p.name for p in path.iterdir()) == sorted(
            f.path.name for f in files if f.path.parent == path
        )


def chunk_gets(sim: TenableSimulator, chunk: str) -> int:
    return sim.count("GET", rf"/chunks/{chunk}$")


def test_chunks_stream_to_disk_while_the_export_runs(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path
) -> None:
    sim = tenable_sim(job_seconds=1.5, chunks=5)
    reports = tenable_reports(sim)
    job = reports.run("tv", "vulns", since=NEW_YEAR)
    files: list[FetchedFile] = []
    fetched_while_running = 0
    deadline = time.monotonic() + 30
    while not job.is_terminal and time.monotonic() < deadline:
        job = reports.poll(job)
        new = reports.fetch_available(job, tmp_path, skip=[f.part for f in files])
        if job.status is ReportStatus.RUNNING:
            fetched_while_running += len(new)
        files += new
        time.sleep(0.05)
    files += reports.fetch_available(job, tmp_path, skip=[f.part for f in files])
    assert job.status is ReportStatus.SUCCEEDED
    assert fetched_while_running > 0
    assert sorted(f.part or "" for f in files) == ["1", "2", "3", "4", "5"]
    check_files(sim, job.job_id, files)
    # the vendor's own record: a chunk was served before any status answer said FINISHED
    events = [e for e in sim.events if e[1] == job.job_id]
    first_chunk = next(i for i, e in enumerate(events) if e[0] == "chunk")
    finished = next(i for i, e in enumerate(events) if e == ("status", job.job_id, "FINISHED"))
    assert first_chunk < finished
    assert all(chunk_gets(sim, str(n)) == 1 for n in range(1, 6))  # none fetched twice


@pytest.mark.parametrize("ranges", [False, True], ids=["no-range", "range"])
def test_a_cut_chunk_resumes_without_fetching_the_others_again(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path, ranges: bool
) -> None:
    sim = tenable_sim(chunks=4, file_size=20_000, ranges=ranges)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    sim.faults.add(Fault(path="/chunks/3$", method="GET", drop_after=5000, times=1))
    files = reports.fetch(done, tmp_path)
    assert sorted(f.part or "" for f in files) == ["1", "2", "3", "4"]
    check_files(sim, done.job_id, files)
    assert [chunk_gets(sim, c) for c in "1234"] == [1, 1, 2, 1]
    again = [r for r in sim.requests if r.path.endswith("/chunks/3")][1]
    if ranges:  # resumed from where the cut left it
        assert again.headers.get("Range", "").startswith("bytes=") and again.status == 206
    else:  # that chunk, and only that chunk, from the start
        assert "Range" not in again.headers and again.status == 200


def test_a_partial_export_keeps_and_verifies_its_good_chunks(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path
) -> None:
    sim = tenable_sim(chunks=4, failed_chunks=(2,), cancel_after_failure=False)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "vulns", since=NEW_YEAR), timeout=30, policy=FAST)
    assert done.status is ReportStatus.PARTIAL
    files = reports.fetch(done, tmp_path)
    assert sorted(f.part or "" for f in files) == ["1", "3", "4"]
    check_files(sim, done.job_id, files)
    (lost,) = [p for p in done.parts if p.state == "failed"]
    assert lost.id == "2" and "1 of 4 chunks failed" in (lost.error or "")
    assert chunk_gets(sim, "2") == 0  # a failed chunk is never asked for
    with pytest.raises(ValidationError):
        reports.fetch(done, tmp_path, parts=["2"])


def test_a_garbled_chunk_is_refused_and_fetched_again(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path
) -> None:
    sim = tenable_sim(chunks=2, garbled_chunks=1, out_of_order=False)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "vulns", since=NEW_YEAR), timeout=30, policy=FAST)
    files = reports.fetch(done, tmp_path)
    check_files(sim, done.job_id, files)
    assert chunk_gets(sim, "1") + chunk_gets(sim, "2") == 3


def test_an_expired_chunk_is_not_found_and_says_how_long_chunks_live(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path
) -> None:
    sim = tenable_sim(chunks=1, chunk_ttl=0.0)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    with pytest.raises(NotFoundError) as info:
        reports.fetch(done, tmp_path)
    assert "24 hours" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_part_that_is_no_chunk_number_is_refused_before_any_request(
    sim: TenableSimulator, reports: Reports, tmp_path: Path
) -> None:
    done = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    before = len(sim.requests)
    for bad in ("1.json", "..x", "-1"):
        with pytest.raises(ValidationError):
            reports.fetch(done, tmp_path, parts=[ResultPart(bad, "json")])
    assert len(sim.requests) == before


def test_a_batch_writes_chunks_as_they_appear(
    tenable_sim: Make, tenable_reports: MakeReports, tmp_path: Path
) -> None:
    """run_many (what audits use) fetches each chunk after the poll that lists it."""
    from reportbridge.batch import JobRequest

    sim = tenable_sim(job_seconds=1.5, chunks=4)
    reports = tenable_reports(sim)
    request = JobRequest("tv", "assets", {"chunk_size": 200}, ("json",))
    (outcome,) = list(reports.run_many([request], dest_dir=tmp_path, timeout=60))
    assert outcome.error is None and outcome.job is not None
    assert outcome.job.status is ReportStatus.SUCCEEDED
    assert sorted(f.part or "" for f in outcome.files) == ["1", "2", "3", "4"]
    check_files(sim, outcome.job.job_id, list(outcome.files))
    events = sim.events
    first_chunk = next(i for i, e in enumerate(events) if e[0] == "chunk")
    finished = events.index(("status", outcome.job.job_id, "FINISHED"))
    assert first_chunk < finished
    assert all(chunk_gets(sim, str(n)) == 1 for n in range(1, 5))
