"""Pieces of the operators that need no DAG run: the sensor's poke, verified uploads, on_kill."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath, PokeReturnValue

from reportbridge.model import FetchedFile
from reportbridge_airflow.events import ReportJobError
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.operators import RunReportOperator
from reportbridge_airflow.sensors import ReportSensor
from reportbridge_airflow.storage import upload_verified

CALLS = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00", "format": "csv"}


def submit(conn_id: str, report_type: str, **params: Any) -> str:
    with ReportBridgeHook(conn_id).get_conn() as reports:
        (profile,) = reports.profiles
        return reports.run(profile, report_type, **params).ref


def poke_until_done(sensor: ReportSensor, limit: float = 30) -> Any:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = sensor.poke({})  # type: ignore[arg-type]
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the job never ended")


def test_sensor_poke_succeeds_only_with_files(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    slow = provider_simulator("explore", job_seconds=3600)
    running = submit(connections("rb_slow", slow), "calls", **CALLS)
    waiting = ReportSensor(
        task_id="s", ref=running, reportbridge_conn_id="rb_slow", deferrable=False
    )
    assert waiting.poke({}) is False  # type: ignore[arg-type]  # an hour-long job
    sim = provider_simulator("explore", job_seconds=0.6)
    ref = submit(connections("rb_explore", sim), "calls", **CALLS)
    sensor = ReportSensor(task_id="s", ref=ref, reportbridge_conn_id="rb_explore", deferrable=False)
    done = poke_until_done(sensor)
    assert isinstance(done, PokeReturnValue)
    assert done.xcom_value["status"] == "succeeded"


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_sensor_poke_fails_a_job_that_ended_without_files(
    provider_simulator: Callable[..., Any], connections: Any, outcome: str
) -> None:
    sim = provider_simulator("explore", job_seconds=0.6 if outcome == "failed" else 600)
    if outcome == "failed":
        sim.outcome = "failed"
    ref = submit(connections("rb_explore", sim), "calls", **CALLS)
    if outcome == "cancelled":
        with ReportBridgeHook("rb_explore").get_conn() as reports:
            reports.cancel(ref)
    sensor = ReportSensor(task_id="s", ref=ref, reportbridge_conn_id="rb_explore", deferrable=False)
    with pytest.raises(ReportJobError, match=f"ended {outcome}"):
        poke_until_done(sensor)


def test_sensor_poke_fails_clearly_on_an_unknown_status(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    from reportbridge.testing import Fault

    sim = provider_simulator("sailpoint", job_seconds=60)
    ref = submit(connections("rb_sp", sim), "IDENTITIES", correlatedOnly=True)
    method, path, _ = sim.fault_paths["poll"]
    sim.faults.add(Fault(path=path, method=method, status=200, body=sim.unknown_status_body()))
    sensor = ReportSensor(task_id="s", ref=ref, reportbridge_conn_id="rb_sp", deferrable=False)
    with pytest.raises(ReportJobError, match="UnknownStatusError"):
        sensor.poke({})  # type: ignore[arg-type]


def test_on_kill_cancels_the_job_being_waited_for(
    provider_simulator: Callable[..., Any], connections: Any
) -> None:
    sim = provider_simulator("explore", job_seconds=600)
    ref = submit(connections("rb_explore", sim), "calls", **CALLS)
    op = RunReportOperator(task_id="t", ref=ref, reportbridge_conn_id="rb_explore")
    op._current_ref = ref  # as execute() sets it while waiting
    op.on_kill()
    with ReportBridgeHook("rb_explore").get_conn() as reports:
        assert reports.poll(ref).status.value == "cancelled"


def fetched_file(path: Path, data: bytes, sha256: str | None = None) -> FetchedFile:
    path.write_bytes(data)
    return FetchedFile(
        path=path,
        size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        content_type="text/csv",
        format="csv",
        job_ref="rb1.x",
    )


def test_upload_is_read_back_and_verified(tmp_path: Path) -> None:
    src = fetched_file(tmp_path / "r.csv", b"a,b\n1,2\n" * 1000)
    target = ObjectStoragePath(f"file://{tmp_path}/store/r.csv")
    assert upload_verified(src, target) == str(target)
    assert (tmp_path / "store" / "r.csv").read_bytes() == src.path.read_bytes()


def test_an_upload_that_does_not_match_is_removed(tmp_path: Path) -> None:
    # the file on disk is not what the vendor's stream hashed to (a damaged local copy)
    src = fetched_file(tmp_path / "r.csv", b"a,b\n", sha256="0" * 64)
    target = ObjectStoragePath(f"file://{tmp_path}/store/r.csv")
    with pytest.raises(ReportJobError, match="does not match what the vendor sent"):
        upload_verified(src, target)
    assert not (tmp_path / "store" / "r.csv").exists()


def test_operator_needs_a_report_type_or_a_reference() -> None:
    with pytest.raises(ValueError, match="give report_type"):
        RunReportOperator(task_id="t")


@pytest.mark.parametrize("accept", [True, False])
def test_a_partial_export_on_the_worker(
    provider_simulator: Callable[..., Any], connections: Any, tmp_path: Path, accept: bool
) -> None:
    sim = provider_simulator("tenable", job_seconds=0.5, chunks=3, failed_chunks=(2,))
    ref = submit(connections("rb_tenable", sim), "vulns", severity=["high"])
    op = RunReportOperator(
        task_id="t",
        ref=ref,
        reportbridge_conn_id="rb_tenable",
        destination=str(tmp_path),
        deferrable=False,
        accept_partial=accept,
    )
    if not accept:
        with pytest.raises(ReportJobError, match="ended partial"):
            op.poll_until_complete(ref, {})  # type: ignore[arg-type]
        assert not list(tmp_path.iterdir())
        return
    result = op.poll_until_complete(ref, {})  # type: ignore[arg-type]
    assert result["status"] == "partial" and len(result["failed_parts"]) == 1
    assert sorted(f["part"] for f in result["files"]) == ["1", "3"]
    for f in result["files"]:
        body = Path(f["path"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
