"""The built-in simulators as Airflow connections, for examples, tests and benchmarks.

>>> with simulator_connections(job_seconds=2) as sims:        # doctest: +SKIP
...     dag.test()              # tasks reach the simulators through rb_<provider>
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from reportbridge.plugins import PluginRegistry, default_registry
from reportbridge.testing.server import Simulator

#: a poll policy that sees the simulators' short jobs end quickly
FAST_POLLING = {"initial": 0.2, "backoff": 1.5, "cap": 1.0}


def connection_json(
    provider: str, settings: Mapping[str, Any], registry: PluginRegistry, **extra: Any
) -> str:
    """An Airflow connection (JSON form) for a profile's settings: the base URL in Host,
    ``client_id`` (or the first key of a key pair) in Login, the provider's secret setting in
    Password, the rest in extra."""
    table = dict(settings)
    secret_fields = [
        a.name for a in attrs.fields(registry.provider(provider).settings_type) if not a.repr
    ]
    conn: dict[str, Any] = {"conn_type": "reportbridge", "host": table.pop("base_url", None)}
    named: dict[str, str] = {}
    if "client_id" in table:
        conn["login"] = table.pop("client_id")
    elif len(secret_fields) == 2 and all(f in table for f in secret_fields):
        # a key pair (Tenable's access and secret keys): Login and Password, named
        conn["login"] = table.pop(secret_fields[0])
        named["login_setting"] = secret_fields[0]
    secret = [f for f in secret_fields if f in table]
    if len(secret) == 1:
        conn["password"] = table.pop(secret[0])
        if len(secret_fields) > 1:
            named["password_setting"] = secret[0]
    conn["extra"] = {"provider": provider, **named, **table, **extra}
    return json.dumps(conn)


@contextlib.contextmanager
def simulator_connections(
    providers: list[str] | None = None,
    *,
    prefix: str = "rb_",
    polling: Mapping[str, float] = FAST_POLLING,
    registry: PluginRegistry | None = None,
    **options: Any,
) -> Iterator[dict[str, Simulator]]:
    """Start the simulators of ``providers`` (default: every installed one that has one)
    and expose each as the Airflow connection ``<prefix><provider>`` (an ``AIRFLOW_CONN_*``
    environment variable of this process and its children) until the block ends."""
    registry = registry or default_registry()
    names = providers or sorted(registry.providers())
    sims: dict[str, Simulator] = {}
    saved: dict[str, str | None] = {}
    try:
        for name in names:
            sim = registry.provider(name).simulator(**options)
            if sim is None:
                continue
            sims[name] = sim.start()
            var = f"AIRFLOW_CONN_{prefix}{name}".upper()
            saved[var] = os.environ.get(var)
            os.environ[var] = connection_json(
                name, sim.profile_settings(), registry, polling=dict(polling)
            )
        yield sims
    finally:
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old
        for sim in sims.values():
            sim.stop()


__all__ = ["FAST_POLLING", "connection_json", "simulator_connections"]
