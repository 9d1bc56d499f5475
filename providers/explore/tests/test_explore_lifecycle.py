"""Run, wait, fetch and cancel through the façade, over every vendor variant the simulator has."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from explore_testkit import FAST, JANUARY

from reportbridge import (
    ReportStatus,
    UnknownStatusError,
    UnsupportedOperationError,
    ValidationError,
)
from reportbridge.facade import Reports
from reportbridge_explore.simulator import ExploreSimulator

SimFactory = Callable[..., ExploreSimulator]
ReportsFactory = Callable[..., Reports]


@pytest.mark.parametrize("redirect", [300, 302, 303])
@pytest.mark.parametrize("location", ["relative", "absolute"])
@pytest.mark.parametrize("run_body", ["wrapped", "flat"])
def test_every_redirect_and_body_variant_reaches_the_file(
    explore_sim: SimFactory,
    explore_reports: ReportsFactory,
    tmp_path: Path,
    redirect: int,
    location: str,
    run_body: str,
) -> None:
    sim = explore_sim(poll_redirect_status=redirect, location=location, run_body=run_body)
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    assert job.status is ReportStatus.PENDING and job.provider_status == "created"
    done = reports.wait(job, timeout=20, policy=FAST)
    assert (done.status, done.provider_status) == (ReportStatus.SUCCEEDED, "done")
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.sha256 == sim.file_for(job.job_id).sha256
    assert sim.count("GET", "/files/") == 1 and sim.count("GET", origin="storage") == 1


@pytest.mark.parametrize("fmt", ["csv", "json", "json_bulk"])
def test_the_format_chosen_at_run_time_is_the_one_fetched(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path, fmt: str
) -> None:
    job = reports.wait(reports.run("tx", "contacts", **JANUARY, format=fmt), policy=FAST)
    assert job.formats == (fmt,)
    (fetched,) = reports.fetch(job, tmp_path, format=fmt)
    body = fetched.path.read_bytes()
    if fmt == "json":
        doc = json.loads(body)
        assert doc["total"] == len(doc["entries"]) > 0
    elif fmt == "json_bulk":
        assert all(json.loads(line) for line in body.splitlines())
    else:
        assert body.startswith(b"id,started_at,")
    assert fetched.format == fmt
    assert fetched.content_type == ("text/csv" if fmt == "csv" else "application/json")


def test_fetching_another_format_is_refused_before_any_request(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    from reportbridge import ValidationError

    job = reports.wait(reports.run("tx", "calls", **JANUARY, format="json"), policy=FAST)
    before = len(sim.requests)
    with pytest.raises(ValidationError, match="accepted: json"):
        reports.fetch(job, tmp_path, format="csv")
    assert len(sim.requests) == before and not any(tmp_path.iterdir())


def test_credentials_go_where_they_belong(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    job = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    reports.fetch(job, tmp_path)
    by_origin: dict[str, set[str]] = {}
    for r in sim.requests:
        scheme = r.headers.get("Authorization", "none").split(" ")[0]
        by_origin.setdefault(r.origin, set()).add(scheme)
    assert by_origin == {"token": {"Basic"}, "api": {"Bearer"}, "storage": {"none"}}
    assert sim.count("POST", "/oauth/token") == 1


def test_a_reference_alone_is_enough_to_fetch(
    sim: ExploreSimulator, reports: Reports, explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    job = reports.wait(reports.run("tx", "user_status", **JANUARY, format="json_bulk"), policy=FAST)
    other = explore_reports(sim)
    (fetched,) = other.fetch(job.ref, tmp_path)
    assert fetched.format == "json_bulk"
    assert fetched.sha256 == sim.file_for(job.job_id).sha256


def test_cancel_a_running_job(explore_sim: SimFactory, explore_reports: ReportsFactory) -> None:
    sim = explore_sim(job_seconds=30)
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    cancelled = reports.cancel(job)
    assert (cancelled.status, cancelled.provider_status) == (ReportStatus.CANCELLED, "canceled")
    assert sim.count("DELETE", f"/jobs/{job.job_id}$") == 1
    assert reports.poll(cancelled).status is ReportStatus.CANCELLED


@pytest.mark.parametrize("cancel_finished", ["refuse", "delete"])
def test_cancel_after_done_keeps_the_success(
    explore_sim: SimFactory, explore_reports: ReportsFactory, cancel_finished: str, tmp_path: Path
) -> None:
    # A server may delete a finished report on DELETE: the façade looks first, sends nothing.
    sim = explore_sim(cancel_finished=cancel_finished)
    reports = explore_reports(sim)
    done = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    for target in (done, done.ref):
        again = reports.cancel(target)
        assert again.status is ReportStatus.SUCCEEDED
    assert sim.count("DELETE") == 0
    assert sim.state(done.job_id) == "done"
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.sha256 == sim.file_for(done.job_id).sha256


def test_a_cancel_that_meets_a_just_finished_job_returns_it(
    sim: ExploreSimulator, reports: Reports
) -> None:
    # The job finished between the façade's look and the DELETE: 403, the success stays.
    done = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    again = reports.session("tx").cancel(done)
    assert again.status is ReportStatus.SUCCEEDED
    assert sim.count("DELETE") == 1 and sim.state(done.job_id) == "done"


def test_cancel_refused_by_the_account(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    sim = explore_sim(job_seconds=30, cancel_supported=False)
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    with pytest.raises(UnsupportedOperationError, match="HTTP 405"):
        reports.cancel(job)


@pytest.mark.parametrize(
    ("options", "status", "raw"),
    [
        ({"outcome": "failed"}, ReportStatus.FAILED, "failed"),
        ({"legacy_sending": True}, ReportStatus.SUCCEEDED, "done"),
    ],
)
def test_other_endings(
    explore_sim: SimFactory,
    explore_reports: ReportsFactory,
    options: dict[str, Any],
    status: ReportStatus,
    raw: str,
) -> None:
    reports = explore_reports(explore_sim(**options))
    final = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    assert (final.status, final.provider_status) == (status, raw)
    if status is ReportStatus.FAILED:
        assert final.error is not None and "failed" in final.error.message


def test_an_unknown_vendor_status_is_an_error_naming_it(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> None:
    reports = explore_reports(explore_sim(outcome="completed"))
    with pytest.raises(UnknownStatusError) as info:
        reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    assert "'explore'" in str(info.value) and "'completed'" in str(info.value)


def test_retention_turns_a_done_job_expired(
    explore_sim: SimFactory, explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    from reportbridge import ValidationError

    # retention long enough that a busy machine still sees the job done first
    sim = explore_sim(job_seconds=0.1, retention_seconds=2.0)
    reports = explore_reports(sim)
    done = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    deadline = time.monotonic() + 10
    while sim.state(done.job_id) != "deleted" and time.monotonic() < deadline:
        time.sleep(0.05)
    expired = reports.poll(done)
    assert (expired.status, expired.provider_status) == (ReportStatus.EXPIRED, "deleted")
    with pytest.raises(ValidationError, match="only succeeded or partial jobs have files"):
        reports.fetch(expired, tmp_path)


def test_extra_report_types_open_new_paths(
    explore_sim: SimFactory, explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    from reportbridge import ValidationError

    sim = explore_sim(report_types=("calls", "audit_logs"))
    reports = explore_reports(sim, extra_report_types=["audit_logs"])
    job = reports.wait(reports.run("tx", "audit_logs", **JANUARY), policy=FAST)
    assert reports.fetch(job, tmp_path)[0].size > 0
    assert sim.count("POST", "^/data/reports/audit_logs/jobs$") == 1
    # Another profile without the setting refuses it before sending anything.
    other_sim = explore_sim()
    with pytest.raises(ValidationError, match="'audit_logs' for profile 'tx'"):
        explore_reports(other_sim).run("tx", "audit_logs", **JANUARY)
    assert other_sim.count("POST", "/jobs$") == 0


def test_a_files_location_on_another_origin_is_refused(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    import attrs

    job = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST)
    assert "files" not in job.extra  # the documented path is not repeated in the reference
    forged = attrs.evolve(job, extra={**job.extra, "files": "https://elsewhere.example/x"})
    before = len(sim.requests)
    with pytest.raises(ValidationError, match="not on this profile's API origin"):
        reports.fetch(forged, tmp_path)
    assert len(sim.requests) == before and not any(tmp_path.iterdir())
