"""Listing existing reports through the façade: filters, newest first, 1-based paging."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from spaceone_testkit import CSV, PDF

from reportbridge import ReportStatus, ValidationError
from reportbridge.facade import Reports
from reportbridge_spaceone.listing import build_query, states_for
from reportbridge_spaceone.simulator import SpaceoneSimulator

Make = Callable[..., Reports]
StartSim = Callable[..., SpaceoneSimulator]


def test_state_filters_accept_vendor_and_neutral_names() -> None:
    assert states_for("FINISHED") == ["FINISHED"]
    assert states_for("finished") == ["FINISHED"]
    assert states_for(5) == ["FINISHED"]
    assert states_for("succeeded") == ["FINISHED"]
    assert states_for("failed") == ["FAILURE", "TIMEOUT"]
    assert states_for("pending,running") == ["CREATED", "IN_PROGRESS"]
    assert states_for(["CANCELED", "cancelled"]) == ["CANCELED"]


def test_query_conditions() -> None:
    assert build_query({}) == []
    assert build_query({"state": "failed", "template_id": PDF, "created_by": None}) == [
        {"k": "state", "v": ["FAILURE", "TIMEOUT"], "o": "in"},
        {"k": "template_id", "v": PDF, "o": "eq"},
    ]
    refused = "cannot filter reports by name; accepted: created_by, state, template_id"
    with pytest.raises(ValidationError, match=refused):
        build_query({"name": "x", "state": "failed"})


@pytest.fixture
def populated(
    spaceone_sim: StartSim, make_spaceone: Make
) -> tuple[SpaceoneSimulator, Reports, list[str]]:
    """Five reports: three PDF (one failed) and two CSV, created in this order."""
    sim = spaceone_sim(outcomes={})
    reports = make_spaceone(sim, list_page_size=2)
    jobs = [reports.run("so", t, name=f"r{i}") for i, t in enumerate([PDF, CSV, PDF, CSV, PDF])]
    for i, job in enumerate(jobs):
        sim.force_state(job.job_id, "FAILURE" if i == 2 else "FINISHED")
    return sim, reports, [j.job_id for j in jobs]


def searches(sim: SpaceoneSimulator) -> int:
    return sim.count("POST", "/report/v1/reports/search$")


def test_lists_every_report_newest_first_page_by_page(
    populated: tuple[SpaceoneSimulator, Reports, list[str]],
) -> None:
    sim, reports, ids = populated
    before = searches(sim)
    listed = list(reports.list("so"))
    assert [j.job_id for j in listed] == ids[::-1]
    assert searches(sim) - before == 3  # pages of 2: 2 + 2 + 1
    assert all(j.profile == "so" and j.provider == "spaceone" for j in listed)
    assert {j.report_type for j in listed} == {PDF, CSV}
    assert all(j.params.get("storage_id") for j in listed)


def test_limit_stops_early(populated: tuple[SpaceoneSimulator, Reports, list[str]]) -> None:
    sim, reports, ids = populated
    before = searches(sim)
    assert [j.job_id for j in reports.list("so", limit=3)] == ids[::-1][:3]
    assert searches(sim) - before == 2
    assert list(reports.list("so", limit=0)) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "FAILURE"}, [2]),
        ({"state": "succeeded"}, [4, 3, 1, 0]),
        ({"state": ["failed", "CANCELED"]}, [2]),
        ({"template_id": CSV}, [3, 1]),
        ({"template_id": PDF, "state": "FINISHED"}, [4, 0]),
        ({"created_by": "alice@example.com"}, [4, 3, 2, 1, 0]),
        ({"created_by": "ALICE@example.com"}, [4, 3, 2, 1, 0]),
        ({"created_by": "bob@example.com"}, []),
    ],
)
def test_filters(
    populated: tuple[SpaceoneSimulator, Reports, list[str]],
    filters: dict[str, Any],
    expected: list[int],
) -> None:
    _sim, reports, ids = populated
    assert [j.job_id for j in reports.list("so", **filters)] == [ids[i] for i in expected]


def test_listed_jobs_carry_status_and_error(
    populated: tuple[SpaceoneSimulator, Reports, list[str]],
) -> None:
    _sim, reports, _ids = populated
    (failed,) = reports.list("so", state="failed")
    assert failed.status is ReportStatus.FAILED and failed.error is not None
    assert failed.error.code == "ERROR_TEMPLATE_RENDER"


def test_gateway_listing(spaceone_sim: StartSim, make_spaceone: Make) -> None:
    sim = spaceone_sim(api_style="gateway", job_seconds=60)  # still pending when listed
    reports = make_spaceone(sim)
    job = reports.run("so", PDF, name="x")
    assert [j.job_id for j in reports.list("so", state="pending")] == [job.job_id]
    assert sim.count("POST", "/report/report/list$") == 1


def test_a_server_ignoring_the_page_does_not_loop(
    populated: tuple[SpaceoneSimulator, Reports, list[str]],
) -> None:
    sim, reports, ids = populated
    original = sim.store.search

    def no_paging(domain: str, conditions: Any, sort: Any, page: Any) -> Any:
        return original(domain, conditions, sort, None)

    sim.store.search = no_paging  # type: ignore[method-assign]
    assert [j.job_id for j in reports.list("so")] == ids[::-1]


def test_query_sent_matches_the_core_query_shape(
    spaceone_sim: StartSim, make_spaceone: Make
) -> None:
    sim = spaceone_sim()
    reports = make_spaceone(sim, list_page_size=7)
    seen: list[Any] = []
    original = sim.search

    def spy(fields: dict[str, Any], claims: dict[str, Any]) -> Any:
        seen.append(json.loads(json.dumps(fields)))
        return original(fields, claims)

    sim.search = spy  # type: ignore[method-assign]
    list(reports.list("so", state="FINISHED", limit=3))
    assert seen == [
        {
            "domain_id": sim.domain_id,
            "query": {
                "filter": [{"k": "state", "v": "FINISHED", "o": "eq"}],
                "sort": {"key": "created_at", "desc": True},
                "page": {"start": 1, "limit": 3},
            },
        }
    ]
