"""The fault harness over results in parts: chunked (whole and partial) and paged results
under injected faults; every part's file is checked against what was served."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from reportbridge import Reports, ReportStatus
from reportbridge.engine import JobRequest
from reportbridge.plugins import PluginRegistry
from reportbridge.testing.faultrun import Target, run_faults
from reportbridge.testing.server import Simulator
from tests.toy_chunked import ChunkySimulator
from tests.toy_paged import PageySimulator

PROFILE = {
    "polling": {"initial": 0.1, "backoff": 1.3, "cap": 0.5, "jitter": 0.1},
    "transport": {"read_timeout": 1.0, "backoff_initial": 0.05, "backoff_max": 0.5},
    "concurrency": 6,
}


def test_fault_run_over_parts_loses_nothing(parts_registry: PluginRegistry, tmp_path: Path) -> None:
    sims: list[tuple[str, Simulator, ReportStatus, str]] = [
        ("chunky-ok", ChunkySimulator(chunks=3, file_size=30_000), ReportStatus.SUCCEEDED, "VULNS"),
        (
            "chunky-partial",
            ChunkySimulator(chunks=3, failed=(2,), file_size=30_000),
            ReportStatus.PARTIAL,
            "VULNS",
        ),
        ("pagey-ok", PageySimulator(pages=3, file_size=30_000), ReportStatus.SUCCEEDED, "QUERY"),
    ]
    with ExitStack() as stack:
        targets = []
        profiles = {}
        for profile, sim, expect, report_type in sims:
            stack.enter_context(sim)
            profiles[profile] = {"provider": sim.name, **sim.profile_settings(), **PROFILE}
            requests = [JobRequest(profile, report_type) for _ in range(8)]
            targets.append(Target(profile, sim, expect, requests))
        reports = stack.enter_context(Reports.from_profiles(profiles, registry=parts_registry))
        report = run_faults(reports, targets, tmp_path, seed=5, token_expiry_every=0.7)
    assert report.errors == [] and report.wrong_states == [] and report.sha_mismatches == []
    assert report.duplicates == 0 and report.secret_leaks == 0
    assert report.final_states == {"succeeded": 16, "partial": 8}
    # 8 whole chunked results of 3 chunks, 8 partial of 2, 8 paged of 3 pages
    assert report.files_verified == 8 * 3 + 8 * 2 + 8 * 3
    assert {"cut_mid_download", "5xx_on_download", "wrong_content_length"} <= set(report.faults)
