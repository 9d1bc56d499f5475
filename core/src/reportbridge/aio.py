"""``AsyncReports``: the façade's lifecycle as coroutines, for event-loop hosts.

Airflow's triggerer, a web service or any asyncio program can wait on thousands of jobs
from one event loop. A wait sleeps on the loop (``asyncio.sleep``) and holds no thread
between polls; each request (submit, poll, cancel, download) is the synchronous
façade's, run in a small executor of ``max_threads`` threads shared by every call, so
the thread count stays fixed however many jobs are waited on. Waits follow the same
rules as :meth:`Reports.wait <reportbridge.facade.Reports.wait>`: one implementation,
:class:`reportbridge.lifecycle.WaitSchedule`.

>>> async def main():                                                  # doctest: +SKIP
...     async with AsyncReports.from_config("reportbridge.toml") as reports:
...         job = await reports.run("sailpoint-prod", "IDENTITIES")
...         job = await reports.wait(job, timeout=3600)
...         return await reports.fetch(job, "out/")
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextvars
import functools
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reportbridge.errors import ReportBridgeError
from reportbridge.facade import JobLike, Reports
from reportbridge.lifecycle import MAX_POLL_ERRORS, WaitSchedule
from reportbridge.model import FetchedFile, ReportJob, ResultPart

if TYPE_CHECKING:
    from reportbridge.aiobatch import AsyncBatch
    from reportbridge.engine import JobEvent, JobRequest
    from reportbridge.plugins import PluginRegistry
    from reportbridge.polling import PollPolicy

T = TypeVar("T")
#: threads that run the blocking requests of one AsyncReports
DEFAULT_MAX_THREADS = 4
THREAD_PREFIX = "rb-aio"


class AsyncReports:
    """Run, poll, wait for, cancel and fetch report jobs from an event loop.

    Wraps a :class:`~reportbridge.facade.Reports` (its profiles, sessions, rate limits
    and ``max_active_jobs`` slots are shared with any synchronous use of it). Requests
    run on at most ``max_threads`` threads, started on demand; waiting uses none.
    One instance may serve several event loops and threads at once.
    """

    def __init__(
        self,
        reports: Reports,
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        owns_reports: bool = False,
    ) -> None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            raise ValueError(f"max_threads must be a whole number >= 1, not {max_threads!r}")
        self.reports = reports
        self.max_threads = max_threads
        self._owns_reports = owns_reports
        self._pool: cf.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        registry: PluginRegistry | None = None,
        max_threads: int = DEFAULT_MAX_THREADS,
    ) -> AsyncReports:
        """Profiles from TOML, as :meth:`Reports.from_config` reads them (no I/O but the file)."""
        reports = Reports.from_config(path, env=env, registry=registry)
        return cls(reports, max_threads=max_threads, owns_reports=True)

    @classmethod
    def from_profiles(
        cls,
        profiles: Mapping[str, Mapping[str, Any]],
        *,
        env: Mapping[str, str] | None = None,
        registry: PluginRegistry | None = None,
        max_threads: int = DEFAULT_MAX_THREADS,
    ) -> AsyncReports:
        """Profiles from code: ``{"name": {"provider": "...", **settings}}``."""
        reports = Reports.from_profiles(profiles, env=env, registry=registry)
        return cls(reports, max_threads=max_threads, owns_reports=True)

    async def __aenter__(self) -> AsyncReports:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Wait for requests in flight, stop the threads, and close the façade if owned."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown)
        if self._owns_reports:
            self.reports.close()

    def close(self) -> None:
        """:meth:`aclose` for callers outside an event loop."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()
        if self._owns_reports:
            self.reports.close()

    # -- the executor ----------------------------------------------------------------------
    def _executor(self) -> cf.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ThreadPoolExecutor(
                    self.max_threads, thread_name_prefix=THREAD_PREFIX
                )
            return self._pool

    async def in_executor(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T:
        """``fn(*args, **kw)`` on the executor (a blocking call: it holds one of the
        ``max_threads`` threads while it runs), in a copy of the caller's context (context
        variables such as a deadline follow the request to its thread); cancelling the
        caller abandons the result (the request itself runs to its transport timeout)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kw)
        return await loop.run_in_executor(self._executor(), call)

    # -- the lifecycle ---------------------------------------------------------------------
    def job(self, ref: JobLike) -> ReportJob:
        """The job a reference names, as last known; no request is sent."""
        return self.reports.job(ref)

    async def run(self, profile: str, report_type: str, /, **params: Any) -> ReportJob:
        """Start a report, as :meth:`Reports.run` (parameters checked before any request)."""
        return await self.in_executor(self.reports.run, profile, report_type, **params)

    async def poll(self, job: JobLike) -> ReportJob:
        """Ask the vendor once where the job stands."""
        return await self.in_executor(self.reports.poll, job)

    async def cancel(self, job: JobLike) -> ReportJob:
        """Ask the vendor to stop the job (providers that cannot raise before any request)."""
        return await self.in_executor(self.reports.cancel, job)

    def parts(self, job: JobLike, *, format: str | None = None) -> list[ResultPart]:
        """The parts of the job's result as known from the last poll; no request is sent."""
        return self.reports.parts(job, format=format)

    async def fetch(
        self, job: JobLike, dest_dir: str | os.PathLike[str], **kw: Any
    ) -> list[FetchedFile]:
        """Download the job's result, one file per part, as :meth:`Reports.fetch` does
        (streamed, hashed, atomic; same keywords). Holds one executor thread while it runs."""
        return await self.in_executor(self.reports.fetch, job, dest_dir, **kw)

    async def fetch_available(
        self, job: JobLike, dest_dir: str | os.PathLike[str], **kw: Any
    ) -> list[FetchedFile]:
        """The parts already available of a job that may still run, as
        :meth:`Reports.fetch_available` (``skip=`` the ids already fetched)."""
        return await self.in_executor(self.reports.fetch_available, job, dest_dir, **kw)

    async def wait(
        self,
        job: JobLike,
        *,
        timeout: float | None = None,
        policy: PollPolicy | None = None,
        on_update: Callable[[ReportJob], Awaitable[None] | None] | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
    ) -> ReportJob:
        """Poll until the job is terminal, sleeping on the event loop between polls.

        The rules are :meth:`Reports.wait`'s (both run
        :class:`~reportbridge.lifecycle.WaitSchedule`): the first poll at once, then the
        policy (or the vendor's hint); up to ``max_poll_errors`` passing failures in a row
        are ridden out; an unknown vendor status ends the wait at once; ``timeout`` is a
        hard deadline for the sleeps and for every request of the wait (their reads
        included), after which :class:`~reportbridge.errors.JobTimeoutError` carries the
        last state. ``on_update`` is called on the loop after every answer; when it returns an
        awaitable (it is a coroutine function), the wait awaits it before going on.
        """
        current = self.reports.job(job)
        schedule = WaitSchedule(
            current,
            policy or self.reports.profile(current.profile).polling,
            timeout=timeout,
            max_poll_errors=max_poll_errors,
        )
        with schedule.running():  # this task's context: its executor calls carry the deadline
            while True:
                delay = schedule.next_delay()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    current = await self.in_executor(self.reports.poll, schedule.job)
                except ReportBridgeError as exc:
                    if not schedule.poll_failed(exc):
                        raise
                    continue
                if on_update is not None:
                    step = on_update(current)
                    if step is not None:
                        await step
                if schedule.observed(current):
                    return current

    def run_many(
        self,
        requests: Iterable[JobRequest],
        *,
        dest_dir: Path | str | Callable[[JobRequest], Path] | None = None,
        timeout: float | None = None,
        on_event: Callable[[JobEvent], None] | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
    ) -> AsyncBatch:
        """Submit (or resume), wait for and optionally fetch each request; ``async for``
        yields outcomes as jobs complete (see :class:`~reportbridge.aiobatch.AsyncBatch`).
        Profiles are checked now, before any request is sent. ``on_event`` is called on the
        loop.

        Use it as ``async with reports.run_many(...) as batch: async for outcome in batch``
        so that leaving early cancels the requests still running.
        """
        from reportbridge.aiobatch import AsyncBatch

        return AsyncBatch(
            self,
            requests,
            dest_dir=dest_dir,
            timeout=timeout,
            emit=on_event or (lambda _e: None),
            max_poll_errors=max_poll_errors,
        )


__all__ = ["DEFAULT_MAX_THREADS", "THREAD_PREFIX", "AsyncReports"]
