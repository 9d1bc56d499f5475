"""The command line with secret references, and ``config check``, against the simulators:
resolved secrets never reach the output (``--log-json -vv`` included) or the bundle."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge.cli.simulate import demo_plan, started_simulators
from reportbridge.plugins import PluginRegistry
from tests.clihelp import cli_env, json_lines, run_cli


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Any]]:
    with started_simulators(None, job_seconds=0.3, file_size=8 * 1024) as running:
        yield running


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()  # a TOML date-time literal, unquoted
    return json.dumps(value)


def write_config(path: Path, profiles: dict[str, dict[str, Any]]) -> None:
    lines = []
    for name, table in profiles.items():
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def secret_stores(tmp_path: Path) -> dict[str, Any]:
    """Where the config's references point: a secret file, a keyring file, a vault file."""
    (tmp_path / "secrets").mkdir()
    return {
        "dir": tmp_path,
        "keyring": tmp_path / "keyring.json",
        "vault": tmp_path / "vault.json",
    }


def referenced_profiles(
    sims: dict[str, Any], stores: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], Any, dict[str, str], dict[str, str]]:
    """The demo's profiles with each vendor's credential moved into a secret store."""
    profiles, plan = demo_plan(sims, PluginRegistry())
    moved: dict[str, str] = {}
    env: dict[str, str] = {}
    keyring: dict[str, str] = {}
    vault: dict[str, dict[str, str]] = {}
    sp, ex = profiles["sailpoint-demo"], profiles["explore-demo"]
    so, te = profiles["spaceone-demo"], profiles["tenable-demo"]
    (stores["dir"] / "secrets" / "sailpoint").write_text(sp["client_secret"] + "\n")
    moved["file"], sp["client_secret"] = sp["client_secret"], "${file:secrets/sailpoint}"
    keyring["reportbridge/explore"] = ex["client_secret"]
    moved["keyring"], ex["client_secret"] = ex["client_secret"], "${keyring:reportbridge/explore}"
    env["RB_SPACEONE_TOKEN"] = so["token"]
    moved["env"], so["token"] = so["token"], "${env:RB_SPACEONE_TOKEN}"
    vault["tenable"] = {"secret_key": te["secret_key"]}
    moved["vault"], te["secret_key"] = te["secret_key"], "${vault:tenable#secret_key}"
    stores["keyring"].write_text(json.dumps(keyring))
    stores["vault"].write_text(json.dumps(vault))
    env.update(
        PYTHON_KEYRING_BACKEND="tests.secretkit.FileKeyring",
        RB_TEST_KEYRING=str(stores["keyring"]),
        RB_TEST_VAULT=str(stores["vault"]),
    )
    return profiles, plan, moved, env


def write_plan(path: Path, plan: Any) -> None:
    lines = ['[audit]\nname = "secrets demo"\ntimeout = 60\n']
    for job in plan.jobs:
        lines.append("[[jobs]]")
        lines.append(f"name = {json.dumps(job.key)}")
        lines.append(f"profile = {json.dumps(job.profile)}")
        lines.append(f"report_type = {json.dumps(job.report_type)}")
        if job.params:
            lines.append(f"params = {toml_value(dict(job.params))}")
        if job.formats:
            lines.append(f"formats = {toml_value(list(job.formats))}")
        lines.append("")
    path.write_text("\n".join(lines))


def test_resolved_secrets_never_reach_logs_output_or_the_bundle(
    sims: dict[str, Any], secret_stores: dict[str, Any]
) -> None:
    tmp = secret_stores["dir"]
    profiles, plan, moved, env = referenced_profiles(sims, secret_stores)
    write_config(tmp / "reportbridge.toml", profiles)
    write_plan(tmp / "plan.toml", plan)
    proc = run_cli(
        "--config",
        str(tmp / "reportbridge.toml"),
        "--log-json",
        "-vv",
        "audit",
        str(tmp / "plan.toml"),
        "--out",
        str(tmp / "bundle"),
        "--json",
        env=cli_env("tests.secretkit:VaultPlugin", **env),
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"event": "http"' in proc.stderr, "debug logging was on"
    secrets = set(moved.values()) | {s for sim in sims.values() for s in sim.secrets()}
    assert len(moved) == 4
    output = proc.stdout + proc.stderr
    assert [s for s in secrets if s in output] == []
    bundle = tmp / "bundle"
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert [s for s in secrets if s.encode() in data] == [], path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_config_check_reports_each_profile(sims: dict[str, Any], tmp_path: Path) -> None:
    sp, te = sims["sailpoint"], sims["tenable"]
    (tmp_path / "tenable-secret").write_text(te.secret_key + "\n")
    dead = f"http://127.0.0.1:{closed_port()}"
    profiles = {
        "good": {
            **te.profile_settings(),
            "provider": "tenable",
            "secret_key": "${file:tenable-secret}",
        },
        "wrong-secret": {
            **sp.profile_settings(),
            "provider": "sailpoint",
            "client_secret": "nope-0",
        },
        "unreachable": {
            "provider": "explore",
            "base_url": dead,
            "token_url": f"{dead}/oauth/token",
            "client_id": "x",
            "client_secret": "y-secret",
        },
        "no-secret": {**te.profile_settings(), "provider": "tenable", "secret_key": "${file:gone}"},
    }
    config = tmp_path / "reportbridge.toml"
    write_config(config, profiles)
    proc = run_cli("--config", str(config), "config", "check", "--json", env=cli_env(None))
    assert proc.returncode == 1, proc.stderr
    rows = {r["profile"]: r for r in json_lines(proc.stdout)}
    assert list(rows) == list(profiles)
    good = rows["good"]
    assert good["ok"] and good["secrets"] == "ok (1)" and good["proxy"] == "none"
    assert [s["name"] for s in good["steps"]] == ["api"] and good["latency_ms"] >= 0
    wrong = rows["wrong-secret"]
    assert not wrong["ok"] and wrong["steps"][0]["name"] == "token"
    assert wrong["steps"][0]["failure"] == "auth" and len(wrong["steps"]) == 1
    down = rows["unreachable"]
    assert down["steps"][0]["failure"] == "unreachable" and "cannot connect" in down["error"]
    missing = rows["no-secret"]
    assert missing["secrets"] == "failed" and "${file:gone}" in missing["error"]
    assert te.secret_key not in proc.stdout + proc.stderr

    text = run_cli("--config", str(config), "config", "check", env=cli_env(None))
    assert text.returncode == 1
    header, *lines = text.stdout.splitlines()
    assert header.split()[:7] == [
        "PROFILE",
        "PROVIDER",
        "SECRETS",
        "PROXY",
        "TOKEN",
        "API",
        "LATENCY",
    ]
    assert lines[0].split()[:6] == ["good", "tenable", "ok", "(1)", "none", "-"]
    assert lines[1].split()[:5] == ["wrong-secret", "sailpoint", "none", "none", "refused"]

    only = run_cli("--config", str(config), "config", "check", "good", env=cli_env(None))
    assert only.returncode == 0 and "wrong-secret" not in only.stdout


def test_config_check_exit_2_when_the_config_cannot_be_used(tmp_path: Path) -> None:
    missing = run_cli("--config", str(tmp_path / "none.toml"), "config", "check", env=cli_env(None))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    config = tmp_path / "reportbridge.toml"
    config.write_text('[profiles.a]\nprovider = "tenable"\n')
    unknown = run_cli("--config", str(config), "config", "check", "zzz", env=cli_env(None))
    assert unknown.returncode == 2 and "no profile named zzz" in unknown.stderr
