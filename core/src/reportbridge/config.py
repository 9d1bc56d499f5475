"""Profiles from a TOML file (or from code).

```toml
[profiles.prod-sailpoint]
provider = "sailpoint"               # which plugin
base_url = "https://acme.api.identitynow.com"
client_id = "${SAILPOINT_CLIENT_ID}" # ${VAR} or ${VAR:-default} read from the environment
client_secret = "${SAILPOINT_CLIENT_SECRET}"
concurrency = 4                      # jobs driven at once by run_many/audit (default 4)
max_active_jobs = 10                 # client-side cap on unfinished jobs (default: provider's)

[profiles.prod-sailpoint.transport]  # optional: connect_timeout, read_timeout, request_timeout,
read_timeout = 30                    # stall_timeout, max_body_bytes, max_attempts,
rate_limit = "100/10s"               # backoff_initial, backoff_max, max_retry_after, ca_bundle,
                                     # rate_limit, pool_maxsize, max_redirects, user_agent

[profiles.prod-sailpoint.polling]    # optional: initial, backoff, cap, jitter, max_hint
initial = 2
```

Every other key belongs to the provider's settings. Numbers are checked here: a timeout
must be finite and > 0, a back-off or Retry-After bound finite and >= 0, counts whole
numbers in range; anything else is a :class:`ConfigurationError` naming the key and the
accepted range. See docs/guide.md for each transport setting, its default and why.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from reportbridge.errors import ConfigurationError, accepted
from reportbridge.polling import PollPolicy
from reportbridge.transport.limits import check_number, check_whole
from reportbridge.transport.options import TransportOptions
from reportbridge.transport.ratelimit import RateLimit
from reportbridge.transport.retry import RetryPolicy

ENV_VAR = "REPORTBRIDGE_CONFIG"
DEFAULT_FILE = "reportbridge.toml"
CORE_KEYS = ("provider", "concurrency", "max_active_jobs", "transport", "polling")
# key -> what it accepts: (float, low, low accepted?), (int, low), str, or object (own parser)
_Spec = tuple[Any, ...]
_SECONDS: _Spec = (float, 0.0, False)  # finite and > 0
_WAIT: _Spec = (float, 0.0, True)  # finite and >= 0
_TRANSPORT_KEYS: dict[str, _Spec] = {
    "connect_timeout": _SECONDS,
    "read_timeout": _SECONDS,
    "request_timeout": _SECONDS,
    "stall_timeout": _SECONDS,
    "max_body_bytes": (int, 1),
    "max_attempts": (int, 1),
    "backoff_initial": _WAIT,
    "backoff_max": _WAIT,
    "max_retry_after": _WAIT,
    "ca_bundle": (str,),
    "rate_limit": (object,),
    "pool_maxsize": (int, 1),
    "user_agent": (str,),
    "max_redirects": (int, 0),
}
_POLL_KEYS: dict[str, _Spec] = {
    "initial": _SECONDS,
    "backoff": (float, 1.0, True),
    "cap": _SECONDS,
    "jitter": (float, 0.0, True),
    "max_hint": _WAIT,
}
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@attrs.frozen
class Profile:
    """One named profile: which provider, its settings, and how to talk to it."""

    name: str
    provider: str
    settings: dict[str, Any] = attrs.field(factory=dict, repr=False)
    transport: TransportOptions = attrs.field(factory=TransportOptions)
    polling: PollPolicy = attrs.field(factory=PollPolicy)
    concurrency: int = 4
    max_active_jobs: int | None = None


def find_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The config path: the argument, else $REPORTBRIDGE_CONFIG, else ./reportbridge.toml."""
    env = os.environ if env is None else env
    if path is not None:
        chosen, source = Path(path), "the --config argument"
    elif env.get(ENV_VAR):
        chosen, source = Path(env[ENV_VAR]), f"${ENV_VAR}"
    else:
        chosen, source = Path(DEFAULT_FILE), "the default location"
    if not chosen.is_file():
        raise ConfigurationError(
            f"config file {str(chosen)!r} (from {source}) does not exist; pass --config PATH, "
            f"set {ENV_VAR}, or create ./{DEFAULT_FILE} with [profiles.NAME] tables"
        )
    return chosen


