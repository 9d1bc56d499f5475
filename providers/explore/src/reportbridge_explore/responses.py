"""Reading Explore answers: job bodies (flat or wrapped) and vendor error bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportbridge import ErrorDetail, ProviderProtocolError, ReportJob, ReportStatus
from reportbridge.errors import ProviderError, QuotaExceededError, error_for_status
from reportbridge.logging import redact_text
from reportbridge.model import parse_timestamp
from reportbridge.transport import HttpResponse
from reportbridge.transport.retry import parse_retry_after
from reportbridge_explore.paths import answered_id
from reportbridge_explore.status import PROVIDER, STATUS


def job_object(body: Any, what: str) -> Mapping[str, Any]:
    """The job inside ``body``: the documented ``{"job": {...}}`` or the flat shape."""
    if isinstance(body, Mapping):
        inner = body.get("job")
        job = inner if isinstance(inner, Mapping) else body
        if isinstance(job.get("id"), str | int) and str(job.get("id")):
            return job
    raise ProviderProtocolError(
        f"{PROVIDER} {what}: the answer holds no job id (expected job.id or id)",
        provider=PROVIDER,
    )


def to_job(
    body: Any,
    *,
    profile: str,
    report_type: str,
    what: str,
    status: ReportStatus | None = None,
    raw_status: str | None = None,
    extra: Mapping[str, str] | None = None,
    job_id: str | None = None,
) -> ReportJob:
    """A neutral record from a job body. ``status`` overrides the body (a 3xx poll).

    ``job_id``: the job that was asked for (a poll), kept whatever id the answer shows; a
    new id (a run, a listing) must be able to address the job, or the answer is refused.
    """
    job = job_object(body, what)
    raw = job.get("status")
    raw = raw if isinstance(raw, str) else raw_status
    if status is None:
        # A run answer without a status is a job just accepted; anything else must map.
        status = STATUS(raw) if raw is not None else ReportStatus.PENDING
    fmt = job.get("format")
    keep = dict(extra or {})
    if isinstance(fmt, str) and fmt:
        keep["format"] = fmt.lower()
    formats = (keep["format"],) if "format" in keep else ()
    error = None
    if status is ReportStatus.FAILED:
        error = ErrorDetail(f"{PROVIDER} reports the job as {raw}", code=raw)
    return ReportJob(
        provider=PROVIDER,
        profile=profile,
        job_id=job_id if job_id is not None else answered_id(job["id"]),
        report_type=report_type,  # the path segment the job is addressed by
        status=status,
        provider_status=raw or raw_status,
        created_at=parse_timestamp(job.get("created_at")),
        formats=formats,
        error=error,
        extra=keep,
    )


def vendor_error(
    resp: HttpResponse, what: str, *, quota: bool = False, hint: str = ""
) -> ProviderError:
    """The typed error for an error answer, with the vendor's code and description.

    ``quota``: a 429 here means the account's simultaneous-report quota is full.
    """
    try:
        body = resp.json(what=what)
    except ProviderProtocolError:
        body = None
    code = message = None
    parts: list[str] = []
    if isinstance(body, Mapping):
        code = _text(body.get("code"))
        message = _text(body.get("message")) or _text(body.get("error"))
        for key in ("description", "error_description"):
            if _text(body.get(key)):
                parts.append(str(body[key]))
        fields = body.get("fields")
        if isinstance(fields, list):
            parts.extend(
                f"{f.get('name')}: {f.get('description')}" for f in fields if isinstance(f, Mapping)
            )
    else:
        parts.append(resp.text()[:200])
    detail = "; ".join(p for p in [message, *parts] if p)
    text = redact_text(
        f"{PROVIDER} {what} failed (HTTP {resp.status})" + (f": {detail}" if detail else "")
    )
    if hint:
        text = f"{text}; {hint}"
    retry_after = parse_retry_after(resp.header("Retry-After"))
    if resp.status == 429 and quota:
        return QuotaExceededError(
            text + "; the account runs at most 15 reports at once: wait for one to finish or "
            "cancel one",
            provider=PROVIDER,
            status_code=429,
            vendor_code=code,
            retry_after=retry_after,
        )
    return error_for_status(
        resp.status, text, provider=PROVIDER, vendor_code=code, retry_after=retry_after
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
