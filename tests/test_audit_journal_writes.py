"""The audit's journal records a job's row when something about the job changed, not on
every poll or listing pass that saw it unchanged (each write is a commit on the
scheduler's thread)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reportbridge import Reports
from reportbridge.audit import AuditPlan, PlannedJob, run_audit, verify_bundle
from reportbridge.audit.journal import Journal
from tests.toy import ToySimulator


def test_unchanged_observations_are_not_written_again(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: Counter[str] = Counter()
    statuses: dict[str, set[str]] = {}
    real = Journal.observed

    def counting(self: Journal, key: str, job: Any) -> None:
        writes[key] += 1
        statuses.setdefault(key, set()).add(job.status.value)
        real(self, key, job)

    monkeypatch.setattr(Journal, "observed", counting)
    jobs = tuple(PlannedJob(f"j{i}", "toy", "USERS", {}, ("csv",)) for i in range(3))
    result = run_audit(toy_reports, AuditPlan(name="w", jobs=jobs, timeout=60.0), tmp_path / "b")
    assert result.exit_code == 0, result.summary
    looks = toy_sim.count("GET", r"^/jobs(/[^/]+)?$")  # polls and listings
    assert looks >= 6, "the jobs must be seen unchanged several times"
    for key in ("j0", "j1", "j2"):
        # once per status it was seen in, and once more for the outcome
        assert writes[key] <= len(statuses[key]) + 1, (key, writes[key], statuses[key])
    assert verify_bundle(tmp_path / "b").ok
