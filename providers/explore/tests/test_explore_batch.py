"""Many jobs at once: one listing per report type answers for all of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from explore_testkit import JANUARY

from reportbridge import ReportStatus
from reportbridge.batch import JobRequest
from reportbridge.facade import Reports
from reportbridge_explore.simulator import ExploreSimulator

ReportsFactory = Callable[..., Reports]


def test_refresh_many_reads_one_listing_per_type(
    sim: ExploreSimulator, explore_reports: ReportsFactory
) -> None:
    reports = explore_reports(sim)
    jobs = [reports.run("tx", kind, **JANUARY) for kind in ("calls", "contacts", "calls")]
    polls = sim.count("GET", "/jobs/")
    seen = reports.poll_many("tx", jobs)
    assert seen is not None and set(seen) == {j.job_id for j in jobs}
    assert sim.count("GET", "/calls/jobs$") == 1 and sim.count("GET", "/contacts/jobs$") == 1
    assert sim.count("GET", "/jobs/") == polls  # no job was polled on its own


def test_a_listed_job_matches_a_polled_one(
    explore_sim: Callable[..., ExploreSimulator], explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    sim = explore_sim(job_seconds=0.05)
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    sim.jobs[job.job_id].created -= 1  # finished
    listed = (reports.poll_many("tx", [job]) or {})[job.job_id]
    polled = reports.poll(job)
    assert listed.status is polled.status is ReportStatus.SUCCEEDED
    assert (listed.formats, listed.extra) == (polled.formats, polled.extra)
    assert reports.fetch(listed, tmp_path)[0].size == reports.fetch(polled, tmp_path)[0].size


def test_listing_stops_at_the_oldest_job_asked_about(
    sim: ExploreSimulator, explore_reports: ReportsFactory
) -> None:
    reports = explore_reports(sim, list_page_size=2)
    older = [reports.run("tx", "calls", **JANUARY) for _ in range(6)]
    newest = reports.run("tx", "calls", **JANUARY)
    assert older and set(reports.poll_many("tx", [newest]) or {}) == {newest.job_id}
    assert sim.count("GET", "/calls/jobs$") == 1  # the first page held it


def test_run_many_polls_by_listing(
    explore_sim: Callable[..., ExploreSimulator], explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    sim = explore_sim(job_seconds=0.3)
    reports = explore_reports(sim, concurrency=6)
    requests = [JobRequest("tx", "calls", dict(JANUARY), ("csv",)) for _ in range(6)]
    outcomes = list(reports.run_many(requests, dest_dir=tmp_path))
    assert all(o.ok and len(o.files) == 1 for o in outcomes), [o.error for o in outcomes]
    # six jobs, each waited on: the listings answered for them, no job was polled alone
    assert sim.count("GET", "^/data/reports/calls/jobs/[^/]+$") == 0
    assert 1 <= sim.count("GET", "^/data/reports/calls/jobs$") <= 40
