"""Two `reportbridge audit` processes on one bundle, a full disk, a read-only bundle and
the umask: real processes against a simulator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clihelp import cli_cmd, cli_env, json_lines, run_cli, write_config
from tests.toy import ToySimulator

FAST = {"initial": 0.1, "backoff": 1.3, "cap": 0.3, "jitter": 0.0}
N = 3


@pytest.fixture
def config(tmp_path: Path, toy_sim: ToySimulator) -> Path:
    return write_config(
        tmp_path / "rb.toml",
        {"toy1": {"provider": "toy", **toy_sim.profile_settings(), "polling": FAST}},
    )


def plan_file(folder: Path, n: int = N) -> Path:
    jobs = "".join(
        f'[[jobs]]\nname = "j{i}"\nprofile = "toy1"\nreport_type = "USERS"\nformats = ["csv"]\n'
        for i in range(n)
    )
    path = folder / "plan.toml"
    path.write_text(f'[audit]\nname = "lock"\n{jobs}', encoding="utf-8")
    return path


def start_audit(config: Path, plan: Path, bundle: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_cmd("--config", str(config), "audit", str(plan), "--out", str(bundle), *extra),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_holder(bundle: Path, pid: int, deadline: float = 60) -> dict[str, object]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            holder = json.loads((bundle / "audit.lock").read_text())
            if holder.get("pid") == pid:
                return dict(holder)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError("the first audit never took the lock")


def test_a_second_audit_on_a_locked_bundle_names_the_holder_and_exits_2(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    toy_sim.job_seconds = 600.0  # the first audit holds the bundle until told to finish
    bundle, plan = tmp_path / "bundle", plan_file(tmp_path)
    first = start_audit(config, plan, bundle)
    try:
        holder = wait_for_holder(bundle, first.pid)
        second = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle))
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert (
            f"user {holder['user']}" in second.stderr and f"host {holder['host']}" in second.stderr
        )
        assert "--wait-lock" in second.stderr and "Traceback" not in second.stderr
        waited = run_cli(
            "--config", str(config), "audit", str(plan), "--out", str(bundle), "--wait-lock", "0.3"
        )
        assert waited.returncode == 2 and "after waiting 0.3 s" in waited.stderr
        toy_sim.job_seconds = 0.0
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.communicate(timeout=10)
    assert toy_sim.count("POST", "^/jobs$") == N


def test_audits_waiting_for_the_lock_submit_every_job_once(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    toy_sim.job_seconds = 1.0
    bundle, plan = tmp_path / "bundle", plan_file(tmp_path)
    procs = [start_audit(config, plan, bundle, "--json", "--wait-lock") for _ in range(3)]
    try:
        results = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate(timeout=10)
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert json_lines(out)[-1]["succeeded"] == N
    assert toy_sim.count("POST", "^/jobs$") == N, "two runs submitted the same job"
    assert run_cli("audit", "verify", str(bundle)).returncode == 0


def test_the_lock_dies_with_its_holder(config: Path, tmp_path: Path, toy_sim: ToySimulator) -> None:
    toy_sim.job_seconds = 60.0
    bundle, plan = tmp_path / "bundle", plan_file(tmp_path)
    first = start_audit(config, plan, bundle)
    wait_for_holder(bundle, first.pid)
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)
    toy_sim.job_seconds = 0.2
    second = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle))
    assert second.returncode == 0, second.stderr


# -- a full disk, a read-only bundle: typed errors, nothing lost -----------------------


def run_limited(
    args: list[str], *, fsize: int | None = None, umask: int | None = None, plain_user: bool = False
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with a file-size limit (a full disk) and/or a umask.

    ``plain_user``: when the tests run as root, the command runs without the capabilities
    that let root ignore file permissions, so it meets a read-only folder as a user does.
    """
    prelude = "import resource, sys\n"
    if fsize is not None:
        prelude += f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n"
    code = prelude + "from reportbridge.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    cmd = [sys.executable, "-c", code, *args]
    if plain_user and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *cmd]
    return subprocess.run(
        cmd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=-1 if umask is None else umask,
    )


# 48 KB: full before the first job; 150 KB: full halfway (six jobs write 180 KB or more
# of journal: each of their 45 or more commits appends a 4 KiB page to the WAL)
@pytest.mark.parametrize("fsize", [48_000, 150_000])
def test_a_full_disk_stops_the_audit_with_a_typed_error_and_loses_nothing(
    config: Path, tmp_path: Path, toy_sim: ToySimulator, fsize: int
) -> None:
    bundle, plan = tmp_path / "bundle", plan_file(tmp_path, 6)
    args = ["--config", str(config), "audit", str(plan), "--out", str(bundle)]
    full = run_limited(args, fsize=fsize)
    assert full.returncode == 1, (full.stdout, full.stderr)
    assert "Traceback" not in full.stderr and "sqlite3" not in full.stderr
    assert "LocalWriteError" in full.stderr
    assert "journal" in full.stderr or "manifest" in full.stderr or "files" in full.stderr
    # a job the vendor accepted but the journal could not record is named, with its ref
    unrecorded = full.stderr.count("reportbridge wait rb1.")
    again = run_cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    assert json_lines(again.stdout)[-1]["succeeded"] == 6
    assert toy_sim.count("POST", "^/jobs$") == 6 + unrecorded, "a recorded job was sent twice"
    assert run_cli("audit", "verify", str(bundle)).returncode == 0


def test_a_read_only_bundle_is_a_typed_error(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    bundle, plan = tmp_path / "bundle", plan_file(tmp_path, 2)
    args = ["--config", str(config), "audit", str(plan), "--out", str(bundle)]
    first = run_limited(args, plain_user=True)
    assert first.returncode == 0, first.stderr
    bundle.chmod(0o555)
    try:
        again = run_limited(args, plain_user=True)
        assert again.returncode == 1, (again.stdout, again.stderr)
        assert "Traceback" not in again.stderr and "LocalWriteError" in again.stderr
        assert "sqlite3." not in again.stderr and "OSError" not in again.stderr
        parent = tmp_path / "read-only"
        parent.mkdir(mode=0o555)
        cannot = run_limited([*args[:-1], str(parent / "bundle")], plain_user=True)
        assert cannot.returncode == 1 and "Traceback" not in cannot.stderr, cannot.stderr
        assert "LocalWriteError" in cannot.stderr
    finally:
        bundle.chmod(0o755)
    assert toy_sim.count("POST", "^/jobs$") == 2


# -- file modes follow the umask -------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_the_umask_gives(
    config: Path, tmp_path: Path, umask: int, mode: int
) -> None:
    out = tmp_path / "out"
    fetched = run_limited(
        ["--config", str(config), "run", "toy1", "USERS", "--fetch", str(out), "--json"],
        umask=umask,
    )
    assert fetched.returncode == 0, fetched.stderr
    (path,) = [Path(f["path"]) for f in json_lines(fetched.stdout)[0]["files"]]
    assert oct(path.stat().st_mode & 0o777) == oct(mode)
    bundle = tmp_path / "bundle"
    audit = run_limited(
        ["--config", str(config), "audit", str(plan_file(tmp_path, 1)), "--out", str(bundle)],
        umask=umask,
    )
    assert audit.returncode == 0, audit.stderr
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"manifest.json", "journal.sqlite", "audit.lock"}
    for p in files:
        assert oct(p.stat().st_mode & 0o777) == oct(mode), p
