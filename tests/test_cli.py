"""The command line, driven in subprocesses against a simulator."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.clihelp import cli_cmd, cli_env, json_lines, run_cli, write_config
from tests.toy import ToySimulator

FAST = {"initial": 0.1, "backoff": 1.3, "cap": 0.3, "jitter": 0.0}


@pytest.fixture
def config(tmp_path: Path, toy_sim: ToySimulator) -> Path:
    settings = toy_sim.profile_settings()
    return write_config(
        tmp_path / "rb.toml",
        {
            "toy1": {
                "provider": "toy",
                **settings,
                "client_secret": "${TOY_SECRET}",
                "polling": FAST,
            }
        },
    )


@pytest.fixture
def env(toy_sim: ToySimulator) -> dict[str, str]:
    return cli_env(TOY_SECRET=toy_sim.client_secret)


def test_run_wait_fetch_json(
    config: Path, env: dict[str, str], tmp_path: Path, toy_sim: ToySimulator
) -> None:
    out = tmp_path / "out"
    proc = run_cli(
        "--config",
        str(config),
        "run",
        "toy1",
        "USERS",
        "-p",
        "active_only=true",
        "--fetch",
        str(out),
        "--format",
        "json",
        "--json",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    (result,) = json_lines(proc.stdout)
    for key in ("ref", "provider", "profile", "job_id", "status", "provider_status", "files"):
        assert key in result
    assert result["status"] == "succeeded"
    assert result["provider_status"] == "done"
    (f,) = result["files"]
    assert set(f) >= {"path", "size", "sha256", "format"}
    assert Path(f["path"]).stat().st_size == f["size"] == toy_sim.file_size
    assert f["sha256"] == toy_sim.file_for(result["job_id"]).sha256
    assert toy_sim.client_secret not in proc.stdout + proc.stderr


def test_reference_works_from_later_processes(
    config: Path, env: dict[str, str], tmp_path: Path
) -> None:
    proc = run_cli(
        "--config",
        str(config),
        "run",
        "toy1",
        "AUDIT",
        "--params-json",
        '{"since": "2025-01-01"}',
        "--json",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    ref = json_lines(proc.stdout)[0]["ref"]
    status = run_cli("--config", str(config), "status", ref, "--json", env=env)
    assert status.returncode == 0
    assert json_lines(status.stdout)[0]["status"] in ("pending", "running", "succeeded")
    waited = run_cli("--config", str(config), "wait", ref, "--timeout", "30", "--json", env=env)
    assert waited.returncode == 0, waited.stderr
    assert json_lines(waited.stdout)[0]["status"] == "succeeded"
    fetched = run_cli(
        "--config", str(config), "fetch", ref, "--out", str(tmp_path / "f"), "--json", env=env
    )
    assert fetched.returncode == 0, fetched.stderr
    assert json_lines(fetched.stdout)[0]["files"][0]["size"] > 0
    listed = run_cli("--config", str(config), "list", "toy1", "--json", env=env)
    assert json_lines(waited.stdout)[0]["job_id"] in {
        j["job_id"] for j in json_lines(listed.stdout)
    }


def test_cancel_and_failed_exit_codes(
    config: Path, env: dict[str, str], toy_sim: ToySimulator
) -> None:
    toy_sim.job_seconds = 30
    ref = json_lines(
        run_cli("--config", str(config), "run", "toy1", "USERS", "--json", env=env).stdout
    )[0]["ref"]
    cancelled = run_cli("--config", str(config), "cancel", ref, "--json", env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json_lines(cancelled.stdout)[0]["status"] == "cancelled"
    assert run_cli("--config", str(config), "wait", ref, env=env).returncode == 1
    toy_sim.job_seconds = 0
    done = json_lines(
        run_cli("--config", str(config), "run", "toy1", "USERS", "--wait", "--json", env=env).stdout
    )[0]
    refused = run_cli("--config", str(config), "cancel", done["ref"], env=env)
    assert refused.returncode == 1
    assert "already succeeded; nothing cancelled" in refused.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "toy1", "NOPE"], "accepted: AUDIT, USERS"),
        (["run", "toy1", "USERS", "-p", "novalue"], "NAME=VALUE"),
        (["run", "toy1", "USERS", "--params-json", "[1]"], "JSON object"),
        (["run", "ghost", "USERS"], "configured profiles: toy1"),
        (["status", "not-a-ref"], "job reference"),
        (["fetch", "rb1.AAAA", "--out", "x"], "reference"),
        (["audit", "missing-plan.toml", "--out", "b"], "does not exist"),
        (["audit", "verify"], "usage"),
        (["run"], "the following arguments are required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(
    config: Path, env: dict[str, str], args: list[str], needle: str
) -> None:
    proc = run_cli("--config", str(config), *args, env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_config_is_exit_2(tmp_path: Path) -> None:
    proc = run_cli("run", "p", "T", cwd=tmp_path)
    assert proc.returncode == 2
    assert "REPORTBRIDGE_CONFIG" in proc.stderr


PLAN = """
[audit]
name = "cli test"
{jobs}
"""


def plan_file(tmp_path: Path, n: int) -> Path:
    jobs = "".join(
        f'[[jobs]]\nname = "j{i}"\nprofile = "toy1"\nreport_type = "USERS"\n'
        'formats = ["csv", "json"]\n'
        for i in range(n)
    )
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(jobs=jobs), encoding="utf-8")
    return path


def test_audit_bundle_and_verify(
    config: Path, env: dict[str, str], tmp_path: Path, toy_sim: ToySimulator
) -> None:
    bundle = tmp_path / "bundle"
    proc = run_cli(
        "--config",
        str(config),
        "audit",
        str(plan_file(tmp_path, 3)),
        "--out",
        str(bundle),
        "--json",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    assert lines[-1]["kind"] == "summary" and lines[-1]["succeeded"] == 3
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["plan"]["name"] == "cli test"
    for job in manifest["jobs"]:
        assert job["ref"] and job["status"] == "succeeded" and job["provider_status"] == "done"
        assert job["submitted_at"] and job["finished_at"]
        assert {f["format"] for f in job["files"]} == {"csv", "json"}
        for f in job["files"]:
            assert f["sha256"] == toy_sim.file_for(job["job_id"]).sha256
            assert f["content_type"]
    assert (bundle / "journal.sqlite").is_file()
    verify = run_cli("audit", "verify", str(bundle), env=env)
    assert verify.returncode == 0 and "6 files checked" in verify.stdout
    # tamper: verify notices and a re-run repairs only that file
    victim = bundle / manifest["jobs"][0]["files"][0]["path"]
    victim.write_bytes(b"tampered")
    assert run_cli("audit", "verify", str(bundle), env=env).returncode == 1
    posts = toy_sim.count("POST", "^/jobs$")
    downloads = toy_sim.count("GET", "/file$")
    rerun = run_cli(
        "--config", str(config), "audit", str(plan_file(tmp_path, 3)), "--out", str(bundle), env=env
    )
    assert rerun.returncode == 0, rerun.stderr
    assert toy_sim.count("POST", "^/jobs$") == posts
    assert toy_sim.count("GET", "/file$") == downloads + 1
    assert run_cli("audit", "verify", str(bundle), env=env).returncode == 0


def test_audit_partial_exit_3(
    config: Path, env: dict[str, str], tmp_path: Path, toy_sim: ToySimulator
) -> None:
    from reportbridge.testing import Fault

    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", status=500, skip=1))
    proc = run_cli(
        "--config",
        str(config),
        "audit",
        str(plan_file(tmp_path, 2)),
        "--out",
        str(tmp_path / "b"),
        env=env,
    )
    assert proc.returncode == 3, proc.stderr
    assert "ServiceError" in proc.stdout


def submitted_refs(journal: Path) -> int:
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(journal, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM jobs WHERE ref IS NOT NULL").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("moment", ["waiting", "downloading"])
def test_kill_9_then_resume_submits_nothing_twice(
    config: Path, env: dict[str, str], tmp_path: Path, toy_sim: ToySimulator, moment: str
) -> None:
    n = 4
    toy_sim.job_seconds = 2.0 if moment == "waiting" else 0.2
    if moment == "downloading":
        toy_sim.file_size = 40 * 1024 * 1024
        from reportbridge.testing import Fault

        toy_sim.faults.add(Fault(path="/file$", delay=3.0, times=1))
    bundle = tmp_path / "bundle"
    plan = plan_file(tmp_path, n)
    proc = subprocess.Popen(
        cli_cmd("--config", str(config), "audit", str(plan), "--out", str(bundle)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready = submitted_refs(bundle / "journal.sqlite") == n
            if moment == "downloading":
                ready = ready and toy_sim.count("GET", "/file$") >= 1
            if ready:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the audit finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert toy_sim.count("POST", "^/jobs$") == n
    rerun = run_cli(
        "--config", str(config), "audit", str(plan), "--out", str(bundle), "--json", env=env
    )
    assert rerun.returncode == 0, rerun.stderr
    assert toy_sim.count("POST", "^/jobs$") == n, "a job was submitted twice"
    assert json_lines(rerun.stdout)[-1]["succeeded"] == n
    verify = run_cli("audit", "verify", str(bundle), env=env)
    assert verify.returncode == 0, verify.stdout
    assert not list(bundle.rglob("*.part"))


def test_simulate_prints_ready_profiles(env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        cli_cmd("simulate", "toy", "--job-seconds", "0.1"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert line["provider"] == "toy"
    assert line["base_url"].startswith("http://127.0.0.1:")
    assert line["profile"]["provider"] == "toy"
    assert "[profiles.toy-sim]" in line["toml"]
    assert proc.returncode == 0


def test_log_json_has_no_secrets(config: Path, env: dict[str, str], toy_sim: ToySimulator) -> None:
    proc = run_cli(
        "--config", str(config), "--log-json", "-vv", "run", "toy1", "USERS", "--wait", env=env
    )
    assert proc.returncode == 0, proc.stderr
    logs = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert any(entry.get("event") == "http" for entry in logs)
    assert toy_sim.client_secret not in proc.stderr
    assert not any(tok in proc.stderr for tok in toy_sim.tokens)
