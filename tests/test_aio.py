"""The asyncio twin of the façade, against the toy vendor's simulator.

Async tests run their coroutine with ``asyncio.run`` (no event-loop plugin needed).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reportbridge import JobRequest, JobTimeoutError, ReportStatus, UnknownStatusError
from reportbridge.aio import THREAD_PREFIX, AsyncReports
from reportbridge.errors import ServiceError
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from reportbridge.testing import Fault
from tests.toy import ToySimulator

T = TypeVar("T")
FAST = {"initial": 0.05, "backoff": 1.3, "cap": 0.2, "jitter": 0.0}


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def make_async(
    toy_registry: PluginRegistry,
) -> Callable[..., AsyncReports]:
    made: list[AsyncReports] = []

    def make(sim: ToySimulator, *, max_threads: int = 4, **profile: Any) -> AsyncReports:
        table = {"provider": "toy", **sim.profile_settings(), "polling": FAST, **profile}
        reports = AsyncReports.from_profiles(
            {"toy": table}, registry=toy_registry, max_threads=max_threads
        )
        made.append(reports)
        return reports

    yield make
    for reports in made:
        reports.close()


def test_run_wait_fetch(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports], tmp_path: Path
) -> None:
    reports = make_async(toy_sim)
    seen: list[ReportStatus] = []

    async def main() -> Any:
        job = await reports.run("toy", "USERS", active_only="true")
        assert job.params == {"active_only": True}
        done = await reports.wait(job.ref, timeout=30, on_update=lambda j: seen.append(j.status))
        return done, await reports.fetch(done, tmp_path, format="csv")

    done, (fetched,) = run(main())
    assert done.status is ReportStatus.SUCCEEDED
    assert seen[-1] is ReportStatus.SUCCEEDED
    expected = toy_sim.file_for(done.job_id)
    assert (
        fetched.sha256 == expected.sha256 == hashlib.sha256(fetched.path.read_bytes()).hexdigest()
    )


def test_failed_job_ends_the_wait_as_failed(
    start_simulator: Callable[..., Any], make_async: Callable[..., AsyncReports]
) -> None:
    sim = start_simulator(ToySimulator(job_seconds=0.2, outcome="failed"))
    reports = make_async(sim)

    async def main() -> Any:
        return await reports.wait(await reports.run("toy", "USERS"), timeout=30)

    job = run(main())
    assert job.status is ReportStatus.FAILED
    assert not job.is_fetchable


def test_unknown_vendor_status_ends_the_wait_at_once(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    reports = make_async(toy_sim)

    async def main() -> Any:
        job = await reports.run("toy", "USERS")
        body = json.dumps({"id": job.job_id, "type": "USERS", "state": "half-baked"}).encode()
        toy_sim.faults.add(Fault(path=r"^/jobs/job", method="GET", status=200, body=body, times=1))
        return await reports.wait(job, timeout=30)

    with pytest.raises(UnknownStatusError, match="half-baked"):
        run(main())
    assert toy_sim.count("GET", r"^/jobs/job") == 1  # never polled again


def test_passing_poll_failures_are_ridden_out_up_to_the_limit(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    reports = make_async(toy_sim, transport={"max_attempts": 1})

    async def main(times: int, limit: int) -> Any:
        job = await reports.run("toy", "USERS")
        toy_sim.faults.clear()
        toy_sim.faults.add(Fault(path=r"^/jobs/job", method="GET", status=503, times=times))
        return await reports.wait(job, timeout=30, max_poll_errors=limit)

    assert run(main(times=2, limit=2)).status is ReportStatus.SUCCEEDED
    with pytest.raises(ServiceError):
        run(main(times=3, limit=2))


def test_timeout_carries_the_last_state(
    start_simulator: Callable[..., Any], make_async: Callable[..., AsyncReports]
) -> None:
    sim = start_simulator(ToySimulator(job_seconds=600))
    reports = make_async(sim)

    async def main() -> Any:
        return await reports.wait(await reports.run("toy", "USERS"), timeout=0.3)

    with pytest.raises(JobTimeoutError, match="resume with its reference") as caught:
        run(main())
    assert caught.value.job.status in (ReportStatus.PENDING, ReportStatus.RUNNING)  # type: ignore[attr-defined]


def _client_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads started since ``before`` that are not the simulator's (its request handlers)."""
    return [
        t
        for t in threading.enumerate()
        if t not in before and "process_request_thread" not in t.name
    ]


