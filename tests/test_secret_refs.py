"""Secret references in profiles: the environment, secret files, the keyring and plugin
resolvers; values registered for redaction, errors that name the reference only."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from reportbridge import ConfigurationError
from reportbridge.config import load_config, parse_profile
from reportbridge.facade import Reports
from reportbridge.hookspecs import hookimpl
from reportbridge.logging import REDACTED, redact_text
from reportbridge.plugins import PluginRegistry
from reportbridge.secrets import MAX_FILE_BYTES
from tests.secretkit import MemoryKeyring, VaultPlugin


def settings(table: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return parse_profile("p", {"provider": "toy", **table}, **kw).settings


# -- the environment ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${TOKEN_A}", "env-value-a"),
        ("${env:TOKEN_A}", "env-value-a"),
        ("x-${TOKEN_A}-y", "x-env-value-a-y"),
        ("${MISSING:-fallback}", "fallback"),
        ("${env:MISSING:-fallback}", "fallback"),
        ("${env:MISSING:-}", ""),
        ("no reference", "no reference"),
        ("${Not a ref}", "${Not a ref}"),
    ],
)
def test_environment_references(value: str, expected: str) -> None:
    env = {"TOKEN_A": "env-value-a"}
    assert settings({"base_url": value}, env=env)["base_url"] == expected


def test_an_unset_variable_is_named() -> None:
    with pytest.raises(ConfigurationError, match="MISSING, which is not set"):
        settings({"client_secret": "${env:MISSING}"}, env={})


def test_env_values_are_redacted_when_they_fill_a_credential() -> None:
    env = {"S1": "credential-from-env-81c2", "U1": "https://plain.example/not-secret"}
    settings({"client_secret": "${S1}", "base_url": "${env:U1}"}, env=env)
    assert redact_text("x credential-from-env-81c2 y") == f"x {REDACTED} y"
    assert "plain.example" in redact_text("see https://plain.example/not-secret")


# -- files --------------------------------------------------------------------------------
def test_a_file_reference_strips_trailing_line_breaks_and_is_redacted(tmp_path: Path) -> None:
    secret = tmp_path / "client_secret"
    secret.write_text("file-secret-value-5a7e\r\n\n")
    got = settings({"client_secret": f"${{file:{secret}}}"})["client_secret"]
    assert got == "file-secret-value-5a7e"
    assert "file-secret-value-5a7e" not in redact_text("leak file-secret-value-5a7e")


def test_a_relative_file_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    (conf / "secrets").mkdir(parents=True)
    (conf / "secrets" / "s").write_text("relative-secret-1f9d\n")
    (conf / "reportbridge.toml").write_text(
        '[profiles.p]\nprovider = "toy"\nclient_secret = "${file:secrets/s}"\n'
    )
    monkeypatch.chdir(tmp_path)  # somewhere else
    profiles = load_config(conf / "reportbridge.toml", env={})
    assert profiles["p"].settings["client_secret"] == "relative-secret-1f9d"


def test_a_symbolic_link_is_followed_as_kubernetes_mounts_secrets(tmp_path: Path) -> None:
    (tmp_path / "..data").mkdir()
    (tmp_path / "..data" / "token").write_text("linked-secret-77aa")
    (tmp_path / "token").symlink_to(tmp_path / "..data" / "token")
    got = settings({"token": f"${{file:{tmp_path / 'token'}}}"})["token"]
    assert got == "linked-secret-77aa"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        ("missing", "cannot be read: No such file"),
        ("directory", "not a regular file"),
        ("fifo", "not a regular file"),
        ("large", f"larger than {MAX_FILE_BYTES} bytes"),
        ("binary", "not UTF-8"),
        ("empty", "is empty"),
    ],
)
def test_a_file_that_cannot_be_a_secret_is_refused_by_name(
    tmp_path: Path, make: str, problem: str
) -> None:
    path = tmp_path / "secret"
    if make == "directory":
        path.mkdir()
    elif make == "fifo":
        os.mkfifo(path)  # opening it must not wait for a writer
    elif make == "large":
        path.write_text("x" * (MAX_FILE_BYTES + 1))
    elif make == "binary":
        path.write_bytes(b"\xff\xfe secret-bytes")
    elif make == "empty":
        path.write_text("\n")
    result: list[BaseException] = []

    def resolve() -> None:
        try:
            settings({"client_secret": f"${{file:{path}}}"})
        except BaseException as exc:
            result.append(exc)

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "resolving the reference hung"
    (error,) = result
    assert isinstance(error, ConfigurationError)
    assert problem in str(error)
    assert f"${{file:{path}}}" in str(error) and "profiles.p.client_secret" in str(error)
    assert "secret-bytes" not in str(error)


# -- the keyring --------------------------------------------------------------------------
@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_a_keyring_reference(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("reportbridge/sailpoint", "client-secret", "keyring-secret-0b3c")
    got = settings({"client_secret": "${keyring:reportbridge/sailpoint/client-secret}"})
    assert got["client_secret"] == "keyring-secret-0b3c"
    assert "keyring-secret-0b3c" not in redact_text("keyring-secret-0b3c")


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("${keyring:svc/absent}", "has no password for service 'svc' and name 'absent'"),
        ("${keyring:no-slash}", "must be ${keyring:SERVICE/NAME}"),
    ],
)
def test_a_keyring_reference_that_cannot_be_resolved(
    memory_keyring: MemoryKeyring, reference: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings({"client_secret": reference})
    assert problem in str(info.value) and reference in str(info.value)


# -- plugin resolvers ---------------------------------------------------------------------
@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vault.json"
    path.write_text('{"kv/sailpoint": {"client_secret": "vault-secret-c4d1"}}')
    monkeypatch.setenv("RB_TEST_VAULT", str(path))
    return path


def registry_with(*plugins: object) -> PluginRegistry:
    registry = PluginRegistry(load_entry_points=False)
    from tests.toy import ToyPlugin

    registry.register(ToyPlugin(), name="toy-tests")
    for i, plugin in enumerate(plugins):
        registry.register(plugin, name=f"resolver-{i}")
    return registry


def test_a_plugin_resolver_through_the_facade(vault: Path) -> None:
    registry = registry_with(VaultPlugin())
    table = {
        "provider": "toy",
        "base_url": "http://127.0.0.1:9",
        "client_id": "c",
        "client_secret": "${vault:kv/sailpoint#client_secret}",
    }
    reports = Reports.from_profiles({"p": table}, registry=registry)
    assert reports.profile("p").settings["client_secret"] == "vault-secret-c4d1"
    assert "vault-secret-c4d1" not in redact_text("vault-secret-c4d1")


def test_a_failing_resolver_is_named_with_the_reference_never_a_value(vault: Path) -> None:
    registry = registry_with(VaultPlugin())
    with pytest.raises(ConfigurationError) as info:
        settings({"client_secret": "${vault:kv/absent#x}"}, resolvers=registry.secret_resolvers)
    assert "${vault:kv/absent#x}" in str(info.value)
    assert "'vault' resolver" in str(info.value) and "KeyError" in str(info.value)


def test_an_unknown_scheme_names_what_is_accepted() -> None:
    registry = registry_with(VaultPlugin())
    with pytest.raises(ConfigurationError, match="accepted: env, file, keyring, vault"):
        settings({"client_secret": "${sops:x}"}, resolvers=registry.secret_resolvers)


class _Claims:
    def __init__(self, scheme: str, value: str = "v") -> None:
        self.scheme, self.value = scheme, value

    @hookimpl
    def register_secret_resolvers(self, register: Any) -> None:
        register(self.scheme, lambda name: self.value)


def test_built_in_schemes_cannot_be_replaced_and_clashes_are_used_from_neither() -> None:
    registry = registry_with(_Claims("file"), _Claims("dup", "a"), _Claims("dup", "b"))
    assert registry.secret_resolvers() == {}


def test_a_resolved_value_is_not_expanded_again(vault: Path, tmp_path: Path) -> None:
    secret = tmp_path / "s"
    secret.write_text("${env:HOME}-literal")
    got = settings({"client_secret": f"${{file:{secret}}}"}, env={"HOME": "/root"})
    assert got["client_secret"] == "${env:HOME}-literal"
