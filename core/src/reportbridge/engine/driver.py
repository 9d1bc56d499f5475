"""The engine of ``run_many``: many jobs driven by a few threads.

A job waiting for its next poll is an entry in a timer heap, not a sleeping thread:
each profile has a small worker pool for the requests themselves (submit, poll, list,
fetch), and the caller's thread runs the timers and yields outcomes. Polling follows
``Reports.wait`` (first poll at once, then the profile's policy, transient failures
ridden out, the same timeout), with two batch-level changes:

- where the provider answers for many jobs in one request
  (:meth:`~reportbridge.provider.ProviderSession.refresh_many`), one such request per
  profile every ``polling.initial`` seconds replaces the polls of every waiting job;
- the batch ends with its last job: once only ``TAIL_SHARE`` of a profile's jobs are
  left, those are polled at least every ``TAIL_FRACTION`` of their age (never faster
  than ``polling.initial``, never against a vendor's hint). It costs few requests,
  because few jobs are left, and ends the batch close to when its last job ends.

The per-request and per-profile state, and these tunings, are in
:mod:`reportbridge.engine.state`.
"""

from __future__ import annotations

import heapq
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from reportbridge.engine.fetcher import Fetcher
from reportbridge.engine.learned import LearnedDurations, polls_by
from reportbridge.engine.ops import JobOperations
from reportbridge.engine.records import JobEvent, JobOutcome, JobRequest
from reportbridge.engine.state import (
    MISSES_BEFORE_POLL,
    QUOTA_WAIT_LIMIT,
    TAIL_FRACTION,
    ProfileState,
    RunState,
)
from reportbridge.errors import (
    JobTimeoutError,
    QuotaExceededError,
    ReportBridgeError,
)
from reportbridge.lifecycle import poll_error_may_pass
from reportbridge.logging import get_logger
from reportbridge.model import ReportJob
from reportbridge.polling import PollPolicy
from reportbridge.status import ReportStatus

log = get_logger("reportbridge.batch")
#: longest wait of the scheduler between looks at the stop signal
_TICK = 0.25


