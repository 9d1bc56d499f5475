"""Tenable exports through the shared fault-injection run: nothing lost, every chunk verified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tenable_testkit import NEW_YEAR

from reportbridge import Reports, ReportStatus
from reportbridge.batch import JobRequest
from reportbridge.testing.faultrun import Target, run_faults
from reportbridge_tenable.simulator import TenableSimulator

PROFILE = {
    "polling": {"initial": 0.1, "backoff": 1.3, "cap": 0.5, "jitter": 0.1},
    "transport": {"read_timeout": 1.0, "backoff_initial": 0.05, "backoff_max": 0.5},
    "concurrency": 8,
    # the core's cap and the simulator's concurrency limit are tested elsewhere; here they
    # would only serialise the run
    "max_active_jobs": 12,
}


def test_fault_run_loses_nothing(
    tenable_sim: Callable[..., TenableSimulator],
    make_reports: Callable[..., Reports],
    tmp_path: Path,
) -> None:
    sims = {
        "ok": tenable_sim(job_seconds=0.6, file_size=20_000, chunks=3, concurrent_exports=12),
        "failing": tenable_sim(job_seconds=0.6, outcome="ERROR", concurrent_exports=12),
    }
    profiles: dict[str, dict[str, Any]] = {
        f"tenable-{role}": {"provider": "tenable", **sim.profile_settings(), **PROFILE}
        for role, sim in sims.items()
    }
    reports = make_reports(profiles)

    def requests(role: str, n: int) -> list[JobRequest]:
        kinds = ["vulns", "assets"]
        return [
            JobRequest(
                f"tenable-{role}",
                kinds[i % 2],
                {"since": NEW_YEAR + i} if i % 2 == 0 else {"updated_at": NEW_YEAR + i},
                ("json",),
            )
            for i in range(n)
        ]

    targets = [
        Target("tenable-ok", sims["ok"], ReportStatus.SUCCEEDED, requests("ok", 10)),
        Target("tenable-failing", sims["failing"], ReportStatus.FAILED, requests("failing", 3)),
    ]
    report = run_faults(reports, targets, tmp_path, seed=5)
    assert report.errors == []
    assert report.wrong_states == []
    assert report.sha_mismatches == []
    assert report.duplicates == 0 and report.secret_leaks == 0
    # every chunk of every succeeded export, and any chunk an export that later ended in
    # ERROR had made available while it ran (fetched early, verified all the same)
    assert report.files_verified >= 10 * 3
    assert report.final_states["succeeded"] == 10 and report.final_states["failed"] == 3
    injected = set(report.faults)
    assert {"429_on_submit", "5xx_on_poll", "cut_mid_download", "unknown_vendor_status"} <= injected
