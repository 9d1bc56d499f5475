"""The command line against the three vendor simulators, in subprocesses, as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from reportbridge.plugins import PluginRegistry
from reportbridge.testing import Simulator
from tests.clihelp import cli_cmd, cli_env, json_lines, run_cli, write_config
from tests.test_cli import submitted_refs

FAST = {"initial": 0.1, "backoff": 1.3, "cap": 0.4, "jitter": 0.0}
JANUARY = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00"}


@pytest.fixture(scope="module")
def vendors() -> Iterator[dict[str, Simulator]]:
    registry = PluginRegistry()
    with ExitStack() as stack:
        sims = {}
        for name in ("sailpoint", "spaceone", "explore"):
            sim = registry.provider(name).simulator(job_seconds=0.6, file_size=50_000)
            assert sim is not None
            sims[name] = stack.enter_context(sim)
        yield sims


@pytest.fixture(scope="module")
def config(vendors: dict[str, Simulator], tmp_path_factory: pytest.TempPathFactory) -> Path:
    profiles: dict[str, dict[str, Any]] = {}
    for version in ("v3", "v2025"):
        profiles[f"sp-{version}"] = {
            "provider": "sailpoint",
            **vendors["sailpoint"].profile_settings(),
            "api_version": version,
            "polling": FAST,
        }
    profiles["so"] = {
        "provider": "spaceone",
        **vendors["spaceone"].profile_settings(),
        "polling": FAST,
    }
    profiles["td"] = {
        "provider": "explore",
        **vendors["explore"].profile_settings(),
        "polling": FAST,
    }
    return write_config(tmp_path_factory.mktemp("cfg") / "reportbridge.toml", profiles)


@pytest.fixture
def env() -> dict[str, str]:
    return cli_env(extra_plugins=None)


RUNS = [
    ("sp-v3", "sailpoint", ["IDENTITIES", "-p", "correlatedOnly=true", "--format", "csv"]),
    (
        "sp-v2025",
        "sailpoint",
        ["ACCOUNTS", "-p", "application=2c91808", "-p", "sourceName=AD", "--format", "pdf"],
    ),
    ("so", "spaceone", ["template-0c5a7e9b2d41", "-p", "name=Inventory"]),
    ("td", "explore", ["calls", "--params-json", json.dumps({**JANUARY, "format": "csv"})]),
]


@pytest.mark.parametrize(("profile", "provider", "args"), RUNS, ids=[r[0] for r in RUNS])
def test_run_wait_fetch(
    config: Path,
    env: dict[str, str],
    vendors: dict[str, Simulator],
    tmp_path: Path,
    profile: str,
    provider: str,
    args: list[str],
) -> None:
    proc = run_cli(
        "--config", str(config), "run", profile, *args, "--fetch", str(tmp_path), "--json", env=env
    )
    assert proc.returncode == 0, proc.stderr
    (out,) = json_lines(proc.stdout)
    assert out["provider"] == provider and out["profile"] == profile
    assert out["status"] == "succeeded" and out["provider_status"]
    (f,) = out["files"]
    assert f["sha256"] == vendors[provider].served_sha256(out["job_id"], f["format"])
    if profile == "sp-v2025":
        assert any(r.path.startswith("/v2025/reports/") for r in vendors["sailpoint"].requests)


def test_cancel_per_vendor(
    config: Path, env: dict[str, str], vendors: dict[str, Simulator]
) -> None:
    slow = {"sailpoint": "IDENTITIES", "td": "calls"}
    sp = json_lines(
        run_cli(
            "--config",
            str(config),
            "run",
            "sp-v3",
            slow["sailpoint"],
            "-p",
            "correlatedOnly=false",
            "--json",
            env=env,
        ).stdout
    )[0]
    td = json_lines(
        run_cli(
            "--config",
            str(config),
            "run",
            "td",
            "calls",
            "--params-json",
            json.dumps(JANUARY),
            "--json",
            env=env,
        ).stdout
    )[0]
    for ref in (sp["ref"], td["ref"]):
        proc = run_cli("--config", str(config), "cancel", ref, "--json", env=env)
        status = json_lines(proc.stdout)[0]["status"]
        if status == "cancelled":
            assert proc.returncode == 0, proc.stderr
        else:  # it finished first: left alone, nothing sent
            assert status == "succeeded" and proc.returncode == 1
            assert "already succeeded; nothing cancelled" in proc.stderr
    so = json_lines(
        run_cli(
            "--config",
            str(config),
            "run",
            "so",
            "template-0c5a7e9b2d41",
            "-p",
            "name=x",
            "--json",
            env=env,
        ).stdout
    )[0]
    before = len(vendors["spaceone"].requests)
    refused = run_cli("--config", str(config), "cancel", so["ref"], env=env)
    assert refused.returncode != 0
    assert "'spaceone' does not support cancel" in refused.stderr
    assert len(vendors["spaceone"].requests) == before


def test_list_per_vendor(config: Path, env: dict[str, str]) -> None:
    for profile, args in (
        ("so", ["template-1a2b3c4d5e6f", "-p", "name=listed"]),
        ("td", ["contacts", "--params-json", json.dumps(JANUARY)]),
    ):
        job = json_lines(
            run_cli("--config", str(config), "run", profile, *args, "--json", env=env).stdout
        )[0]
        listed = run_cli(
            "--config", str(config), "list", profile, "--limit", "200", "--json", env=env
        )
        assert listed.returncode == 0, listed.stderr
        assert job["job_id"] in {j["job_id"] for j in json_lines(listed.stdout)}
    refused = run_cli("--config", str(config), "list", "sp-v3", env=env)
    assert refused.returncode == 1
    assert "'sailpoint' does not support listing" in refused.stderr


def test_demo_runs_every_vendor(env: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run_cli("demo", "--out", str(tmp_path / "bundle"), "--json", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    jobs = [j for j in lines if j.get("kind") == "job"]
    by_provider: dict[str, set[str]] = {}
    for job in jobs:
        assert job["status"] == "succeeded" and job["files"], job
        by_provider.setdefault(job["provider"], set()).add(job["report_type"])
    assert set(by_provider) >= {"sailpoint", "spaceone", "explore", "tenable"}
    assert all(len(types) >= 2 for types in by_provider.values())
    verify = next(j for j in lines if "files_checked" in j)
    assert verify["ok"] is True
    assert time.monotonic() - started < 120  # generous bound: a hang, not a timing claim


PLAN = """
[audit]
name = "vendors"
[[jobs]]
name = "sp-accounts"
profile = "sp-v3"
report_type = "ACCOUNTS"
params = {{ application = "2c9180", sourceName = "AD" }}
formats = ["csv", "pdf"]
[[jobs]]
name = "sp-search"
profile = "sp-v2025"
report_type = "SEARCH_EXPORT"
params = {{ query = "name:{tag}*" }}
[[jobs]]
name = "so-inventory"
profile = "so"
report_type = "template-0c5a7e9b2d41"
params = {{ name = "inventory {tag}" }}
[[jobs]]
name = "td-calls"
profile = "td"
report_type = "calls"
params = {{ from = "2025-01-01T00:00:00", to = "2025-01-15T00:00:00", format = "json" }}
"""


def test_audit_kill_9_and_resume_across_vendors(
    config: Path, env: dict[str, str], vendors: dict[str, Simulator], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(tag=tmp_path.name), encoding="utf-8")
    bundle = tmp_path / "bundle"
    created = {name: sim.jobs_created() for name, sim in vendors.items()}
    proc = subprocess.Popen(
        cli_cmd("--config", str(config), "audit", str(plan), "--out", str(bundle)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while submitted_refs(bundle / "journal.sqlite") < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    made = {name: sim.jobs_created() - created[name] for name, sim in vendors.items()}
    assert made == {"sailpoint": 2, "spaceone": 1, "explore": 1}
    rerun = run_cli(
        "--config", str(config), "audit", str(plan), "--out", str(bundle), "--json", env=env
    )
    assert rerun.returncode == 0, rerun.stderr
    assert {name: sim.jobs_created() - created[name] for name, sim in vendors.items()} == made
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["summary"]["succeeded"] == 4
    assert {f["format"] for f in manifest["jobs"][0]["files"]} == {"csv", "pdf"}
    assert manifest["jobs"][1]["files"][0]["path"].endswith(".zip")
    assert run_cli("audit", "verify", str(bundle), env=env).returncode == 0
