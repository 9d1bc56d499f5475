"""Fixtures for the tenable provider tests: a simulator factory and a façade over it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tenable_testkit import FAST_PROFILE

from reportbridge.facade import Reports
from reportbridge.testing import Simulator
from reportbridge_tenable.simulator import TenableSimulator


@pytest.fixture
def tenable_sim(
    start_simulator: Callable[[Simulator], Simulator],
) -> Callable[..., TenableSimulator]:
    """Start a tenable simulator with the given switches (fast exports by default)."""

    def make(**options: Any) -> TenableSimulator:
        options.setdefault("job_seconds", 0.3)
        options.setdefault("file_size", 3000)
        sim = start_simulator(TenableSimulator(**options))
        assert isinstance(sim, TenableSimulator)
        return sim

    return make


@pytest.fixture
def tenable_reports(make_reports: Callable[..., Reports]) -> Callable[..., Reports]:
    """A façade with one profile "tv" on ``sim``; keyword arguments are profile settings."""

    def make(sim: TenableSimulator, **settings: Any) -> Reports:
        table = {"provider": "tenable", **sim.profile_settings(), **FAST_PROFILE, **settings}
        return make_reports({"tv": table})

    return make


@pytest.fixture
def sim(tenable_sim: Callable[..., TenableSimulator]) -> TenableSimulator:
    return tenable_sim()


@pytest.fixture
def reports(sim: TenableSimulator, tenable_reports: Callable[..., Reports]) -> Reports:
    return tenable_reports(sim)
