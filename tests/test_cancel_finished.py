"""Cancel never destroys a finished result: the façade looks first and sends nothing then."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportbridge import Reports, ReportStatus
from reportbridge.plugins import PluginRegistry
from tests.toy import ToySimulator

FAST = {"initial": 0.05, "backoff": 1.3, "cap": 0.2, "jitter": 0.0}


@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_cancel_of_a_finished_job_sends_no_cancel(
    start_simulator: Callable[[ToySimulator], ToySimulator],
    make_reports: Callable[..., Reports],
    toy_registry: PluginRegistry,
    outcome: str,
    tmp_path: Path,
) -> None:
    sim = start_simulator(ToySimulator(job_seconds=0.1, outcome=outcome))
    reports = make_reports({"toy": sim}, registry=toy_registry, polling=FAST)
    done = reports.wait(reports.run("toy", "USERS"), timeout=10)
    assert done.is_terminal
    # from the job record, and from a bare reference in a fresh façade
    for target in (done, done.ref):
        again = reports.cancel(target)
        assert again.status is done.status
        assert again.job_id == done.job_id
    other = make_reports({"toy": sim}, registry=toy_registry, polling=FAST)
    assert other.cancel(done.ref).status is done.status
    assert sim.count("POST", r"/cancel$") == 0
    if outcome == "done":
        (fetched,) = reports.fetch(done, tmp_path)
        assert fetched.sha256 == sim.file_for(done.job_id).sha256


def test_cancel_of_a_running_job_is_sent(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    toy_sim.job_seconds = 30
    job = toy_reports.run("toy", "USERS")
    cancelled = toy_reports.cancel(job.ref)
    assert cancelled.status is ReportStatus.CANCELLED
    assert toy_sim.count("POST", r"/cancel$") == 1


def test_status_hook_not_fired_by_a_refused_cancel(
    toy_reports: Reports, toy_sim: ToySimulator, toy_registry: PluginRegistry
) -> None:
    seen: list[Any] = []

    class Observer:
        from reportbridge.hookspecs import hookimpl

        @hookimpl
        def job_status_changed(self, job: Any, previous: Any) -> None:
            seen.append((job.status, previous))

    done = toy_reports.wait(toy_reports.run("toy", "USERS"), timeout=10)
    toy_registry.register(Observer(), name="observer")
    toy_reports.cancel(done)
    assert seen == []
