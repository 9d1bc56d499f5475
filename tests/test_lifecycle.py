"""The wait rules shared by Reports.wait and AsyncReports.wait, on a clock the test moves."""

from __future__ import annotations

import time

import pytest

from reportbridge import JobTimeoutError, ReportJob, ReportStatus, ValidationError
from reportbridge.errors import (
    AuthenticationError,
    DeadlineExceededError,
    ProviderProtocolError,
    RateLimitedError,
    ServiceError,
    TransportError,
    UnknownStatusError,
)
from reportbridge.lifecycle import WaitSchedule, poll_error_may_pass
from reportbridge.polling import PollPolicy
from reportbridge.transport import deadline

POLICY = PollPolicy(initial=1.0, backoff=2.0, cap=8.0, jitter=0.0)
JOB = ReportJob(provider="toy", profile="p", job_id="j1", report_type="USERS")


class Clock:
    """``time.monotonic`` for one test: the deadline module reads it at each call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 100.0
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


def test_first_poll_at_once_then_the_policy() -> None:
    schedule = WaitSchedule(JOB, POLICY)
    assert [schedule.next_delay() for _ in range(6)] == [0.0, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_a_vendor_hint_wins_until_the_next_answer() -> None:
    schedule = WaitSchedule(JOB, POLICY)
    schedule.next_delay()
    assert not schedule.observed(ReportJob(**{**_fields(JOB), "poll_after": 42.0}))
    assert schedule.next_delay() == 42.0
    schedule.observed(JOB)
    assert schedule.next_delay() == 2.0


def test_retry_after_of_a_rate_limited_poll_is_the_next_delay() -> None:
    schedule = WaitSchedule(JOB, POLICY)
    schedule.next_delay()
    assert schedule.poll_failed(RateLimitedError("slow down", retry_after=7.0))
    assert schedule.next_delay() == 7.0


def test_the_deadline_caps_the_last_sleep_then_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    schedule = WaitSchedule(JOB, POLICY, timeout=2.5)
    with schedule.running():
        assert deadline.remaining() == 2.5  # in force for every request made in the block
        assert schedule.next_delay() == 0.0
        clock.now += 0.1
        assert schedule.next_delay() == 1.0
        clock.now += 1.0
        assert schedule.next_delay() == pytest.approx(1.4)  # not the policy's 2 s
        clock.now += 1.4
        with pytest.raises(
            JobTimeoutError,
            match=r"j1 on profile 'p' is still pending: the wait ended at its 2.5 s",
        ):
            schedule.next_delay()
    assert deadline.remaining() is None


def test_the_first_poll_is_made_even_with_no_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    Clock(monkeypatch)
    schedule = WaitSchedule(JOB, POLICY, timeout=0)
    with schedule.running():
        assert schedule.next_delay() == 0.0
        running = ReportJob(**{**_fields(JOB), "status": ReportStatus.RUNNING})
        schedule.observed(running)
        with pytest.raises(JobTimeoutError) as caught:
            schedule.next_delay()
    assert caught.value.job == running


def test_a_poll_the_deadline_cut_short_ends_the_wait_as_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    schedule = WaitSchedule(JOB, POLICY, timeout=10)
    with schedule.running():
        schedule.next_delay()
        cut = DeadlineExceededError("poll: the deadline passed before it could be sent")
        with pytest.raises(JobTimeoutError, match="which leaves no time to ask again"):
            schedule.poll_failed(cut)
        clock.now += 11  # a failure of any kind once the deadline passed
        with pytest.raises(JobTimeoutError, match="at its 10 s timeout"):
            schedule.poll_failed(ServiceError("503"))


def test_passing_failures_are_counted_in_a_row_and_reset_by_an_answer() -> None:
    schedule = WaitSchedule(JOB, POLICY, max_poll_errors=2)
    assert schedule.poll_failed(ServiceError("503"))
    assert schedule.poll_failed(TransportError("reset"))
    assert not schedule.poll_failed(ServiceError("503"))  # the third in a row
    schedule.observed(JOB)
    assert schedule.poll_failed(ProviderProtocolError("garbled"))


@pytest.mark.parametrize(
    "error",
    [
        UnknownStatusError("toy", "weird", ["done"]),
        AuthenticationError("refused"),
        ValueError("a bug"),
    ],
)
def test_other_errors_end_the_wait_at_once(error: BaseException) -> None:
    assert not poll_error_may_pass(error)
    assert not WaitSchedule(JOB, POLICY).poll_failed(error)


def test_terminal_answer_ends_the_wait() -> None:
    schedule = WaitSchedule(JOB, POLICY)
    assert schedule.observed(ReportJob(**{**_fields(JOB), "status": ReportStatus.FAILED}))


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf"), "10"])
def test_bad_timeouts_are_refused(timeout: object) -> None:
    with pytest.raises(ValidationError, match="timeout must be a finite number of seconds"):
        WaitSchedule(JOB, POLICY, timeout=timeout)  # type: ignore[arg-type]


def test_bad_max_poll_errors() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        WaitSchedule(JOB, POLICY, max_poll_errors=-1)


def _fields(job: ReportJob) -> dict[str, object]:
    import attrs

    return attrs.asdict(job, recurse=False)
