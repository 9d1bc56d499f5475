"""Many reports at once: one search (report_id in the ids) answers for all of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spaceone_testkit import CSV

from reportbridge import ReportStatus
from reportbridge.batch import JobRequest
from reportbridge.facade import Reports
from reportbridge_spaceone.simulator import SpaceoneSimulator

Make = Callable[..., Reports]


def test_refresh_many_is_one_search_per_page(sim: SpaceoneSimulator, make_spaceone: Make) -> None:
    reports = make_spaceone(sim, list_page_size=2)
    jobs = [reports.run("so", CSV, name=f"r{n}") for n in range(3)]
    seen = reports.poll_many("so", jobs)
    assert seen is not None and set(seen) == {j.job_id for j in jobs}
    searches = [r for r in sim.requests if r.path.endswith("/reports/search")]
    assert len(searches) == 2  # three ids, pages of two
    assert sim.count("GET", "^/report/v1/report/") == 0


def test_listed_and_polled_reports_agree(
    spaceone_sim: Callable[..., SpaceoneSimulator], make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(job_seconds=0.05)
    reports = make_spaceone(sim)
    job = reports.run("so", CSV, name="inventory")
    sim.store.reports[job.job_id].started -= 1  # finished
    listed = (reports.poll_many("so", [job]) or {})[job.job_id]
    polled = reports.poll(job)
    assert listed.status is polled.status is ReportStatus.SUCCEEDED
    assert (listed.formats, listed.extra) == (polled.formats, polled.extra)
    assert reports.fetch(listed, tmp_path)[0].sha256 == reports.fetch(polled, tmp_path)[0].sha256


def test_run_many_waits_on_searches(
    spaceone_sim: Callable[..., SpaceoneSimulator], make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(job_seconds=0.3)
    reports = make_spaceone(sim, concurrency=5, polling={"initial": 0.05, "jitter": 0.0})
    requests = [JobRequest("so", CSV, {"name": f"r{n}"}) for n in range(5)]
    outcomes = list(reports.run_many(requests, dest_dir=tmp_path))
    assert all(o.ok and len(o.files) == 1 for o in outcomes), [o.error for o in outcomes]
    assert sim.count("GET", "^/report/v1/report/[^/]+$") == 0  # no report polled alone
    assert sim.count("POST", "/reports/search$") >= 1
