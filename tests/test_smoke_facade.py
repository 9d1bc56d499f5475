from __future__ import annotations

from typing import Any

from reportbridge import ReportStatus


def test_run_wait_fetch(toy_reports: Any, tmp_path: Any) -> None:
    job = toy_reports.run("toy", "USERS", active_only="true")
    assert job.status is ReportStatus.PENDING
    done = toy_reports.wait(job, timeout=10)
    assert done.status is ReportStatus.SUCCEEDED
    f = toy_reports.fetch(done, tmp_path, format="csv")
    assert f.size == 2048
    assert f.path.name == "job000001.csv"
