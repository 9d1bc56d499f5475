"""``AsyncReports.run_many``: many jobs as tasks on one event loop.

Each request is one task: take a slot of its profile (at most
``min(concurrency, max_active_jobs)`` jobs of a profile at once, as in the synchronous
``run_many``), submit or resume, wait with :meth:`AsyncReports.wait` (the shared wait
rules; sleeping holds no thread), and fetch through the synchronous engine's
:class:`~reportbridge.engine.fetcher.Fetcher` on the executor: parts already available
while the job runs after each poll, the rest when it ends, each part once, a resumed
request from its ``done_parts`` and ``resume_parts``. Outcomes are yielded as jobs
complete; errors are reported per request, never raised, with the files written before
them. Leave early through ``aclose()`` (or ``async with``), which cancels the tasks still
running and abandons their downloads (nothing partial is kept): jobs already submitted
keep running at the vendor, their references were in the ``submitted`` events.

Unlike the synchronous engine, each job is polled on its own (no listing that answers
for a profile's waiting jobs at once): prefer ``Reports.run_many`` where the number of
requests sent matters more than holding no thread.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from reportbridge.engine import JobEvent, JobOutcome, JobRequest
from reportbridge.engine.fetcher import Fetcher
from reportbridge.engine.state import RunState
from reportbridge.errors import ReportBridgeError
from reportbridge.model import ReportJob

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from reportbridge.engine import JobOperations

T = TypeVar("T")


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
        on_update: Callable[[ReportJob], Awaitable[None] | None] | None = ...,
        max_poll_errors: int = ...,
    ) -> ReportJob: ...

    async def in_executor(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T: ...


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
        self.timeout = timeout
        self.emit = emit
        self.max_poll_errors = max_poll_errors
        self._stop = threading.Event()  # abandons downloads in flight when the batch ends
        self._fetcher = Fetcher(reports.reports, dest_dir, self._from_thread, self._stop)
        self._loop: asyncio.AbstractEventLoop | None = None
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
            self._loop = asyncio.get_running_loop()
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
        vendor; downloads in flight are abandoned) and wait for their tasks to end."""
        self._stop.set()
        pending, self._pending = self._pending or set(), set()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _from_thread(self, event: JobEvent) -> None:
        """The fetcher reports from executor threads; the event reaches ``emit`` on the loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.emit, event)

    # -- one request -------------------------------------------------------------------------
    async def _drive(self, request: JobRequest) -> JobOutcome:
        run = RunState(request)
        async with self._slots[request.profile]:
            try:
                run.job = await self._begin(request)
                job = await self.reports.wait(
                    run.job,
                    timeout=self.timeout,
                    on_update=lambda seen: self._observed(run, seen),
                    max_poll_errors=self.max_poll_errors,
                )
                if self._fetcher.enabled and job.is_fetchable:
                    await self.reports.in_executor(self._fetcher.final, run, job)
            except ReportBridgeError as exc:
                last = getattr(exc, "job", None) or run.job
                return JobOutcome(request, last, tuple(run.files), exc)
            return JobOutcome(request, job, tuple(run.files))

    async def _begin(self, request: JobRequest) -> ReportJob:
        if request.ref:
            job = self.reports.job(request.ref)
            self.emit(JobEvent("resumed", request, job))
            return job
        self.emit(JobEvent("submitting", request))
        job = await self.reports.run(request.profile, request.report_type, **request.params)
        self.emit(JobEvent("submitted", request, job))
        return job

    async def _observed(self, run: RunState, job: ReportJob) -> None:
        """After each answer: the status event, then the parts ready while the job runs."""
        run.job = job
        self.emit(JobEvent("status", run.request, job))
        if self._fetcher.early_due(run):
            await self.reports.in_executor(self._fetcher.early, run, job)


__all__ = ["AsyncBatch", "AsyncJobOperations"]
