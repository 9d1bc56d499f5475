"""The rules of waiting for one job, shared by ``Reports.wait`` and ``AsyncReports.wait``.

A wait polls at once, then on the profile's :class:`~reportbridge.polling.PollPolicy` (a
vendor's hint, such as Retry-After or a suggested interval, wins); it rides out up to
``max_poll_errors`` poll failures in a row that may pass (connection trouble, 5xx, 429, a
garbled answer); an unknown vendor status or any other error ends it at once; and its
``timeout`` is a hard deadline (:mod:`reportbridge.transport.deadline`): no sleep, retry,
Retry-After or read runs past it, and it ends with :class:`~reportbridge.errors.JobTimeoutError`
carrying the last state seen.

:class:`WaitSchedule` holds that state and makes every decision; the loop that sleeps and
polls belongs to the caller — a thread that sleeps (``Reports.wait``) or a coroutine that
awaits (``AsyncReports.wait``) — so both follow one set of rules::

    schedule = WaitSchedule(job, policy, timeout=600)
    with schedule.running():                  # the deadline, for every request made within
        while True:
            sleep(schedule.next_delay())      # 0 before the first poll
            try:
                job = poll(schedule.job)
            except ReportBridgeError as exc:
                if not schedule.poll_failed(exc):   # JobTimeoutError when the deadline is why
                    raise
                continue
            if schedule.observed(job):
                return job
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import reportbridge.transport.deadline as deadline
from reportbridge.errors import (
    TRANSIENT_ERRORS,
    DeadlineExceededError,
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

    ``timeout`` (seconds, None for no limit) is checked at once: NaN, infinite or negative
    is a :class:`~reportbridge.errors.ValidationError`.
    """

    def __init__(
        self,
        job: ReportJob,
        policy: PollPolicy,
        *,
        timeout: float | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
    ) -> None:
        if max_poll_errors < 0:
            raise ValueError(f"max_poll_errors must be >= 0, not {max_poll_errors}")
        self.job = job
        self.policy = policy
        self.timeout = deadline.check_timeout(timeout)
        self.max_poll_errors = max_poll_errors
        self.attempts = 0  # polls tried, failed ones included
        self.errors = 0  # failures in a row
        self.hint: float | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[WaitSchedule]:
        """Within the block the wait's deadline is in force for every request (of this
        thread, or of this asyncio task and the executor calls it makes)."""
        with deadline.deadline_after(self.timeout):
            yield self

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
        left = deadline.remaining()
        if left is not None:
            if left <= 0:
                raise self.timeout_error()
            delay = min(delay, left)
        return max(0.0, delay)

    def observed(self, job: ReportJob) -> bool:
        """A poll answered; True when ``job`` is terminal (the wait is over)."""
        self.job, self.errors, self.hint = job, 0, job.poll_after
        return job.is_terminal

    def poll_failed(self, exc: BaseException) -> bool:
        """A poll failed: True to try again at the next interval, False to give up (the
        caller raises ``exc``). A failure the deadline caused raises :class:`JobTimeoutError`."""
        if isinstance(exc, DeadlineExceededError) or deadline.expired():
            raise self.timeout_error(exc) from None
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

    def timeout_error(self, early: BaseException | None = None) -> JobTimeoutError:
        """The error that ends the wait at its deadline (``early``: the request that could
        not be made in the time left)."""
        job = self.job
        limit = f"{self.timeout:g} s timeout" if self.timeout is not None else "deadline"
        when = f"at its {limit}"
        if early is not None and not deadline.expired():
            when = f"before its {limit}, which leaves no time to ask again ({early})"
        return JobTimeoutError(
            f"job {job.job_id} on profile {job.profile!r} is still {job.status.value}: the "
            f"wait ended {when}; resume with its reference",
            job,
        )


__all__ = ["MAX_POLL_ERRORS", "WaitSchedule", "poll_error_may_pass"]
