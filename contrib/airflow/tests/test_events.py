"""Status-safe reading of trigger events: only a job that ended with files goes on."""

from __future__ import annotations

import pytest

from reportbridge.errors import AuthenticationError, JobTimeoutError
from reportbridge.model import ErrorDetail, ReportJob
from reportbridge.status import ReportStatus
from reportbridge_airflow import events
from reportbridge_airflow.events import ReportJobError

JOB = ReportJob(provider="explore", profile="rb", job_id="j-1", report_type="calls")


def job(status: ReportStatus, **kw: object) -> ReportJob:
    import attrs

    return attrs.evolve(JOB, status=status, provider_status=status.value.upper(), **kw)


def test_succeeded_job_gives_its_reference() -> None:
    assert events.fetchable_ref(events.ended(job(ReportStatus.SUCCEEDED))) == JOB.ref


@pytest.mark.parametrize(
    "status", [ReportStatus.FAILED, ReportStatus.CANCELLED, ReportStatus.EXPIRED]
)
def test_jobs_without_files_fail_the_task(status: ReportStatus) -> None:
    event = events.ended(job(status, error=ErrorDetail("disk full at vendor")))
    with pytest.raises(ReportJobError, match=f"ended {status.value}") as caught:
        events.fetchable_ref(event)
    assert JOB.ref in str(caught.value) and "disk full at vendor" in str(caught.value)
    assert caught.value.ref == JOB.ref


def test_a_status_this_version_does_not_know_fails_clearly() -> None:
    event = {**events.ended(job(ReportStatus.SUCCEEDED)), "status": "half-done"}
    with pytest.raises(ReportJobError, match="'half-done', which this version does not know"):
        events.fetchable_ref(event)


def test_timeout_and_errors_fail_with_the_reference() -> None:
    timeout = events.timed_out(JOB.ref, JobTimeoutError("still running after 5 s", JOB))
    assert timeout["status"] == "pending"
    with pytest.raises(ReportJobError, match="timed out: still running after 5 s"):
        events.fetchable_ref(timeout)
    error = events.failed(JOB.ref, AuthenticationError("refused: Bearer abc.def.ghi"))
    assert "abc.def" not in error["message"]
    with pytest.raises(ReportJobError, match="AuthenticationError: refused"):
        events.fetchable_ref(error)


@pytest.mark.parametrize("event", [None, {}, {"ref": 3}, {"ref": "rb1.x", "outcome": "maybe"}])
def test_unreadable_events_fail(event: object) -> None:
    with pytest.raises(ReportJobError):
        events.fetchable_ref(event)  # type: ignore[arg-type]


def test_a_partial_result_fails_unless_accepted() -> None:
    from reportbridge.model import ResultPart

    parts = (
        ResultPart(id="1", format="json"),
        ResultPart(id="2", format="json", state="failed", error="chunk 2 lost"),
    )
    event = events.ended(job(ReportStatus.PARTIAL, parts=parts))
    assert event["failed_parts"] == ["json/2: chunk 2 lost"]
    with pytest.raises(ReportJobError, match=r"ended partial: .*json/2: chunk 2 lost"):
        events.fetchable_ref(event)
    assert events.fetchable_ref(event, accept_partial=True) == JOB.ref
