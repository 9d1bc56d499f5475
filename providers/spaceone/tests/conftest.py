"""Fixtures of the spaceone provider tests: a started simulator and a façade over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from spaceone_testkit import TRANSPORT

from reportbridge.config import parse_profile
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge.testing.server import Simulator
from reportbridge_spaceone.simulator import SpaceoneSimulator


@pytest.fixture
def spaceone_sim(
    start_simulator: Callable[[Simulator], Simulator],
) -> Callable[..., SpaceoneSimulator]:
    """``spaceone_sim(**options)`` starts a simulator for this test."""

    def start(**options: Any) -> SpaceoneSimulator:
        options.setdefault("job_seconds", 0.2)
        sim = start_simulator(SpaceoneSimulator(**options))
        assert isinstance(sim, SpaceoneSimulator)
        return sim

    return start


@pytest.fixture
def sim(spaceone_sim: Callable[..., SpaceoneSimulator]) -> SpaceoneSimulator:
    return spaceone_sim()


@pytest.fixture
def make_spaceone(rb_registry: PluginRegistry) -> Iterator[Callable[..., Reports]]:
    """``make_spaceone(sim, **settings)``: a façade with profile "so" on ``sim``.

    Settings given as None are left out of the profile. The façade never sleeps
    between download attempts, so fault tests stay fast.
    """
    made: list[Reports] = []

    def make(simulator: SpaceoneSimulator, **settings: Any) -> Reports:
        table = {"provider": "spaceone", **simulator.profile_settings(), **settings}
        table = {k: v for k, v in table.items() if v is not None}
        table.setdefault("transport", TRANSPORT)
        reports = Reports([parse_profile("so", table)], registry=rb_registry, sleep=lambda _s: None)
        made.append(reports)
        return reports

    yield make
    for reports in made:
        reports.close()


@pytest.fixture
def reports(sim: SpaceoneSimulator, make_spaceone: Callable[..., Reports]) -> Reports:
    return make_spaceone(sim)
