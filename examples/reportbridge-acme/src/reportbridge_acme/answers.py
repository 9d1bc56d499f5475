"""Reading Acme's answers: export records (with their chunks) and error bodies.

Everything here treats the vendor as untrusted: ids are checked against their documented
shape before they can go into a path, vendor text is passed through ``redact_text``, and
a body that does not have the documented shape is a ``ProviderProtocolError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reportbridge import ErrorDetail, ReportJob, ReportStatus, ResultPart
from reportbridge.errors import (
    ProviderError,
    ProviderProtocolError,
    error_for_status,
)
from reportbridge.ids import path_segment, vendor_id
from reportbridge.logging import redact_text
from reportbridge.model import parse_timestamp
from reportbridge.transport import HttpResponse, parse_retry_after
from reportbridge_acme.reports import FORMATS
from reportbridge_acme.status import PROVIDER, STATUS

#: export ids as Acme documents them: ``exp_`` and 16 lower-case hexadecimal digits
EXPORT_ID = re.compile(r"exp_[0-9a-f]{16}")
#: chunk numbers, 1 to 9999
CHUNK_ID = re.compile(r"[1-9][0-9]{0,3}")


def export_segment(value: str) -> str:
    """An export id for a URL path; a ``ValidationError`` (before any request) when a job
    reference a user pasted holds anything else."""
    return path_segment(
        value,
        what=f"{PROVIDER} export id",
        pattern=EXPORT_ID,
        example="exp_0123456789abcdef",
        provider=PROVIDER,
    )


def chunk_segment(value: str) -> str:
    """A chunk number for a URL path (a part id a user may have named)."""
    return path_segment(
        value, what=f"{PROVIDER} chunk number", pattern=CHUNK_ID, provider=PROVIDER, field="part"
    )


def export_id(export: Mapping[str, Any], what: str) -> str:
    """The id of an export the vendor sent, checked before it is kept anywhere
    (a ``ProviderProtocolError``: the vendor, not the user, is wrong)."""
    return vendor_id(
        export.get("id"), what=f"{what}: export id", provider=PROVIDER, pattern=EXPORT_ID
    )


def unwrap(body: Any, what: str) -> Mapping[str, Any]:
    """The export object of ``{"export": {...}}`` (a create, status or cancel answer)."""
    export = body.get("export") if isinstance(body, Mapping) else None
    if not isinstance(export, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: the answer holds no export object", provider=PROVIDER
        )
    return export


def chunk_parts(chunks: Any, what: str) -> tuple[ResultPart, ...]:
    """Each chunk as one part per format: ready chunks available, failed ones failed."""
    if not isinstance(chunks, list):
        raise ProviderProtocolError(f"{PROVIDER} {what}: chunks is not a list", provider=PROVIDER)
    parts = []
    for chunk in chunks:
        n = chunk.get("n") if isinstance(chunk, Mapping) else None
        if type(n) is not int or not CHUNK_ID.fullmatch(str(n)):
            raise ProviderProtocolError(
                f"{PROVIDER} {what}: a chunk has no number from 1 to 9999", provider=PROVIDER
            )
        rows = chunk.get("rows")
        rows = rows if type(rows) is int and rows >= 0 else None
        if chunk.get("state") == "failed":
            why = redact_text(str(chunk.get("error") or "the chunk failed at Acme"))[:300]
            parts += [ResultPart(str(n), f, state="failed", error=why) for f in FORMATS]
        elif chunk.get("state") == "ready":
            parts += [ResultPart(str(n), f, rows=rows) for f in FORMATS]
    return tuple(sorted(parts, key=lambda p: (p.format, int(p.id))))


def export_job(export: Any, *, profile: str, what: str) -> ReportJob:
    """A neutral record of one export object (a listing entry carries no chunks)."""
    if not isinstance(export, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: an export is not a JSON object", provider=PROVIDER
        )
    raw = export.get("state")
    status = STATUS(raw)  # an unknown state raises UnknownStatusError, naming it
    parts = chunk_parts(export.get("chunks", []), what)
    done = sum(1 for p in parts if p.state == "available" and p.format == FORMATS[0])
    total = export.get("chunks_total")
    progress = min(1.0, done / total) if type(total) is int and total > 0 else None
    error = None
    if status is ReportStatus.FAILED:
        reason = redact_text(str(export.get("error") or "the export failed at Acme"))[:300]
        error = ErrorDetail(reason, code="failed", retryable=True)
    elif status is ReportStatus.PARTIAL:
        error = ErrorDetail("some chunks failed at Acme", code="ready_with_errors")
    report = export.get("report")
    return ReportJob(
        provider=PROVIDER,
        profile=profile,
        job_id=export_id(export, what),
        report_type=report if isinstance(report, str) else "",
        status=status,
        provider_status=str(raw),
        created_at=parse_timestamp(export.get("created_at")),
        progress=progress,
        progress_text=f"{done} of {total} chunks ready" if progress is not None else None,
        formats=FORMATS,
        error=error,
        parts=parts,
    )


def vendor_error(resp: HttpResponse, what: str) -> ProviderError:
    """The typed error for an Acme error answer: its code and message, redacted, and a
    hint for the statuses a user can act on."""
    try:
        body = resp.json(what=what)
    except ProviderProtocolError:
        body = None
    detail = body.get("error") if isinstance(body, Mapping) else None
    code = message = None
    if isinstance(detail, Mapping):
        code = detail.get("code") if isinstance(detail.get("code"), str) else None
        message = detail.get("message") if isinstance(detail.get("message"), str) else None
    text = f"{PROVIDER} {what} failed (HTTP {resp.status})"
    if message:
        text += f": {message[:300]}"
    if resp.status == 401:
        text += "; check the profile's api_key and pin"
    return error_for_status(
        resp.status,
        redact_text(text),
        provider=PROVIDER,
        vendor_code=code,
        retry_after=parse_retry_after(resp.header("Retry-After")),
    )
