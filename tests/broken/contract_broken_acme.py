"""The shared contract on the deliberately broken provider (run by a child pytest only:
the file name keeps it out of the normal collection)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from reportbridge.plugins import PluginRegistry
from reportbridge.testing.contract import ProviderContract
from reportbridge.testing.server import Simulator
from tests.broken.broken_acme import NAME, BrokenPlugin


class TestBrokenAcmeContract(ProviderContract):
    provider_name = NAME
    report_type = "users"
    params: ClassVar[dict[str, Any]] = {"status": "active"}
    fetch_format = "csv"
    bad_params: ClassVar[dict[str, Any]] = {"status": "retired"}

    @pytest.fixture
    def registry(self) -> PluginRegistry:
        registry = PluginRegistry()
        registry.register(BrokenPlugin(), name="broken-acme-tests")
        return registry


class TestAcmeWithoutRetries(ProviderContract):
    """The sound Acme plugin on a profile whose client never tries again: what a plugin
    that bypasses ``ctx.http`` (or turns a 429 into an error itself) looks like."""

    provider_name = "acme"
    report_type = "users"
    params: ClassVar[dict[str, Any]] = {"status": "active"}
    fetch_format = "csv"

    def profiles(self, simulator: Simulator) -> dict[str, dict[str, Any]]:
        profiles = super().profiles(simulator)
        profiles["contract"]["transport"] = {"max_attempts": 1}
        return profiles
