"""Listing jobs: HAL pages per report type, merged newest first, with filters."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from explore_testkit import FAST, JANUARY

from reportbridge import ReportStatus, ValidationError
from reportbridge.facade import Reports
from reportbridge_explore.simulator import ExploreSimulator

ReportsFactory = Callable[..., Reports]


@pytest.fixture
def five(sim: ExploreSimulator, explore_reports: ReportsFactory) -> tuple[Reports, list[str]]:
    reports = explore_reports(sim, list_page_size=2)
    ids = []
    for kind in ("calls", "contacts", "calls", "calls", "contacts"):
        ids.append(reports.run("tx", kind, **JANUARY).job_id)
        time.sleep(0.003)  # the vendor stamps created_at in ms: equal stamps have no order
    return reports, ids


def test_all_types_are_merged_newest_first(
    five: tuple[Reports, list[str]], sim: ExploreSimulator
) -> None:
    reports, ids = five
    listed = list(reports.list("tx"))
    assert [j.job_id for j in listed] == ids[::-1]
    assert all(j.profile == "tx" and j.formats == ("csv",) for j in listed)
    # three calls jobs on pages of two: the second page came from the next link
    assert sim.count("GET", "/calls/jobs$") == 2


def test_filters_and_limit(five: tuple[Reports, list[str]], sim: ExploreSimulator) -> None:
    reports, ids = five
    calls = [ids[0], ids[2], ids[3]]
    assert [j.job_id for j in reports.list("tx", report_type="calls")] == calls[::-1]
    assert [j.job_id for j in reports.list("tx", limit=2)] == ids[::-1][:2]
    reports.wait(next(reports.list("tx", limit=1)), policy=FAST)
    done = list(reports.list("tx", status="succeeded", report_type=["calls", "contacts"]))
    assert done and all(j.status is ReportStatus.SUCCEEDED for j in done)
    assert [j.job_id for j in reports.list("tx", state="DONE")] == [j.job_id for j in done]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"owner": "me"}, "cannot filter jobs by owner; accepted: report_type, state, status"),
        ({"report_type": "nope"}, "no report type nope; accepted: calls"),
    ],
)
def test_bad_filters_are_refused_before_any_request(
    sim: ExploreSimulator, reports: Reports, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        list(reports.list("tx", **filters))
    assert sim.requests == []
