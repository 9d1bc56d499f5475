"""Many jobs at once: bounded concurrency per profile, results as they complete."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge.errors import ReportBridgeError
from reportbridge.model import FetchedFile, ReportJob

if TYPE_CHECKING:
    from reportbridge.facade import Reports


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


def run_many(
    reports: Reports,
    requests: Iterable[JobRequest],
    *,
    dest_dir: Path | str | Callable[[JobRequest], Path] | None = None,
    timeout: float | None = None,
    on_event: Callable[[JobEvent], None] | None = None,
    stop: threading.Event | None = None,
    max_poll_errors: int = 5,
) -> Iterator[JobOutcome]:
    """Submit (or resume), wait for and optionally fetch each request.

    Each profile runs at most ``min(concurrency, max_active_jobs)`` jobs at once;
    profiles run side by side. Outcomes are yielded as jobs complete. Errors are
    reported per request in the outcome, never raised; polls ride out up to
    ``max_poll_errors`` transient failures in a row, as in ``Reports.wait``. A waiting
    job holds no thread, and where the provider can answer for many jobs in one
    request, one such request polls them all (see :mod:`reportbridge.driver`).

    ``on_event`` is called from worker threads as well as the caller's: keep it quick
    and thread-safe. Setting ``stop`` ends the batch (the loop raises KeyboardInterrupt),
    as does leaving the loop early: no new job is submitted, downloads in progress are
    abandoned (nothing partial is kept) and jobs already submitted keep running at the
    vendor; their references were in the ``submitted`` events.
    """
    from reportbridge.driver import BatchDriver

    yield from BatchDriver(
        reports,
        requests,
        dest_dir=dest_dir,
        timeout=timeout,
        emit=on_event or (lambda _e: None),
        stop=stop or threading.Event(),
        max_poll_errors=max_poll_errors,
    )


__all__ = ["JobEvent", "JobOutcome", "JobRequest", "run_many"]
