"""run / poll / wait through the façade against the simulator, outcomes and vendor errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from spaceone_testkit import CSV, FAST, PDF

from reportbridge import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ReportStatus,
    ServiceError,
)
from reportbridge.facade import Reports
from reportbridge.refs import decode_ref
from reportbridge.testing import Fault
from reportbridge_spaceone.simulator import SpaceoneSimulator

Make = Callable[..., Reports]
StartSim = Callable[..., SpaceoneSimulator]


def test_run_returns_a_pending_job_whose_reference_keeps_the_name(
    reports: Reports, sim: SpaceoneSimulator
) -> None:
    job = reports.run("so", PDF, name="Monthly cost summary", template_options={"month": "02"})
    assert job.job_id.startswith("report-") and len(job.job_id) == len("report-") + 12
    assert job.status is ReportStatus.PENDING
    assert job.provider_status == "CREATED"  # the simulator omitted the state
    assert job.report_type == PDF and job.created_at is not None
    assert job.extra == {"name": "Monthly cost summary"}
    assert decode_ref(job.ref).extra == {"name": "Monthly cost summary"}
    assert sim.token not in decode_ref(job.ref).extra.values()
    assert sim.store.reports[job.job_id].name == "Monthly cost summary"
    assert sim.store.reports[job.job_id].template_options == {"month": "02"}


def test_wait_reaches_finished_and_keeps_the_name(reports: Reports) -> None:
    job = reports.run("so", CSV, name="Inventory")
    seen: list[str | None] = []
    done = reports.wait(
        job, timeout=20, policy=FAST, on_update=lambda j: seen.append(j.provider_status)
    )
    assert done.status is ReportStatus.SUCCEEDED and done.provider_status == "FINISHED"
    assert done.formats == ("csv",)
    assert done.extra["name"] == "Inventory" and done.params["name"] == "Inventory"
    assert seen[-1] == "FINISHED"
    assert set(seen) <= {"CREATED", "IN_PROGRESS", "FINISHED"}


@pytest.mark.parametrize(
    ("outcome", "status", "code", "phrase"),
    [
        ("FAILURE", ReportStatus.FAILED, "ERROR_TEMPLATE_RENDER", "template option"),
        ("TIMEOUT", ReportStatus.FAILED, "ERROR_REPORT_TIMEOUT", "timeout:"),
    ],
)
def test_failed_runs_keep_the_vendor_error(
    spaceone_sim: StartSim,
    make_spaceone: Make,
    outcome: str,
    status: ReportStatus,
    code: str,
    phrase: str,
) -> None:
    sim = spaceone_sim(outcome=outcome)
    reports = make_spaceone(sim)
    done = reports.wait(reports.run("so", PDF, name="x"), timeout=20, policy=FAST)
    assert done.status is status and done.provider_status == outcome
    assert done.error is not None and done.error.code == code and phrase in done.error.message
    assert (outcome == "TIMEOUT") == done.error.retryable


def test_server_side_cancel_is_cancelled(reports: Reports, sim: SpaceoneSimulator) -> None:
    job = reports.run("so", PDF, name="x")
    sim.force_state(job.job_id, "CANCELED")
    done = reports.wait(job, timeout=20, policy=FAST)
    assert done.status is ReportStatus.CANCELLED and done.provider_status == "CANCELED"


def test_outcome_per_template(spaceone_sim: StartSim, make_spaceone: Make) -> None:
    sim = spaceone_sim(outcomes={CSV: "FAILURE"})
    reports = make_spaceone(sim)
    good = reports.wait(reports.run("so", PDF, name="a"), timeout=20, policy=FAST)
    bad = reports.wait(reports.run("so", CSV, name="b"), timeout=20, policy=FAST)
    assert good.status is ReportStatus.SUCCEEDED and bad.status is ReportStatus.FAILED


def test_numeric_states_and_explicit_created(spaceone_sim: StartSim, make_spaceone: Make) -> None:
    sim = spaceone_sim(numeric_states=True, omit_created_state=False)
    reports = make_spaceone(sim)
    job = reports.run("so", PDF, name="x")
    assert job.provider_status == "CREATED"
    done = reports.wait(job, timeout=20, policy=FAST)
    assert done.provider_status == "FINISHED" and done.status is ReportStatus.SUCCEEDED


def test_a_stale_read_never_moves_the_job_back(reports: Reports, sim: SpaceoneSimulator) -> None:
    done = reports.wait(reports.run("so", PDF, name="x"), timeout=20, policy=FAST)
    sim.force_state(done.job_id, "IN_PROGRESS")
    again = reports.poll(done)
    assert again.status is ReportStatus.SUCCEEDED and again.provider_status == "FINISHED"


@pytest.mark.parametrize("http_status", [404, 400])
def test_unknown_report_is_not_found_whatever_the_status(
    spaceone_sim: Callable[..., SpaceoneSimulator],
    make_spaceone: Callable[..., Reports],
    http_status: int,
) -> None:
    # Current Cloudforet answers ERROR_NOT_FOUND with 404, older deployments with 400.
    reports = make_spaceone(spaceone_sim(not_found_status=http_status))
    job = reports.run("so", PDF, name="x")
    from reportbridge.refs import JobRef, encode_ref

    ghost = encode_ref(JobRef("spaceone", "so", "report-000000000000", PDF))
    with pytest.raises(NotFoundError) as info:
        reports.poll(ghost)
    assert info.value.status_code == http_status
    assert info.value.vendor_code == "ERROR_NOT_FOUND"
    assert "report-000000000000" in str(info.value) and "no such report" in str(info.value)
    assert "endpoint" not in str(info.value) and "api_style" not in str(info.value)
    assert reports.poll(job).job_id == job.job_id


@pytest.mark.parametrize("http_status", [404, 400])
def test_unknown_template_is_not_found(
    spaceone_sim: Callable[..., SpaceoneSimulator],
    make_spaceone: Callable[..., Reports],
    http_status: int,
) -> None:
    sim = spaceone_sim(not_found_status=http_status)
    with pytest.raises(NotFoundError) as info:
        make_spaceone(sim).run("so", "template-ffffffffffff", name="x")
    message = str(info.value)
    assert info.value.vendor_code == "ERROR_NOT_FOUND" and info.value.status_code == http_status
    assert "template-ffffffffffff" in message and "template_id or storage_id" in message
    assert "endpoint" not in message
    assert sim.count("POST") == 1


def test_a_wrong_path_still_names_the_endpoint(
    spaceone_sim: Callable[..., SpaceoneSimulator], make_spaceone: Callable[..., Reports]
) -> None:
    # A 404 without a SpaceONE error body is a path the deployment does not serve.
    sim = spaceone_sim(api_style="gateway")
    with pytest.raises(NotFoundError, match="no such endpoint: check base_url and api_style"):
        make_spaceone(sim, api_style="rest").run("so", PDF, name="x")


def test_refused_token_is_an_authentication_error(
    sim: SpaceoneSimulator, make_spaceone: Make
) -> None:
    reports = make_spaceone(sim, token=sim.issue_token(lifetime=-60))
    with pytest.raises(AuthenticationError) as info:
        reports.run("so", PDF, name="x")
    assert "ERROR_AUTHENTICATE_FAILURE" in str(info.value) and "token expired at" in str(info.value)
    assert sim.token not in str(info.value)
    assert sim.count("POST") == 1  # a static token: no second try


def test_token_of_another_domain_is_permission_denied(
    sim: SpaceoneSimulator, make_spaceone: Make
) -> None:
    other = sim.issue_token(domain_id="domain-000000000000")
    reports = make_spaceone(sim, token=other)
    with pytest.raises(PermissionDeniedError):
        reports.run("so", PDF, name="x")


def test_create_is_not_resent_after_a_server_error(
    reports: Reports, sim: SpaceoneSimulator
) -> None:
    body = b'{"detail": {"code": "ERROR_GRPC_CONNECTION", "message": "backend down"}}'
    sim.faults.add(Fault(path="/report/v1/reports$", method="POST", status=503, body=body))
    with pytest.raises(ServiceError) as info:
        reports.run("so", PDF, name="x")
    assert info.value.vendor_code == "ERROR_GRPC_CONNECTION"
    assert "may or may not have been created" in str(info.value)
    assert sim.count("POST", "/report/v1/reports$") == 1


def test_poll_is_retried_after_a_server_error(reports: Reports, sim: SpaceoneSimulator) -> None:
    job = reports.run("so", PDF, name="x")
    sim.faults.add(Fault(path="/report/v1/report/", method="GET", status=503, times=2))
    assert reports.poll(job).job_id == job.job_id
    assert sim.count("GET", "/report/v1/report/") == 3


def test_create_is_resent_after_429(reports: Reports, sim: SpaceoneSimulator) -> None:
    sim.faults.add(Fault(path="/report/v1/reports$", method="POST", status=429, retry_after="0"))
    job = reports.run("so", PDF, name="x")
    assert job.job_id in sim.store.reports and len(sim.store.reports) == 1


def test_gateway_style_drives_the_same_lifecycle(
    spaceone_sim: StartSim, make_spaceone: Make
) -> None:
    sim = spaceone_sim(api_style="gateway", gateway_download_verb="get_download_url")
    reports = make_spaceone(sim)
    done = reports.wait(reports.run("so", PDF, name="gw"), timeout=20, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    assert {r.path for r in sim.requests} == {
        "/report/report/create",
        "/report/report/get",
    }
    assert all(r.method == "POST" for r in sim.requests)


def test_rest_profile_against_a_gateway_is_a_clear_error(
    spaceone_sim: StartSim, make_spaceone: Make
) -> None:
    sim = spaceone_sim(api_style="gateway")
    reports = make_spaceone(sim, api_style="rest")
    with pytest.raises(NotFoundError) as info:
        reports.run("so", PDF, name="x")
    assert "HTTP 404" in str(info.value) and "api_style" in str(info.value)
