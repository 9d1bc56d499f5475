from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import pytest

from reportbridge.plugins import PluginRegistry
from reportbridge.testing.server import Simulator
from tests.toy import ToyPlugin, ToySimulator

# A shell that starts the suite as a background job ignores SIGINT, and the CLI processes
# the tests start inherit that: the tests that interrupt them would wait forever. Handled
# here, it is reset to the default in every child.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def toy_plugin() -> ToyPlugin:
    return ToyPlugin()


@pytest.fixture
def toy_registry(toy_plugin: ToyPlugin) -> PluginRegistry:
    registry = PluginRegistry()
    registry.register(toy_plugin, name="toy-tests")
    return registry


@pytest.fixture
def toy_sim(start_simulator: Callable[[Simulator], Simulator]) -> ToySimulator:
    sim = start_simulator(ToySimulator(job_seconds=0.3))
    assert isinstance(sim, ToySimulator)
    return sim


@pytest.fixture
def toy_reports(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Callable[..., Any]
) -> Any:
    return make_reports(
        {"toy": toy_sim},
        registry=toy_registry,
        polling={"initial": 0.05, "backoff": 1.3, "cap": 0.2, "jitter": 0.0},
    )


@pytest.fixture
def parts_registry() -> PluginRegistry:
    """The test vendors with results in parts: chunked exports and paged query results."""
    from tests.toy_chunked import ChunkyPlugin
    from tests.toy_paged import PageyPlugin

    registry = PluginRegistry()
    registry.register(ChunkyPlugin(), name="chunky-tests")
    registry.register(PageyPlugin(), name="pagey-tests")
    return registry


@pytest.fixture
def parts_vendor(
    start_simulator: Callable[[Simulator], Simulator],
    make_reports: Callable[..., Any],
    parts_registry: PluginRegistry,
) -> Callable[..., tuple[Any, Any]]:
    """``make(SimulatorClass, **options)``: that test vendor's simulator, started, and a
    ``Reports`` with one profile on it, named after the vendor, polling fast."""

    def make(kind: type[Simulator], **options: Any) -> tuple[Any, Any]:
        sim = start_simulator(kind(**options))
        polling = {"initial": 0.05, "backoff": 1.2, "cap": 0.1, "jitter": 0.0}
        return sim, make_reports({sim.name: sim}, registry=parts_registry, polling=polling)

    return make
