"""Run, poll, cancel and list Tenable exports through the façade, and the vendor's errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import attrs
import pytest
from tenable_testkit import FAST, NEW_YEAR

from reportbridge import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    Reports,
    ReportStatus,
    UnknownStatusError,
    ValidationError,
)
from reportbridge.errors import QuotaExceededError, RateLimitedError, RejectedRequestError
from reportbridge.refs import JobRef, encode_ref
from reportbridge.testing import Fault
from reportbridge_tenable.simulator import TenableSimulator

Make = Callable[..., TenableSimulator]
MakeReports = Callable[..., Reports]


def test_an_export_runs_to_finished_with_every_chunk_a_part(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(chunks=4)
    reports = tenable_reports(sim)
    job = reports.run("tv", "vulns", since=NEW_YEAR)
    assert job.status is ReportStatus.PENDING and job.formats == ("json",)
    done = reports.wait(job, timeout=30, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED and done.provider_status == "FINISHED"
    # in the order they became available (out of order, as Tenable documents)
    assert sorted(p.id for p in done.parts) == ["1", "2", "3", "4"]
    assert all(p.state == "available" and p.format == "json" for p in done.parts)
    assert done.progress == 1.0 and done.progress_text == "4 of 4 chunk(s) available"
    assert done.created_at is not None
    assert reports.parts(done) == list(done.parts)


def test_failed_chunks_make_a_partial_job_that_names_them(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(chunks=5, failed_chunks=(3,), out_of_order=False)
    done = tenable_reports(sim).wait(
        tenable_reports(sim).run("tv", "vulns", since=NEW_YEAR), timeout=30, policy=FAST
    )
    assert done.status is ReportStatus.PARTIAL and done.is_fetchable
    states = {p.id: p.state for p in done.parts}
    # chunk 3 failed; Tenable cancels the chunks queued after it (4 and 5 in this order)
    assert states == {
        "1": "available",
        "2": "available",
        "3": "failed",
        "4": "failed",
        "5": "failed",
    }
    failed = {p.id: p.error for p in done.parts if p.state == "failed"}
    assert "1 of 5 chunks failed" in (failed["3"] or "")
    assert "cancelled by Tenable" in (failed["4"] or "")
    assert done.error is not None and done.error.code == "chunks_failed"


def test_an_export_in_error_is_failed_with_the_vendors_reason(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(outcome="ERROR")
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    assert done.status is ReportStatus.FAILED and done.provider_status == "ERROR"
    assert done.error is not None and "timed out" in done.error.message and done.error.retryable


def test_cancel_a_running_export(tenable_sim: Make, tenable_reports: MakeReports) -> None:
    sim = tenable_sim(job_seconds=30)
    reports = tenable_reports(sim)
    job = reports.run("tv", "assets", chunk_size=100)
    cancelled = reports.cancel(job)
    assert cancelled.status is ReportStatus.CANCELLED and cancelled.provider_status == "CANCELLED"
    assert sim.count("POST", "/cancel$") == 1
    assert all(p.state == "failed" for p in cancelled.parts)


def test_cancel_after_the_end_returns_the_end(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(job_seconds=0.1)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "vulns", since=NEW_YEAR), timeout=30, policy=FAST)
    assert reports.cancel(done).status is ReportStatus.SUCCEEDED
    # the session itself, asked to cancel: Tenable's 400 "Cannot cancel a completed job"
    sent = sim.count("POST", "/cancel$")
    again = reports.session("tv").cancel(done)
    assert again.status is ReportStatus.SUCCEEDED and again.provider_status == "FINISHED"
    assert sim.count("POST", "/cancel$") == sent + 1


def test_an_export_uuid_the_vendor_should_not_have_sent_is_refused(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    from reportbridge.errors import ProviderProtocolError

    sim = tenable_sim(forced_job_id="../../scans/1/launch")
    with pytest.raises(ProviderProtocolError) as info:
        tenable_reports(sim).run("tv", "vulns", since=NEW_YEAR)
    assert "export uuid" in str(info.value)
    assert [r.path for r in sim.requests] == ["/vulns/export"]  # nothing sent with it


def test_there_is_no_single_file_to_open(reports: Reports, sim: TenableSimulator) -> None:
    from reportbridge.errors import UnsupportedOperationError

    job = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    with pytest.raises(UnsupportedOperationError):
        reports.session("tv").open_file(job, "json")
    with pytest.raises(ValidationError):
        reports.session("tv").open_file(attrs.evolve(job, job_id=".."), "json")


def test_list_merges_both_kinds_newest_first_and_filters(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(job_seconds=30)
    reports = tenable_reports(sim, max_active_jobs=3)
    first = reports.run("tv", "vulns", since=NEW_YEAR)
    second = reports.run("tv", "assets")
    third = reports.run("tv", "vulns", since=NEW_YEAR + 1)
    reports.cancel(third)
    listed = list(reports.list("tv"))
    assert [j.job_id for j in listed] == [third.job_id, second.job_id, first.job_id]
    assert [j.report_type for j in listed] == ["vulns", "assets", "vulns"]
    assert [j.job_id for j in reports.list("tv", report_type="assets")] == [second.job_id]
    assert [j.job_id for j in reports.list("tv", state="cancelled")] == [third.job_id]
    assert len(list(reports.list("tv", limit=2))) == 2
    refused = "cannot filter exports by severity; accepted: report_type, state, status"
    with pytest.raises(ValidationError, match=refused):
        list(reports.list("tv", severity="high"))


def test_bad_keys_are_an_authentication_error_without_the_keys(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim()
    reports = tenable_reports(sim, secret_key="f" * 64)
    with pytest.raises(AuthenticationError) as info:
        reports.run("tv", "vulns", since=NEW_YEAR)
    assert "Invalid credentials" in str(info.value) and "secret_key" in str(info.value)
    assert "f" * 64 not in str(info.value)
    assert sim.count("POST") == 1  # a static key pair is not asked again
    sent = sim.requests[0].headers["X-ApiKeys"]
    assert sent == f"accessKey={sim.access_key};secretKey={'f' * 64};"


def test_missing_export_permission_is_named(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(export_permission=("vulns",))
    with pytest.raises(PermissionDeniedError) as info:
        tenable_reports(sim).run("tv", "assets")
    assert "VM.VM_EXPLORE.VM_EXPLORE.EXPORT" in str(info.value)


def test_a_duplicate_export_is_followed_and_said(sim: TenableSimulator, reports: Reports) -> None:
    first = reports.run("tv", "vulns", severity=["high"], since=NEW_YEAR)
    second = reports.run("tv", "vulns", severity=["high"], since=NEW_YEAR)
    assert second.job_id == first.job_id
    assert sim.jobs_created() == 1
    assert any("HTTP 409" in w and first.job_id in w for w in second.warnings)


def test_a_duplicate_can_be_refused_instead(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim()
    reports = tenable_reports(sim, on_duplicate="error")
    first = reports.run("tv", "assets", chunk_size=500)
    with pytest.raises(RejectedRequestError) as info:
        reports.run("tv", "assets", chunk_size=500)
    assert first.job_id in str(info.value) and info.value.status_code == 409


def test_the_concurrency_limit_waits_out_retry_after_then_says_so(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(job_seconds=30, concurrent_exports=1, concurrency_retry_after="0")
    reports = tenable_reports(sim, max_active_jobs=5)
    reports.run("tv", "vulns", since=NEW_YEAR)
    with pytest.raises(QuotaExceededError) as info:
        reports.run("tv", "vulns", since=NEW_YEAR + 1)
    assert "two exports of each kind" in str(info.value)
    assert info.value.retry_after == 0.0
    assert sim.count("POST", "^/vulns/export$") == 1 + 3  # the transport's 3 attempts
    assert sim.jobs_created() == 1


def test_rate_limited_requests_are_retried_after_retry_after(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(rate_limit=2, retry_after="0")
    reports = tenable_reports(sim)
    job = reports.run("tv", "vulns", since=NEW_YEAR)
    reports.poll(job)
    with pytest.raises(RateLimitedError) as info:
        reports.poll(job)
    assert info.value.status_code == 429
    assert sim.count("GET", "/status$") == 1 + 3


def test_an_unknown_export_is_not_found(reports: Reports) -> None:
    ref = encode_ref(JobRef("tenable", "tv", "0f1e2d3c-4b5a-4968-8776-655443322110", "vulns"))
    with pytest.raises(NotFoundError) as info:
        reports.poll(ref)
    assert "0f1e2d3c-4b5a-4968-8776-655443322110" in str(info.value)


def test_an_export_gone_after_the_vendor_dropped_it(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(job_seconds=0.05, export_ttl=0.0)
    reports = tenable_reports(sim)
    job = reports.run("tv", "assets")
    time.sleep(0.1)
    with pytest.raises(NotFoundError):
        reports.poll(job)


@pytest.mark.parametrize(
    ("job_id", "kind"),
    [
        ("../../scans/1/launch", "vulns"),
        ("0f1e2d3c-4b5a-4968-8776-655443322110/../x", "vulns"),
        ("0f1e2d3c-4b5a-4968-8776-655443322110", "scans"),
    ],
)
def test_a_hostile_reference_is_refused_before_any_request(
    reports: Reports, sim: TenableSimulator, job_id: str, kind: str
) -> None:
    ref = encode_ref(JobRef("tenable", "tv", job_id, kind))
    for act in (reports.poll, reports.cancel):
        with pytest.raises(ValidationError):
            act(ref)
    assert sim.requests == []


def test_the_status_of_a_minimal_answer_is_read(
    tenable_sim: Make, tenable_reports: MakeReports
) -> None:
    sim = tenable_sim(minimal_status=True, chunks=2)
    reports = tenable_reports(sim)
    done = reports.wait(reports.run("tv", "assets"), timeout=30, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    assert sorted(p.id for p in done.parts) == ["1", "2"]
    assert done.progress is None and done.progress_text == "2 chunk(s) available"


def test_an_undocumented_status_is_refused(sim: TenableSimulator, reports: Reports) -> None:
    job = reports.run("tv", "vulns", since=NEW_YEAR)
    sim.faults.add(Fault(path="/status$", status=200, body=sim.unknown_status_body()))
    with pytest.raises(UnknownStatusError) as info:
        reports.poll(job)
    assert "ARCHIVED" in str(info.value)


def test_an_answer_without_a_usable_export_uuid_is_a_protocol_error(
    sim: TenableSimulator, reports: Reports
) -> None:
    from reportbridge.errors import ProviderProtocolError

    body = json.dumps({"export_uuid": "../../users"}).encode()
    sim.faults.add(Fault(path="^/vulns/export$", status=200, body=body))
    with pytest.raises(ProviderProtocolError):
        reports.run("tv", "vulns", since=NEW_YEAR)


def test_params_and_warnings_survive_polls(sim: TenableSimulator, reports: Reports) -> None:
    job = reports.run("tv", "vulns", severity=["low"])
    polled = reports.poll(job)
    assert polled.params == job.params and polled.warnings == job.warnings
    assert attrs.evolve(polled, warnings=()).warnings == ()
