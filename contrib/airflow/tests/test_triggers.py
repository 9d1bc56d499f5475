"""ReportTrigger: its serialized form, and the events of run() against the real simulators.

Each test runs the trigger's async generator with ``asyncio.run``, as the triggerer's
event loop would, against a provider's own simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.module_loading import import_string
from airflow.sdk.serde import deserialize, serialize

from reportbridge.aio import THREAD_PREFIX
from reportbridge.testing import Fault
from reportbridge_airflow import hooks
from reportbridge_airflow.events import ReportJobError, fetchable_ref
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.triggers import ReportTrigger

pytestmark = pytest.mark.usefixtures("fresh_shared_reports")


def first_event(trigger: ReportTrigger) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(main())


def submit(conn_id: str, report_type: str, **params: Any) -> str:
    with ReportBridgeHook(conn_id).get_conn() as reports:
        (profile,) = reports.profiles
        return reports.run(profile, report_type, **params).ref


EXPLORE_CALLS = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00", "format": "csv"}


def test_serialize_round_trip() -> None:
    trigger = ReportTrigger(
        "rb1.abc", "rb_x", deadline=1_900_000_000.5, max_poll_errors=2, cancel_on_kill=False
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "reportbridge_airflow.triggers.ReportTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs  # plain JSON: nothing but the reference
    assert set(kwargs) == {
        "ref",
        "reportbridge_conn_id",
        "deadline",
        "max_poll_errors",
        "cancel_on_kill",
    }
    # as the triggerer stores and rebuilds it
    rebuilt = import_string(classpath)(**deserialize(serialize(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)


def test_success_event(provider_simulator: Callable[..., Any], connections: Any) -> None:
    sim = provider_simulator("explore", job_seconds=0.5)
    ref = submit(connections("rb_explore", sim), "calls", **EXPLORE_CALLS)
    event = first_event(ReportTrigger(ref, "rb_explore", deadline=time.time() + 60))
    assert event["outcome"] == "ended" and event["status"] == "succeeded"
    assert event["ref"] == ref
    assert fetchable_ref(event) == ref


def test_failed_job_event_fails_the_task(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("sailpoint", job_seconds=0.5, outcome="ERROR")
    ref = submit(connections("rb_sp", sim), "IDENTITIES", correlatedOnly=True)
    event = first_event(ReportTrigger(ref, "rb_sp", deadline=time.time() + 60))
    assert (event["outcome"], event["status"]) == ("ended", "failed")
    with pytest.raises(ReportJobError, match="ended failed"):
        fetchable_ref(event)


def test_unknown_vendor_status_event(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("spaceone", job_seconds=30)
    ref = submit(connections("rb_so", sim), "template-1a2b3c4d5e6f", name="x")
    method, path, _origin = sim.fault_paths["poll"]
    sim.faults.add(
        Fault(path=path, method=method, status=200, body=sim.unknown_status_body(), times=None)
    )
    event = first_event(ReportTrigger(ref, "rb_so", deadline=time.time() + 60))
    assert event["outcome"] == "error" and event["error"] == "UnknownStatusError"
    with pytest.raises(ReportJobError, match="unknown status"):
        fetchable_ref(event)


def test_timeout_event_carries_the_last_state(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("explore", job_seconds=600)
    ref = submit(connections("rb_explore", sim), "calls", **EXPLORE_CALLS)
    event = first_event(ReportTrigger(ref, "rb_explore", deadline=time.time() + 0.5))
    assert event["outcome"] == "timeout" and event["status"] in ("pending", "running")
    with pytest.raises(ReportJobError, match="timed out"):
        fetchable_ref(event)


def test_refused_credentials_end_with_an_error_event(
    provider_simulator: Callable[..., Any], connections: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = provider_simulator("sailpoint", job_seconds=0.5)
    ref = submit(connections("rb_sp", sim), "IDENTITIES", correlatedOnly=True)
    conn = json.loads(f"{__import__('os').environ['AIRFLOW_CONN_RB_SP']}")
    monkeypatch.setenv("AIRFLOW_CONN_RB_SP", json.dumps({**conn, "password": "wrong-secret"}))
    event = first_event(ReportTrigger(ref, "rb_sp", deadline=time.time() + 60))
    assert event["outcome"] == "error" and event["error"] == "AuthenticationError"
    assert "wrong-secret" not in json.dumps(event)


def test_on_kill_cancels_where_the_provider_can(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("explore", job_seconds=600)
    ref = submit(connections("rb_explore", sim), "calls", **EXPLORE_CALLS)
    asyncio.run(ReportTrigger(ref, "rb_explore").on_kill())
    with ReportBridgeHook("rb_explore").get_conn() as reports:
        assert reports.poll(ref).status.value == "cancelled"


def test_on_kill_leaves_jobs_of_providers_that_cannot_cancel(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("spaceone", job_seconds=600)
    ref = submit(connections("rb_so", sim), "template-1a2b3c4d5e6f", name="x")
    before = sim.count()
    asyncio.run(ReportTrigger(ref, "rb_so").on_kill())  # logs, sends nothing, raises nothing
    assert sim.count() == before
    asyncio.run(ReportTrigger(ref, "rb_explore", cancel_on_kill=False).on_kill())


def test_many_triggers_share_one_executor_per_connection(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    """100 triggers in one loop: one shared AsyncReports, at most async_threads threads
    (besides the loop's default executor, where Airflow looks connections up)."""
    sim = provider_simulator("spaceone", job_seconds=3600)
    connections("rb_so", sim, async_threads=3, polling={"initial": 0.3, "cap": 1.0})
    with ReportBridgeHook("rb_so").get_conn() as reports:
        (profile,) = reports.profiles
        refs = [reports.run(profile, "template-1a2b3c4d5e6f", name="x").ref for _ in range(100)]
    before = set(threading.enumerate())
    seen: dict[str, Any] = {}

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(
            concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="loop-default")
        )
        tasks = [
            asyncio.ensure_future(first_async(ReportTrigger(r, "rb_so", deadline=time.time() + 60)))
            for r in refs
        ]
        while sim.count() < 3 * len(refs):  # the submits, then about two polls per job
            await asyncio.sleep(0.1)
        seen["threads"] = [
            t.name
            for t in threading.enumerate()
            if t not in before and "process_request_thread" not in t.name
        ]
        seen["pending"] = sum(not t.done() for t in tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(asyncio.wait_for(main(), 120))
    assert seen["pending"] == 100
    assert len(hooks._shared) == 1
    ours = [name for name in seen["threads"] if name.startswith(THREAD_PREFIX)]
    assert 1 <= len(ours) <= 3, seen["threads"]
    others = sorted(set(seen["threads"]) - set(ours) - {"rb-watchdog"})  # one per process
    assert len(others) <= 1, seen["threads"]  # the loop's default executor


async def first_async(trigger: ReportTrigger) -> Any:
    async for event in trigger.run():
        return event
    return None


def test_partial_result_event_names_the_lost_parts(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("tenable", job_seconds=0.5, chunks=3, failed_chunks=(2,))
    ref = submit(connections("rb_tenable", sim), "vulns", severity=["high"])
    event = first_event(ReportTrigger(ref, "rb_tenable", deadline=time.time() + 60))
    assert (event["outcome"], event["status"]) == ("ended", "partial")
    assert len(event["failed_parts"]) == 1 and event["failed_parts"][0].startswith("json/")
    with pytest.raises(ReportJobError, match="ended partial"):
        fetchable_ref(event)
    assert fetchable_ref(event, accept_partial=True) == ref
