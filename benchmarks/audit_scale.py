"""An audit plan of many jobs through the CLI: wall vs run_many, bundle sizes, kill -9, resume.

    uv run python benchmarks/audit_scale.py [--jobs 10000] [--min-s 5] [--max-s 40]
        [--sailpoint-quota 4000] [--kill-at 0.5] [--phases run_many,audit,kill]

Each phase starts the three simulators afresh in child processes (the same seeds, so the
k-th job each creates lasts as long in every phase, see simjobs.py) and drives the same
jobs (a third per provider, one file each, 64 KiB):

- ``run_many``: ``Reports.run_many`` in this process, files into a temporary folder;
- ``audit``: ``reportbridge audit PLAN --out BUNDLE`` in a child process (journal, custody
  log, manifest); then the same command again on the finished bundle (what a resume of a
  bundle with nothing left to do costs) and ``reportbridge audit verify``;
- ``kill``: the same audit, killed with SIGKILL once ``--kill-at`` of its jobs have ended
  (read from its journal), then resumed with the same command. The simulators count the
  reports created: a resume that submitted a job twice would show more than ``--jobs``.

Client limits match the simulators' quotas, as in orchestration.py.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from _common import ROOT, emit, md_table, simulator_child
from orchestration import PROVIDERS, batch_profiles, batch_requests, sim_options
from simjobs import FACTORIES

from reportbridge import Reports
from reportbridge.plugins import PluginRegistry


@contextmanager
def simulators(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        yield {
            p: stack.enter_context(
                simulator_child(
                    functools.partial(
                        FACTORIES[p],
                        args.min_s,
                        args.max_s,
                        args.seed * 10 + i,
                        **sim_options(p, args),
                    )
                )
            )
            for i, p in enumerate(PROVIDERS)
        }


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for these ASCII values
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def write_config(path: Path, profiles: dict[str, dict[str, Any]]) -> None:
    lines = []
    for name, settings in profiles.items():
        lines.append(f"[profiles.{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in settings.items()]
        lines.append("")
    path.write_text("\n".join(lines))


def write_plan(path: Path, requests: list[Any], timeout: float) -> None:
    lines = ["[audit]", 'name = "scale"', f"timeout = {timeout:g}", ""]
    for req in requests:
        lines += [
            "[[jobs]]",
            f"name = {toml_value(req.key)}",
            f"profile = {toml_value(req.profile)}",
            f"report_type = {toml_value(req.report_type)}",
            f"params = {toml_value(req.params)}",
            f"formats = {toml_value(list(req.formats))}",
            "",
        ]
    path.write_text("\n".join(lines))


def counts_for(args: argparse.Namespace) -> dict[str, int]:
    return {p: args.jobs // 3 + (1 if i < args.jobs % 3 else 0) for i, p in enumerate(PROVIDERS)}


def created(sims: dict[str, Any]) -> int:
    return sum(int(sims[p].stats()["jobs_created"]) for p in PROVIDERS)


def phase_run_many(args: argparse.Namespace, registry: PluginRegistry) -> dict[str, Any]:
    counts = counts_for(args)
    with simulators(args) as sims, tempfile.TemporaryDirectory() as tmp:
        profiles = batch_profiles(sims, counts, args)
        requests = batch_requests(registry, counts)
        with Reports.from_profiles(profiles, registry=registry) as reports:
            started = time.perf_counter()
            outcomes = list(reports.run_many(requests, dest_dir=Path(tmp), timeout=args.timeout))
            wall = time.perf_counter() - started
        return {
            "phase": "run_many",
            "wall_s": round(wall, 2),
            "ok": sum(o.ok for o in outcomes),
            "jobs_created": created(sims),
        }


def cli(config: Path, *argv: str) -> list[str]:
    return [str(Path(sys.executable).parent / "reportbridge"), "--config", str(config), *argv]


def prepare(
    args: argparse.Namespace, registry: PluginRegistry, sims: dict[str, Any], tmp: Path
) -> tuple[Path, Path, Path]:
    """The config (profiles on ``sims``), the plan and the bundle folder, under ``tmp``."""
    counts = counts_for(args)
    profiles = batch_profiles(sims, counts, args)
    config, plan, bundle = tmp / "reportbridge.toml", tmp / "plan.toml", tmp / "bundle"
    write_config(config, profiles)
    write_plan(plan, batch_requests(registry, counts), args.timeout)
    return config, plan, bundle


def sizes(bundle: Path) -> dict[str, int]:
    names = ("journal.sqlite", "journal.sqlite-wal", "custody.jsonl", "manifest.json")
    out = {n: (bundle / n).stat().st_size for n in names if (bundle / n).exists()}
    out["files"] = sum(1 for p in (bundle / "files").rglob("*") if p.is_file())
    return out


#: the core sources the CLI runs with (``--before-src`` for the audit-before phase)
CORE_SRC: list[str] = []


def env() -> dict[str, str]:
    paths = [*CORE_SRC, str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env())
    return time.perf_counter() - started, done


def phase_audit(args: argparse.Namespace, registry: PluginRegistry) -> dict[str, Any]:
    with simulators(args) as sims, tempfile.TemporaryDirectory() as t:
        config, plan, bundle = prepare(args, registry, sims, Path(t))
        wall, done = timed(cli(config, "audit", str(plan), "--out", str(bundle)))
        summary = json.loads((bundle / "manifest.json").read_text())["summary"]
        again, redo = timed(cli(config, "audit", str(plan), "--out", str(bundle)))
        check, verified = timed(cli(config, "audit", "verify", str(bundle)))
        return {
            "phase": "audit",
            "wall_s": round(wall, 2),
            "exit": done.returncode,
            "stderr_tail": done.stderr[-300:] if done.returncode else "",
            "summary": summary,
            "jobs_created": created(sims),
            "sizes": sizes(bundle),
            "rerun_finished_bundle_s": round(again, 2),
            "rerun_exit": redo.returncode,
            "verify_s": round(check, 2),
            "verify_exit": verified.returncode,
        }


def ended_share(journal: Path, jobs: int) -> float:
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1)
        try:
            (n,) = db.execute("SELECT count(*) FROM jobs WHERE phase = 'finished'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return 0.0
    return int(n) / jobs


def phase_kill(args: argparse.Namespace, registry: PluginRegistry) -> dict[str, Any]:
    with simulators(args) as sims, tempfile.TemporaryDirectory() as t:
        config, plan, bundle = prepare(args, registry, sims, Path(t))
        cmd = cli(config, "audit", str(plan), "--out", str(bundle))
        started = time.perf_counter()
        child = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env()
        )
        share = 0.0
        while child.poll() is None:
            share = ended_share(bundle / "journal.sqlite", args.jobs)
            if share >= args.kill_at:
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.2)
        child.wait()
        killed_at = time.perf_counter() - started
        before = created(sims)
        resume, done = timed(cmd)
        summary = json.loads((bundle / "manifest.json").read_text())["summary"]
        check, verified = timed(cli(config, "audit", "verify", str(bundle)))
        return {
            "phase": "kill",
            "killed_at_s": round(killed_at, 2),
            "ended_share_at_kill": round(share, 3),
            "jobs_created_before_resume": before,
            "resume_wall_s": round(resume, 2),
            "resume_exit": done.returncode,
            "stderr_tail": done.stderr[-300:] if done.returncode else "",
            "summary": summary,
            "jobs_created": created(sims),
            "submitted_twice": created(sims) - args.jobs,
            "sizes": sizes(bundle),
            "verify_s": round(check, 2),
            "verify_exit": verified.returncode,
        }


def phase_audit_before(args: argparse.Namespace, registry: PluginRegistry) -> dict[str, Any]:
    """The audit phase with the CLI running the core sources of ``--before-src``."""
    if not args.before_src:
        raise SystemExit("audit-before needs --before-src")
    CORE_SRC[:] = [args.before_src]
    try:
        return {**phase_audit(args, registry), "phase": "audit-before"}
    finally:
        CORE_SRC.clear()


PHASES = {
    "run_many": phase_run_many,
    "audit": phase_audit,
    "audit-before": phase_audit_before,
    "kill": phase_kill,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--min-s", type=float, default=5.0)
    parser.add_argument("--max-s", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file-size", type=int, default=64 * 1024)
    parser.add_argument("--sailpoint-quota", type=int, default=4000)
    parser.add_argument("--sailpoint-window", type=float, default=10.0)
    parser.add_argument("--explore-quota", type=int, default=0, help="default: every job")
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--phases", default="run_many,audit,kill")
    parser.add_argument("--before-src", help="core/src of the code to compare with")
    args = parser.parse_args()
    args.explore_quota = args.explore_quota or args.jobs // 3 + 1
    print("command: uv run python benchmarks/audit_scale.py " + " ".join(sys.argv[1:]))
    print("load average:", os.getloadavg())
    registry = PluginRegistry()
    results = []
    for name in args.phases.split(","):
        result = PHASES[name](args, registry)
        result["load_after"] = round(os.getloadavg()[0], 2)
        emit(result)
        results.append(result)
    rows = [
        [
            r["phase"],
            r.get("wall_s", r.get("resume_wall_s")),
            r.get("rerun_finished_bundle_s", ""),
            r.get("killed_at_s", ""),
            r["jobs_created"],
            json.dumps(r.get("sizes", {})),
            r["load_after"],
        ]
        for r in results
    ]
    print()
    print(
        md_table(
            [
                "phase",
                "wall s",
                "re-run done bundle s",
                "killed at s",
                "jobs created",
                "sizes",
                "load",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
