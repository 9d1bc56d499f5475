"""Export requests are checked before anything is sent, and sent as the vendor wants them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from tenable_testkit import NEW_YEAR

from reportbridge import Reports, ValidationError
from reportbridge_tenable.simulator import TenableSimulator

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("vulns", {"num_assets": 49}, "num_assets"),
    ("vulns", {"num_assets": 5001}, "num_assets"),
    ("vulns", {"num_assets": "many"}, "num_assets"),
    ("vulns", {"since": NEW_YEAR, "last_found": NEW_YEAR}, "since"),
    ("vulns", {"since": NEW_YEAR, "first_seen": NEW_YEAR}, "since"),
    ("vulns", {"last_found": NEW_YEAR}, "state"),
    ("vulns", {"last_fixed": NEW_YEAR, "severity": ["high"]}, "state"),
    ("vulns", {"severity": ["urgent"]}, "severity"),
    ("vulns", {"severity": []}, "severity"),
    ("vulns", {"state": "open,closed"}, "state"),
    ("vulns", {"since": NEW_YEAR * 1000}, "since"),
    ("vulns", {"since": -1}, "since"),
    ("vulns", {"since": "last tuesday"}, "since"),
    ("vulns", {"cve_id": ["CVE-24-1"]}, "cve_id"),
    ("vulns", {"cve_id": [f"CVE-2024-{n:05d}" for n in range(201)]}, "cve_id"),
    ("vulns", {"plugin_id": "19506,abc"}, "plugin_id"),
    ("vulns", {"cidr_range": "10.0.0.0/33"}, "cidr_range"),
    ("vulns", {"network_id": "../../admin"}, "network_id"),
    ("vulns", {"tags": {"Location": []}}, "tags"),
    ("vulns", {"tags": ["Location"]}, "tags"),
    ("vulns", {"chunk_size": 100}, "chunk_size"),
    ("assets", {"chunk_size": 99}, "chunk_size"),
    ("assets", {"chunk_size": 10001}, "chunk_size"),
    ("assets", {"chunk_size": 2000, "include_resource_tags": True}, "chunk_size"),
    ("assets", {"num_assets": 100}, "num_assets"),
    ("assets", {"updated_at": "yesterday"}, "updated_at"),
    ("assets", {"is_licensed": "maybe"}, "is_licensed"),
    ("SCANS", {}, "report_type"),
    ("vulns/../scans", {}, "report_type"),
]


@pytest.mark.parametrize(("kind", "params", "field"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_refused_before_any_request(
    reports: Reports, sim: TenableSimulator, kind: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        reports.run("tv", kind, **params)
    assert info.value.field == field
    assert "tenable" in str(info.value)
    assert sim.requests == []


def test_a_kind_outside_the_profiles_export_kinds_is_refused_before_sending(
    tenable_sim: Callable[..., TenableSimulator], tenable_reports: Callable[..., Reports]
) -> None:
    sim = tenable_sim()
    reports = tenable_reports(sim, export_kinds=["vulns"])
    with pytest.raises(ValidationError) as info:
        reports.run("tv", "assets")
    assert "export_kinds" in str(info.value)
    assert sim.requests == []


def test_values_are_normalised_and_nested_as_the_vendor_wants(
    reports: Reports, sim: TenableSimulator
) -> None:
    job = reports.run(
        "tv",
        "vulns",
        num_assets=500,
        severity="HIGH,Critical",
        state=["open"],
        last_found="2025-01-01T00:00:00Z",
        plugin_id="19506, 10180",
        cidr_range="10.1.2.3/16",
        tags={"Location": "Dallas", "Business Unit": ["IT", "HR"]},
    )
    assert job.params["severity"] == ["high", "critical"]
    assert job.params["last_found"] == NEW_YEAR
    (export,) = sim.exports.values()
    assert export.body == {
        "num_assets": 500,
        "filters": {
            "severity": ["high", "critical"],
            "state": ["OPEN"],
            "last_found": NEW_YEAR,
            "plugin_id": [19506, 10180],
            "cidr_range": "10.1.0.0/16",
            "tag.Location": ["Dallas"],
            "tag.Business Unit": ["IT", "HR"],
        },
    }


def test_a_datetime_is_sent_as_unix_seconds(reports: Reports, sim: TenableSimulator) -> None:
    when = dt.datetime(2025, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    reports.run("tv", "assets", updated_at=when, is_licensed="true")
    (export,) = sim.exports.values()
    assert export.body == {
        "chunk_size": 1000,  # the vendor requires it; ours is pyTenable's default
        "filters": {"updated_at": NEW_YEAR, "is_licensed": True},
    }


def test_without_a_time_filter_the_job_warns_of_the_30_day_window(reports: Reports) -> None:
    unfiltered = reports.run("tv", "vulns", severity=["critical"])
    assert any("last 30 days" in w for w in unfiltered.warnings)
    filtered = reports.run("tv", "vulns", severity=["high"], since=NEW_YEAR)
    assert not any("30 days" in w for w in filtered.warnings)


def test_a_status_listing_millions_of_chunks_is_refused_not_held(
    reports: Reports, sim: TenableSimulator
) -> None:
    """A status answer under the body cap can still list more chunk numbers than any
    export has (7 bytes each: a million in 7 MB); it is refused before parts are built."""
    import json
    import tracemalloc

    from reportbridge.errors import ProviderProtocolError
    from reportbridge.model import MAX_PARTS
    from reportbridge.testing import Fault

    job = reports.run("tv", "vulns", num_assets=500)
    chunks = list(range(1, 2 * MAX_PARTS + 1))
    body = json.dumps({"status": "PROCESSING", "chunks_available": chunks}).encode()
    assert len(body) < 8 * 1024 * 1024  # under the API body cap: the cap alone cannot stop it
    method, path, _ = sim.fault_paths["poll"]
    sim.faults.add(Fault(path=path, method=method, status=200, body=body))
    tracemalloc.start()
    try:
        with pytest.raises(ProviderProtocolError, match="chunks_available lists 200,000 chunks"):
            reports.poll(job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held for one status answer"