def test_many_pending_waits_hold_a_fixed_number_of_threads(
    start_simulator: Callable[..., Any], make_async: Callable[..., AsyncReports]
) -> None:
    """200 waits in flight, each between polls and under a deadline, on an executor of 3
    threads: no thread per wait (counted, not timed)."""
    jobs, threads = 200, 3
    sim = start_simulator(ToySimulator(job_seconds=3600))
    reports = make_async(
        sim, max_threads=threads, polling={"initial": 0.2, "backoff": 1.5, "cap": 1.0}
    )
    before = set(threading.enumerate())
    answers: dict[str, int] = {}
    observed: dict[str, Any] = {}

    async def main() -> None:
        started = await asyncio.gather(*(reports.run("toy", "USERS") for _ in range(jobs)))
        all_answered_twice = asyncio.Event()

        def count(job: Any) -> None:
            answers[job.job_id] = answers.get(job.job_id, 0) + 1
            if len(answers) == jobs and min(answers.values()) >= 2:
                all_answered_twice.set()

        waits = [
            asyncio.ensure_future(reports.wait(j, timeout=600, on_update=count)) for j in started
        ]
        await asyncio.wait_for(all_answered_twice.wait(), timeout=120)
        observed["pending"] = sum(not w.done() for w in waits)
        observed["threads"] = _client_threads(before)
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)

    run(main())
    assert observed["pending"] == jobs
    names = sorted(t.name for t in observed["threads"])
    ours = [n for n in names if n.startswith(THREAD_PREFIX)]
    assert 1 <= len(ours) <= threads, names
    # besides: at most the transport's one watchdog thread per process (deadlines)
    assert [n for n in names if n not in ours] in ([], ["rb-watchdog"]), names


def test_run_many_yields_outcomes_and_files(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports], tmp_path: Path
) -> None:
    reports = make_async(toy_sim, concurrency=2)
    requests = [JobRequest("toy", "USERS", formats=("csv",), key=f"k{n}") for n in range(5)]
    kinds: list[str] = []

    async def main() -> list[Any]:
        return [
            outcome
            async for outcome in reports.run_many(
                requests, dest_dir=tmp_path, timeout=30, on_event=lambda e: kinds.append(e.kind)
            )
        ]

    outcomes = run(main())
    assert sorted(o.request.key or "" for o in outcomes) == [f"k{n}" for n in range(5)]
    assert all(o.ok and len(o.files) == 1 for o in outcomes)
    assert len({o.files[0].path for o in outcomes}) == 5  # alike vendor names kept apart
    for o in outcomes:
        assert o.files[0].sha256 == toy_sim.file_for(o.job.job_id).sha256  # type: ignore[union-attr]
    assert kinds.count("submitted") == 5 and kinds.count("fetched") == 5


