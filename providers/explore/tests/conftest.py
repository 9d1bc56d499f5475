"""Fixtures for the explore provider tests: a simulator factory and a façade over it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from explore_testkit import FAST_PROFILE

from reportbridge.facade import Reports
from reportbridge.testing import Simulator
from reportbridge_explore.simulator import ExploreSimulator


@pytest.fixture
def explore_sim(
    start_simulator: Callable[[Simulator], Simulator],
) -> Callable[..., ExploreSimulator]:
    """Start an explore simulator with the given switches (fast jobs by default)."""

    def make(**options: Any) -> ExploreSimulator:
        options.setdefault("job_seconds", 0.1)
        options.setdefault("file_size", 3000)
        sim = start_simulator(ExploreSimulator(**options))
        assert isinstance(sim, ExploreSimulator)
        return sim

    return make


@pytest.fixture
def explore_reports(make_reports: Callable[..., Reports]) -> Callable[..., Reports]:
    """A façade with one profile "tx" on ``sim``; keyword arguments are profile settings."""

    def make(sim: ExploreSimulator, **settings: Any) -> Reports:
        table = {"provider": "explore", **sim.profile_settings(), **FAST_PROFILE, **settings}
        return make_reports({"tx": table})

    return make


@pytest.fixture
def sim(explore_sim: Callable[..., ExploreSimulator]) -> ExploreSimulator:
    return explore_sim()


@pytest.fixture
def reports(sim: ExploreSimulator, explore_reports: Callable[..., Reports]) -> Reports:
    return explore_reports(sim)
