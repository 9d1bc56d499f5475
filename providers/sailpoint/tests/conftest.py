"""Fixtures of the SailPoint provider tests: a simulator and a façade over it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reportbridge.facade import Reports
from reportbridge.polling import PollPolicy
from reportbridge.testing.server import Simulator
from reportbridge_sailpoint.simulator import SailPointSimulator

FAST = PollPolicy(initial=0.02, backoff=1.3, cap=0.1, jitter=0.0)
ACCOUNTS = {"application": "2c9180897e7742b2017e781782f705b9", "sourceName": "Active Directory"}

MakeSim = Callable[..., SailPointSimulator]
MakeReports = Callable[..., Reports]


@pytest.fixture
def make_sim(start_simulator: Callable[[Simulator], Simulator]) -> MakeSim:
    """A started simulator; fast jobs unless told otherwise."""

    def make(**options: Any) -> SailPointSimulator:
        options.setdefault("job_seconds", 0.1)
        sim = start_simulator(SailPointSimulator(**options))
        assert isinstance(sim, SailPointSimulator)
        return sim

    return make


@pytest.fixture
def sim(make_sim: MakeSim) -> SailPointSimulator:
    return make_sim()


@pytest.fixture
def sp_reports(make_reports: Callable[..., Reports]) -> MakeReports:
    """A façade with one profile ``sp`` on ``sim``; keyword settings override the profile."""

    def make(sim: SailPointSimulator, **settings: Any) -> Reports:
        table = {
            "provider": "sailpoint",
            **sim.profile_settings(),
            "polling": {"initial": 0.02, "backoff": 1.3, "cap": 0.1, "jitter": 0.0},
            **settings,
        }
        return make_reports({"sp": table})

    return make


@pytest.fixture
def reports(sim: SailPointSimulator, sp_reports: MakeReports) -> Reports:
    return sp_reports(sim)
