"""Jobs across every installed provider under injected faults: nothing is lost.

The longer run with figures is benchmarks/fault_suite.py (docs/reliability.md).
"""

from __future__ import annotations

from pathlib import Path

from reportbridge.testing.faultrun import run_faults
from tests.faultmix import fault_targets


def test_fault_run_loses_nothing(tmp_path: Path) -> None:
    with fault_targets(12) as (reports, targets):
        report = run_faults(reports, targets, tmp_path, seed=11, token_expiry_every=0.7)
    assert report.jobs == sum(len(t.requests) for t in targets) >= 24
    assert report.errors == []
    assert report.wrong_states == []
    assert report.sha_mismatches == []
    assert report.duplicates == 0
    assert report.storage_auth_leaks == 0
    assert report.secret_leaks == 0
    assert report.files_verified > 0
    kinds = set(report.faults)
    assert {
        "429_on_submit",
        "5xx_on_poll",
        "slower_than_read_timeout",
        "malformed_json",
        "cut_mid_download",
        "wrong_content_length",
        "unknown_vendor_status",
    } <= kinds
    assert report.faults["token_expired"] > 0
    assert report.final_states["succeeded"] > 0 and report.final_states["failed"] > 0
