"""A ``reportbridge`` Airflow connection, read into a reportbridge profile (no Airflow import).

Two ways to say what a connection reaches:

- **fields**: ``extra`` names the ``provider``; Host is the base URL, Login and Password the
  credentials (Login fills ``client_id`` unless ``login_setting`` says otherwise; Password
  fills the provider's one secret setting, e.g. ``client_secret`` or ``token``, unless
  ``password_setting`` says otherwise); every other ``extra`` key is a profile setting as
  in reportbridge.toml (``transport``, ``polling``, ``max_active_jobs``, provider settings),
  but ``async_threads`` (threads of the triggerer's executor for this connection, default 4);
- **a pointer**: ``extra`` names a ``config_file`` (a reportbridge.toml present on the
  workers and the triggerer) and the ``profile`` in it.

The profile is named ``profile`` if given, else after the connection id: job references
carry that name, so a reference made through one connection is resumed through it.
Secret values are registered with reportbridge's redaction (Airflow masks the
connection's password and extra in task logs already).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from reportbridge.aio import DEFAULT_MAX_THREADS
from reportbridge.config import Profile, load_config, parse_profile
from reportbridge.errors import ConfigurationError, accepted
from reportbridge.logging import REDACTED, redact_value, register_secret
from reportbridge.plugins import PluginRegistry

POINTER_KEYS = ("config_file", "profile")
#: extra keys of the connection itself, never profile settings
OWN_KEYS = ("async_threads",)


@attrs.frozen
class ConnectionFields:
    """What an Airflow connection of type ``reportbridge`` holds."""

    conn_id: str
    host: str | None = None
    login: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    port: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def of(cls, conn: Any) -> ConnectionFields:
        """From an Airflow ``Connection`` (anything with its attributes)."""
        extra = conn.extra_dejson if conn.extra else {}
        if not isinstance(extra, Mapping):
            raise _bad(conn.conn_id, "extra must be a JSON object")
        return cls(
            conn_id=conn.conn_id,
            host=conn.host or None,
            login=conn.login or None,
            password=conn.password or None,
            port=conn.port or None,
            extra=dict(extra),
        )


def _bad(conn_id: str, text: str) -> ConfigurationError:
    return ConfigurationError(f"Airflow connection {conn_id!r} (type reportbridge): {text}")


def profile_for(fields: ConnectionFields, registry: PluginRegistry) -> Profile:
    """The reportbridge profile a connection describes; typed errors name what is wrong."""
    _register_secrets(fields)
    extra = {k: v for k, v in fields.extra.items() if k not in OWN_KEYS}
    if extra.get("config_file"):
        return _from_config_file(fields, extra)
    provider_name = extra.pop("provider", None)
    if not isinstance(provider_name, str) or not provider_name:
        raise _bad(
            fields.conn_id,
            'extra needs "provider" (one of the installed providers: '
            f'{accepted(registry.providers())}) or a "config_file"',
        )
    provider = registry.provider(provider_name)
    name = extra.pop("profile", None) or fields.conn_id
    login_setting = extra.pop("login_setting", None) or "client_id"
    password_setting = extra.pop("password_setting", None) or _secret_setting(
        fields.conn_id, provider.settings_type
    )
    table: dict[str, Any] = {"provider": provider_name, **extra}
    for key, value in (
        ("base_url", _base_url(fields)),
        (login_setting, fields.login),
        (password_setting, fields.password),
    ):
        if value is None:
            continue
        if key in table:
            raise _bad(fields.conn_id, f"{key} is set both in a field and in extra; keep one")
        table[key] = value
    for key in _secret_settings(provider.settings_type):  # a key pair's Login is a secret too
        if isinstance(table.get(key), str):
            register_secret(table[key])
    try:
        return parse_profile(name, table, env={})
    except ConfigurationError as exc:
        raise _bad(fields.conn_id, str(exc)) from None


def async_threads(fields: ConnectionFields) -> int:
    """Threads of the triggerer's executor for this connection (``extra.async_threads``)."""
    value = fields.extra.get("async_threads", DEFAULT_MAX_THREADS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise _bad(fields.conn_id, "async_threads must be a whole number from 1 to 64")
    return value


def _from_config_file(fields: ConnectionFields, extra: dict[str, Any]) -> Profile:
    stray = sorted(set(extra) - set(POINTER_KEYS))
    given = [n for n in ("host", "login", "password", "port") if getattr(fields, n)]
    if stray or given:
        raise _bad(
            fields.conn_id,
            f"names config_file, so its settings come from that file; remove "
            f"{', '.join(given + stray)} (or remove config_file)",
        )
    profiles = load_config(extra["config_file"])
    name = extra.get("profile") or fields.conn_id
    if name not in profiles:
        raise _bad(
            fields.conn_id,
            f"config file {extra['config_file']!r} has no profile {name!r}; it has "
            f"{accepted(profiles)} (set extra.profile)",
        )
    return profiles[name]


def _secret_settings(settings_type: type) -> list[str]:
    """The settings a provider declares secret (``repr=False``): they never show."""
    return [a.name for a in attrs.fields(settings_type) if not a.repr]


def _secret_setting(conn_id: str, settings_type: type) -> str:
    secret = _secret_settings(settings_type)
    if len(secret) != 1:
        raise _bad(
            conn_id,
            "cannot tell which setting the Password fills; set extra.password_setting to one "
            f"of {accepted(a.name for a in attrs.fields(settings_type))}",
        )
    return secret[0]


def _base_url(fields: ConnectionFields) -> str | None:
    host = (fields.host or "").strip()
    if not host:
        return None
    if "://" in host:
        if fields.port:
            raise _bad(fields.conn_id, "Host is a URL; put the port in it, not in Port")
        return host
    return f"https://{host}" + (f":{fields.port}" if fields.port else "")


def _register_secrets(fields: ConnectionFields) -> None:
    register_secret(fields.password)
    for key, value in fields.extra.items():
        if isinstance(value, str) and redact_value(str(key), value) == REDACTED:
            register_secret(value)


__all__ = ["ConnectionFields", "async_threads", "profile_for"]
