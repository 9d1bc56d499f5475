"""Reading Tenable answers: export status bodies (with their chunks) and error bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reportbridge import ErrorDetail, ProviderProtocolError, ReportJob, ReportStatus
from reportbridge.errors import ProviderError, QuotaExceededError, error_for_status
from reportbridge.logging import redact_text
from reportbridge.model import ResultPart
from reportbridge.transport import HttpResponse
from reportbridge.transport.retry import parse_retry_after
from reportbridge_tenable.ids import vendor_chunk_ids
from reportbridge_tenable.params import FORMATS
from reportbridge_tenable.status import PROVIDER, neutral_status

FORMAT = FORMATS[0]
MAX_REASON = 500
#: why the chunks of a FINISHED export that are neither available nor failed are missing
CANCELLED_AFTER_FAILURE = "cancelled by Tenable after another chunk of the export failed"
CANCELLED_BY_USER = "not produced: the export was cancelled"

_HINTS = {
    401: "check the profile's access_key and secret_key (a user has one valid key pair at a time)",
    403: "the keys' user needs the Basic [16] role or VM.VM_EXPLORE.VM_EXPLORE.EXPORT, and Can "
    "View on the exported assets",
}


def _reason(body: Mapping[str, Any]) -> str | None:
    reason = body.get("reason")
    if isinstance(reason, str) and reason.strip():
        return redact_text(reason.strip())[:MAX_REASON]
    return None


def _created(value: Any) -> dt.datetime | None:
    """``created``: unix milliseconds in the vendor's examples."""
    if type(value) is not int or value <= 0:
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _count(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    return value if type(value) is int and value >= 0 else None


def export_parts(
    status: ReportStatus,
    available: tuple[int, ...],
    failed: tuple[int, ...],
    cancelled: tuple[int, ...],
    reason: str | None,
) -> tuple[ResultPart, ...]:
    """The chunks as result parts in chunk order (the vendor lists them as they complete).

    A chunk listed as failed or cancelled is lost even if also listed as available.
    """
    why_failed = reason or "the chunk failed to process at Tenable; run the export again"
    why_cancelled = (
        CANCELLED_BY_USER if status is ReportStatus.CANCELLED else CANCELLED_AFTER_FAILURE
    )
    states: dict[int, tuple[str, str | None]] = dict.fromkeys(available, ("available", None))
    states.update(dict.fromkeys(cancelled, ("failed", why_cancelled)))
    states.update(dict.fromkeys(failed, ("failed", why_failed)))
    return tuple(
        ResultPart(str(c), FORMAT, state=state, error=error)
        for c, (state, error) in sorted(states.items())
    )


def status_job(
    body: Any, *, profile: str, kind: str, job_id: str, what: str = "export status"
) -> ReportJob:
    """A neutral record from ``GET /{kind}/export/{uuid}/status``."""
    if not isinstance(body, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: the answer is not a JSON object", provider=PROVIDER
        )
    raw = body.get("status")
    available = vendor_chunk_ids(body.get("chunks_available"), what, "chunks_available")
    failed = vendor_chunk_ids(body.get("chunks_failed"), what, "chunks_failed")
    cancelled = vendor_chunk_ids(body.get("chunks_cancelled"), what, "chunks_cancelled")
    status = neutral_status(raw, failed, cancelled)
    reason = _reason(body)
    parts = export_parts(status, available, failed, cancelled, reason)
    good = sum(1 for p in parts if p.state == "available")
    total = _count(body, "total_chunks")
    progress = None
    text = f"{good} chunk(s) available"
    if total:
        progress = min(1.0, max(good, _count(body, "finished_chunks") or 0) / total)
        text = f"{good} of {total} chunk(s) available"
    if len(parts) > good:
        text += f", {len(parts) - good} lost"
    error = None
    if status is ReportStatus.FAILED:
        error = ErrorDetail(
            reason or f"{PROVIDER} export ended in ERROR", code="ERROR", retryable=True
        )
    elif status is ReportStatus.PARTIAL:
        message = reason or f"{len(parts) - good} of {len(parts)} chunks failed to process"
        error = ErrorDetail(message, code="chunks_failed", retryable=True)
    return ReportJob(
        provider=PROVIDER,
        profile=profile,
        job_id=job_id,
        report_type=kind,
        status=status,
        provider_status=str(raw),
        created_at=_created(body.get("created")),
        progress=progress,
        progress_text=text,
        formats=FORMATS,
        error=error,
        parts=parts,
    )


def listed_job(item: Any, *, profile: str, kind: str, job_id: str) -> ReportJob:
    """One entry of ``GET /{kind}/export/status``. The listing does not carry the chunk
    lists, so a listed job has no parts (and a FINISHED one reads SUCCEEDED even if some
    chunks failed): poll it for its parts."""
    if not isinstance(item, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} list exports: an entry is not a JSON object", provider=PROVIDER
        )
    summary = {k: v for k, v in item.items() if not k.startswith("chunks_")}
    return status_job(summary, profile=profile, kind=kind, job_id=job_id, what="list exports")


def vendor_error(resp: HttpResponse, what: str, *, submit: bool = False) -> ProviderError:
    """The typed error for an error answer, with the vendor's message and a hint.

    ``submit``: a 429 there may be the concurrency limit (two running exports of a kind
    per container), which waiting for an export to finish frees.
    """
    try:
        body = resp.json(what=what)
    except ProviderProtocolError:
        body = None
    detail = None
    if isinstance(body, Mapping):
        parts = [body.get(k) for k in ("error", "message", "failure_reason")]
        detail = ": ".join(str(p) for p in parts if isinstance(p, str) and p)
    text = f"{PROVIDER} {what} failed (HTTP {resp.status})"
    if detail:
        text += f": {detail[:300]}"
    if resp.status in _HINTS:
        text += f"; {_HINTS[resp.status]}"
    text = redact_text(text)
    retry_after = parse_retry_after(resp.header("Retry-After"))
    if resp.status == 429 and submit:
        return QuotaExceededError(
            text + "; Tenable runs at most two exports of each kind at once per container: "
            "wait for one to finish or cancel one",
            provider=PROVIDER,
            status_code=429,
            retry_after=retry_after,
        )
    return error_for_status(resp.status, text, provider=PROVIDER, retry_after=retry_after)
