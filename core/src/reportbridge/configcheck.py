"""``reportbridge config check``: does each profile work, and if not, what fails?

For every profile of a config file, in order: its ``${...}`` references are resolved
(values never shown), its settings are read, and its provider's
:meth:`~reportbridge.provider.ProviderSession.check` reaches the vendor with the
cheapest requests it has (a token, one listing) — once each, without retries, within a
hard deadline. Every profile is checked even when another fails; nothing is started at
the vendor and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import reportbridge.transport.deadline as deadline
from reportbridge.checks import CheckStep
from reportbridge.config import build_profile, resolve_table
from reportbridge.errors import ConfigurationError, ReportBridgeError, accepted
from reportbridge.errortext import one_line
from reportbridge.events import HttpExchange
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge.secrets import count_references
from reportbridge.transport.proxy import proxy_rules
from reportbridge.transport.urls import parse_origin


@attrs.frozen
class ProfileCheck:
    """What was found for one profile (never a secret: errors are redacted)."""

    profile: str
    provider: str | None
    secrets: str  # "ok (N)", "none" or "failed"
    proxy: str = "-"
    steps: tuple[CheckStep, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(step.ok for step in self.steps)

    def step(self, name: str) -> CheckStep | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def latency_ms(self) -> float | None:
        if not self.steps:
            return None
        return round(sum(s.elapsed for s in self.steps) * 1000, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "provider": self.provider,
            "ok": self.ok,
            "secrets": self.secrets,
            "proxy": self.proxy,
            "steps": [attrs.asdict(s) for s in self.steps],
            "latency_ms": self.latency_ms,
            "error": self.error or _first_error(self.steps),
        }


def check_profiles(
    tables: Mapping[str, Any],
    *,
    registry: PluginRegistry,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    only: Sequence[str] = (),
    timeout: float = 30.0,
) -> list[ProfileCheck]:
    """Check the profiles of ``tables`` (all, or those named in ``only``)."""
    unknown = sorted(set(only) - set(tables))
    if unknown:
        raise ConfigurationError(
            f"no profile named {', '.join(unknown)}; configured profiles: {accepted(tables)}"
        )
    names = list(only) if only else list(tables)
    return [
        _check(name, tables[name], registry, base_dir=base_dir, env=env, timeout=timeout)
        for name in names
    ]


def _check(
    name: str,
    table: Any,
    registry: PluginRegistry,
    *,
    base_dir: Path | None,
    env: Mapping[str, str] | None,
    timeout: float,
) -> ProfileCheck:
    provider = table.get("provider") if isinstance(table, Mapping) else None
    provider = provider if isinstance(provider, str) else None
    refs = count_references(table)
    try:
        resolved = resolve_table(
            name, table, env=env, base_dir=base_dir, resolvers=registry.secret_resolvers
        )
    except ConfigurationError as exc:
        return ProfileCheck(name, provider, "failed", error=exc.message)
    secrets = f"ok ({refs})" if refs else "none"
    try:
        profile = build_profile(name, resolved)
        # one try for each request: a check says how things stand, it does not insist
        retry = attrs.evolve(profile.transport.retry, max_attempts=1)
        profile = attrs.evolve(profile, transport=attrs.evolve(profile.transport, retry=retry))
        reports = Reports([profile], registry=registry)
    except ConfigurationError as exc:
        return ProfileCheck(name, provider, secrets, error=exc.message)
    seen: list[HttpExchange] = []
    try:
        ctx = attrs.evolve(reports.context(name), observer=seen.append)
        session = reports.provider_for(name).connect(ctx)
        try:
            with deadline.deadline_after(timeout):
                steps = tuple(session.check())
        finally:
            session.close()
    except ReportBridgeError as exc:
        return ProfileCheck(name, provider, secrets, _proxy(profile, seen), error=one_line(exc))
    finally:
        reports.close()
    error = None if steps else "the provider has no check (nothing was sent)"
    return ProfileCheck(name, profile.provider, secrets, _proxy(profile, seen), steps, error)


def _proxy(profile: Any, seen: Sequence[HttpExchange]) -> str:
    """The proxy the profile's first request went through, in words."""
    if not seen:
        return "-"
    rules = proxy_rules(profile.transport.proxy, profile.transport.no_proxy)  # as the client
    return rules.describe(parse_origin(seen[0].origin))


def _first_error(steps: Sequence[CheckStep]) -> str | None:
    return next((f"{s.name}: {s.error}" for s in steps if not s.ok), None)


__all__ = ["ProfileCheck", "check_profiles"]
