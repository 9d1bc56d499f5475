"""Provider-neutral records: jobs, fetched files, capabilities."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from reportbridge.errors import ValidationError
from reportbridge.paramspec import DateWindow, ParamSpec, check_report_params
from reportbridge.refs import JobRef, encode_ref
from reportbridge.status import ReportStatus, advance


def _frozen_dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """A vendor's ISO 8601 / RFC 3339 time, read leniently for providers.

    ``Z`` and offsets are honoured; a time without an offset is taken as UTC (vendors
    send both); anything unreadable is None, because a malformed date must never make a
    poll fail.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


@attrs.frozen
class ErrorDetail:
    """Why a job failed, or what it warned about, as the vendor said it."""

    message: str
    code: str | None = None
    retryable: bool = False


#: what a result part can be: ready to download, not produced yet, or lost at the vendor
PART_STATES = ("available", "pending", "failed")
_PART_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_PART_RANK = {"pending": 0, "available": 1, "failed": 1}


def _lower(value: str) -> str:
    return value.lower()


#: the most parts one job may have: a vendor answer listing more (a few MiB of chunk
#: numbers would make millions) is refused rather than held in memory and journalled
MAX_PARTS = 100_000


def _parts_tuple(value: Iterable[ResultPart]) -> tuple[ResultPart, ...]:
    parts = tuple(itertools.islice(value, MAX_PARTS + 1))
    if len(parts) > MAX_PARTS:
        raise ValidationError(
            f"a job lists more than {MAX_PARTS:,} result parts; accepted: at most {MAX_PARTS:,}",
            field="parts",
        )
    return parts


def _check_part_id(_part: object, _attr: object, value: str) -> None:
    # Part ids name files and journal rows: a safe token, never a path.
    if not isinstance(value, str) or not _PART_ID.fullmatch(value) or set(value) == {"."}:
        raise ValidationError(
            f"result part id {value!r} is not a safe token; accepted: 1-128 characters of "
            "A-Z a-z 0-9 . _ - (not only dots)",
            field="part",
        )


def _check_part_state(_part: object, _attr: object, value: str) -> None:
    if value not in PART_STATES:
        raise ValidationError(
            f"result part state {value!r} is unknown; accepted: {', '.join(PART_STATES)}",
            field="part",
        )


