"""``run_audit(adopt=...)``: jobs submitted elsewhere (an orchestrator's tasks) join a
bundle under its lock, are polled and fetched, and are never submitted again."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportbridge import Reports, ValidationError
from reportbridge.audit import AuditPlan, PlannedJob, run_audit, verify_bundle
from reportbridge.audit.lock import BundleLock
from reportbridge.errors import BundleLockedError
from tests.toy import ToySimulator


def plan(n: int = 3) -> AuditPlan:
    jobs = tuple(PlannedJob(f"j{i}", "toy", "USERS", {}, ("csv",)) for i in range(n))
    return AuditPlan(name="adopt", jobs=jobs, timeout=60.0)


def posts(sim: ToySimulator) -> int:
    return sim.count("POST", "^/jobs$")


def test_adopted_jobs_are_fetched_not_submitted_again(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    p = plan()
    elsewhere = {"j0": toy_reports.run("toy", "USERS"), "j2": toy_reports.run("toy", "USERS")}
    assert posts(toy_sim) == 2
    result = run_audit(toy_reports, p, tmp_path / "b", adopt=elsewhere)
    assert result.exit_code == 0, result.summary
    assert posts(toy_sim) == 3  # only j1 was submitted by the audit
    jobs = {job["key"]: job for job in result.manifest["jobs"]}
    assert jobs["j0"]["job_id"] == elsewhere["j0"].job_id
    assert jobs["j2"]["job_id"] == elsewhere["j2"].job_id
    assert verify_bundle(tmp_path / "b").ok
    # a second run with the same adoption resumes: nothing submitted, nothing re-recorded
    again = run_audit(toy_reports, p, tmp_path / "b", adopt=elsewhere)
    assert again.exit_code == 0 and posts(toy_sim) == 3


@pytest.mark.parametrize(
    ("key", "report_type", "message"),
    [("j9", "USERS", "not in plan"), ("j1", "AUDIT", "plan runs toy/USERS")],
)
def test_a_job_that_does_not_fit_the_plan_is_refused_before_writing(
    toy_reports: Reports, tmp_path: Path, key: str, report_type: str, message: str
) -> None:
    params = {"since": "2026-01-01"} if report_type == "AUDIT" else {}
    job = toy_reports.run("toy", report_type, **params)
    with pytest.raises(ValidationError, match=message):
        run_audit(toy_reports, plan(), tmp_path / "b", adopt={key: job})
    assert not (tmp_path / "b").exists()


def test_adoption_waits_for_the_bundle_lock(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    job = toy_reports.run("toy", "USERS")
    with BundleLock(bundle), pytest.raises(BundleLockedError):
        run_audit(toy_reports, plan(), bundle, adopt={"j0": job})
    assert not (bundle / "journal.sqlite").exists(), "the journal was written without the lock"
