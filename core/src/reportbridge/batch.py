"""Many jobs at once: bounded concurrency per profile, results as they complete."""

from __future__ import annotations

import concurrent.futures as cf
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
) -> Iterator[JobOutcome]:
    """Submit (or resume), wait for and optionally fetch each request.

    Each profile runs at most ``min(concurrency, max_active_jobs)`` jobs at once;
    profiles run side by side. Outcomes are yielded as jobs complete. Errors are
    reported per request in the outcome, never raised.
    """
    emit = on_event or (lambda _e: None)
    stop = stop or threading.Event()
    pools: dict[str, cf.ThreadPoolExecutor] = {}
    futures: dict[cf.Future[JobOutcome], JobRequest] = {}

    def workers(profile: str) -> int:
        prof = reports.profile(profile)
        limit = reports.max_active_jobs(profile)
        return max(1, min(prof.concurrency, limit or prof.concurrency))

    def drive(req: JobRequest) -> JobOutcome:
        job: ReportJob | None = None
        try:
            if stop.is_set():
                raise KeyboardInterrupt
            if req.ref:
                job = reports.job(req.ref)
                emit(JobEvent("resumed", req, job))
            else:
                emit(JobEvent("submitting", req))
                job = reports.run(req.profile, req.report_type, **req.params)
                emit(JobEvent("submitted", req, job))
            job = reports.wait(
                job,
                timeout=timeout,
                stop=stop,
                on_update=lambda j: emit(JobEvent("status", req, j)),
            )
            files: list[FetchedFile] = []
            if dest_dir is not None and job.is_fetchable:
                folder = dest_dir(req) if callable(dest_dir) else Path(dest_dir)
                finished = job

                def progress(done: int, total: int | None) -> None:
                    emit(JobEvent("progress", req, finished, bytes_done=done, bytes_total=total))

                for fmt in req.formats or (None,):
                    fetched = reports.fetch(job, folder, format=fmt, on_progress=progress)
                    files.append(fetched)
                    emit(JobEvent("fetched", req, job, file=fetched))
            return JobOutcome(req, job, tuple(files))
        except ReportBridgeError as exc:
            return JobOutcome(req, getattr(exc, "job", None) or job, (), exc)

    try:
        for req in requests:
            reports.profile(req.profile)  # unknown profile: fail fast, before any work
            pool = pools.get(req.profile)
            if pool is None:
                pool = cf.ThreadPoolExecutor(
                    workers(req.profile), thread_name_prefix=f"rb-{req.profile}"
                )
                pools[req.profile] = pool
            futures[pool.submit(drive, req)] = req
        for fut in cf.as_completed(futures):
            yield fut.result()
    finally:
        if any(not f.done() for f in futures):
            stop.set()  # the caller stopped iterating (or was interrupted): wind down workers
        for pool in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["JobEvent", "JobOutcome", "JobRequest", "run_many"]
