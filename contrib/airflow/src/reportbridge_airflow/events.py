"""What a trigger tells the task it resumes, and how the task reads it (status-safe).

A payload is plain JSON and carries no secret: the job reference, the neutral status, the
vendor's raw status and a redacted message. Only a job that ended with its files
(``succeeded``) lets the task go on to fetch; failed, cancelled and expired jobs, a
timeout, an error, or a status this version does not know all fail the task with the
reference in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk.exceptions import AirflowException

from reportbridge.errors import JobTimeoutError, ReportBridgeError
from reportbridge.logging import redact_text
from reportbridge.model import ReportJob
from reportbridge.status import ReportStatus

ENDED, TIMEOUT, ERROR = "ended", "timeout", "error"


class ReportJobError(AirflowException):
    """A report job did not end with its files (or could not be followed); ``ref`` names it."""

    def __init__(self, message: str, *, ref: str | None = None) -> None:
        super().__init__(message)
        self.ref = ref


def ended(job: ReportJob) -> dict[str, Any]:
    return {
        "outcome": ENDED,
        "ref": job.ref,
        "status": job.status.value,
        "provider_status": job.provider_status,
        "message": redact_text(job.error.message) if job.error else None,
    }


def timed_out(ref: str, exc: JobTimeoutError) -> dict[str, Any]:
    job = exc.job if isinstance(exc.job, ReportJob) else None
    return {
        "outcome": TIMEOUT,
        "ref": ref,
        "status": job.status.value if job else None,
        "provider_status": job.provider_status if job else None,
        "message": redact_text(str(exc)),
    }


def failed(ref: str, exc: ReportBridgeError) -> dict[str, Any]:
    return {
        "outcome": ERROR,
        "ref": ref,
        "error": type(exc).__name__,
        "message": redact_text(str(exc)),
    }


def fetchable_ref(event: Mapping[str, Any] | None) -> str:
    """The reference of a job that ended with files; anything else raises ReportJobError."""
    if not isinstance(event, Mapping) or not isinstance(event.get("ref"), str):
        raise ReportJobError(f"the report trigger sent an event this task cannot read: {event!r}")
    ref = event["ref"]
    outcome = event.get("outcome")
    message = event.get("message") or ""
    if outcome == TIMEOUT:
        raise ReportJobError(f"report job timed out: {message} (reference {ref})", ref=ref)
    if outcome == ERROR:
        raise ReportJobError(
            f"following the report job failed: {event.get('error')}: {message} (reference {ref})",
            ref=ref,
        )
    if outcome != ENDED:
        raise ReportJobError(f"unknown trigger outcome {outcome!r} (reference {ref})", ref=ref)
    return check_status(ref, event.get("status"), event.get("provider_status"), message)


def check_status(ref: str, status: Any, provider_status: Any = None, message: str = "") -> str:
    """``ref`` when ``status`` (a neutral status value) has files; else ReportJobError."""
    known = {s.value: s for s in ReportStatus}
    if status not in known:
        raise ReportJobError(
            f"report job has status {status!r}, which this version does not know; accepted: "
            f"{', '.join(sorted(known))} (reference {ref})",
            ref=ref,
        )
    neutral = known[status]
    if not neutral.is_fetchable:
        detail = f"; vendor says {provider_status!r}" if provider_status else ""
        why = f": {message}" if message else ""
        raise ReportJobError(
            f"report job ended {neutral.value}{detail}{why} (reference {ref})", ref=ref
        )
    return ref


__all__ = ["ReportJobError", "check_status", "ended", "failed", "fetchable_ref", "timed_out"]
