"""Paged results: pages learned while fetching, each resumed alone, never the whole result
again; an audit killed after page 2 goes on at page 3."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportbridge import ProviderProtocolError
from reportbridge.audit import AuditPlan, run_audit
from reportbridge.audit.plan import PlannedJob
from reportbridge.engine import JobEvent
from reportbridge.testing import Fault
from tests.toy_paged import PageySimulator


@pytest.fixture
def start(parts_vendor: Callable[..., tuple[Any, Any]]) -> Callable[..., tuple[Any, Any]]:
    return functools.partial(parts_vendor, PageySimulator)


def check(sim: PageySimulator, job_id: str, files: list[Any]) -> list[str]:
    for f in files:
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
        assert f.sha256 == sim.served_sha256(job_id, "csv", part=f.part)
    return [f.part for f in files]


def test_pages_are_followed_to_the_last_one(start: Any, tmp_path: Path) -> None:
    sim, reports = start(pages=4)
    job = reports.wait(reports.run("pagey", "QUERY"), timeout=30)
    files = reports.fetch(job, tmp_path)
    assert check(sim, job.job_id, files) == ["1", "2", "3", "4"]
    assert sim.pages_served == [1, 2, 3, 4]
    assert [f.next_part.id if f.next_part else None for f in files] == ["2", "3", "4", None]
    assert files[0].next_part is not None
    assert files[0].next_part.cursor == sim.locator(job.job_id, 2)


def test_a_cut_in_page_3_fetches_page_3_again_and_nothing_else(start: Any, tmp_path: Path) -> None:
    sim, reports = start(pages=4, file_size=200_000)  # pages without Range support
    job = reports.wait(reports.run("pagey", "QUERY"), timeout=30)
    sim.faults.add(Fault(path="/results$", method="GET", skip=2, drop_after=50_000, times=1))
    files = reports.fetch(job, tmp_path)
    assert check(sim, job.job_id, files) == ["1", "2", "3", "4"]
    assert sim.pages_served == [1, 2, 3, 3, 4]  # no restart from page 1
    assert not list(tmp_path.glob(".*.part"))


def test_resuming_from_a_page_given_as_a_part(start: Any, tmp_path: Path) -> None:
    sim, reports = start(pages=4)
    job = reports.wait(reports.run("pagey", "QUERY"), timeout=30)
    first_two = reports.fetch(job, tmp_path, skip=["3"])  # a chain stops at a page done
    assert check(sim, job.job_id, first_two) == ["1", "2"]
    page3 = first_two[-1].next_part
    rest = reports.fetch(job, tmp_path, parts=[page3])
    assert check(sim, job.job_id, rest) == ["3", "4"]
    assert sim.pages_served == [1, 2, 3, 4]


def test_a_looping_page_chain_is_stopped(start: Any, tmp_path: Path) -> None:
    sim, reports = start(pages=3, loop=True)
    job = reports.wait(reports.run("pagey", "QUERY"), timeout=30)
    with pytest.raises(ProviderProtocolError, match=r"pages of job .* loop"):
        reports.fetch(job, tmp_path)
    assert sim.pages_served == [1, 2, 3]


PLAN = AuditPlan(name="paged", jobs=(PlannedJob(key="q", profile="pagey", report_type="QUERY"),))


def killed_after_page_2(reports: Any, bundle: Path) -> None:
    """An audit run whose process dies once page 2 is written (page 3 is abandoned)."""
    stop = threading.Event()

    def kill(event: JobEvent) -> None:
        if event.kind == "fetched" and event.file is not None and event.file.part == "2":
            stop.set()  # the next page's download is abandoned, as a kill would

    with pytest.raises(KeyboardInterrupt):
        run_audit(reports, PLAN, bundle, on_event=kill, stop=stop)


def test_an_audit_killed_after_page_2_resumes_at_page_3(start: Any, tmp_path: Path) -> None:
    sim, reports = start(pages=5)
    plan, bundle = PLAN, tmp_path / "bundle"
    killed_after_page_2(reports, bundle)
    assert sim.pages_served[:2] == [1, 2]
    first_run = len(sim.pages_served)
    manifest = run_audit(reports, plan, bundle).manifest
    assert sim.pages_served[first_run:] == [3, 4, 5]  # pages 1 and 2 are not fetched again
    assert sim.count("POST", "^/queries$") == 1
    (job,) = manifest["jobs"]
    assert [f["part"] for f in job["files"]] == ["1", "2", "3", "4", "5"]
    for f in job["files"]:
        assert f["sha256"] == sim.served_sha256(job["job_id"], "csv", part=f["part"])
    assert manifest["summary"]["succeeded"] == 1
    assert run_audit(reports, plan, bundle).summary["succeeded"] == 1
    assert len(sim.pages_served) == first_run + 3  # complete: nothing fetched again


def test_a_damaged_resume_point_fetches_its_page_again(start: Any, tmp_path: Path) -> None:
    import sqlite3

    sim, reports = start(pages=4)
    plan, bundle = PLAN, tmp_path / "bundle"
    killed_after_page_2(reports, bundle)
    with sqlite3.connect(bundle / "journal.sqlite") as db:
        db.execute("UPDATE files SET next_part = '{\"id\": \"../x\"}' WHERE part = '2'")
    db.close()
    first_run = len(sim.pages_served)
    result = run_audit(reports, plan, bundle)
    assert sim.pages_served[first_run:] == [2, 3, 4]  # page 2 again: it says where 3 is
    assert [f["part"] for f in result.manifest["jobs"][0]["files"]] == ["1", "2", "3", "4"]
    assert result.summary["succeeded"] == 1
