"""The shared provider contract, against the simulator's default and switched behaviour."""

from __future__ import annotations

from typing import Any, ClassVar

from reportbridge.testing.contract import ProviderContract

JANUARY = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00"}


class TestExploreContract(ProviderContract):
    provider_name = "explore"
    report_type = "calls"
    params: ClassVar[dict[str, Any]] = {**JANUARY, "format": "csv"}
    fetch_format = "csv"


class TestExploreContractVendorVariants(ProviderContract):
    """Undocumented details switched the other way: flat run body, 300, absolute Location."""

    provider_name = "explore"
    report_type = "contacts"
    params: ClassVar[dict[str, Any]] = {**JANUARY, "timezone": "Europe/Lisbon"}
    fetch_format = None
    bad_params: ClassVar[dict[str, Any]] = {"to": "2025-03-15T00:00:00"}
    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.3,
        "file_size": 4096,
        "run_body": "flat",
        "poll_redirect_status": 300,
        "location": "absolute",
        "files_redirect_status": 303,
    }
