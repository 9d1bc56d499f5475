"""The shared provider contract, against each REST style and state encoding of the simulator."""

from __future__ import annotations

from typing import Any, ClassVar

from reportbridge.testing.contract import ProviderContract


class TestSpaceoneContract(ProviderContract):
    provider_name = "spaceone"
    report_type = "template-1a2b3c4d5e6f"
    params: ClassVar[dict[str, Any]] = {
        "name": "Contract run",
        "template_options": {"month": "2025-02"},
    }
    fetch_format = None  # the template decides; the job names it once finished
    simulator_options: ClassVar[dict[str, Any]] = {"job_seconds": 0.2, "file_size": 4096}


class TestSpaceoneGatewayContract(TestSpaceoneContract):
    """The console API gateway style (``POST /report/report/{verb}``)."""

    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.2,
        "file_size": 4096,
        "api_style": "gateway",
    }


class TestSpaceoneNumericStatesContract(TestSpaceoneContract):
    """A gateway emitting enum numbers, and a state sent even when CREATED."""

    report_type = "template-0c5a7e9b2d41"
    fetch_format = "csv"
    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.2,
        "file_size": 70_000,
        "numeric_states": True,
        "omit_created_state": False,
        "storage_path_extension": False,
    }
