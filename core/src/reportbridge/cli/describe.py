"""Providers and capabilities as plain data (for `providers --json`).

A provider that fails to describe itself, and every plugin set aside while loading,
is listed as a row with ``broken: true``, its distribution, version and a one-line
error: `providers` shows what is wrong instead of failing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import cattrs

from reportbridge.errortext import one_line
from reportbridge.plugins import BrokenPlugin, PluginRegistry, default_registry, distribution_of
from reportbridge.provider import Provider

_conv = cattrs.Converter()
# JSON-ready forms of date-time parameter rules: instants in ISO 8601, spans in seconds
_conv.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())
_conv.register_unstructure_hook(dt.timedelta, lambda value: value.total_seconds())


def describe_providers(registry: PluginRegistry | None = None) -> list[dict[str, Any]]:
    registry = registry or default_registry()
    rows = []
    for name, provider in sorted(registry.providers().items()):
        dist, version = registry.source_of(name)
        if dist is None and (found := distribution_of(provider)) is not None:
            dist, version = found.name, found.version
        try:
            rows.append(_describe(name, provider, dist, version))
        except Exception as exc:
            error = f"describing it failed: {one_line(exc)}"
            rows.append(broken_row(BrokenPlugin(name, dist, version, error)))
    rows += [broken_row(b) for b in registry.broken()]
    return rows


def _describe(
    name: str, provider: Provider, dist: str | None, version: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = _conv.unstructure(provider.capabilities())
    return {
        "name": name,
        "broken": False,
        "display_name": provider.display_name,
        "distribution": dist,
        "distribution_version": version,
        "max_active_jobs": provider.default_max_active_jobs,
        "rate_limit": _conv.unstructure(provider.default_rate_limit),
        **data,
    }


def broken_row(plugin: BrokenPlugin) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "broken": True,
        "distribution": plugin.distribution,
        "distribution_version": plugin.version,
        "error": plugin.error,
    }
