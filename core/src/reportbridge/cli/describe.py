"""Providers and capabilities as plain data (for `providers --json`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cattrs

from reportbridge.plugins import PluginRegistry, default_registry, distribution_of

_conv = cattrs.Converter()
# JSON-ready forms of date-time parameter rules: instants in ISO 8601, spans in seconds
_conv.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())
_conv.register_unstructure_hook(dt.timedelta, lambda value: value.total_seconds())


def describe_providers(registry: PluginRegistry | None = None) -> list[dict[str, Any]]:
    registry = registry or default_registry()
    rows = []
    for name, provider in sorted(registry.providers().items()):
        caps = provider.capabilities()
        data: dict[str, Any] = _conv.unstructure(caps)
        dist = distribution_of(provider)
        rows.append(
            {
                "name": name,
                "display_name": provider.display_name,
                "distribution": dist.name if dist else None,
                "distribution_version": dist.version if dist else None,
                "max_active_jobs": provider.default_max_active_jobs,
                "rate_limit": _conv.unstructure(provider.default_rate_limit),
                **data,
            }
        )
    return rows