def test_run_many_keeps_to_the_profile_limit(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    reports = make_async(toy_sim, concurrency=2)
    active, most = 0, 0

    def track(event: Any) -> None:
        nonlocal active, most
        if event.kind == "submitting":
            active += 1
            most = max(most, active)
        elif event.kind == "status" and event.job.is_terminal:
            active -= 1

    requests = [JobRequest("toy", "USERS", key=f"k{n}") for n in range(5)]

    async def main() -> list[Any]:
        return [o async for o in reports.run_many(requests, timeout=30, on_event=track)]

    assert all(o.ok for o in run(main()))
    assert most == 2


def test_leaving_run_many_early_cancels_the_rest(
    start_simulator: Callable[..., Any], make_async: Callable[..., AsyncReports]
) -> None:
    sim = start_simulator(ToySimulator(job_seconds=3600))
    reports = make_async(sim, concurrency=4)
    requests = [JobRequest("toy", "NOPE", key="bad")]
    requests += [JobRequest("toy", "USERS", key=f"k{n}") for n in range(3)]

    async def main() -> tuple[Any, int]:
        async with reports.run_many(requests) as batch:
            async for outcome in batch:  # the bad request ends first, with its own error
                first = outcome
                break
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return first, len(left)

    first, left = run(main())
    assert first.request.key == "bad" and "NOPE" in str(first.error)
    assert left == 0  # the three waits were cancelled, not left running


def test_unknown_profile_fails_before_any_request(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    reports = make_async(toy_sim)
    with pytest.raises(Exception, match="no profile named 'other'"):
        reports.run_many([JobRequest("other", "USERS")])
    assert toy_sim.count() == 0


def test_max_threads_must_be_positive(toy_sim: ToySimulator, toy_registry: Any) -> None:
    with pytest.raises(ValueError, match="max_threads"):
        AsyncReports.from_profiles(
            {"toy": {"provider": "toy", **toy_sim.profile_settings()}},
            registry=toy_registry,
            max_threads=0,
        )


def test_policy_argument_overrides_the_profile(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    reports = make_async(toy_sim, polling={"initial": 30})
    policy = PollPolicy(initial=0.05, backoff=1.0, cap=0.05, jitter=0.0)

    async def main() -> Any:
        return await reports.wait(await reports.run("toy", "USERS"), timeout=20, policy=policy)

    assert run(main()).status is ReportStatus.SUCCEEDED


def test_requests_run_in_the_callers_context(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    """Context variables (a deadline, say) follow a request to the executor thread."""
    import contextvars

    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")
    reports = make_async(toy_sim)
    seen: list[str] = []

    def record(*_a: Any) -> None:
        seen.append(marker.get())

    async def main() -> None:
        marker.set("from-the-task")
        await reports.in_executor(record)

    run(main())
    assert seen == ["from-the-task"]


def test_run_many_fetches_parts_before_the_job_ends(
    parts_vendor: Callable[..., tuple[Any, Any]], tmp_path: Path
) -> None:
    """As the synchronous engine: the chunky export only finishes once every chunk was
    downloaded, so a batch that waited for the end before fetching would never see it."""
    from tests.toy_chunked import ChunkySimulator

    sim, facade = parts_vendor(ChunkySimulator, chunks=3, release="downloads")
    reports = AsyncReports(facade, max_threads=2)

    def on_event(event: Any) -> None:
        if event.kind == "fetched" and event.file is not None:
            sim.note("fetched", event.request.key, event.file.part, event.file.path.is_file())

    async def main() -> list[Any]:
        requests = [JobRequest("chunky", "VULNS", key=k) for k in ("a", "b")]
        async with reports.run_many(
            requests, dest_dir=tmp_path, timeout=60, on_event=on_event
        ) as batch:
            return sorted([o async for o in batch], key=lambda o: o.request.key)

    outcomes = run(main())
    reports.close()
    assert [o.ok for o in outcomes] == [True, True]
    assert [[f.part for f in o.files] for o in outcomes] == [["1", "2", "3"]] * 2
    finished_at = next(i for i, e in enumerate(sim.log) if e[:2] == ("status", "FINISHED"))
    before_end = [e for e in sim.log[:finished_at] if e[0] == "fetched"]
    assert {e[2:] for e in before_end} == {("1", True), ("2", True), ("3", True)}
    assert sim.count("GET", "/chunks/") == 6  # each chunk of each export once


def test_run_many_reports_a_partial_result_with_its_good_parts(
    parts_vendor: Callable[..., tuple[Any, Any]], tmp_path: Path
) -> None:
    from tests.toy_chunked import ChunkySimulator

    _sim, facade = parts_vendor(ChunkySimulator, chunks=4, failed=(2,))
    reports = AsyncReports(facade)

    async def main() -> list[Any]:
        batch = reports.run_many([JobRequest("chunky", "VULNS")], dest_dir=tmp_path, timeout=60)
        return [o async for o in batch]

    (outcome,) = run(main())
    reports.close()
    assert outcome.partial and not outcome.ok and outcome.error is None
    assert sorted(f.part for f in outcome.files) == ["1", "3", "4"]


def test_the_wait_deadline_reaches_the_request_on_the_executor(
    toy_sim: ToySimulator, make_async: Callable[..., AsyncReports]
) -> None:
    """A poll answered a byte at a time is cut at the wait's deadline, on the executor
    thread: the deadline travels with the request (under a guard far beyond it)."""
    reports = make_async(toy_sim)

    async def main() -> Any:
        job = await reports.run("toy", "USERS")
        toy_sim.faults.add(Fault(path="^/jobs/job", trickle=1.0, times=None))
        return await asyncio.wait_for(reports.wait(job, timeout=1), timeout=30)

    with pytest.raises(JobTimeoutError, match="1 s timeout"):
        run(main())
