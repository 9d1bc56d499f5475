"""The audit command's closing table: all jobs of a small plan, the unsuccessful of a big one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportbridge.cli.audit_cmd import SUMMARY_ROWS, summary


def _manifest(n: int, failed: set[int]) -> dict[str, Any]:
    jobs = [
        {
            "key": f"job-{i:05d}",
            "provider": "toy",
            "profile": "toy",
            "report_type": "USERS",
            "status": "failed" if i in failed else "succeeded",
            "outcome": "failed" if i in failed else "succeeded",
            "provider_status": "x",
            "error": "it broke" if i in failed else None,
            "failed_parts": [],
            "files": [],
        }
        for i in range(n)
    ]
    return {
        "audit": "scale",
        "jobs": jobs,
        "summary": {
            "jobs": n,
            "succeeded": n - len(failed),
            "partial": 0,
            "failed": len(failed),
            "incomplete": 0,
            "files": 0,
        },
    }


def test_a_small_plan_lists_every_job(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    summary(_manifest(SUMMARY_ROWS, {3}), tmp_path, as_json=False)
    out = capsys.readouterr().out
    assert out.count("job-000") == SUMMARY_ROWS + 1  # the rows, and the failed job's error
    assert "not listed" not in out


def test_a_big_plan_lists_the_jobs_that_did_not_succeed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    summary(_manifest(5000, {7, 4999}), tmp_path, as_json=False)
    out = capsys.readouterr().out
    assert "job-00007" in out and "job-04999" in out
    assert "job-00008" not in out  # a succeeded job
    assert "4998 jobs that succeeded are not listed" in out
    assert "4998/5000 jobs succeeded" in out