def load_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Profile]:
    """Read profiles from a TOML file."""
    env = os.environ if env is None else env
    file = find_config(path, env)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigurationError(f"config file {str(file)!r} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {str(file)!r} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {str(file)!r}: {exc.strerror}") from None
    return parse_config(data, env=env, source=str(file))


def parse_config(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: str = "config"
) -> dict[str, Profile]:
    """Profiles from already-parsed TOML (a mapping with a ``profiles`` table)."""
    env = os.environ if env is None else env
    extra = sorted(set(data) - {"profiles"})
    if extra:
        raise ConfigurationError(
            f"{source}: unknown top-level key(s) {', '.join(extra)}; accepted: profiles"
        )
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        raise ConfigurationError(
            f'{source}: no profiles; add a table such as [profiles.prod] with provider = "..."'
        )
    return {name: parse_profile(name, table, env=env) for name, table in profiles.items()}


def parse_profile(name: str, table: Any, *, env: Mapping[str, str] | None = None) -> Profile:
    """One profile from its table; ``${VAR}`` values are read from ``env``."""
    env = os.environ if env is None else env
    if not isinstance(name, str) or not _PROFILE_NAME.match(name):
        raise ConfigurationError(
            f"profile name {name!r} is not accepted; use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"profile {name!r} must be a table of settings")
    table = {k: _expand(v, env, f"profiles.{name}.{k}") for k, v in table.items()}
    provider = table.get("provider")
    if not isinstance(provider, str) or not provider:
        raise ConfigurationError(
            f"profile {name!r} needs provider = \"NAME\" (see 'reportbridge providers')"
        )
    transport = _transport(name, table.get("transport", {}))
    polling = _section(name, "polling", table.get("polling", {}), _POLL_KEYS)
    try:
        policy = PollPolicy(**polling)
    except ConfigurationError as exc:  # jitter < 1, checked by the policy itself
        raise ConfigurationError(f"profile {name!r}: {exc.message}") from None
    concurrency = _positive_int(name, "concurrency", table.get("concurrency", 4))
    max_active = table.get("max_active_jobs")
    if max_active is not None:
        max_active = _positive_int(name, "max_active_jobs", max_active)
    settings = {k: v for k, v in table.items() if k not in CORE_KEYS}
    return Profile(
        name=name,
        provider=provider,
        settings=settings,
        transport=transport,
        polling=policy,
        concurrency=concurrency,
        max_active_jobs=max_active,
    )


def _expand(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            var, default = m.group(1), m.group(2)
            if var in env:
                return env[var]
            if default is not None:
                return default
            raise ConfigurationError(
                f"{where} refers to environment variable {var}, which is not set"
            )

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, where) for v in value]
    return value


def _positive_int(profile: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"profile {profile!r}: {key} must be a whole number >= 1")
    return value


def _section(profile: str, section: str, table: Any, keys: Mapping[str, _Spec]) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"profile {profile!r}: {section} must be a table")
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise ConfigurationError(
            f"profile {profile!r}: unknown {section} setting(s) {', '.join(unknown)}; "
            f"accepted: {accepted(keys)}"
        )
    out: dict[str, Any] = {}
    for key, value in table.items():
        kind, *bounds = keys[key]
        name = f"profile {profile!r}: {section}.{key}"
        if kind is float:
            out[key] = check_number(name, value, bounds[0], inclusive=bounds[1])
        elif kind is int:
            out[key] = check_whole(name, value, bounds[0])
        elif kind is str and not isinstance(value, str):
            raise ConfigurationError(f"{name} must be a string")
        else:
            out[key] = value
    return out


def _transport(profile: str, table: Any) -> TransportOptions:
    values = _section(profile, "transport", table, _TRANSPORT_KEYS)
    retry_keys = ("max_attempts", "backoff_initial", "backoff_max", "max_retry_after")
    try:
        retry = RetryPolicy(**{k: values.pop(k) for k in retry_keys if k in values})
        rate = RateLimit.parse(values.pop("rate_limit")) if "rate_limit" in values else None
        return TransportOptions(retry=retry, rate_limit=rate, **values)
    except ConfigurationError as exc:  # a check across settings, or the user agent
        raise ConfigurationError(f"profile {profile!r}: {exc.message}") from None


__all__ = [
    "DEFAULT_FILE",
    "ENV_VAR",
    "Profile",
    "find_config",
    "load_config",
    "parse_config",
    "parse_profile",
]
