"""Providers and capabilities as plain data (for `providers --json`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cattrs

from reportbridge.plugins import PluginRegistry, default_registry, distribution_of

_conv = cattrs.Converter()
_conv.register_unstructure_hook(dt.timedelta, lambda d: d.total_seconds())  # max_window


def describe_providers(registry: PluginRegistry | None = None) -> list[dict[str, Any]]:
    registry = registry or default_registry()
    rows = []
    for name, provider in sorted(registry.providers().items()):
        caps = provider.capabilities()
        data: dict[str, Any] = _conv.unstructure(caps)
        rows.append(
            {
                "name": name,
                "display_name": provider.display_name,
                "distribution": distribution_of(provider),
                "max_active_jobs": provider.default_max_active_jobs,
                "rate_limit": _conv.unstructure(provider.default_rate_limit),
                **data,
            }
        )
    return rows
