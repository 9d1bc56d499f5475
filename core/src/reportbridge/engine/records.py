"""What the batch engine is given and what it reports: requests, outcomes, events."""

from __future__ import annotations

from typing import Any

import attrs

from reportbridge.errors import ReportBridgeError
from reportbridge.model import FetchedFile, ReportJob


@attrs.frozen
class JobRequest:
    """One job to drive. With ``ref`` the job already exists and is only polled."""

    profile: str
    report_type: str
    params: dict[str, Any] = attrs.field(factory=dict)
    formats: tuple[str, ...] = ()
    ref: str | None = None
    key: str | None = None


@attrs.frozen
class JobOutcome:
    """How a request ended: the last job state, files fetched, or the error."""

    request: JobRequest
    job: ReportJob | None
    files: tuple[FetchedFile, ...] = ()
    error: ReportBridgeError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.job is not None and self.job.status.is_fetchable


@attrs.frozen
class JobEvent:
    """Progress of one request.

    ``kind`` is submitting, submitted, resumed, status, progress or fetched.
    """

    kind: str
    request: JobRequest
    job: ReportJob | None = None
    file: FetchedFile | None = None
    bytes_done: int = 0
    bytes_total: int | None = None


__all__ = ["JobEvent", "JobOutcome", "JobRequest"]
