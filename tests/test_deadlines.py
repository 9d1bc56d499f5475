"""Hard deadlines: a whole exchange, a wait and a fetch end by their time, whatever the
server does (a trickle, a long Retry-After, silence). Timings are never asserted: each
call runs under a hang guard several times longer than its deadline."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reportbridge import (
    DownloadError,
    JobTimeoutError,
    ReportStatus,
    SubmissionUncertainError,
    TransportError,
    ValidationError,
)
from reportbridge.errors import DeadlineExceededError
from reportbridge.testing import Fault, hostile
from reportbridge.testing.hostile import HostileServer, call_bounded
from reportbridge.testing.server import http_date
from reportbridge.transport import HttpClient, RateLimit, RateLimiter, TransportOptions
from reportbridge.transport.deadline import deadline_after
from reportbridge.transport.retry import RetryPolicy
from tests.toy import ToySimulator

GUARD = 30.0  # a hang guard, far beyond every deadline below
ONE_TRY = RetryPolicy(max_attempts=1)


def fast_reports(make_reports: Any, sim: ToySimulator, registry: Any, **transport: Any) -> Any:
    return make_reports(
        {"toy": sim},
        registry=registry,
        polling={"initial": 0.05, "backoff": 1.3, "cap": 0.2, "jitter": 0.0},
        transport=transport,
    )


# -- one exchange --------------------------------------------------------------------------
@pytest.mark.parametrize("every", [0.2, 0.5])
def test_a_trickled_answer_ends_at_request_timeout(every: float) -> None:
    with HostileServer(hostile.trickle(b'{"status": "RUNNING"}' * 50, every=every)) as slow:
        http = HttpClient(slow.origin, options=TransportOptions(request_timeout=1, retry=ONE_TRY))
        with pytest.raises(TransportError, match="no complete answer within 1 s"):
            call_bounded(lambda: http.request("GET", "status"), limit=GUARD)


def test_a_trickled_body_of_a_real_answer_ends_at_request_timeout(toy_sim: ToySimulator) -> None:
    http = HttpClient(toy_sim.base_url, options=TransportOptions(request_timeout=1, retry=ONE_TRY))
    toy_sim.faults.add(Fault(path="^/oauth/token$", method="POST", trickle=0.3))
    with pytest.raises(TransportError, match="within 1 s"):
        call_bounded(
            lambda: http.request("POST", "oauth/token", data=b"x", idempotent=True), limit=GUARD
        )


def test_a_trickled_answer_to_a_start_is_uncertain_not_resent(toy_sim: ToySimulator) -> None:
    http = HttpClient(toy_sim.base_url, options=TransportOptions(request_timeout=1))
    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", trickle=0.3))
    with pytest.raises(SubmissionUncertainError, match="within 1 s"):
        call_bounded(lambda: http.request("POST", "jobs", json={}), limit=GUARD)
    assert toy_sim.count("POST", "^/jobs$") == 1


def test_an_expired_deadline_sends_nothing(toy_sim: ToySimulator) -> None:
    http = HttpClient(toy_sim.base_url)
    with deadline_after(0), pytest.raises(DeadlineExceededError):
        http.request("GET", "jobs", authenticate=False)
    assert toy_sim.requests == []


def test_a_deadline_belongs_to_its_thread(toy_sim: ToySimulator) -> None:
    http = HttpClient(toy_sim.base_url)
    inside = threading.Event()
    release = threading.Event()

    def short_deadline() -> None:
        with deadline_after(0):
            inside.set()
            release.wait(GUARD)

    other = threading.Thread(target=short_deadline)
    other.start()
    try:
        inside.wait(GUARD)
        # another thread's passed deadline does not stop this one
        assert http.request("GET", "jobs", authenticate=False).status == 401
    finally:
        release.set()
        other.join()


def test_the_rate_limit_never_waits_past_the_deadline() -> None:
    limiter = RateLimiter(RateLimit(1, 600))
    limiter.acquire()
    with pytest.raises(DeadlineExceededError, match="rate limit"):
        call_bounded(lambda: limiter.acquire(until=time.monotonic() + 0.5), limit=GUARD)


# -- wait ----------------------------------------------------------------------------------
@pytest.mark.parametrize("retry_after", ["1000", "date"])
def test_wait_ends_at_its_deadline_against_a_long_retry_after(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any, retry_after: str
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    job = reports.run("toy", "USERS")
    value = "1000" if retry_after == "1000" else http_date(1000)
    toy_sim.faults.add(Fault(path="^/jobs/job", status=429, retry_after=value, times=None))
    with pytest.raises(JobTimeoutError) as info:
        call_bounded(lambda: reports.wait(job, timeout=1), limit=GUARD)
    assert info.value.job.job_id == job.job_id
    assert "1 s timeout" in str(info.value) and "resume with its reference" in str(info.value)


def test_wait_ends_at_its_deadline_against_a_trickled_poll(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    job = reports.run("toy", "USERS")
    # about 70 bytes a second apart: the answer would take longer than the hang guard
    toy_sim.faults.add(Fault(path="^/jobs/job", trickle=1.0, times=None))
    with pytest.raises(JobTimeoutError):
        call_bounded(lambda: reports.wait(job, timeout=1), limit=GUARD)


def test_wait_ends_at_its_deadline_against_a_poll_redirected_to_a_trickle(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    job = reports.run("toy", "USERS")
    with HostileServer(hostile.trickle(every=0.3)) as slow:
        location = {"Location": slow.url("/poll")}
        toy_sim.faults.add(Fault(path="^/jobs/job", status=302, headers=location, times=None))
        with pytest.raises(JobTimeoutError):
            call_bounded(lambda: reports.wait(job, timeout=1), limit=GUARD)


def test_wait_ends_at_its_deadline_against_slow_answers(
    start_simulator: Any, toy_registry: Any, make_reports: Any
) -> None:
    # an answer that comes within the read and request timeouts, after the hang guard
    sim = start_simulator(ToySimulator(job_seconds=600))
    reports = fast_reports(make_reports, sim, toy_registry)
    job = reports.run("toy", "USERS")
    sim.faults.add(Fault(path="^/jobs/job", delay=GUARD + 15, times=None))
    with pytest.raises(JobTimeoutError):
        call_bounded(lambda: reports.wait(job, timeout=1.5), limit=GUARD)


@pytest.mark.parametrize("timeout", [math.nan, -1, -0.001, math.inf, "10", True])
def test_wait_timeout_must_be_a_finite_number(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any, timeout: Any
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    job = reports.run("toy", "USERS")
    before = len(toy_sim.requests)
    with pytest.raises(ValidationError, match="timeout"):
        reports.wait(job, timeout=timeout)
    with pytest.raises(ValidationError, match="timeout"):
        reports.fetch(job, "unused", timeout=timeout)
    assert len(toy_sim.requests) == before


def test_wait_within_its_deadline_still_finishes(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    done = reports.wait(reports.run("toy", "USERS"), timeout=30)
    assert done.status is ReportStatus.SUCCEEDED


# -- fetch ---------------------------------------------------------------------------------
def _finished(reports: Any) -> Any:
    return reports.wait(reports.run("toy", "USERS"), timeout=30)


def test_fetch_ends_at_its_deadline_against_a_trickled_download(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any, tmp_path: Path
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    job = _finished(reports)
    toy_sim.faults.add(Fault(path="/file$", trickle=0.1, times=None))
    with pytest.raises(DownloadError, match="did not finish within 1 s"):
        call_bounded(lambda: reports.fetch(job, tmp_path, timeout=1), limit=GUARD)
    assert list(tmp_path.iterdir()) == []  # nothing partial kept


def test_a_stalled_download_fails_and_keeps_nothing(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any, tmp_path: Path
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry, stall_timeout=0.5)
    job = _finished(reports)
    # the headers and one byte, then silence far longer than stall_timeout
    toy_sim.faults.add(
        Fault(path="/file$", status=200, stream=hostile.trickled(b"id,name\n", 20), times=None)
    )
    with pytest.raises(DownloadError, match=r"stalled: no byte for 0\.5 s"):
        call_bounded(lambda: reports.fetch(job, tmp_path, download_attempts=2), limit=GUARD)
    assert list(tmp_path.iterdir()) == []


def test_fetch_within_its_deadline_still_finishes(
    toy_sim: ToySimulator, toy_registry: Any, make_reports: Any, tmp_path: Path
) -> None:
    reports = fast_reports(make_reports, toy_sim, toy_registry)
    [fetched] = reports.fetch(_finished(reports), tmp_path, timeout=30)
    assert fetched.size == toy_sim.file_size


@pytest.mark.parametrize("args", [["run", "toy1", "USERS", "--wait"], ["wait", "rb1.AAAA"]])
@pytest.mark.parametrize("value", ["nan", "-1", "inf", "soon"])
def test_a_cli_timeout_that_is_not_a_duration_is_a_usage_error(
    toy_sim: ToySimulator, tmp_path: Path, args: list[str], value: str
) -> None:
    from tests.clihelp import cli_env, run_cli, write_config

    config = write_config(
        tmp_path / "rb.toml", {"toy1": {"provider": "toy", **toy_sim.profile_settings()}}
    )
    proc = run_cli("--config", str(config), *args, "--timeout", value, env=cli_env())
    assert proc.returncode == 2, proc.stderr
    assert "not a number of seconds" in proc.stderr and "Traceback" not in proc.stderr
    assert toy_sim.requests == []  # refused before anything was sent (no job started)
