"""Fixtures for the Acme tests: a simulator factory and a façade over it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reportbridge.testing import Simulator
from reportbridge_acme.simulator import AcmeSimulator

FAST = {"initial": 0.05, "backoff": 1.2, "cap": 0.2, "jitter": 0.0}


@pytest.fixture
def acme_sim(start_simulator: Callable[[Simulator], Simulator]) -> Callable[..., AcmeSimulator]:
    """Start an Acme simulator with the given options (short exports by default)."""

    def make(**options: Any) -> AcmeSimulator:
        options.setdefault("job_seconds", 0.3)
        options.setdefault("file_size", 2000)
        sim = start_simulator(AcmeSimulator(**options))
        assert isinstance(sim, AcmeSimulator)
        return sim

    return make


@pytest.fixture
def acme(acme_sim: Callable[..., AcmeSimulator], make_reports: Callable[..., Any]) -> Any:
    """``make(**simulator_options)`` -> (simulator, Reports with an "acme" profile on it)."""

    def make(**options: Any) -> tuple[AcmeSimulator, Any]:
        sim = acme_sim(**options)
        return sim, make_reports({"acme": sim}, polling=FAST)

    return make
