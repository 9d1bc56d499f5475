"""Quotas, rate limits, refusals and vendor error bodies, as typed errors without secrets."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from explore_testkit import FAST, JANUARY

from reportbridge import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RejectedRequestError,
    ReportJob,
    ReportStatus,
    ServiceError,
)
from reportbridge.facade import Reports
from reportbridge_explore.simulator import READ, ExploreSimulator

SimFactory = Callable[..., ExploreSimulator]
ReportsFactory = Callable[..., Reports]


def test_the_client_keeps_to_fifteen_running_reports(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(job_seconds=60)
    reports = explore_reports(sim)
    for _ in range(15):
        reports.run("tx", "calls", **JANUARY)
    with pytest.raises(QuotaExceededError, match="15 unfinished jobs"):
        reports.run("tx", "calls", **JANUARY)
    assert sim.count("POST", "/jobs$") == 15


def test_the_vendor_quota_answer_is_a_quota_error(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(job_seconds=60, quota=2, quota_retry_after="0")
    reports = explore_reports(sim, max_active_jobs=10)
    reports.run("tx", "calls", **JANUARY)
    reports.run("tx", "contacts", **JANUARY)
    with pytest.raises(QuotaExceededError) as info:
        reports.run("tx", "calls", **JANUARY)
    assert "account quota of 2 simultaneous reports exceeded" in str(info.value)
    assert info.value.vendor_code == "0130429" and info.value.retry_after == 0
    assert sim.count("POST", "/jobs$") == 2 + 3  # 429 is re-sent: the vendor did not act
    assert len(sim.jobs) == 2


def test_a_429_is_waited_out_until_a_slot_frees(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    # the first job runs long enough that a busy machine still submits the second meanwhile
    sim = explore_sim(job_seconds=2.0, quota=1, quota_retry_after="0.3")
    reports = explore_reports(sim, transport={"max_attempts": 15})
    first = reports.run("tx", "calls", **JANUARY)
    second = reports.run("tx", "calls", **JANUARY)
    assert second.job_id != first.job_id
    assert [r.status for r in sim.requests if r.method == "POST" and r.origin == "api"][:2] == [
        202,
        429,
    ]


def test_unable_to_audit_is_resent_once_and_creates_one_job(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(audit_failures=1)
    job = explore_reports(sim).run("tx", "calls", **JANUARY)
    assert sim.count("POST", "/jobs$") == 2
    assert list(sim.jobs) == [job.job_id]


def test_unable_to_audit_for_good_says_running_again_is_safe(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(audit_failures=99)
    with pytest.raises(ServiceError) as info:
        explore_reports(sim).run("tx", "calls", **JANUARY)
    assert "unable to audit operation" in str(info.value)
    assert "running it again is safe" in str(info.value)
    assert sim.jobs == {}


def test_wrong_client_secret_is_an_authentication_error_without_the_secret(
    sim: ExploreSimulator, explore_reports: ReportsFactory
) -> None:
    reports = explore_reports(sim, client_secret="not-the-right-one-123")
    with pytest.raises(AuthenticationError) as info:
        reports.run("tx", "calls", **JANUARY)
    assert "not-the-right-one-123" not in str(info.value)
    assert sim.count(origin="api") == 0


def test_a_scope_the_client_was_not_granted(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(granted_scopes=(READ,))
    with pytest.raises(AuthenticationError, match="invalid_scope"):
        explore_reports(sim).run("tx", "calls", **JANUARY)
    reports = explore_reports(sim, scopes=[READ])
    with pytest.raises(PermissionDeniedError, match="lacks the data-reports:write scope"):
        reports.run("tx", "calls", **JANUARY)


def test_an_expired_token_is_replaced(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim()
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    sim.tokens.clear()  # the vendor forgets every token
    assert reports.wait(job, policy=FAST).status is ReportStatus.SUCCEEDED
    assert sim.count("POST", "/oauth/token") == 2


def test_vendor_refusals_carry_code_and_fields(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    # The vendor clock disagrees with ours by more than the allowed skew: its 400 comes back.
    sim = explore_sim()
    reports = explore_reports(sim)
    session = reports.session("tx")
    future = {"from": "2999-01-01T00:00:00", "to": "2999-01-02T00:00:00", "timezone": "UTC"}
    with pytest.raises(RejectedRequestError) as info:
        session.submit("calls", future)
    assert "timespan.to: must not be in the future" in str(info.value)
    assert info.value.vendor_code == "0130101" and info.value.status_code == 400


def test_a_job_the_vendor_does_not_know(sim: ExploreSimulator, reports: Reports) -> None:
    ghost = ReportJob(provider="explore", profile="tx", job_id="nope", report_type="calls")
    with pytest.raises(NotFoundError, match="report job not found"):
        reports.poll(ghost)


def test_many_threads_share_one_token(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim()
    reports = explore_reports(sim)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sim.count("POST", "/oauth/token") == 1
