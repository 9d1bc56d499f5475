"""run_many's first poll and learned durations: which polls are left out, and which never are."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reportbridge import Reports
from reportbridge.batch import JobEvent, JobRequest
from reportbridge.engine.driver import BatchDriver
from reportbridge.engine.learned import MIN_SAMPLES, LearnedDurations, polls_by
from reportbridge.plugins import PluginRegistry
from tests.toy import ToySimulator

POLL = "^/jobs/[^/]+$"


def test_learned_floor_needs_enough_successes_and_is_the_shortest() -> None:
    learned = LearnedDurations()
    kind = ("p", "USERS")
    for age in (9.0, 7.0, 8.0, 12.0):
        learned.ended(kind, age)
    assert learned.floor(kind) is None  # four are not enough
    learned.ended(kind, 10.0)
    assert MIN_SAMPLES == 5 and learned.floor(kind) == 7.0
    assert learned.floor(("p", "OTHER")) is None  # per report type
    # started at 100, seen at 101, the policy would poll at 102: moved to 107
    assert learned.next_poll(kind, 100.0, 101.0, 102.0, cap=30.0) == 107.0
    # never more than cap after the last look, never earlier than the policy
    assert learned.next_poll(kind, 100.0, 101.0, 102.0, cap=3.0) == 104.0
    assert learned.next_poll(kind, 100.0, 101.0, 109.0, cap=30.0) == 109.0
    off = LearnedDurations(enabled=False)
    for _ in range(MIN_SAMPLES):
        off.ended(kind, 7.0)
    assert off.floor(kind) is None and off.next_poll(kind, 100.0, 101.0, 102.0, 30.0) == 102.0


def test_after_a_skip_the_policy_goes_on_from_the_jobs_age() -> None:
    """1 s x1.5: polls at 1, 2.5, 4.75, 8.125 s... A job first polled at 4.75 s has had the
    policy's three polls' worth of waiting, so the next delay is the fourth's (3.375 s)."""
    assert [polls_by(a, 1.0, 1.5, 30.0) for a in (0.5, 1.0, 2.5, 4.75, 8.2)] == [0, 1, 2, 3, 4]
    assert polls_by(1000.0, 1.0, 1.5, 30.0) == 39  # past the cap: one poll per 30 s
    assert polls_by(1e12, 1.0, 1.0, 1.0) == 10_000  # bounded


def _driver(reports: Reports, stop: threading.Event, on_event: Any, **kw: Any) -> BatchDriver:
    driver = BatchDriver(
        reports,
        [JobRequest("toy", "USERS", key="only")],
        dest_dir=None,
        timeout=None,
        emit=on_event,
        stop=stop,
        **kw,
    )
    driver.profiles["toy"].lists = False  # the provider is known to have no listings
    return driver


def test_a_job_just_submitted_is_not_polled_at_once(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any
) -> None:
    """The submit answer is the job's first status: the first poll waits for the policy."""
    toy_sim.job_seconds = 3600  # held running
    reports = make_reports({"toy": toy_sim}, registry=toy_registry, polling={"initial": 60})
    stop = threading.Event()

    def on_event(event: JobEvent) -> None:
        if event.kind == "submitted":
            threading.Timer(2.0, stop.set).start()

    with pytest.raises(KeyboardInterrupt):
        list(_driver(reports, stop, on_event))
    assert toy_sim.count("POST", "^/jobs$") == 1
    assert toy_sim.count("GET", POLL) == 0  # before: one poll at once


def test_a_learned_floor_never_holds_a_poll_past_the_cap(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, tmp_path: Path
) -> None:
    """Jobs like it were seen running for an hour; this one ends at once and is still seen
    within the policy's cap, and fetched."""
    toy_sim.job_seconds = 0.3
    reports = make_reports(
        {"toy": toy_sim},
        registry=toy_registry,
        polling={"initial": 0.05, "backoff": 1.0, "cap": 0.2, "jitter": 0.0},
    )
    driver = _driver(reports, threading.Event(), lambda _e: None)
    for _ in range(MIN_SAMPLES):
        driver.learned.ended(("toy", "USERS"), 3600.0)
    driver.fetcher.dest_dir = tmp_path
    (outcome,) = list(driver)
    assert outcome.ok and len(outcome.files) == 1
    assert toy_sim.count("GET", POLL) >= 1


@pytest.mark.parametrize("learn", [True, False])
def test_run_many_learns_or_not_and_every_job_ends(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, learn: bool
) -> None:
    toy_sim.job_seconds = 0.3
    reports = make_reports(
        {"toy": toy_sim},
        registry=toy_registry,
        concurrency=3,
        polling={"initial": 0.05, "backoff": 1.3, "cap": 0.2, "jitter": 0.0},
    )
    requests = [JobRequest("toy", "USERS", key=str(n)) for n in range(12)]
    outcomes = list(reports.run_many(requests, timeout=60, learn_durations=learn))
    assert len(outcomes) == 12 and all(o.ok for o in outcomes)
    assert toy_sim.count("POST", "^/jobs$") == 12
