"""What a trigger tells the task it resumes, and how the task reads it (status-safe).

A payload is plain JSON and carries no secret: the job reference, the neutral status, the
vendor's raw status, the parts lost at the vendor and a redacted message. Only a job that
ended with its files (``succeeded``; ``partial`` when the task accepts partial results)
lets the task go on to fetch; failed, cancelled and expired jobs, a partial result by
default, a timeout, an error, or a status this version does not know all fail the task
with the reference in the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        "failed_parts": failed_parts(job),
    }


def failed_parts(job: ReportJob) -> list[str]:
    """The parts of a partial result the vendor lost, as ``format/id: why``."""
    return [
        f"{p.format}/{p.id}: {redact_text(p.error or 'no reason given')}"
        for p in job.parts
        if p.state == "failed"
    ]


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


def fetchable_ref(event: Mapping[str, Any] | None, *, accept_partial: bool = False) -> str:
    """The reference of a job that ended with files; anything else raises ReportJobError.
    A partial result (some parts lost at the vendor) counts only with ``accept_partial``."""
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
    return check_status(
        ref,
        event.get("status"),
        event.get("provider_status"),
        message,
        failed=event.get("failed_parts") or (),
        accept_partial=accept_partial,
    )


def check_status(
    ref: str,
    status: Any,
    provider_status: Any = None,
    message: str = "",
    *,
    failed: Sequence[str] = (),
    accept_partial: bool = False,
) -> str:
    """``ref`` when ``status`` (a neutral status value) has files; else ReportJobError.

    ``partial`` (terminal, some parts ``failed`` at the vendor) passes only with
    ``accept_partial``: by default a task never counts a result with holes as done."""
    known = {s.value: s for s in ReportStatus}
    if status not in known:
        raise ReportJobError(
            f"report job has status {status!r}, which this version does not know; accepted: "
            f"{', '.join(sorted(known))} (reference {ref})",
            ref=ref,
        )
    neutral = known[status]
    if neutral is ReportStatus.PARTIAL and not accept_partial:
        lost = "; ".join(failed) or "the vendor named none"
        raise ReportJobError(
            f"report job ended partial: some parts were lost at the vendor ({lost}); set "
            f"accept_partial=True to keep the others (reference {ref})",
            ref=ref,
        )
    if not neutral.is_fetchable:
        detail = f"; vendor says {provider_status!r}" if provider_status else ""
        why = f": {message}" if message else ""
        raise ReportJobError(
            f"report job ended {neutral.value}{detail}{why} (reference {ref})", ref=ref
        )
    return ref


__all__ = [
    "ReportJobError",
    "check_status",
    "ended",
    "failed",
    "failed_parts",
    "fetchable_ref",
    "timed_out",
]