@attrs.frozen
class ResultPart:
    """One file of a job's result: the job's only file, a chunk of an export or a page.

    ``id`` is unique within (job, format); the single file of a single-file vendor has
    the format name as its id. ``cursor`` is what addresses a page of a paged result
    (a locator); it is journalled, so it must never be a secret. ``error`` says why a
    failed part failed, as the vendor said it.
    """

    id: str = attrs.field(validator=_check_part_id)
    format: str = attrs.field(converter=_lower)
    name: str | None = None
    size: int | None = None
    rows: int | None = None
    state: str = attrs.field(default="available", validator=_check_part_state)
    cursor: str | None = None
    error: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(format, id): what identifies the part within its job."""
        return (self.format, self.id)


def merge_parts(known: Iterable[ResultPart], seen: Iterable[ResultPart]) -> tuple[ResultPart, ...]:
    """Parts of two observations: a fresher one updates, a stale one never drops a part
    nor moves one back to pending; new parts follow in the order the vendor gave them."""
    merged = {p.key: p for p in known}
    for part in seen:
        old = merged.get(part.key)
        if old is None or _PART_RANK[part.state] >= _PART_RANK[old.state]:
            merged[part.key] = part
    return tuple(merged.values())


@attrs.frozen
class ReportJob:
    """One report job at one moment. Immutable: operations return new records.

    ``extra`` holds what the plugin needs to address the job again (never a secret);
    it travels in the job reference.
    """

    provider: str
    profile: str
    job_id: str
    report_type: str
    status: ReportStatus = ReportStatus.PENDING
    provider_status: str | None = None
    params: dict[str, Any] = attrs.field(factory=dict, converter=_frozen_dict)
    submitted_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    progress: float | None = None
    progress_text: str | None = None
    formats: tuple[str, ...] = ()
    error: ErrorDetail | None = None
    warnings: tuple[str, ...] = ()
    poll_after: float | None = None
    extra: dict[str, str] = attrs.field(factory=dict, converter=_frozen_dict)
    #: the result's parts known at this observation (empty for single-file providers)
    parts: tuple[ResultPart, ...] = attrs.field(default=(), converter=_parts_tuple)
    #: total rows the vendor declares for the whole result, when it does
    rows: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def is_fetchable(self) -> bool:
        return self.status.is_fetchable

    @property
    def ref(self) -> str:
        """The job reference: a short string another process can address this job with."""
        return encode_ref(self)

    @classmethod
    def from_ref(cls, ref: JobRef) -> ReportJob:
        """A job record for a decoded reference; its status is unknown until polled (PENDING)."""
        return cls(
            provider=ref.provider,
            profile=ref.profile,
            job_id=ref.job_id,
            report_type=ref.report_type,
            submitted_at=ref.submitted_at,
            extra=ref.extra,
        )

    def observe(self, seen: ReportJob) -> ReportJob:
        """Merge a fresher observation, never moving the status backwards.

        The vendor's raw status and details follow the observation only when the
        neutral status accepted it; a stale read changes nothing but ``updated_at``. What
        addresses the job (provider, profile, job id) never changes: an answer naming
        another id cannot redirect later requests.
        """
        status = advance(self.status, seen.status)
        if status is not seen.status:
            return attrs.evolve(self, updated_at=seen.updated_at or utcnow())
        return attrs.evolve(
            seen,
            provider=self.provider,
            profile=self.profile,
            job_id=self.job_id,
            params=seen.params or self.params,
            submitted_at=self.submitted_at or seen.submitted_at,
            created_at=seen.created_at or self.created_at,
            started_at=seen.started_at or self.started_at,
            finished_at=seen.finished_at or self.finished_at,
            formats=seen.formats or self.formats,
            extra={**self.extra, **seen.extra},
            parts=merge_parts(self.parts, seen.parts),
            rows=seen.rows if seen.rows is not None else self.rows,
            updated_at=seen.updated_at or utcnow(),
        )


@attrs.frozen
class FetchedFile:
    """A report file written to disk, verified while it was streamed."""

    path: Path
    size: int
    sha256: str
    content_type: str | None
    format: str
    job_ref: str = ""
    vendor_filename: str | None = None
    #: the id of the result part this file holds
    part: str | None = None
    #: rows the vendor declared for that part, when it did
    rows: int | None = None
    #: paged results: the page after this one, as the vendor announced it
    next_part: ResultPart | None = None
    #: the HTTP validators of the response, when the server sent them (for the record)
    etag: str | None = None
    last_modified: str | None = None


@attrs.frozen
class ReportTypeSpec:
    """A report a provider can run and the parameters it takes.

    The first of ``windows`` is the report's time window: audits set it from a plan's
    relative ``window`` and split a window wider than its ``max_span`` into several jobs.
    """

    name: str
    description: str = ""
    params: tuple[ParamSpec, ...] = ()
    formats: tuple[str, ...] = ()
    #: date-time ranges formed by two of ``params`` (checked when both are given)
    windows: tuple[DateWindow, ...] = ()

    def __attrs_post_init__(self) -> None:
        check_report_params(self.name, self.params, self.windows)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


#: how a provider's results come: one file per format, chunks listed by polls, or pages
#: each announcing the next
PART_SHAPES = ("single", "chunked", "paged")


def _check_part_shape(_caps: object, _attr: object, value: str) -> None:
    if value not in PART_SHAPES:
        raise ValueError(f"Capabilities.parts must be one of {', '.join(PART_SHAPES)}: {value!r}")


@attrs.frozen
class Capabilities:
    """What a provider can do. ``open_report_types`` means unlisted types are allowed too.

    ``parts`` describes how results come (``single``, ``chunked``, ``paged``); it is for
    documentation and ``reportbridge providers``, the core does not branch on it.
    """

    report_types: tuple[ReportTypeSpec, ...] = ()
    formats: tuple[str, ...] = ()
    cancel: bool = False
    list: bool = False
    open_report_types: bool = False
    parts: str = attrs.field(default="single", validator=_check_part_shape, kw_only=True)
    operations: tuple[str, ...] = attrs.field()

    @operations.default
    def _ops(self) -> tuple[str, ...]:
        ops = ["run", "poll", "fetch"]
        if self.cancel:
            ops.append("cancel")
        if self.list:
            ops.append("list")
        return tuple(ops)

    def report_type(self, name: str) -> ReportTypeSpec | None:
        return next((t for t in self.report_types if t.name == name), None)


__all__ = [
    "MAX_PARTS",
    "PART_SHAPES",
    "PART_STATES",
    "Capabilities",
    "DateWindow",
    "ErrorDetail",
    "FetchedFile",
    "ParamSpec",
    "ReportJob",
    "ReportTypeSpec",
    "ResultPart",
    "merge_parts",
    "parse_timestamp",
    "utcnow",
]
