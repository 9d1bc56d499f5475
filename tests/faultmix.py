"""Targets for fault-injection runs over the installed providers (tests and benchmarks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from reportbridge import Reports, ReportStatus
from reportbridge.batch import JobRequest
from reportbridge.plugins import PluginRegistry
from reportbridge.testing.faultrun import Target

#: simulator options that make every job of a simulator fail, per provider
FAILING = {
    "explore": {"outcome": "failed"},
    "spaceone": {"outcome": "FAILURE"},
    "sailpoint": {"outcome": "ERROR"},
    "tenable": {"outcome": "ERROR"},
}
PROFILE = {
    "polling": {"initial": 0.1, "backoff": 1.3, "cap": 0.5, "jitter": 0.1},
    "transport": {"read_timeout": 1.0, "backoff_initial": 0.05, "backoff_max": 0.5},
    "concurrency": 8,
}


@contextmanager
def fault_targets(
    jobs_per_provider: int, *, file_size: int = 20_000, job_seconds: float = 0.6
) -> Iterator[tuple[Reports, list[Target]]]:
    """Two simulators per installed provider (one whose jobs succeed, one whose jobs fail)."""
    registry = PluginRegistry()
    targets: list[Target] = []
    profiles: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        for name in sorted(FAILING):
            if name not in registry.providers():
                continue
            provider = registry.provider(name)
            specs = itertools.cycle(provider.demo_jobs())
            ok_jobs = jobs_per_provider - jobs_per_provider // 4
            for role, n, options, expect in (
                ("ok", ok_jobs, {}, ReportStatus.SUCCEEDED),
                ("failing", jobs_per_provider - ok_jobs, FAILING[name], ReportStatus.FAILED),
            ):
                sim = provider.simulator(job_seconds=job_seconds, file_size=file_size, **options)
                if sim is None or not sim.fault_paths:
                    break  # this simulator does not describe its fault surface
                stack.enter_context(sim)
                profile = f"{name}-{role}"
                profiles[profile] = {"provider": name, **sim.profile_settings(), **PROFILE}
                requests = [
                    JobRequest(profile, rt, dict(params), tuple(formats))
                    for rt, params, formats in itertools.islice(specs, n)
                ]
                targets.append(Target(profile, sim, expect, requests))
        with Reports.from_profiles(profiles, registry=registry) as reports:
            yield reports, targets
