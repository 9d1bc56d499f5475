"""What the batch engine is given and what it reports: requests, outcomes, events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from reportbridge.errors import ReportBridgeError
from reportbridge.model import FetchedFile, ReportJob, ResultPart
from reportbridge.status import ReportStatus


def _pairs(value: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset(value)


def _parts(value: Iterable[ResultPart]) -> tuple[ResultPart, ...]:
    return tuple(value)


@attrs.frozen
class JobRequest:
    """One job to drive. With ``ref`` the job already exists and is only polled.

    A resumed request names the parts already verified (``done_parts``: (format, part id)
    pairs, not fetched again) and the pages learned before a crash (``resume_parts``:
    fetched as given, so a paged result goes on from the page after the last one written).
    """

    profile: str
    report_type: str
    params: dict[str, Any] = attrs.field(factory=dict)
    formats: tuple[str, ...] = ()
    ref: str | None = None
    key: str | None = None
    done_parts: frozenset[tuple[str, str]] = attrs.field(default=frozenset(), converter=_pairs)
    resume_parts: tuple[ResultPart, ...] = attrs.field(default=(), converter=_parts)


_SUCCEEDED = ReportStatus.SUCCEEDED


@attrs.frozen
class JobOutcome:
    """How a request ended: the last job state, every file fetched, or the error.

    ``files`` holds every file written, one per result part, also those written before an
    error ended the request (they are complete and verified).
    """

    request: JobRequest
    job: ReportJob | None
    files: tuple[FetchedFile, ...] = ()
    error: ReportBridgeError | None = None

    @property
    def ok(self) -> bool:
        """The job succeeded whole (a partial result is not ok: see :attr:`partial`)."""
        return self.error is None and self.job is not None and self.job.status is _SUCCEEDED

    @property
    def partial(self) -> bool:
        """The job ended with some parts failed; its good parts are in :attr:`files`."""
        return self.job is not None and self.job.status is ReportStatus.PARTIAL


@attrs.frozen
class JobEvent:
    """Progress of one request.

    ``kind`` is submitting, submitted, resumed, status, progress or fetched (one per
    file, ``file`` set; ``progress`` counts the bytes of the file being written).
    """

    kind: str
    request: JobRequest
    job: ReportJob | None = None
    file: FetchedFile | None = None
    bytes_done: int = 0
    bytes_total: int | None = None


__all__ = ["JobEvent", "JobOutcome", "JobRequest"]
