"""Orchestration: many jobs across the three simulators, each job with a random duration.

    uv run python benchmarks/orchestration.py [--jobs 1000] [--min-s 5] [--max-s 40] [--seed 1]
        [--sailpoint-quota 1000 --sailpoint-window 10] [--explore-quota 400]
        [--polling initial=1,backoff=1.5,cap=30]

Each provider's simulator runs in its own child process (durations drawn per job, see
simjobs.py); the client drives every job through ``Reports.run_many`` with the profiles'
default poll policy, fetching each file. Figures:

- wall time vs the ideal: the longest job plus its fetch (no client can finish sooner);
- HTTP requests the simulators saw vs the minimum: what a client that knew when each job
  ends would send (submit, one status request, the fetch; one token per OAuth profile),
  measured per provider by a calibration job;
- CPU per job, peak RSS and peak thread count of the client process;
- 429 answers, with client-side limits set to the simulators' quotas.

The quotas default to ones that let every job run at once (so the ideal is the longest
job); with the vendors' own (``--sailpoint-quota 100 --explore-quota 15``) the ideal is
the larger of that and what the quotas allow (requests at the quota's pace, job-seconds
through the simultaneous-report slots).
"""

from __future__ import annotations

import argparse
import functools
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, md_table, simulator_child
from simjobs import FACTORIES, durations

from reportbridge import PollPolicy, Reports
from reportbridge.batch import JobEvent, JobRequest
from reportbridge.plugins import PluginRegistry

PROVIDERS = ("sailpoint", "spaceone", "explore")


def client_options(provider: str, args: argparse.Namespace) -> dict[str, Any]:
    """Profile settings that make the client's limits match the simulator's quotas."""
    if provider == "sailpoint":
        return {"transport": {"rate_limit": f"{args.sailpoint_quota}/{args.sailpoint_window}s"}}
    if provider == "explore":
        return {"max_active_jobs": args.explore_quota}
    return {}


def sim_options(provider: str, args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"file_size": args.file_size}
    if provider == "sailpoint":
        options.update(quota=args.sailpoint_quota, quota_window=args.sailpoint_window)
    if provider == "explore":
        options.update(quota=args.explore_quota)
    return options


def request_for(registry: PluginRegistry, provider: str, profile: str, key: str) -> JobRequest:
    report_type, params, formats = registry.provider(provider).demo_jobs()[0]
    return JobRequest(profile, report_type, dict(params), tuple(formats[:1]), key=key)


