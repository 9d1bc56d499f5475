"""The asyncio API holding many waits: threads, memory and CPU of one event loop.

    uv run python benchmarks/async_waits.py [--jobs 10000] [--min-s 30] [--max-s 90]
        [--threads 4] [--polling initial=5,backoff=1.5,cap=30] [--seed 1]

The SpaceONE simulator runs in a child process, each job lasting its own time drawn from
[min-s, max-s] (simjobs.py). The client submits every job through ``AsyncReports.run``,
then waits on all of them at once (``asyncio.gather`` of ``AsyncReports.wait``) on one
event loop with an executor of ``--threads`` threads. Figures: peak thread count of the
client process (sampled every 10 ms), its peak RSS and RSS per pending wait, CPU per job,
wall time against the ideal (the last submit plus the longest job), and the polls sent.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import resource
import sys
import time
from typing import Any

from _common import emit, md_table, simulator_child
from orchestration import Sampler, cpu_seconds
from simjobs import FACTORIES

from reportbridge.aio import AsyncReports
from reportbridge.plugins import PluginRegistry


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


async def drive(reports: AsyncReports, args: argparse.Namespace) -> dict[str, Any]:
    report_type, params = "template-1a2b3c4d5e6f", {"name": "Monthly cost summary"}
    started = time.perf_counter()
    submitted = await asyncio.gather(
        *(reports.run("so", report_type, **params) for _ in range(args.jobs))
    )
    submit_s = time.perf_counter() - started
    rss_submitted = rss_mib()
    polls = 0
    peak_pending_rss = 0.0
    done = 0

    def counted(_job: Any) -> None:
        nonlocal polls
        polls += 1

    async def one(job: Any) -> Any:
        nonlocal done
        result = await reports.wait(job, timeout=args.max_s * 4 + 120, on_update=counted)
        done += 1
        return result

    async def watch() -> None:
        nonlocal peak_pending_rss
        while done < args.jobs:
            peak_pending_rss = max(peak_pending_rss, rss_mib())
            await asyncio.sleep(0.5)

    waits_started = time.perf_counter()
    watcher = asyncio.ensure_future(watch())
    finished = await asyncio.gather(*(one(j) for j in submitted))
    wait_s = time.perf_counter() - waits_started
    await watcher
    return {
        "submit_s": submit_s,
        "wait_s": wait_s,
        "total_s": time.perf_counter() - started,
        "polls": polls,
        "succeeded": sum(1 for j in finished if j.is_fetchable),
        "rss_submitted_mib": rss_submitted,
        "peak_pending_rss_mib": peak_pending_rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--min-s", type=float, default=30.0)
    parser.add_argument("--max-s", type=float, default=90.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--polling", default="initial=5,backoff=1.5,cap=30")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("command: uv run python benchmarks/async_waits.py " + " ".join(sys.argv[1:]))
    polling = {k: float(v) for k, v in (p.split("=") for p in args.polling.split(",") if p)}
    factory = functools.partial(FACTORIES["spaceone"], args.min_s, args.max_s, args.seed)
    with simulator_child(factory) as sim:
        rss_before = rss_mib()
        reports = AsyncReports.from_profiles(
            {"so": {"provider": "spaceone", **sim.settings, "polling": polling}},
            registry=PluginRegistry(),
            max_threads=args.threads,
        )
        with Sampler() as sampler:
            cpu0 = cpu_seconds()
            result = asyncio.run(drive(reports, args))
            cpu = cpu_seconds() - cpu0
        reports.close()
        seen = sim.stats()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the last job started by submit_s; the longest lasts max_s (drawn up to it): no client
    # sees every job done much sooner than that
    ideal = round(result["submit_s"] + args.max_s, 2)
    record = {
        "jobs": args.jobs,
        "executor_threads": args.threads,
        "policy": polling,
        "succeeded": result["succeeded"],
        "submit_s": round(result["submit_s"], 2),
        "total_s": round(result["total_s"], 2),
        "ideal_s": ideal,
        "total_vs_ideal": round(result["total_s"] / ideal, 3),
        "polls": result["polls"],
        "polls_per_job": round(result["polls"] / args.jobs, 2),
        "simulator_requests": seen["requests"],
        "peak_threads": sampler.peak_threads,
        "rss_before_mib": round(rss_before, 1),
        "rss_with_jobs_submitted_mib": round(result["rss_submitted_mib"], 1),
        "peak_rss_while_waiting_mib": round(result["peak_pending_rss_mib"], 1),
        "kib_per_pending_wait": round(
            1024 * (result["peak_pending_rss_mib"] - result["rss_submitted_mib"]) / args.jobs, 2
        ),
        "peak_rss_mib": round(peak_rss, 1),
        "cpu_ms_per_job": round(1000 * cpu / args.jobs, 2),
    }
    emit(record)
    print()
    print(
        md_table(
            [
                "jobs",
                "executor threads",
                "peak threads",
                "peak RSS MiB",
                "KiB per pending wait",
                "CPU ms/job",
                "polls/job",
                "wall s",
                "ideal s",
            ],
            [
                [
                    args.jobs,
                    args.threads,
                    record["peak_threads"],
                    record["peak_rss_mib"],
                    record["kib_per_pending_wait"],
                    record["cpu_ms_per_job"],
                    record["polls_per_job"],
                    record["total_s"],
                    ideal,
                ]
            ],
        )
    )
    return 0 if result["succeeded"] == args.jobs else 1


if __name__ == "__main__":
    sys.exit(main())
