"""1,000 report jobs waited on as Airflow triggers in one process, beside ``run_many``.

    uv run python benchmarks/airflow_scale.py [--jobs 1000] [--min-s 5] [--max-s 40]
        [--seed 1] [--workers 32] [--mode both|triggers|run_many]

The three providers' simulators run in child processes, each job with its own duration
(simjobs.py, as in orchestration.py; client limits match the simulators' quotas).

- **triggers**: what a deployment does with 1,000 deferred ``RunReportOperator`` tasks.
  The "workers" (a pool of ``--workers`` threads in this process, as LocalExecutor's
  parallelism) submit each job through the hook; one child process plays the
  **triggerer**: it runs one ``ReportTrigger.run()`` per job on a single asyncio event
  loop, through the real connection lookup (``AIRFLOW_CONN_*``) and the shared
  AsyncReports per connection; each event goes back to the workers, which fetch the file
  (the resumed task). Measured in the triggerer process alone: CPU, peak RSS, peak
  threads. Not included: Airflow's scheduler and the triggerer's own bookkeeping (its
  database round trips per trigger and event), nor task start-up on the workers.
- **run_many**: the same jobs through one ``Reports.run_many`` call in one process.

Wall time runs from the first submit to the last file; the ideal is the longest job plus
its fetch (or what the quotas allow, as in orchestration.py).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import functools
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, md_table, simulator_child
from orchestration import (
    PROVIDERS,
    Sampler,
    batch_profiles,
    batch_requests,
    calibrate,
    cpu_seconds,
    quota_bounds,
    sim_options,
)
from simjobs import FACTORIES, durations

from reportbridge import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge.refs import decode_ref


def _triggerer(conn_env: dict[str, str], inbox: Any, outbox: Any) -> None:
    """The triggerer's role: one event loop running a ReportTrigger per reference."""
    os.environ.update(conn_env)
    from reportbridge_airflow.triggers import ReportTrigger

    quiet_reportbridge_logs()
    rss_imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = [threading.active_count()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            threads[0] = max(threads[0], threading.active_count())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        running: set[asyncio.Task[None]] = set()
        cpu0 = cpu_seconds()

        async def one(conn_id: str, ref: str, deadline: float) -> None:
            async for event in ReportTrigger(ref, conn_id, deadline=deadline).run():
                outbox.put(("event", event.payload))

        while True:
            item = await loop.run_in_executor(None, inbox.get)
            if item is None:
                break
            task = asyncio.ensure_future(one(*item))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
        stop.set()
        outbox.put(
            (
                "stats",
                {
                    "cpu_s": cpu_seconds() - cpu0,
                    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "rss_before_mib": rss_imported,
                    "peak_threads": threads[0],
                },
            )
        )

    asyncio.run(main())


def quiet_reportbridge_logs() -> None:
    """Airflow logs INFO to the console; reportbridge's per-job lines would cost the run
    their terminal I/O (the same in both modes: run_many logs nothing by default)."""
    import logging

    logging.getLogger("reportbridge").setLevel(logging.WARNING)


def connection_env(profiles: dict[str, dict[str, Any]], registry: PluginRegistry) -> dict[str, str]:
    from reportbridge_airflow.testing import connection_json

    env = {}
    for name, table in profiles.items():
        settings = {k: v for k, v in table.items() if k != "provider"}
        env[f"AIRFLOW_CONN_{name.upper()}"] = connection_json(name, settings, registry)
    return env


def run_triggers(
    profiles: dict[str, dict[str, Any]],
    requests: list[Any],
    registry: PluginRegistry,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    env = connection_env(profiles, registry)
    os.environ.update(env)  # the "workers" read the same connections
    ctx = mp.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_triggerer, args=(env, inbox, outbox), daemon=True)
    child.start()
    from reportbridge_airflow.hooks import ReportBridgeHook
    from reportbridge_airflow.storage import fetch_into

    quiet_reportbridge_logs()

    reports = {p: ReportBridgeHook(p, registry=registry).get_conn() for p in profiles}
    started = time.perf_counter()
    deadline = time.time() + args.max_s * 4 + 120
    files: list[Any] = []
    failures: list[str] = []

    def submit(req: Any) -> None:
        job = reports[req.profile].run(req.profile, req.report_type, **req.params)
        inbox.put((req.profile, job.ref, deadline))

    def resume(event: dict[str, Any]) -> None:
        rb = reports[decode_ref(event["ref"]).profile]
        if event.get("status") != "succeeded":
            failures.append(str(event)[:200])
            return
        job = rb.job(event["ref"])
        files.extend(fetch_into(rb, rb.poll(job), tmp / job.profile, [None]))

    with cf.ThreadPoolExecutor(args.workers, thread_name_prefix="worker") as workers:
        list(workers.map(submit, requests))
        submitted_s = time.perf_counter() - started
        inbox.put(None)
        pending = []
        stats: dict[str, Any] = {}
        for _ in range(len(requests) + 1):
            kind, value = outbox.get(timeout=args.max_s * 4 + 300)
            if kind == "stats":
                stats = value
            else:
                pending.append(workers.submit(resume, value))
        for future in pending:
            future.result()
    wall = time.perf_counter() - started
    child.join(30)
    for rb in reports.values():
        rb.close()
    return {
        "mode": "triggers (one triggerer process)",
        "wall_s": wall,
        "submitted_by_s": submitted_s,
        "ok": len(files),
        "failures": failures[:3],
        "cpu_ms_per_job": 1000 * stats["cpu_s"] / len(requests),
        "peak_rss_mib": stats["peak_rss_mib"],
        "rss_before_mib": stats["rss_before_mib"],
        "peak_threads": stats["peak_threads"],
    }


def run_batch(
    profiles: dict[str, dict[str, Any]],
    requests: list[Any],
    registry: PluginRegistry,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Reports.from_profiles(profiles, registry=registry) as reports, Sampler() as sampler:
        cpu0, started = cpu_seconds(), time.perf_counter()
        outcomes = list(reports.run_many(requests, dest_dir=tmp, timeout=args.max_s * 4 + 120))
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu0
    return {
        "mode": "run_many (one process)",
        "wall_s": wall,
        "ok": sum(1 for o in outcomes if o.ok),
        "failures": [str(o.error)[:200] for o in outcomes if not o.ok][:3],
        "cpu_ms_per_job": 1000 * cpu / len(requests),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mib": rss0,
        "peak_threads": sampler.peak_threads,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--min-s", type=float, default=5.0)
    parser.add_argument("--max-s", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--mode", choices=("both", "triggers", "run_many"), default="both")
    parser.add_argument("--file-size", type=int, default=64 * 1024)
    parser.add_argument("--sailpoint-quota", type=int, default=1000)
    parser.add_argument("--sailpoint-window", type=float, default=10.0)
    parser.add_argument("--explore-quota", type=int, default=400)
    args = parser.parse_args()
    print("command: uv run python benchmarks/airflow_scale.py " + " ".join(sys.argv[1:]))
    registry = PluginRegistry()
    calibration = {p: calibrate(registry, p, args) for p in PROVIDERS}
    counts = {p: args.jobs // 3 + (1 if i < args.jobs % 3 else 0) for i, p in enumerate(PROVIDERS)}
    seeds = {p: args.seed * 10 + i for i, p in enumerate(PROVIDERS)}
    drawn = {p: durations(counts[p], args.min_s, args.max_s, seeds[p]) for p in PROVIDERS}
    ideal = max(
        [(max(drawn[p]) + calibration[p]["fetch_s"], p) for p in PROVIDERS if drawn[p]]
        + quota_bounds(counts, drawn, calibration, args)
    )[0]
    # run_many first: the triggers mode imports Airflow into this process (the workers' side)
    modes = ["run_many", "triggers"] if args.mode == "both" else [args.mode]
    rows = []
    for mode in modes:
        factories = {
            p: functools.partial(
                FACTORIES[p], args.min_s, args.max_s, seeds[p], **sim_options(p, args)
            )
            for p in PROVIDERS
        }
        with (
            simulator_child(factories["sailpoint"]) as sp,
            simulator_child(factories["spaceone"]) as so,
            simulator_child(factories["explore"]) as ex,
            tempfile.TemporaryDirectory() as tmp,
        ):
            sims = {"sailpoint": sp, "spaceone": so, "explore": ex}
            profiles = batch_profiles(sims, counts, args)
            requests = batch_requests(registry, counts)
            run = run_triggers if mode == "triggers" else run_batch
            result = run(profiles, requests, registry, args, Path(tmp))
            seen = {p: sims[p].stats() for p in PROVIDERS}
        result["requests"] = sum(s["requests"] for s in seen.values())
        result["status_429"] = sum(s["status_429"] for s in seen.values())
        result["ideal_s"] = ideal
        emit({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()})
        rows.append(
            [
                result["mode"],
                args.jobs,
                result["ok"],
                round(result["wall_s"], 1),
                round(ideal, 1),
                f"{result['wall_s'] / ideal:.2f}x",
                round(result["cpu_ms_per_job"], 1),
                f"{result['peak_rss_mib']:.1f} ({result['rss_before_mib']:.1f})",
                result["peak_threads"],
                result["requests"],
                result["status_429"],
            ]
        )
    print()
    print(
        md_table(
            [
                "mode",
                "jobs",
                "ok",
                "wall s",
                "ideal s",
                "wall/ideal",
                "CPU ms/job",
                "peak RSS MiB (before the jobs)",
                "peak threads",
                "requests",
                "429s",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
