"""run_many's driver: one request's failure stays its own, and a stop ends the batch cleanly."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reportbridge import LocalWriteError, Reports, ServiceError
from reportbridge.batch import JobEvent, JobRequest
from reportbridge.plugins import PluginRegistry
from reportbridge.testing import Fault
from tests.toy import ToySimulator

FAST = {"initial": 0.05, "backoff": 1.3, "cap": 0.1, "jitter": 0.0}


def test_a_file_that_cannot_be_written_fails_its_request_only(
    toy_reports: Reports, tmp_path: Path
) -> None:
    requests = [JobRequest("toy", "USERS", formats=("csv",), key=k) for k in ("ok", "blocked")]

    def on_event(event: JobEvent) -> None:
        if event.kind == "submitted" and event.request.key == "blocked" and event.job:
            # a folder where the file would go: the final rename cannot replace it
            (tmp_path / "blocked" / f"{event.job.job_id}.csv" / "keep").mkdir(parents=True)

    outcomes = {
        o.request.key: o
        for o in toy_reports.run_many(
            requests, dest_dir=lambda r: tmp_path / str(r.key), on_event=on_event
        )
    }
    assert outcomes["ok"].ok and len(outcomes["ok"].files) == 1
    blocked = outcomes["blocked"]
    assert isinstance(blocked.error, LocalWriteError) and blocked.job is not None
    assert f"{blocked.job.job_id}.csv" in str(blocked.error) and "nothing was kept" in str(
        blocked.error
    )
    assert blocked.job.is_fetchable  # the job itself succeeded; only the local write failed
    assert not list(tmp_path.rglob("*.part"))
    assert (tmp_path / "blocked" / f"{blocked.job.job_id}.csv" / "keep").is_dir()


def test_stop_during_a_download_abandons_it_and_keeps_nothing(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    toy_sim.file_size = 64 * 1024 * 1024
    stop = threading.Event()
    seen: list[int] = []

    def on_event(event: JobEvent) -> None:
        if event.kind == "progress":
            seen.append(event.bytes_done)
            stop.set()  # after the first chunk

    with pytest.raises(KeyboardInterrupt):
        list(
            toy_reports.run_many(
                [JobRequest("toy", "USERS", formats=("csv",))],
                dest_dir=tmp_path,
                on_event=on_event,
                stop=stop,
            )
        )
    assert seen and seen[-1] < toy_sim.file_size  # it stopped part way
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .part


@pytest.mark.parametrize(("max_poll_errors", "ok"), [(1, False), (5, True)])
def test_max_poll_errors_reaches_the_driver(
    toy_sim: ToySimulator,
    toy_registry: PluginRegistry,
    make_reports: Any,
    max_poll_errors: int,
    ok: bool,
) -> None:
    reports = make_reports(
        {"toy": toy_sim},
        registry=toy_registry,
        polling=FAST,
        transport={"max_attempts": 1},  # every 500 reaches the driver
    )
    toy_sim.faults.add(Fault(path="^/jobs/[^/]+$", method="GET", status=500, times=3))
    (outcome,) = reports.run_many(
        [JobRequest("toy", "USERS")], timeout=20, max_poll_errors=max_poll_errors
    )
    assert outcome.ok is ok
    if not ok:
        assert isinstance(outcome.error, ServiceError)
    polls = toy_sim.count("GET", "^/jobs/[^/]+$")
    assert polls == 2 if not ok else polls >= 4  # failures in a row allowed, then one more


def test_a_queued_start_waits_for_the_cap_instead_of_failing(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, tmp_path: Path
) -> None:
    """A job whose wait ended on an error still runs at the vendor and holds a slot of the
    client-side cap; the next request waits for that slot, it does not fail."""
    toy_sim.job_seconds = 1.5
    # the first poll of the first job sees a status nobody documented: its run ends at once
    toy_sim.faults.add(
        Fault(path="^/jobs/[^/]+$", method="GET", status=200, body=b'{"id":"1","state":"odd"}')
    )
    reports = make_reports(
        {"toy": toy_sim},
        registry=toy_registry,
        polling=FAST,
        concurrency=1,
        max_active_jobs=1,
    )
    requests = [JobRequest("toy", "USERS", key=k) for k in ("first", "second")]
    outcomes = {o.request.key: o for o in reports.run_many(requests, dest_dir=tmp_path)}
    assert outcomes["first"].error is not None  # the undocumented status ended its run
    second = outcomes["second"]
    assert second.error is None and second.ok, second.error
    assert toy_sim.count("POST", "^/jobs$") == 2  # the second job was submitted once, later
