"""The shared provider contract, against the simulator's documented and switched behaviour."""

from __future__ import annotations

from typing import Any, ClassVar

from reportbridge.testing.contract import ProviderContract

NEW_YEAR = 1_735_689_600


class TestTenableContract(ProviderContract):
    provider_name = "tenable"
    report_type = "vulns"
    params: ClassVar[dict[str, Any]] = {"severity": ["high", "critical"], "since": NEW_YEAR}
    fetch_format = "json"
    bad_params: ClassVar[dict[str, Any]] = {"num_assets": 10}


class TestTenableContractAssetsUndocumentedSwitched(ProviderContract):
    """Assets, with what the docs leave open switched the other way: a bare status body,
    Range support, no Content-Length, one chunk."""

    provider_name = "tenable"
    report_type = "assets"
    params: ClassVar[dict[str, Any]] = {"chunk_size": 500, "updated_at": "2025-01-01T00:00:00Z"}
    fetch_format = None
    bad_params: ClassVar[dict[str, Any]] = {"chunk_size": 5000, "include_resource_tags": True}
    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.3,
        "file_size": 4096,
        "chunks": 1,
        "minimal_status": True,
        "ranges": True,
        "content_length": False,
    }


class TestTenableContractManyChunksInOrder(ProviderContract):
    provider_name = "tenable"
    report_type = "vulns"
    params: ClassVar[dict[str, Any]] = {"state": ["FIXED"], "last_fixed": NEW_YEAR}
    fetch_format = "json"
    bad_params: ClassVar[dict[str, Any]] = {"last_fixed": NEW_YEAR * 1000}
    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.4,
        "file_size": 1024,
        "chunks": 7,
        "out_of_order": False,
        "empty_chunks": (3,),
    }