class BatchDriver:
    """Drive ``requests`` to completion; iterate for outcomes as they complete."""

    def __init__(
        self,
        reports: JobOperations,
        requests: Iterable[JobRequest],
        *,
        dest_dir: Path | str | Callable[[JobRequest], os.PathLike[str]] | None,
        timeout: float | None,
        emit: Callable[[JobEvent], None],
        stop: threading.Event,
        max_poll_errors: int = 5,
        learn_durations: bool = True,
    ) -> None:
        self.reports = reports
        self.learned = LearnedDurations(learn_durations)
        self.fetcher = Fetcher(reports, dest_dir, emit, stop)
        self.timeout = timeout
        self.emit = emit
        self.stop = stop
        self.max_poll_errors = max_poll_errors
        self.profiles: dict[str, ProfileState] = {}
        self._runs: list[RunState] = []
        for request in requests:
            reports.profile(request.profile)  # unknown profile: fail fast, before any work
            self._runs.append(RunState(request))
        for run in self._runs:
            profile = self.profiles.get(run.profile)
            if profile is None:
                profile = self.profiles[run.profile] = ProfileState(run.profile, self._limit(run))
            profile.queued.append(run)
            profile.total += 1
            profile.left += 1
        self._done: queue.Queue[tuple[RunState | ProfileState, str, Any, BaseException | None]] = (
            queue.Queue()
        )
        # (due, order, run, what): a poll, or a start a quota refused, to send again
        self._timers: list[tuple[float, int, RunState, str]] = []
        self._order = itertools.count()

    def _limit(self, run: RunState) -> int:
        prof = self.reports.profile(run.profile)
        most = self.reports.max_active_jobs(run.profile)
        return max(1, min(prof.concurrency, most or prof.concurrency))

    # -- the loop --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[JobOutcome]:
        finished = 0
        try:
            if self.stop.is_set():
                raise KeyboardInterrupt
            for profile in self.profiles.values():
                self._start_queued(profile)
            while finished < len(self._runs):
                if self.stop.is_set():
                    raise KeyboardInterrupt
                self._fire_due()
                try:
                    item = self._done.get(timeout=self._sleep_for())
                except queue.Empty:
                    continue
                for outcome in self._handle(*item):
                    finished += 1
                    yield outcome
        finally:
            if finished < len(self._runs):
                self.stop.set()  # the caller stopped iterating (or was interrupted)
            for profile in self.profiles.values():
                profile.pool.shutdown(wait=True, cancel_futures=True)

    def _sleep_for(self) -> float:
        now = time.monotonic()
        wake = [self._timers[0][0]] if self._timers else []
        wake += [p.next_listing for p in self.profiles.values() if p.listed and not p.listing]
        return min([_TICK] + [max(0.0, w - now) for w in wake])

    def _fire_due(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _due, _order, run, what = heapq.heappop(self._timers)
            if what == "start":
                self._submit(self.profiles[run.profile], run, "start", self._begin, run)
            else:
                self._submit(self.profiles[run.profile], run, "poll", self._poll, run)
        for profile in self.profiles.values():
            if profile.listed and not profile.listing and profile.next_listing <= now:
                profile.listing = True
                jobs = {r.job.job_id: r.job for r in profile.listed.values() if r.job}
                profile.asked = set(profile.listed)
                self._submit(
                    profile,
                    profile,
                    "list",
                    self.reports.poll_many,
                    profile.name,
                    list(jobs.values()),
                )

    def _submit(
        self,
        profile: ProfileState,
        subject: RunState | ProfileState,
        kind: str,
        fn: Any,
        *args: Any,
    ) -> None:
        def task() -> None:
            try:
                value, error = fn(*args), None
            except BaseException as exc:  # reported to the loop, which decides
                value, error = None, exc
            self._done.put((subject, kind, value, error))

        profile.pool.submit(task)

    def _start_queued(self, profile: ProfileState) -> None:
        while profile.queued and profile.active < profile.limit:
            run = profile.queued.popleft()
            profile.active += 1
            self._submit(profile, run, "start", self._begin, run)

    # -- what the workers do ---------------------------------------------------------------
    def _begin(self, run: RunState) -> ReportJob:
        if self.stop.is_set():
            raise KeyboardInterrupt  # stopped while this request waited for a worker
        req = run.request
        if req.ref:
            job = self.reports.job(req.ref)
            self.emit(JobEvent("resumed", req, job))
            return job
        self.emit(JobEvent("submitting", req))
        job = self.reports.run(req.profile, req.report_type, **req.params)
        self.emit(JobEvent("submitted", req, job))
        return job

    def _poll(self, run: RunState) -> ReportJob:
        assert run.job is not None
        return self.reports.poll(run.job)

    # -- what the loop does with their answers ---------------------------------------------
    def _handle(
        self, subject: RunState | ProfileState, kind: str, value: Any, error: BaseException | None
    ) -> list[JobOutcome]:
        if isinstance(subject, ProfileState):
            return self._listing_done(subject, value, error)
        run = subject
        if error is not None and not isinstance(error, ReportBridgeError):
            raise error  # not a vendor's or a user's error: a bug or an interrupt
        if kind == "start":
            if isinstance(error, QuotaExceededError) and self._start_later(run, error):
                return []
            if error is not None:
                return [self._end(run, None, error)]
            run.job = value
            run.waiting_since = time.monotonic()
            if self.timeout is not None:
                run.deadline = run.waiting_since + self.timeout
            if run.request.ref is None and not value.is_terminal:
                return self._submitted(run)
            self._wait(run)
            return []
        if kind == "poll":
            return self._polled(run, value, error)
        run.fetching = False
        if kind == "early" and error is None:
            return self._fetched_early(run)
        self.profiles[run.profile].listed.pop(id(run), None)
        return [self._end(run, run.job, error)]  # the final fetch, or an early one that failed

    def _polled(
        self, run: RunState, job: ReportJob | None, error: BaseException | None
    ) -> list[JobOutcome]:
        run.polls += 1
        if error is not None:
            assert isinstance(error, ReportBridgeError)
            if not poll_error_may_pass(error):  # the rule Reports.wait follows too
                return [self._end(run, run.job, error)]
            if run.errors >= self.max_poll_errors:
                return [self._end(run, run.job, error)]
            run.errors += 1
            run.hint = getattr(error, "retry_after", None)
            log.warning(
                "poll failed; trying again",
                profile=run.profile,
                job_id=run.job.job_id if run.job else None,
                error=f"{type(error).__name__}: {error}",
                failures_in_a_row=run.errors,
            )
            return self._schedule(run)
        assert job is not None
        run.job, run.errors, run.hint = job, 0, job.poll_after
        return self._observed(run)

    def _observed(self, run: RunState) -> list[JobOutcome]:
        assert run.job is not None
        self.emit(JobEvent("status", run.request, run.job))
        if run.job.is_terminal:
            return self._finish_waiting(run)
        run.seen_running = time.monotonic() - run.waiting_since
        if self.fetcher.early_due(run):
            self._fetch_early(run)  # the next poll is scheduled when it is done
            return []
        return self._schedule(run)

    def _fetch_early(self, run: RunState) -> None:
        """Parts of a running job that are ready are fetched now, not when it ends."""
        run.fetching = True
        self._submit(self.profiles[run.profile], run, "early", self.fetcher.early, run, run.job)

    def _fetched_early(self, run: RunState) -> list[JobOutcome]:
        assert run.job is not None
        profile = self.profiles[run.profile]
        if run.job.is_terminal:  # a listing saw it end while the parts were fetched
            profile.listed.pop(id(run), None)
            return self._finish_waiting(run)
        if id(run) in profile.listed:
            return []  # the profile's listings go on watching it
        return self._schedule(run)

    def _submitted(self, run: RunState) -> list[JobOutcome]:
        """A job just submitted and still running: the submit answer is its first status
        (fresh, unlike a resumed reference's), so the first poll waits for the policy."""
        profile = self.profiles[run.profile]
        if profile.lists is not False or self.fetcher.early_due(run):
            self._wait(run)  # listings see it within `initial`; parts are fetched at once
            return []
        run.polls, run.hint = 1, run.job.poll_after if run.job else None
        return self._schedule(run)

    def _wait(self, run: RunState) -> None:
        """Start waiting: on the profile's listings where it has them, else poll at once."""
        profile = self.profiles[run.profile]
        if profile.lists is not False and run.job is not None:
            run.misses = 0
            profile.listed[id(run)] = run
            soon = time.monotonic() + self._policy(run.profile).initial
            profile.next_listing = min(profile.next_listing, soon)  # seen within `initial`
            return
        self._submit(profile, run, "poll", self._poll, run)

    def _schedule(self, run: RunState) -> list[JobOutcome]:
        """The next poll, as ``Reports.wait`` would time it (or the timeout)."""
        now = time.monotonic()
        policy = self._policy(run.profile)
        delay = policy.delay(max(1, run.polls), run.hint)
        profile = self.profiles[run.profile]
        if profile.in_tail and run.hint is None:
            delay = min(delay, max(policy.initial, TAIL_FRACTION * (now - run.waiting_since)))
        elif run.hint is None:  # not before jobs like it were ever seen to end
            kind = (run.profile, run.request.report_type)
            due = self.learned.next_poll(kind, run.waiting_since, now, now + delay, policy.cap)
            if due > now + delay:  # skipped ahead: the policy goes on from that age
                age = due - run.waiting_since
                run.polls = max(
                    run.polls, polls_by(age, policy.initial, policy.backoff, policy.cap)
                )
            delay = due - now
        if run.deadline is not None:
            left = run.deadline - now
            if left <= 0:
                return [self._end(run, run.job, self._timeout_error(run))]
            delay = min(delay, left)
        heapq.heappush(self._timers, (now + delay, next(self._order), run, "poll"))
        return []

    def _start_later(self, run: RunState, error: QuotaExceededError) -> bool:
        """A quota refused this start (nothing was created): try again when a slot may
        have freed, at the profile's polling pace, until the batch timeout (or
        ``QUOTA_WAIT_LIMIT``). False when that time is up: the refusal is the outcome."""
        now = time.monotonic()
        if run.start_by is None:
            run.start_by = now + (self.timeout if self.timeout is not None else QUOTA_WAIT_LIMIT)
        if self.stop.is_set() or now >= run.start_by:
            return False
        run.refusals += 1
        delay = self._policy(run.profile).delay(run.refusals, error.retry_after)
        log.info(
            "start waits for a free slot",
            profile=run.profile,
            refusals=run.refusals,
            wait_s=round(delay, 2),
        )
        heapq.heappush(
            self._timers, (min(now + delay, run.start_by), next(self._order), run, "start")
        )
        return True

    def _finish_waiting(self, run: RunState) -> list[JobOutcome]:
        assert run.job is not None
        if run.job.status is ReportStatus.SUCCEEDED:
            self.learned.ended((run.profile, run.request.report_type), run.seen_running)
        if self.fetcher.enabled and run.job.is_fetchable:
            run.fetching = True
            self._submit(self.profiles[run.profile], run, "fetch", self.fetcher.final, run, run.job)
            return []
        return [self._end(run, run.job, None)]

    def _listing_done(
        self, profile: ProfileState, seen: dict[str, ReportJob] | None, error: BaseException | None
    ) -> list[JobOutcome]:
        profile.listing = False
        if error is not None and not isinstance(error, ReportBridgeError):
            raise error
        if error is not None:
            profile.list_errors += 1
            log.warning(
                "listing jobs failed",
                profile=profile.name,
                error=f"{type(error).__name__}: {error}",
                failures_in_a_row=profile.list_errors,
            )
            if profile.list_errors < self.max_poll_errors:
                profile.next_listing = time.monotonic() + self._policy(profile.name).initial
                return []
            seen = None  # give up listing: every job is polled on its own from now on
        if seen is None:
            profile.lists = False
            waiting, profile.listed = list(profile.listed.values()), {}
            for run in waiting:
                self._wait(run)
            return []
        profile.lists, profile.list_errors = True, 0
        outcomes: list[JobOutcome] = []
        now = time.monotonic()
        for key, run in list(profile.listed.items()):
            if key not in profile.asked or run.job is None:
                continue  # it started waiting after this listing was sent
            job = seen.get(run.job.job_id)
            if job is None:
                run.misses += 1
                if run.misses >= MISSES_BEFORE_POLL and not run.fetching:  # ask for it alone
                    del profile.listed[key]
                    self._submit(profile, run, "poll", self._poll, run)
                continue
            run.job, run.misses, run.polls = job, 0, run.polls + 1
            self.emit(JobEvent("status", run.request, job))
            if not job.is_terminal:
                run.seen_running = now - run.waiting_since
            if run.fetching:
                continue  # parts are being fetched; what comes next is decided when done
            if job.is_terminal:
                del profile.listed[key]
                outcomes += self._finish_waiting(run)
            elif run.deadline is not None and now >= run.deadline:
                del profile.listed[key]
                outcomes.append(self._end(run, job, self._timeout_error(run)))
            elif self.fetcher.early_due(run):
                self._fetch_early(run)
        profile.next_listing = now + self._listing_interval(profile, now)
        return outcomes

    def _listing_interval(self, profile: ProfileState, now: float) -> float:
        """As many requests as polling one job on the policy, spread over every job the
        listing answers for; in the tail, the tail's pace; never past a deadline."""
        runs = list(profile.listed.values())
        if not runs:
            return 0.0
        policy = self._policy(profile.name)
        interval = min(policy.delay(max(1, r.polls)) for r in runs) / len(runs)
        if profile.in_tail:
            oldest = now - min(r.waiting_since for r in runs)
            interval = min(interval, TAIL_FRACTION * oldest)
        interval = max(policy.initial, interval)
        deadlines = [r.deadline - now for r in runs if r.deadline is not None]
        return max(0.0, min([interval, *deadlines]))

    def _end(self, run: RunState, job: ReportJob | None, error: BaseException | None) -> JobOutcome:
        profile = self.profiles[run.profile]
        profile.active -= 1
        profile.left -= 1
        self._start_queued(profile)
        if profile.in_tail and not profile.tail_pulled:
            profile.tail_pulled = True  # later timers are set at the tail's pace already
            self._pull_tail_forward(profile)
        files = tuple(run.files)
        if error is None:
            return JobOutcome(run.request, job, files)
        assert isinstance(error, ReportBridgeError)
        return JobOutcome(run.request, getattr(error, "job", None) or job, files, error)

    def _pull_tail_forward(self, profile: ProfileState) -> None:
        """Timers of a profile that entered its tail move up to the tail's pace."""
        now = time.monotonic()
        initial = self._policy(profile.name).initial
        changed = False
        for n, (due, seq, run, what) in enumerate(self._timers):
            if run.profile == profile.name and run.hint is None and what == "poll":
                soon = now + max(initial, TAIL_FRACTION * (now - run.waiting_since))
                if soon < due:
                    self._timers[n] = (soon, seq, run, what)
                    changed = True
        if changed:
            heapq.heapify(self._timers)

    def _timeout_error(self, run: RunState) -> JobTimeoutError:
        job = run.job
        assert job is not None
        return JobTimeoutError(
            f"job {job.job_id} on profile {job.profile!r} is still {job.status.value} after "
            f"{self.timeout:g} s; resume with its reference",
            job,
        )

    def _policy(self, profile: str) -> PollPolicy:
        return self.reports.profile(profile).polling
