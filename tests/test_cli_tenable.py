"""The command line with Tenable exports, as a user would run it from a clean clone: the
simulator served by `reportbridge simulate`, its printed profile as the config, then
`run --wait --fetch` and an audit plan, every chunk written and checked."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge.plugins import PluginRegistry
from reportbridge_tenable.sim_chunks import ChunkFile
from reportbridge_tenable.simulator import TenableSimulator
from tests.clihelp import cli_cmd, cli_env, json_lines, run_cli, write_config

FAST = {"initial": 0.1, "backoff": 1.3, "cap": 0.4, "jitter": 0.0}
FILE_SIZE = 6000
NEW_YEAR = 1_735_689_600


def served_sha(job_id: str, kind: str, chunk: str) -> str:
    """What the simulator (a pure function of the export and chunk) served for a chunk."""
    return ChunkFile(FILE_SIZE, seed=f"{job_id}:{chunk}", kind=kind).sha256


@pytest.fixture(scope="module")
def simulate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`reportbridge simulate tenable` in a subprocess; yields its printed profile line."""
    proc = subprocess.Popen(
        cli_cmd("simulate", "tenable", "--job-seconds", "0.8", "--file-size", str(FILE_SIZE)),
        env=cli_env(extra_plugins=None),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["provider"] == "tenable" and "[profiles.tenable-sim]" in line["toml"]
        yield line
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="module")
def config(simulate: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cfg")
    return write_config(
        folder / "reportbridge.toml",
        {"tenable-sim": {**simulate["profile"], "polling": FAST, "max_active_jobs": 4}},
    )


@pytest.fixture
def env() -> dict[str, str]:
    return cli_env(extra_plugins=None)


def test_run_wait_fetch_writes_every_chunk_and_one_record_per_file(
    config: Path, env: dict[str, str], tmp_path: Path
) -> None:
    proc = run_cli(
        "--config", str(config), "run", "tenable-sim", "vulns", "-p", "severity=high,critical",
        "-p", f"since={NEW_YEAR}", "--wait", "--fetch", str(tmp_path), "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = json_lines(proc.stdout)
    assert len(records) == 3  # the simulator's three chunks, one line each
    job_ids = {r["job_id"] for r in records}
    assert len(job_ids) == 1 and all(r["status"] == "succeeded" for r in records)
    files = [f for r in records for f in r["files"]]
    assert sorted(f["part"] for f in files) == ["1", "2", "3"]
    for f in files:
        path = Path(f["path"])
        assert path.parent == tmp_path and path.is_file()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
        assert f["sha256"] == served_sha(records[0]["job_id"], "vulns", f["part"])
        assert isinstance(json.loads(path.read_bytes()), list)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(f["path"]).name for f in files)


PLAN = """
[audit]
name = "tenable exports"
[[jobs]]
name = "critical-vulns"
profile = "tenable-sim"
report_type = "vulns"
params = {{ severity = ["critical"], state = ["OPEN", "REOPENED"], since = {since} }}
[[jobs]]
name = "assets"
profile = "tenable-sim"
report_type = "assets"
params = {{ chunk_size = 500, updated_at = "2025-01-01T00:00:00Z", is_licensed = true }}
formats = ["json"]
"""


def test_an_audit_plan_with_tenable_jobs(config: Path, env: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(since=NEW_YEAR + 7), encoding="utf-8")
    bundle = tmp_path / "bundle"
    proc = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle), env=env)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((bundle / "manifest.json").read_text())
    jobs = {j["key"]: j for j in manifest["jobs"]}
    assert set(jobs) == {"critical-vulns", "assets"}
    for key, kind in (("critical-vulns", "vulns"), ("assets", "assets")):
        job = jobs[key]
        assert job["status"] == "succeeded"
        assert sorted(f["part"] for f in job["files"]) == ["1", "2", "3"]
        for f in job["files"]:
            path = bundle / f["path"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
            assert f["sha256"] == served_sha(job["job_id"], kind, f["part"])
    assert run_cli("audit", "verify", str(bundle), env=env).returncode == 0
    again = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle), env=env)
    assert again.returncode == 0, again.stderr  # a re-run finds everything done


PARTIAL_PLAN = """
[[jobs]]
name = "vulns"
profile = "tv"
report_type = "vulns"
params = {{ since = {since} }}
"""


def test_a_partial_export_exits_3_and_names_its_lost_chunks(
    env: dict[str, str], tmp_path: Path
) -> None:
    provider = PluginRegistry().provider("tenable")
    sim = provider.simulator(
        job_seconds=0.3, file_size=FILE_SIZE, chunks=3, failed_chunks=(2,), out_of_order=False
    )
    assert isinstance(sim, TenableSimulator)
    with sim:
        config = write_config(
            tmp_path / "reportbridge.toml",
            {"tv": {"provider": "tenable", **sim.profile_settings(), "polling": FAST}},
        )
        proc = run_cli(
            "--config", str(config), "run", "tv", "vulns", "-p", f"since={NEW_YEAR}",
            "--fetch", str(tmp_path / "out"), "--json", env=env,
        )  # fmt: skip
        plan = tmp_path / "plan.toml"
        plan.write_text(PARTIAL_PLAN.format(since=NEW_YEAR + 1), encoding="utf-8")
        bundle = tmp_path / "bundle"
        audit = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle), env=env)
    assert audit.returncode == 3, audit.stderr
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["summary"]["partial"] == 1 and manifest["summary"]["succeeded"] == 0
    (job,) = manifest["jobs"]
    assert job["status"] == "partial" and [p["id"] for p in job["failed_parts"]] == ["2", "3"]
    assert [f["part"] for f in job["files"]] == ["1"]
    assert job["files"][0]["sha256"] == served_sha(job["job_id"], "vulns", "1")
    assert proc.returncode == 3, proc.stderr
    records = json_lines(proc.stdout)
    assert records and all(r["status"] == "partial" for r in records)
    lost = records[0]["failed_parts"]
    assert [p["id"] for p in lost] == sorted(p["id"] for p in lost)
    assert "2" in {p["id"] for p in lost}
    written = {f["part"] for r in records for f in r["files"]}
    assert written and written.isdisjoint({p["id"] for p in lost})
    for r in records:
        for f in r["files"]:
            assert f["sha256"] == sim.served_sha256(r["job_id"], "json", f["part"])
