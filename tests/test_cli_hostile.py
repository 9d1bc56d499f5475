"""The command line under hostile conditions, in real processes: a bug in a plugin, a
closed stdout, SIGTERM and SIGINT mid-run, bad numbers, a wait that times out, and
vendor text carrying terminal control sequences."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge.testing import Fault, Response, route
from tests.clihelp import cli_cmd, cli_env, json_lines, run_cli, write_config
from tests.crashy import LEAKED_TOKEN
from tests.toy import ToySimulator

FAST = {"initial": 0.1, "backoff": 1.3, "cap": 0.3, "jitter": 0.0}
# what must never reach a terminal: C0 (but tab and newline), DEL, C1, bidi controls
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


@pytest.fixture
def config(tmp_path: Path, toy_sim: ToySimulator) -> Path:
    return write_config(
        tmp_path / "rb.toml",
        {
            "toy1": {"provider": "toy", **toy_sim.profile_settings(), "polling": FAST},
            "crashy1": {"provider": "crashy"},
        },
    )


PLUGINS = "tests.toy:ToyPlugin,tests.crashy:CrashyPlugin"


def cli(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=cli_env(extra_plugins=PLUGINS), **kw)


def popen(*args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_cmd(*args),
        env=cli_env(extra_plugins=PLUGINS),
        stdout=kw.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kw,
    )


def plan_text(n: int) -> str:
    return "".join(
        f'[[jobs]]\nname = "j{i}"\nprofile = "toy1"\nreport_type = "USERS"\n' for i in range(n)
    )


def until(check: Callable[[], bool], what: str, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


# -- no traceback unless asked, and then redacted --------------------------------------


def test_an_unexpected_exception_is_one_redacted_line_and_exit_1(config: Path) -> None:
    proc = cli("--config", str(config), "run", "crashy1", "ANY")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unexpected error: RuntimeError: boom" in lines[0] and "-vv" in lines[0]
    assert "Traceback" not in proc.stderr and LEAKED_TOKEN not in proc.stderr


def test_the_traceback_comes_with_vv_and_is_redacted(config: Path) -> None:
    proc = cli("--config", str(config), "-vv", "run", "crashy1", "ANY")
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert "second line" in proc.stderr  # the whole message is there...
    assert LEAKED_TOKEN not in proc.stderr  # ...but not the secret in it


# -- a closed stdout ends the command quietly ------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["providers", "--json"],
        ["providers"],
        ["run", "toy1", "USERS", "--wait", "--json"],
    ],
)
def test_a_closed_stdout_ends_quietly_with_141(
    config: Path, toy_sim: ToySimulator, args: list[str]
) -> None:
    toy_sim.job_seconds = 0.1
    proc = popen("--config", str(config), *args)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before anything is written (`| head -c 0`)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def test_a_reader_that_stops_early_is_not_an_error(config: Path) -> None:
    proc = popen("--config", str(config), "providers", "--json")
    assert proc.stdout is not None
    head = proc.stdout.read(100)  # `reportbridge providers --json | head -c 100`
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert len(head) == 100
    assert proc.returncode in (0, 141) and "Traceback" not in err


# -- SIGTERM is handled like Ctrl-C ----------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_wait_prints_the_reference(
    config: Path, toy_sim: ToySimulator, sig: int, code: int
) -> None:
    toy_sim.job_seconds = 600
    proc = popen("--config", str(config), "run", "toy1", "USERS", "--wait")
    until(lambda: toy_sim.count("GET", "^/jobs/job") >= 1, "the first poll")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "resume with: reportbridge wait rb1." in err and "Traceback" not in err


class StallingSimulator(ToySimulator):
    """Serves the first 64 KiB of a file, then stalls until released."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.release = threading.Event()

    @route("GET", "/jobs/(?P<job_id>[^/]+)/file")
    def file(self, req: Any, job_id: str) -> Response:
        def body() -> Iterator[bytes]:
            yield b"x" * 65536
            self.release.wait(120)

        headers = {
            "Content-Type": "text/csv",
            "Content-Disposition": 'attachment; filename="r.csv"',
        }
        return Response(200, headers, body(), 50_000_000)


