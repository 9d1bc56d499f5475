"""The rules of waiting for one job, shared by the sync façade and its asyncio twin.

A wait polls at once, then on the profile's :class:`~reportbridge.polling.PollPolicy` (a
vendor's hint, such as Retry-After or a suggested interval, wins); it rides out up to
``max_poll_errors`` poll failures in a row that may pass (connection trouble, 5xx, 429, a
garbled answer); an unknown vendor status or any other error ends it at once; and it ends
with :class:`~reportbridge.errors.JobTimeoutError` at its deadline.

:class:`WaitSchedule` holds that state and makes every decision; the loop that sleeps and
polls belongs to the caller — a thread that sleeps (``Reports.wait``) or a coroutine that
awaits (``AsyncReports.wait``) — so both follow one set of rules::

    schedule = WaitSchedule(job, policy, timeout=600)
    while True:
        sleep(schedule.next_delay())          # 0 before the first poll
        try:
            job = poll(schedule.job)
        except ReportBridgeError as exc:
            if not schedule.poll_failed(exc):
                raise
            continue
        if schedule.observed(job):
            return job
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reportbridge.errors import (
    TRANSIENT_ERRORS,
    JobTimeoutError,
    UnknownStatusError,
)
from reportbridge.logging import get_logger
from reportbridge.model import ReportJob
from reportbridge.polling import PollPolicy

log = get_logger("reportbridge.lifecycle")

#: transient poll failures in a row a wait rides out by default
MAX_POLL_ERRORS = 5


def poll_error_may_pass(exc: BaseException) -> bool:
    """Whether a later poll may not meet ``exc`` again (an unknown status never passes)."""
    return isinstance(exc, TRANSIENT_ERRORS) and not isinstance(exc, UnknownStatusError)


class WaitSchedule:
    """One wait for one job: polls so far, failures in a row, the vendor's hint, the deadline.

    ``clock`` is monotonic seconds (tests may pass their own).
    """

    def __init__(
        self,
        job: ReportJob,
        policy: PollPolicy,
        *,
        timeout: float | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, not {timeout}")
        if max_poll_errors < 0:
            raise ValueError(f"max_poll_errors must be >= 0, not {max_poll_errors}")
        self.job = job
        self.policy = policy
        self.timeout = timeout
        self.max_poll_errors = max_poll_errors
        self._clock = clock
        self.deadline = None if timeout is None else clock() + timeout
        self.attempts = 0  # polls tried, failed ones included
        self.errors = 0  # failures in a row
        self.hint: float | None = None

    def next_delay(self) -> float:
        """Seconds to sleep before the next poll: 0 before the first, then the policy's
        delay (or the vendor's hint), never past the deadline.

        Raises :class:`JobTimeoutError` (carrying the last job seen) once the deadline has
        passed; the first poll is always made, whatever the timeout.
        """
        self.attempts += 1
        if self.attempts == 1:
            return 0.0
        delay = self.policy.delay(self.attempts - 1, self.hint)
        if self.deadline is not None:
            left = self.deadline - self._clock()
            if left <= 0:
                raise self.timeout_error()
            delay = min(delay, left)
        return max(0.0, delay)

    def observed(self, job: ReportJob) -> bool:
        """A poll answered; True when ``job`` is terminal (the wait is over)."""
        self.job, self.errors, self.hint = job, 0, job.poll_after
        return job.is_terminal

    def poll_failed(self, exc: BaseException) -> bool:
        """A poll failed: True to try again at the next interval, False to give up
        (the caller raises ``exc``)."""
        if not poll_error_may_pass(exc) or self.errors >= self.max_poll_errors:
            return False
        self.errors += 1
        self.hint = getattr(exc, "retry_after", None)
        log.warning(
            "poll failed; trying again",
            profile=self.job.profile,
            job_id=self.job.job_id,
            error=f"{type(exc).__name__}: {exc}",
            failures_in_a_row=self.errors,
        )
        return True

    def timeout_error(self) -> JobTimeoutError:
        job = self.job
        return JobTimeoutError(
            f"job {job.job_id} on profile {job.profile!r} is still {job.status.value} after "
            f"{self.timeout or 0:g} s; resume with its reference",
            job,
        )


__all__ = ["MAX_POLL_ERRORS", "WaitSchedule", "poll_error_may_pass"]