def batch_profiles(
    sims: dict[str, Any],
    counts: dict[str, int],
    args: argparse.Namespace,
    polling: dict[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """One profile per provider on its simulator, with the client limits of ``args``."""
    return {
        p: {
            "provider": p,
            **sims[p].settings,
            "concurrency": min(counts[p], getattr(args, "concurrency", 0) or counts[p]),
            **({"polling": polling} if polling else {}),
            **client_options(p, args),
        }
        for p in PROVIDERS
    }


def batch_requests(registry: PluginRegistry, counts: dict[str, int]) -> list[JobRequest]:
    """``counts[p]`` demo jobs of each provider, interleaved."""
    return [
        request_for(registry, p, p, f"{p}-{n}")
        for n in range(max(counts.values()))
        for p in PROVIDERS
        if n < counts[p]
    ]


def calibrate(registry: PluginRegistry, provider: str, args: argparse.Namespace) -> dict[str, Any]:
    """Requests of one job driven by an oracle (it polls once, after the job ended)."""
    factory = functools.partial(FACTORIES[provider], 0.2, 0.2, 0, **sim_options(provider, args))
    with (
        simulator_child(factory) as sim,
        Reports.from_profiles(
            {provider: {"provider": provider, **sim.settings}}, registry=registry
        ) as reports,
        tempfile.TemporaryDirectory() as tmp,
    ):
        fetch_s = []
        for n in range(2):  # the first job also pays for the token and the connections
            before = sim.stats()
            req = request_for(registry, provider, provider, f"cal{n}")
            job = reports.run(provider, req.report_type, **req.params)
            time.sleep(0.5)
            job = reports.poll(job)
            assert job.is_fetchable, job
            started = time.perf_counter()
            for fmt in req.formats or (None,):
                reports.fetch(job, Path(tmp), format=fmt)
            fetch_s.append(time.perf_counter() - started)
        after = sim.stats()
    per_job = after["requests"] - before["requests"]
    return {
        "provider": provider,
        "min_requests_per_job": per_job,
        "token_requests": after["token_requests"],
        "fetch_s": min(fetch_s),
    }


def quota_bounds(
    counts: dict[str, int],
    drawn: dict[str, list[float]],
    calibration: dict[str, dict[str, Any]],
    args: argparse.Namespace,
) -> list[tuple[float, str]]:
    """Lower bounds on the wall time that the vendors' quotas impose.

    SailPoint's quota is a sliding window of ``Q`` requests per ``W`` seconds, so request
    ``n`` (from 0) cannot be sent before ``(n // Q) * W``. Two bounds follow: its minimum
    requests must all be sent (the last one a fetch), and the ``k``-th job created (its
    submit is request ``k`` at the earliest) cannot end before its submit plus its own
    duration (durations belong to creation order, see simjobs.py).
    """
    q, w = args.sailpoint_quota, args.sailpoint_window
    sp = counts["sailpoint"] * calibration["sailpoint"]["min_requests_per_job"]
    fetch = calibration["sailpoint"]["fetch_s"]
    paced = max(((k // q) * w + d for k, d in enumerate(drawn["sailpoint"])), default=0.0)
    return [
        (((sp - 1) // q) * w + fetch, "sailpoint request quota (all minimum requests)"),
        (paced + fetch, "sailpoint request quota (submits paced, then each job's duration)"),
        # Explore: job-seconds to run through its simultaneous-report slots
        (sum(drawn["explore"]) / args.explore_quota, "explore simultaneous-report quota"),
        # --concurrency: each profile's job-seconds through its slots
        *(
            (sum(drawn[p]) / args.concurrency, f"{p} concurrency {args.concurrency}")
            for p in PROVIDERS
            if args.concurrency
        ),
    ]


class Sampler:
    """Peak thread count of this process, sampled every 10 ms, and the cores its CPU time
    used in each second (a Python process runs its bytecode on one core at a time)."""

    def __init__(self) -> None:
        self.peak_threads = threading.active_count()
        self.cores_per_second: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick, cpu = time.perf_counter(), cpu_seconds()
        while not self._stop.wait(0.01):
            self.peak_threads = max(self.peak_threads, threading.active_count())
            if (now := time.perf_counter()) - tick >= 1.0:
                used = cpu_seconds()
                self.cores_per_second.append((used - cpu) / (now - tick))
                tick, cpu = now, used

    def cpu_summary(self) -> dict[str, float]:
        """Peak cores in any second, and the share of seconds spent at 0.9 core or more."""
        per_s = self.cores_per_second or [0.0]
        return {
            "peak_cores": round(max(per_s), 2),
            "median_cores": round(statistics.median(per_s), 2),
            "share_of_seconds_at_0_9_core_or_more": round(
                sum(c >= 0.9 for c in per_s) / len(per_s), 3
            ),
        }

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def lateness(job: Any, submitted: float | None, late: dict[str, list[float]]) -> None:
    """How long after its end a job was seen to end, as a share of its duration.

    The vendor's own end time (``finished_at``: SailPoint's ``completed``; the other two
    simulators give none) against the moment the client saw the terminal status; the
    duration runs from the client's submit.
    """
    if submitted is None or job.finished_at is None:
        return
    ended = job.finished_at.timestamp()
    if ended > submitted:
        late[job.profile].append(max(0.0, time.time() - ended) / (ended - submitted))


def share_summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--min-s", type=float, default=5.0)
    parser.add_argument("--max-s", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file-size", type=int, default=64 * 1024)
    parser.add_argument("--sailpoint-quota", type=int, default=1000, help="requests per window")
    parser.add_argument("--sailpoint-window", type=float, default=10.0)
    parser.add_argument("--explore-quota", type=int, default=400, help="simultaneous reports")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="jobs at once per profile (default: all)"
    )
    parser.add_argument("--no-learn", action="store_true", help="run_many(learn_durations=False)")
    parser.add_argument(
        "--polling", default="", help="poll policy for every profile, e.g. initial=1,backoff=1.2"
    )
    args = parser.parse_args()
    print("command: uv run python benchmarks/orchestration.py " + " ".join(sys.argv[1:]))
    polling = {k: float(v) for k, v in (p.split("=") for p in args.polling.split(",") if p)}
    registry = PluginRegistry()
    calibration = {p: calibrate(registry, p, args) for p in PROVIDERS}
    for cal in calibration.values():
        emit({"calibration": cal})

    counts = {p: args.jobs // 3 + (1 if i < args.jobs % 3 else 0) for i, p in enumerate(PROVIDERS)}
    seeds = {p: args.seed * 10 + i for i, p in enumerate(PROVIDERS)}
    drawn = {p: durations(counts[p], args.min_s, args.max_s, seeds[p]) for p in PROVIDERS}
    with (
        simulator_child(
            functools.partial(
                FACTORIES["sailpoint"],
                args.min_s,
                args.max_s,
                seeds["sailpoint"],
                **sim_options("sailpoint", args),
            )
        ) as sp,
        simulator_child(
            functools.partial(
                FACTORIES["spaceone"],
                args.min_s,
                args.max_s,
                seeds["spaceone"],
                **sim_options("spaceone", args),
            )
        ) as so,
        simulator_child(
            functools.partial(
                FACTORIES["explore"],
                args.min_s,
                args.max_s,
                seeds["explore"],
                **sim_options("explore", args),
            )
        ) as ex,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sims = {"sailpoint": sp, "spaceone": so, "explore": ex}
        profiles = batch_profiles(sims, counts, args, polling)
        requests = batch_requests(registry, counts)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Reports.from_profiles(profiles, registry=registry) as reports, Sampler() as sampler:
            cpu0, started = cpu_seconds(), time.perf_counter()
            marks: dict[str, list[float]] = {"submitted": [], "fetched": []}

            submitted_wall: dict[str, float] = {}
            late: dict[str, list[float]] = {p: [] for p in PROVIDERS}
            submitted_at: dict[str, list[float]] = {p: [] for p in PROVIDERS}

            def mark(event: JobEvent) -> None:
                if event.kind in marks:
                    marks[event.kind].append(time.perf_counter() - started)
                key = event.request.key or ""
                if event.kind == "submitted":
                    submitted_wall[key] = time.time()
                    submitted_at[event.request.profile].append(time.perf_counter() - started)
                elif event.kind == "status" and event.job and event.job.is_terminal:
                    lateness(event.job, submitted_wall.pop(key, None), late)

            extra = {"learn_durations": False} if args.no_learn else {}
            outcomes = list(
                reports.run_many(
                    requests,
                    dest_dir=Path(tmp),
                    timeout=args.max_s * 4 + 60,
                    on_event=mark,
                    **extra,
                )
            )
            wall = time.perf_counter() - started
            cpu = cpu_seconds() - cpu0
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seen = {p: sims[p].stats() for p in PROVIDERS}

    failed = [o for o in outcomes if not o.ok]
    longest = max(
        [(max(drawn[p]) + calibration[p]["fetch_s"], p) for p in PROVIDERS if drawn[p]]
        + quota_bounds(counts, drawn, calibration, args)
    )
    minimum = sum(
        counts[p] * calibration[p]["min_requests_per_job"] + calibration[p]["token_requests"]
        for p in PROVIDERS
    )
    total = sum(s["requests"] for s in seen.values())
    result = {
        "jobs": len(outcomes),
        "ok": len(outcomes) - len(failed),
        "errors": sorted({str(o.error)[:120] for o in failed})[:5],
        "durations_s": [args.min_s, args.max_s],
        "policy": repr(PollPolicy(**polling)),
        "wall_s": round(wall, 2),
        "ideal_s": round(longest[0], 2),
        "longest_on": longest[1],
        "wall_vs_ideal": round(wall / longest[0], 3),
        "last_submitted_at_s": round(max(marks["submitted"], default=0), 2),
        "median_submitted_at_s": round(statistics.median(marks["submitted"] or [0]), 2),
        "requests": total,
        "min_requests": minimum,
        "requests_vs_min": round(total / minimum, 3),
        "status_429": sum(s["status_429"] for s in seen.values()),
        "errors_5xx": sum(s["errors_5xx"] for s in seen.values()),
        "cpu_ms_per_job": round(1000 * cpu / max(1, len(outcomes)), 2),
        "rss_before_mib": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss, 1),
        "peak_threads": sampler.peak_threads,
        "cpu_s": round(cpu, 1),
        "client_cores": sampler.cpu_summary(),
        "per_provider": {
            p: {
                "jobs": counts[p],
                "requests": seen[p]["requests"],
                "min_requests": counts[p] * calibration[p]["min_requests_per_job"]
                + calibration[p]["token_requests"],
                "status_429": seen[p]["status_429"],
                "first_429s": seen[p]["first_429s"],
                "longest_job_s": round(max(drawn[p]), 2),
                # seen-late / duration, over the jobs whose end time the vendor gave
                "detection_late_share": share_summary(late[p]),
                "last_submitted_at_s": round(max(submitted_at[p], default=0.0), 2),
                "median_submitted_at_s": round(statistics.median(submitted_at[p] or [0.0]), 2),
            }
            for p in PROVIDERS
        },
    }
    emit(result)
    print()
    print(
        md_table(
            [
                "jobs",
                "wall s",
                "ideal s",
                "wall/ideal",
                "requests",
                "minimum",
                "req/min",
                "429s",
                "CPU ms/job",
                "peak RSS MiB",
                "peak threads",
            ],
            [
                [
                    result["jobs"],
                    result["wall_s"],
                    result["ideal_s"],
                    result["wall_vs_ideal"],
                    total,
                    minimum,
                    result["requests_vs_min"],
                    result["status_429"],
                    result["cpu_ms_per_job"],
                    result["peak_rss_mib"],
                    result["peak_threads"],
                ]
            ],
        )
    )
    print()
    print(
        md_table(
            ["provider", "jobs", "requests", "minimum", "req/min", "429s"],
            [
                [
                    p,
                    v["jobs"],
                    v["requests"],
                    v["min_requests"],
                    round(v["requests"] / v["min_requests"], 2),
                    v["status_429"],
                ]
                for p, v in result["per_provider"].items()
            ],
        )
    )
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