@pytest.fixture
def stalling(start_simulator: Callable[[Any], Any]) -> Iterator[StallingSimulator]:
    sim = start_simulator(StallingSimulator(job_seconds=0.0))
    yield sim
    sim.release.set()


@pytest.mark.parametrize("command", ["fetch", "run"])
def test_sigterm_during_a_download_keeps_nothing_partial(
    tmp_path: Path, stalling: StallingSimulator, command: str
) -> None:
    config = write_config(
        tmp_path / "rb.toml",
        {"toy1": {"provider": "toy", **stalling.profile_settings(), "polling": FAST}},
    )
    out = tmp_path / "out"
    if command == "fetch":
        made = cli("--config", str(config), "run", "toy1", "USERS", "--wait", "--json")
        ref = json_lines(made.stdout)[0]["ref"]
        proc = popen("--config", str(config), "fetch", ref, "--out", str(out))
    else:
        proc = popen("--config", str(config), "run", "toy1", "USERS", "--fetch", str(out))
    until(lambda: out.is_dir() and any(out.iterdir()), "the download started")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(out.iterdir()) == [], "a partial file was kept"
    assert "rb1." in err and "Traceback" not in err


def test_sigterm_during_an_audit_keeps_the_bundle_resumable(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    toy_sim.job_seconds = 600
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text(3))
    bundle = tmp_path / "bundle"
    proc = popen("--config", str(config), "audit", str(plan), "--out", str(bundle))
    until(lambda: toy_sim.count("GET", "^/jobs/job") >= 3, "every job polled")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "Resume with the same command" in err
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert all(job["ref"] for job in manifest["jobs"])
    assert (bundle / "audit.lock").read_text() == ""  # released, holder cleared
    toy_sim.job_seconds = 0
    again = cli("--config", str(config), "audit", str(plan), "--out", str(bundle))
    assert again.returncode == 0, again.stderr
    assert toy_sim.count("POST", "^/jobs$") == 3


# -- numbers: NaN, infinity, negative are usage errors; a timeout is exit 4 -------------


@pytest.fixture
def running_ref(config: Path, toy_sim: ToySimulator) -> str:
    toy_sim.job_seconds = 600
    made = cli("--config", str(config), "run", "toy1", "USERS", "--json")
    return str(json_lines(made.stdout)[0]["ref"])


BAD_SECONDS = ["nan", "NaN", "inf", "-inf", "-1", "-0.001", "1e400", "1e8", "abc", ""]


