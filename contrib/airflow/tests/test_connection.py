"""A reportbridge connection read into a profile: fields, a config-file pointer, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportbridge.errors import ConfigurationError
from reportbridge.logging import REDACTED, redact_text
from reportbridge.plugins import default_registry
from reportbridge_airflow.connection import ConnectionFields, async_threads, profile_for
from reportbridge_airflow.hooks import ReportBridgeHook

REGISTRY = default_registry()


def test_fields_fill_login_password_and_base_url() -> None:
    fields = ConnectionFields(
        "sp_prod",
        host="acme.api.identitynow.com",
        login="client-1",
        password="s3cret-value-xyz",
        extra={"provider": "sailpoint", "polling": {"initial": 5}, "max_active_jobs": 3},
    )
    profile = profile_for(fields, REGISTRY)
    assert profile.name == "sp_prod"
    assert profile.provider == "sailpoint"
    assert profile.settings == {
        "base_url": "https://acme.api.identitynow.com",
        "client_id": "client-1",
        "client_secret": "s3cret-value-xyz",
    }
    assert profile.polling.initial == 5 and profile.max_active_jobs == 3
    assert redact_text("token s3cret-value-xyz here") == f"token {REDACTED} here"
    assert "s3cret" not in repr(fields)


def test_password_fills_the_providers_only_secret_setting() -> None:
    fields = ConnectionFields(
        "so", host="http://127.0.0.1:8080", password="a.b.c", extra={"provider": "spaceone"}
    )
    assert profile_for(fields, REGISTRY).settings["token"] == "a.b.c"


def test_port_is_added_to_a_bare_host_and_refused_beside_a_url() -> None:
    fields = ConnectionFields("so", host="10.0.0.5", port=8443, extra={"provider": "spaceone"})
    assert profile_for(fields, REGISTRY).settings["base_url"] == "https://10.0.0.5:8443"
    with pytest.raises(ConfigurationError, match="put the port in it"):
        profile_for(
            ConnectionFields("so", host="http://h", port=1, extra={"provider": "spaceone"}),
            REGISTRY,
        )


def test_explicit_setting_names_and_profile_name() -> None:
    fields = ConnectionFields(
        "conn",
        login="the-token-as-login",
        extra={
            "provider": "spaceone",
            "base_url": "https://so.example",
            "login_setting": "token",
            "profile": "spaceone-prod",
        },
    )
    profile = profile_for(fields, REGISTRY)
    assert profile.name == "spaceone-prod"
    assert profile.settings["token"] == "the-token-as-login"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (ConnectionFields("c", extra={}), 'extra needs "provider"'),
        (ConnectionFields("c", extra={"provider": "nope"}), "no provider named 'nope'"),
        (
            ConnectionFields(
                "c", host="https://a", extra={"provider": "spaceone", "base_url": "b"}
            ),
            "base_url is set both in a field and in extra",
        ),
        (
            ConnectionFields("c", extra={"provider": "sailpoint", "colour": "blue"}),
            "unknown setting",
        ),
        (ConnectionFields("bad id!", extra={"provider": "spaceone"}), "profile name"),
    ],
)
def test_bad_connections_name_what_is_wrong(fields: ConnectionFields, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        Reports_of(fields)
    assert "Airflow connection" in str(caught.value) or "provider" in str(caught.value)


def Reports_of(fields: ConnectionFields) -> object:
    from reportbridge.facade import Reports

    return Reports([profile_for(fields, REGISTRY)], registry=REGISTRY)


def test_config_file_pointer(tmp_path: Path) -> None:
    config = tmp_path / "reportbridge.toml"
    config.write_text(
        '[profiles.so-prod]\nprovider = "spaceone"\nbase_url = "https://so.example"\n'
        'token = "a.b.c"\ndomain_id = "domain-1"\n',
        encoding="utf-8",
    )
    fields = ConnectionFields("rb", extra={"config_file": str(config), "profile": "so-prod"})
    profile = profile_for(fields, REGISTRY)
    assert (profile.name, profile.provider) == ("so-prod", "spaceone")
    with pytest.raises(ConfigurationError, match=r"has no profile 'rb'; it has so-prod"):
        profile_for(ConnectionFields("rb", extra={"config_file": str(config)}), REGISTRY)
    with pytest.raises(ConfigurationError, match="remove password, provider"):
        profile_for(
            ConnectionFields(
                "rb", password="x", extra={"config_file": str(config), "provider": "spaceone"}
            ),
            REGISTRY,
        )


def test_async_threads_is_the_connections_own_key() -> None:
    fields = ConnectionFields(
        "so", host="https://h", password="a.b.c", extra={"provider": "spaceone", "async_threads": 2}
    )
    assert async_threads(fields) == 2
    assert "async_threads" not in profile_for(fields, REGISTRY).settings
    with pytest.raises(ConfigurationError, match="from 1 to 64"):
        async_threads(ConnectionFields("so", extra={"async_threads": 0}))


def test_hook_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    good = '{"conn_type": "reportbridge", "host": "https://h", "password": "a.b.c", '
    good += '"extra": {"provider": "spaceone", "domain_id": "domain-1"}}'
    monkeypatch.setenv("AIRFLOW_CONN_RB_GOOD", good)
    monkeypatch.setenv(
        "AIRFLOW_CONN_RB_BAD",
        '{"conn_type": "reportbridge", "password": "hunter2-secret", "extra": {}}',
    )
    assert ReportBridgeHook("rb_good").test_connection() == (
        True,
        "profile 'rb_good' for provider 'spaceone' is valid",
    )
    ok, message = ReportBridgeHook("rb_bad").test_connection()
    assert not ok and 'extra needs "provider"' in message and "hunter2" not in message


def test_a_key_pair_in_login_and_password_is_secret_on_both_sides() -> None:
    fields = ConnectionFields(
        "rb_tenable",
        login="access-key-0123456789",
        password="secret-key-9876543210",
        extra={
            "provider": "tenable",
            "login_setting": "access_key",
            "password_setting": "secret_key",
        },
    )
    settings = profile_for(fields, REGISTRY).settings
    assert settings["access_key"] == "access-key-0123456789"
    assert settings["secret_key"] == "secret-key-9876543210"
    assert redact_text("keys access-key-0123456789 and secret-key-9876543210") == (
        f"keys {REDACTED} and {REDACTED}"
    )
