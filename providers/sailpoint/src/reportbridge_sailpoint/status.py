"""SailPoint's task and result states mapped onto the neutral lifecycle.

The vendor sends no status while a report runs, so three labels stand for the
status-less answers (they are reportbridge's words, shown in brackets):

- ``(not started)``: a run answer with ``launched`` still null;
- ``(in progress)``: a started task, or a result object without ``status``;
- ``(not visible yet)``: the empty result ``{}`` (no matching task known yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any

from reportbridge.errors import ProviderProtocolError
from reportbridge.model import ErrorDetail, ReportJob, parse_timestamp, utcnow
from reportbridge.status import ReportStatus, StatusMap
from reportbridge_sailpoint.reports import FILE_FORMATS, SEARCH_EXPORT, ZIP
from reportbridge_sailpoint.settings import PROVIDER

NOT_STARTED = "(not started)"
IN_PROGRESS = "(in progress)"
NOT_VISIBLE = "(not visible yet)"

#: Every value the vendor uses for a finished task (results: SUCCESS, FAILURE,
#: WARNING, TERMINATED; tasks: SUCCESS, WARNING, ERROR, TERMINATED, TEMP_ERROR,
#: spelled TEMPERROR by the task-status API).
VENDOR_STATUSES: dict[str, ReportStatus] = {
    "SUCCESS": ReportStatus.SUCCEEDED,
    "WARNING": ReportStatus.SUCCEEDED,
    "FAILURE": ReportStatus.FAILED,
    "ERROR": ReportStatus.FAILED,
    "TEMP_ERROR": ReportStatus.FAILED,
    "TEMPERROR": ReportStatus.FAILED,
    "TERMINATED": ReportStatus.CANCELLED,
}
#: reportbridge's labels for the answers that carry no status.
STATUSLESS: dict[str, ReportStatus] = {
    NOT_STARTED: ReportStatus.PENDING,
    NOT_VISIBLE: ReportStatus.PENDING,
    IN_PROGRESS: ReportStatus.RUNNING,
}
_TABLE: dict[Hashable, ReportStatus] = {}
for _table in (VENDOR_STATUSES, STATUSLESS):
    _TABLE.update(_table.items())
STATUS = StatusMap(PROVIDER, _TABLE)
TRANSIENT = frozenset({"temp_error", "temperror"})


def job_from_task(job: ReportJob, body: Any) -> ReportJob:
    """A job as a ``TaskResultDetails`` (the run answer) or ``TaskStatus`` describes it."""
    task = _object(body, "run answer")
    raw = task.get("completionStatus")
    if raw is None:
        started = task.get("launched") is not None or task.get("completed") is not None
        raw = IN_PROGRESS if started else NOT_STARTED
    percent = _int(task.get("percentComplete"))
    progress = percent / 100 if percent is not None and 0 <= percent <= 100 else None
    return _observed(
        job,
        raw,
        task,
        created_at=parse_timestamp(task.get("created")),
        started_at=parse_timestamp(task.get("launched")),
        finished_at=parse_timestamp(task.get("completed")),
        progress=progress,
        progress_text=_text(task.get("progress")),
    )


def job_from_result(job: ReportJob, body: Any) -> ReportJob:
    """A job as a ``ReportResults`` (the poll answer) describes it."""
    result = _object(body, "report result")
    raw = result.get("status")
    if raw is None:
        raw = IN_PROGRESS if result else NOT_VISIBLE
    created = parse_timestamp(result.get("created"))
    duration = _int(result.get("duration"))
    finished = None
    finished_status = isinstance(raw, str) and raw.strip().upper() in VENDOR_STATUSES
    if finished_status and created is not None and duration is not None and duration >= 0:
        finished = created + dt.timedelta(milliseconds=duration)
    rows = _int(result.get("rows"))
    return _observed(
        job,
        raw,
        result,
        created_at=created,
        finished_at=finished,
        progress_text=f"{rows} rows" if rows is not None else None,
        rows=rows if finished_status else None,
        formats=_formats(job.report_type, result.get("availableFormats")),
    )


def _observed(job: ReportJob, raw: Any, body: Mapping[str, Any], **fields: Any) -> ReportJob:
    status = STATUS(raw)  # unknown values raise UnknownStatusError
    key = raw.strip().upper()
    texts = _message_texts(body)
    error = warnings = None
    if status is ReportStatus.FAILED:
        detail = "; ".join(texts["error"] or texts["all"]) or "the vendor gave no reason"
        transient = raw.strip().casefold() in TRANSIENT
        hint = " (a transient failure: running the report again may succeed)" if transient else ""
        error = ErrorDetail(f"report ended with {key}{hint}: {detail}", key, transient)
    elif status is ReportStatus.CANCELLED:
        error = ErrorDetail(
            "the task was terminated (by a cancel request, an administrator or the platform)",
            key,
        )
    elif key == "WARNING":
        warnings = tuple(texts["warning"]) or (
            "the report finished with warnings; the vendor gave no details",
        )
    return ReportJob(
        provider=PROVIDER,
        profile=job.profile,
        job_id=job.job_id,
        report_type=job.report_type,
        status=status,
        provider_status=raw.strip(),
        params=job.params,
        submitted_at=job.submitted_at,
        updated_at=utcnow(),
        error=error,
        warnings=warnings or (),
        extra=job.extra,
        **fields,
    )


def _formats(report_type: str, value: Any) -> tuple[str, ...]:
    if report_type == SEARCH_EXPORT:
        return (ZIP,)
    if not isinstance(value, list):
        return ()  # absent: keep what the request implied (the vendor's default is both)
    named = {v.strip().lower() for v in value if isinstance(v, str)}
    return tuple(f for f in FILE_FORMATS if f in named)


def _message_texts(body: Mapping[str, Any]) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {"error": [], "warning": [], "all": []}
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, Mapping):
            continue
        text = _text(message.get("localizedText")) or _text(message.get("key"))
        if text is None:
            continue
        kind = str(message.get("type") or "").upper()
        texts["all"].append(text)
        if message.get("error") is True or kind == "ERROR":
            texts["error"].append(text)
        if message.get("warning") is True or kind == "WARN":
            texts["warning"].append(text)
    return texts


def _object(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} {what} is not a JSON object (got {type(body).__name__})",
            provider=PROVIDER,
        )
    return body


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = [
    "IN_PROGRESS",
    "NOT_STARTED",
    "NOT_VISIBLE",
    "STATUS",
    "STATUSLESS",
    "VENDOR_STATUSES",
    "job_from_result",
    "job_from_task",
    "parse_timestamp",
]
