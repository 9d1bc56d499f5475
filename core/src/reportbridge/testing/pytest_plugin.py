"""pytest fixtures for reportbridge and its plugins (entry point ``pytest11``).

- ``start_simulator(sim)``: start a simulator for this test, stopped afterwards.
- ``provider_simulator(name, **options)``: start an installed provider's simulator.
- ``make_reports(profiles)``: a :class:`~reportbridge.Reports` over profiles given as
  ``{"name": {"provider": ..., **settings}}`` (or simulators), closed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from reportbridge.plugins import PluginRegistry
from reportbridge.testing.server import Simulator


@pytest.fixture
def rb_registry() -> PluginRegistry:
    """A fresh registry with the installed plugins (register test plugins on it freely)."""
    return PluginRegistry()


@pytest.fixture
def start_simulator() -> Iterator[Callable[[Simulator], Simulator]]:
    started: list[Simulator] = []

    def start(sim: Simulator) -> Simulator:
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in reversed(started):
        sim.stop()


@pytest.fixture
def provider_simulator(
    rb_registry: PluginRegistry, start_simulator: Callable[[Simulator], Simulator]
) -> Callable[..., Simulator]:
    def make(name: str, **options: Any) -> Simulator:
        sim = rb_registry.provider(name).simulator(**options)
        if sim is None:
            pytest.skip(f"provider {name!r} ships no simulator")
        return start_simulator(sim)

    return make


@pytest.fixture
def make_reports(rb_registry: PluginRegistry) -> Iterator[Callable[..., Any]]:
    from reportbridge.facade import Reports

    made: list[Reports] = []

    def make(
        profiles: Mapping[str, Mapping[str, Any] | Simulator],
        *,
        registry: PluginRegistry | None = None,
        **common: Any,
    ) -> Reports:
        tables: dict[str, Mapping[str, Any]] = {}
        for name, value in profiles.items():
            if isinstance(value, Simulator):
                table = {"provider": value.name, **value.profile_settings(), **common}
            else:
                table = {**value, **common}
            tables[name] = table
        reports = Reports.from_profiles(tables, registry=registry or rb_registry)
        made.append(reports)
        return reports

    yield make
    for reports in made:
        reports.close()
