"""The façade drives a provider plugin end to end against its simulator."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest

from reportbridge import (
    ConfigurationError,
    JobRequest,
    JobTimeoutError,
    QuotaExceededError,
    Reports,
    ReportStatus,
    UnsupportedOperationError,
    ValidationError,
)
from reportbridge.batch import JobEvent
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from tests.toy import ToyPlugin, ToySimulator

FAST = PollPolicy(initial=0.05, backoff=1.3, cap=0.2, jitter=0.0)


def test_run_poll_wait_fetch(
    toy_reports: Reports, toy_sim: ToySimulator, toy_plugin: ToyPlugin, tmp_path: Any
) -> None:
    job = toy_reports.run("toy", "USERS", active_only="true")
    assert job.status is ReportStatus.PENDING
    assert job.params == {"active_only": True}
    assert job.submitted_at is not None
    polled = toy_reports.poll(job)
    assert polled.job_id == job.job_id
    done = toy_reports.wait(job, timeout=10)
    assert done.status is ReportStatus.SUCCEEDED
    assert done.provider_status == "done"
    (fetched,) = toy_reports.fetch(done, tmp_path, format="csv")
    expected = toy_sim.file_for(job.job_id)
    assert fetched.size == expected.size
    assert (
        fetched.sha256 == expected.sha256 == hashlib.sha256(fetched.path.read_bytes()).hexdigest()
    )
    # the vendor proposed "../job000001.csv": sanitised to a plain name inside tmp_path
    assert fetched.path.parent == tmp_path
    assert fetched.path.name == f"{job.job_id}.csv"
    assert fetched.format == "csv"
    assert fetched.content_type == "text/csv"
    kinds = [k for k, _ in toy_plugin.events]
    assert kinds[0] == "submitted"
    assert "fetched" in kinds
    assert ("status", ("pending", "succeeded")) in toy_plugin.events or any(
        k == "status" and v[1] == "succeeded" for k, v in toy_plugin.events
    )


def test_reference_from_another_facade(
    toy_reports: Reports,
    toy_sim: ToySimulator,
    toy_registry: PluginRegistry,
    make_reports: Any,
    tmp_path: Any,
) -> None:
    job = toy_reports.run("toy", "AUDIT", since="2025-01-01")
    other = make_reports({"toy": toy_sim}, registry=toy_registry)
    done = other.wait(job.ref, timeout=10, policy=FAST)
    assert done.job_id == job.job_id
    assert done.status is ReportStatus.SUCCEEDED
    (fetched,) = other.fetch(job.ref, tmp_path)
    assert fetched.size == toy_sim.file_size


def test_cancel(toy_reports: Reports) -> None:
    job = toy_reports.run("toy", "USERS")
    cancelled = toy_reports.cancel(job)
    assert cancelled.status is ReportStatus.CANCELLED
    assert toy_reports.poll(cancelled).status is ReportStatus.CANCELLED


def test_cancel_unsupported_names_provider(
    toy_reports: Reports, toy_plugin: ToyPlugin, toy_sim: ToySimulator
) -> None:
    job = toy_reports.run("toy", "USERS")
    before = len(toy_sim.requests)
    toy_plugin.provider.capabilities = lambda: toy_plugin.provider.__class__.capabilities(
        toy_plugin.provider
    ).__class__(  # type: ignore[method-assign]
        report_types=(), formats=("csv",), cancel=False
    )
    with pytest.raises(UnsupportedOperationError) as info:
        toy_reports.cancel(job)
    assert "'toy'" in str(info.value)
    assert len(toy_sim.requests) == before


def test_list(toy_reports: Reports) -> None:
    made = {toy_reports.run("toy", "USERS").job_id for _ in range(12)}
    listed = [j.job_id for j in toy_reports.list("toy", limit=100)]
    assert made <= set(listed)
    assert len(list(toy_reports.list("toy", limit=5))) == 5


def test_wait_timeout_carries_last_state(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any
) -> None:
    toy_sim.job_seconds = 60
    reports = make_reports({"toy": toy_sim}, registry=toy_registry)
    job = reports.run("toy", "USERS")
    with pytest.raises(JobTimeoutError) as info:
        reports.wait(job, timeout=0.3, policy=FAST)
    assert info.value.job.job_id == job.job_id  # type: ignore[attr-defined]
    assert "resume" in str(info.value)


def test_wait_rides_out_transient_poll_failures(
    toy_reports: Reports, toy_sim: ToySimulator
) -> None:
    from reportbridge.testing import Fault

    job = toy_reports.run("toy", "USERS")
    toy_sim.faults.add(
        Fault(path="^/jobs/", method="GET", status=200, body=b"<html>proxy</html>", times=2),
        Fault(path="^/jobs/", method="GET", status=503, times=6),
    )
    assert toy_reports.wait(job, timeout=60, policy=FAST).status is ReportStatus.SUCCEEDED


def test_wait_gives_up_on_persistent_failures(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    from reportbridge import ProviderProtocolError
    from reportbridge.testing import Fault

    job = toy_reports.run("toy", "USERS")
    toy_sim.faults.add(Fault(path="^/jobs/", method="GET", status=200, body=b"{", times=None))
    with pytest.raises(ProviderProtocolError, match="not valid JSON"):
        toy_reports.wait(job, timeout=60, policy=FAST, max_poll_errors=2)
    assert toy_sim.count("GET", "^/jobs/") == 3


def test_failed_job(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, tmp_path: Any
) -> None:
    toy_sim.outcome = "failed"
    reports = make_reports({"toy": toy_sim}, registry=toy_registry)
    done = reports.wait(reports.run("toy", "USERS"), timeout=10, policy=FAST)
    assert done.status is ReportStatus.FAILED
    with pytest.raises(ValidationError) as info:
        reports.fetch(done, tmp_path)
    assert "failed" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("report_type", "params", "needle"),
    [
        ("NOPE", {}, "accepted: AUDIT, USERS"),
        ("AUDIT", {}, "needs parameter 'since'"),
        ("USERS", {"active_only": "maybe"}, "boolean"),
        ("USERS", {"colour": "red"}, "accepted: active_only, label"),
        ("USERS", {"label": "x" * 30}, "at most 20"),
    ],
)
def test_bad_input_refused_before_any_request(
    toy_reports: Reports,
    toy_sim: ToySimulator,
    report_type: str,
    params: dict[str, Any],
    needle: str,
) -> None:
    before = len(toy_sim.requests)
    with pytest.raises(ValidationError) as info:
        toy_reports.run("toy", report_type, **params)
    assert needle in str(info.value)
    assert len(toy_sim.requests) == before


def test_format_not_available(toy_reports: Reports, tmp_path: Any) -> None:
    done = toy_reports.wait(toy_reports.run("toy", "USERS"), timeout=10)
    with pytest.raises(ValidationError) as info:
        toy_reports.fetch(done, tmp_path, format="pdf")
    assert "accepted: csv, json" in str(info.value)


def test_unknown_profile_and_provider(toy_registry: PluginRegistry, toy_reports: Reports) -> None:
    with pytest.raises(ConfigurationError, match="configured profiles: toy"):
        toy_reports.run("nope", "USERS")
    with pytest.raises(ConfigurationError, match="no provider named 'ghost'"):
        Reports.from_profiles({"x": {"provider": "ghost"}}, registry=toy_registry)
    with pytest.raises(ConfigurationError, match="missing required setting"):
        Reports.from_profiles(
            {"x": {"provider": "toy", "base_url": "http://127.0.0.1:1"}}, registry=toy_registry
        )
    with pytest.raises(ConfigurationError, match="unknown setting"):
        Reports.from_profiles(
            {
                "x": {
                    "provider": "toy",
                    "base_url": "http://127.0.0.1:1",
                    "client_id": "a",
                    "client_secret": "b",
                    "colour": 1,
                }
            },
            registry=toy_registry,
        )


def test_client_side_quota(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any
) -> None:
    toy_sim.job_seconds = 60
    reports = make_reports({"toy": toy_sim}, registry=toy_registry, max_active_jobs=2)
    reports.run("toy", "USERS")
    reports.run("toy", "USERS")
    before = toy_sim.count("POST", "^/jobs$")
    with pytest.raises(QuotaExceededError, match="already has 2 unfinished jobs"):
        reports.run("toy", "USERS")
    assert toy_sim.count("POST", "^/jobs$") == before


def test_client_side_quota_holds_across_threads(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any
) -> None:
    toy_sim.job_seconds = 60
    reports = make_reports({"toy": toy_sim}, registry=toy_registry, max_active_jobs=2)
    gate = threading.Barrier(6)
    started: list[str] = []
    refused: list[BaseException] = []

    def start() -> None:
        gate.wait()
        try:
            started.append(reports.run("toy", "USERS").job_id)
        except QuotaExceededError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(started), len(refused)) == (2, 4)
    assert toy_sim.count("POST", "^/jobs$") == 2  # the refused ones sent nothing


def test_run_many_bounded_per_profile(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, tmp_path: Any
) -> None:
    reports = make_reports(
        {"a": toy_sim, "b": toy_sim},
        registry=toy_registry,
        concurrency=2,
        polling={"initial": 0.05, "cap": 0.1, "jitter": 0.0},
    )
    requests = [
        JobRequest(p, "USERS", formats=("csv", "json")) for p in ("a", "b") for _ in range(4)
    ]
    events: list[str] = []
    in_flight = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0}
    lock = threading.Lock()

    def on_event(e: JobEvent) -> None:
        with lock:
            events.append(e.kind)
            p = e.request.profile
            if e.kind == "submitted":
                in_flight[p] += 1
                peak[p] = max(peak[p], in_flight[p])
            elif e.kind == "status" and e.job is not None and e.job.is_terminal:
                in_flight[p] -= 1

    outcomes = list(
        reports.run_many(requests, dest_dir=lambda r: tmp_path / r.profile, on_event=on_event)
    )
    assert peak == {"a": 2, "b": 2}
    assert len(outcomes) == 8
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert all(len(o.files) == 2 for o in outcomes)
    assert len(list((tmp_path / "a").iterdir())) == 8
    assert events.count("submitted") == 8 and events.count("fetched") == 16
    assert toy_sim.count("POST", "^/jobs$") == 8


def test_run_many_resumes_by_reference(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    job = toy_reports.run("toy", "USERS")
    before = toy_sim.count("POST", "^/jobs$")
    (outcome,) = list(toy_reports.run_many([JobRequest("toy", "USERS", ref=job.ref)]))
    assert outcome.ok and outcome.job is not None and outcome.job.job_id == job.job_id
    assert toy_sim.count("POST", "^/jobs$") == before


def test_run_many_reports_errors_per_request(toy_reports: Reports) -> None:
    outcomes = list(toy_reports.run_many([JobRequest("toy", "NOPE"), JobRequest("toy", "USERS")]))
    by_type = {o.request.report_type: o for o in outcomes}
    assert isinstance(by_type["NOPE"].error, ValidationError)
    assert by_type["USERS"].ok