@pytest.mark.parametrize("value", BAD_SECONDS)
@pytest.mark.parametrize("command", ["wait", "run"])
def test_bad_timeouts_are_usage_errors(
    config: Path, running_ref: str, command: str, value: str
) -> None:
    args = ["wait", running_ref] if command == "wait" else ["run", "toy1", "USERS", "--wait"]
    proc = cli("--config", str(config), *args, f"--timeout={value}", timeout=30)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "--timeout" in proc.stderr and "not a number of seconds" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "plan.toml", "--out", "b", "--wait-lock", "nan"],
        ["audit", "plan.toml", "--out", "b", "--wait-lock", "-3"],
        ["simulate", "--job-seconds", "nan"],
        ["demo", "--job-seconds", "inf"],
        ["demo", "--file-size", "-1"],
        ["list", "toy1", "--limit", "0"],
    ],
)
def test_other_bad_numbers_are_usage_errors(config: Path, args: list[str]) -> None:
    proc = cli("--config", str(config), *args, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deeply_nested_params_json_is_a_usage_error(config: Path, text: str) -> None:
    proc = cli("--config", str(config), "run", "toy1", "USERS", "--params-json", text)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "--params-json" in proc.stderr and "Traceback" not in proc.stderr


def test_a_wait_that_times_out_exits_4_with_the_reference(config: Path, running_ref: str) -> None:
    proc = cli("--config", str(config), "wait", running_ref, "--timeout", "0.5", "--json")
    assert proc.returncode == 4, proc.stderr
    (job,) = json_lines(proc.stdout)
    assert job["ref"] == running_ref and job["status"] in ("pending", "running")
    assert f"resume with: reportbridge wait {running_ref}" in proc.stderr


# -- vendor text never drives the terminal ---------------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\r\x08\x9b1m\u202etxt.exe\u2066x\x00"


def visible(text: str) -> None:
    found = RAW_CONTROL.findall(text)
    assert not found, f"raw control characters reached the terminal: {found!r}"


def test_a_vendor_error_message_is_printed_inert(config: Path, toy_sim: ToySimulator) -> None:
    toy_sim.faults.add(
        Fault(
            path="^/jobs$",
            method="POST",
            status=400,
            body=HOSTILE.encode(),  # raw text: the vendor need not send JSON
            times=None,
        )
    )
    proc = cli("--config", str(config), "run", "toy1", "USERS")
    assert proc.returncode == 1
    visible(proc.stdout + proc.stderr)
    assert "\\x1b" in proc.stderr or "\\u001b" in proc.stderr  # shown, not acted on


def test_log_lines_quoting_a_vendor_are_inert(tmp_path: Path, toy_sim: ToySimulator) -> None:
    once = {"max_attempts": 1}  # the failed poll reaches `wait`, which logs it
    config = write_config(
        tmp_path / "rb1.toml",
        {
            "toy1": {
                "provider": "toy",
                **toy_sim.profile_settings(),
                "polling": FAST,
                "transport": once,
            }
        },
    )
    toy_sim.faults.add(
        Fault(path="^/jobs/job", method="GET", status=503, body=HOSTILE.encode(), times=1)
    )
    proc = cli("--config", str(config), "run", "toy1", "USERS", "--wait")
    assert proc.returncode == 0, proc.stderr
    assert "poll failed" in proc.stderr  # the warning is logged...
    visible(proc.stderr)  # ...with the vendor's text inert


def test_vendor_ids_and_states_are_printed_inert(config: Path, toy_sim: ToySimulator) -> None:
    toy_sim.jobs[f"job{HOSTILE}"] = {
        "id": f"job{HOSTILE}",
        "type": f"USERS{HOSTILE}",
        "params": {},
        "state": "queued",
        "outcome": "done",
        "created": time.monotonic() - 100,
    }
    human = cli("--config", str(config), "list", "toy1")
    assert human.returncode == 0, human.stderr
    visible(human.stdout + human.stderr)
    assert "\\x1b" in human.stdout
    machine = cli("--config", str(config), "list", "toy1", "--json")
    visible(machine.stdout)
    (job,) = json_lines(machine.stdout)
    assert job["job_id"] == f"job{HOSTILE}"  # JSON keeps the value, escaped


def hostile_audit(
    config: Path, tmp_path: Path, sim: ToySimulator, jobs: int, *extra: str
) -> subprocess.CompletedProcess[str]:
    """An audit whose first job start the vendor refuses with control sequences."""
    sim.faults.add(Fault(path="^/jobs$", method="POST", status=400, body=HOSTILE.encode()))
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text(jobs))
    return cli("--config", str(config), "audit", str(plan), "--out", str(tmp_path / "b"), *extra)


def test_an_audit_summary_prints_vendor_errors_inert(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    proc = hostile_audit(config, tmp_path, toy_sim, 2)
    assert proc.returncode == 3, proc.stderr
    visible(proc.stdout + proc.stderr)
    assert "RejectedRequestError" in proc.stdout


def test_json_output_escapes_control_characters(
    config: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    proc = hostile_audit(config, tmp_path, toy_sim, 1, "--json")
    assert proc.returncode == 1, proc.stderr
    visible(proc.stdout)
    job = json_lines(proc.stdout)[0]
    assert "\x1b]0;owned" in job["error"]  # the value is kept, only escaped in the JSON text
