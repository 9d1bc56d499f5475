"""Config files: profiles, environment variables, and clear errors for everything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ConfigurationError, ReportBridgeError, Reports
from reportbridge.config import load_config, parse_config
from reportbridge.plugins import PluginRegistry
from reportbridge.transport import RateLimit
from tests.toy import ToySimulator

GOOD = """
[profiles.main]
provider = "toy"
base_url = "{url}"
client_id = "${{TOY_ID}}"
client_secret = "${{TOY_SECRET}}"
concurrency = 3
max_active_jobs = 7

[profiles.main.transport]
read_timeout = 5
rate_limit = "10/s"
max_attempts = 2

[profiles.main.polling]
initial = 0.05
cap = 0.2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reportbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file_round_trip(
    tmp_path: Path, toy_sim: ToySimulator, toy_registry: PluginRegistry, monkeypatch: Any
) -> None:
    path = write(tmp_path, GOOD.format(url=toy_sim.base_url))
    env = {"TOY_ID": toy_sim.client_id, "TOY_SECRET": toy_sim.client_secret}
    profiles = load_config(path, env)
    prof = profiles["main"]
    assert prof.provider == "toy"
    assert prof.concurrency == 3 and prof.max_active_jobs == 7
    assert prof.transport.read_timeout == 5.0
    assert prof.transport.rate_limit == RateLimit(10, 1.0)
    assert prof.transport.retry.max_attempts == 2
    assert prof.polling.cap == 0.2
    assert toy_sim.client_secret not in repr(prof)
    with Reports.from_config(path, env=env, registry=toy_registry) as reports:
        assert reports.wait(reports.run("main", "USERS"), timeout=10).is_fetchable
    # $REPORTBRIDGE_CONFIG and ./reportbridge.toml
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert "main" in load_config(None, {**env, "REPORTBRIDGE_CONFIG": str(path)})
    monkeypatch.chdir(tmp_path)
    assert "main" in load_config(None, env)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("profiles = 3", "no profiles"),
        ("[other]\nx=1", "unknown top-level key(s) other"),
        ("[profiles.a]\nbase_url='x'", "needs provider"),
        ("[profiles.'bad name']\nprovider='toy'", "profile name 'bad name'"),
        (
            "[profiles.a]\nprovider='toy'\nclient_id='${NOPE_VAR}'",
            "environment variable NOPE_VAR, which is not set",
        ),
        ("[profiles.a]\nprovider='toy'\nconcurrency=0", "concurrency must be a whole number >= 1"),
        (
            "[profiles.a]\nprovider='toy'\n[profiles.a.transport]\nspeed=1",
            "unknown transport setting(s) speed",
        ),
        (
            "[profiles.a]\nprovider='toy'\n[profiles.a.transport]\nread_timeout='x'",
            "read_timeout must be a finite number > 0; got a str",
        ),
        (
            "[profiles.a]\nprovider='toy'\n[profiles.a.polling]\nbackoff=0.5",
            "backoff must be a finite number >= 1",
        ),
        (
            "[profiles.a]\nprovider='toy'\n[profiles.a.transport]\nrate_limit='lots'",
            "rate_limit 'lots'",
        ),
        ("[profiles.a\nprovider='toy'", "not valid TOML"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config(write(tmp_path, text), {})
    assert needle in str(info.value)


def test_missing_file_names_the_ways_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config(tmp_path / "none.toml", {})
    assert "--config" in str(info.value) and "REPORTBRIDGE_CONFIG" in str(info.value)


def test_default_from_env_var(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[profiles.a]\nprovider='toy'\nx='${V:-dflt}'"), {})[
        "a"
    ].settings == {"x": "dflt"}


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=12), toml_values, max_size=4))
def test_fuzzed_profiles_only_raise_typed_errors(table: dict[str, Any]) -> None:
    registry = _registry()
    try:
        reports = Reports.from_profiles({"p": table}, env={}, registry=registry)
    except ReportBridgeError:
        return
    reports.close()


_REG: list[PluginRegistry] = []


def _registry() -> PluginRegistry:
    if not _REG:
        from tests.toy import ToyPlugin

        reg = PluginRegistry()
        reg.register(ToyPlugin(), name="toy")
        _REG.append(reg)
    return _REG[0]


def test_parse_config_from_code() -> None:
    profiles = parse_config({"profiles": {"x": {"provider": "toy", "a": 1}}}, env={})
    assert profiles["x"].settings == {"a": 1}
