"""``AsyncReports.run_many``: many jobs as tasks on one event loop.

Each request is one task: take a slot of its profile (at most
``min(concurrency, max_active_jobs)`` jobs of a profile at once, as in the synchronous
``run_many``), submit or resume, wait with :meth:`AsyncReports.wait` (the shared wait
rules; sleeping holds no thread), then fetch each format. Outcomes are yielded as jobs
complete; errors are reported per request, never raised. Leave early through
``aclose()`` (or ``async with``), which cancels the tasks still running: jobs already
submitted keep running at the vendor, their references were in the ``submitted`` events.

Unlike the synchronous engine, each job is polled on its own (no listing that answers
for a profile's waiting jobs at once): prefer ``Reports.run_many`` where the number of
requests sent matters more than holding no thread.
"""

from __future__ import annotations

import asyncio
import collections
import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reportbridge.download import FileNames
from reportbridge.engine import JobEvent, JobOutcome, JobRequest
from reportbridge.errors import ReportBridgeError
from reportbridge.model import FetchedFile, ReportJob

if TYPE_CHECKING:
    import os

    from reportbridge.engine import JobOperations


class AsyncJobOperations(Protocol):
    """What the batch needs of :class:`reportbridge.aio.AsyncReports` (it sits below it)."""

    @property
    def reports(self) -> JobOperations: ...

    def job(self, ref: ReportJob | str) -> ReportJob: ...

    async def run(self, profile: str, report_type: str, /, **params: Any) -> ReportJob: ...

    async def wait(
        self,
        job: ReportJob | str,
        *,
        timeout: float | None = ...,
        on_update: Callable[[ReportJob], None] | None = ...,
        max_poll_errors: int = ...,
    ) -> ReportJob: ...

    async def fetch(
        self, job: ReportJob | str, dest_dir: str | os.PathLike[str], **kw: Any
    ) -> FetchedFile: ...


class AsyncBatch:
    """Drive ``requests`` to completion; ``async for`` yields outcomes as they complete."""

    def __init__(
        self,
        reports: AsyncJobOperations,
        requests: Iterable[JobRequest],
        *,
        dest_dir: Path | str | Callable[[JobRequest], Path] | None,
        timeout: float | None,
        emit: Callable[[JobEvent], None],
        max_poll_errors: int,
    ) -> None:
        self.reports = reports
        self.requests = list(requests)
        self.dest_dir = dest_dir
        self.timeout = timeout
        self.emit = emit
        self.max_poll_errors = max_poll_errors
        self._names = FileNames()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._pending: set[asyncio.Future[JobOutcome]] | None = None  # None: not started
        self._ready: collections.deque[asyncio.Future[JobOutcome]] = collections.deque()
        facade = reports.reports
        for request in self.requests:
            if request.profile not in self._slots:
                prof = facade.profile(request.profile)  # unknown profile: fail before any work
                most = facade.max_active_jobs(request.profile) or prof.concurrency
                self._slots[request.profile] = asyncio.Semaphore(
                    max(1, min(prof.concurrency, most))
                )

    # -- iteration -------------------------------------------------------------------------
    def __aiter__(self) -> AsyncBatch:
        return self

    async def __anext__(self) -> JobOutcome:
        if self._pending is None:  # the first step starts every request's task
            self._pending = {asyncio.ensure_future(self._drive(r)) for r in self.requests}
        while not self._ready:
            if not self._pending:
                raise StopAsyncIteration
            done, self._pending = await asyncio.wait(
                self._pending, return_when=asyncio.FIRST_COMPLETED
            )
            self._ready.extend(done)
        return self._ready.popleft().result()

    async def __aenter__(self) -> AsyncBatch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel the requests still running (jobs already submitted keep running at the
        vendor) and wait for their tasks to end."""
        pending, self._pending = self._pending or set(), set()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _drive(self, request: JobRequest) -> JobOutcome:
        async with self._slots[request.profile]:
            try:
                job = await self._begin(request)
            except ReportBridgeError as exc:
                return JobOutcome(request, None, (), exc)
            try:
                job = await self.reports.wait(
                    job,
                    timeout=self.timeout,
                    on_update=lambda seen: self.emit(JobEvent("status", request, seen)),
                    max_poll_errors=self.max_poll_errors,
                )
            except ReportBridgeError as exc:
                return JobOutcome(request, getattr(exc, "job", None) or job, (), exc)
            try:
                files = await self._fetch(request, job)
            except ReportBridgeError as exc:
                return JobOutcome(request, job, (), exc)
            return JobOutcome(request, job, files)

    async def _begin(self, request: JobRequest) -> ReportJob:
        if request.ref:
            job = self.reports.job(request.ref)
            self.emit(JobEvent("resumed", request, job))
            return job
        self.emit(JobEvent("submitting", request))
        job = await self.reports.run(request.profile, request.report_type, **request.params)
        self.emit(JobEvent("submitted", request, job))
        return job

    async def _fetch(self, request: JobRequest, job: ReportJob) -> tuple[FetchedFile, ...]:
        if self.dest_dir is None or not job.is_fetchable:
            return ()
        folder = self.dest_dir(request) if callable(self.dest_dir) else Path(self.dest_dir)
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int | None) -> None:  # called on an executor thread
            event = JobEvent("progress", request, job, bytes_done=done, bytes_total=total)
            loop.call_soon_threadsafe(self.emit, event)

        files = []
        for fmt in request.formats or (None,):
            fetched = await self.reports.fetch(
                job,
                folder,
                format=fmt,
                filename=functools.partial(self._names.claim, folder, job=job, format=fmt),
                on_progress=progress,
            )
            files.append(fetched)
            self.emit(JobEvent("fetched", request, job, file=fetched))
        return tuple(files)


__all__ = ["AsyncBatch", "AsyncJobOperations"]
