"""The shared provider contract, once per form of the API path."""

from __future__ import annotations

from typing import Any, ClassVar

from reportbridge.testing.contract import ProviderContract
from reportbridge.testing.server import Simulator

ACCOUNTS = {"application": "2c9180897e7742b2017e781782f705b9", "sourceName": "Active Directory"}


class TestContractV3(ProviderContract):
    provider_name = "sailpoint"
    report_type = "ACCOUNTS"
    params = ACCOUNTS
    fetch_format = "csv"
    simulator_options: ClassVar[dict[str, Any]] = {"job_seconds": 0.2, "file_size": 4096}
    api_version: ClassVar[str | None] = None

    def profiles(self, simulator: Simulator) -> dict[str, dict[str, Any]]:
        profiles = super().profiles(simulator)
        if self.api_version is not None:
            profiles["contract"]["api_version"] = self.api_version
        return profiles


class TestContractV2025(TestContractV3):
    api_version = "v2025"
    fetch_format = "pdf"


class TestContractPerServiceVersion(TestContractV3):
    api_version = "reports/v1"
