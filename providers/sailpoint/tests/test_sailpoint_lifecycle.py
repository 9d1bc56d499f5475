"""Run, wait, fetch and cancel through the façade against the simulator."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import attrs
import pytest
from conftest import ACCOUNTS, FAST, MakeReports, MakeSim

from reportbridge import (
    NotFoundError,
    PermissionDeniedError,
    ProviderProtocolError,
    RejectedRequestError,
    ReportJob,
    Reports,
    ReportStatus,
    ServiceError,
)
from reportbridge.testing import Fault, SyntheticFile
from reportbridge_sailpoint.session import _file_name
from reportbridge_sailpoint.simulator import SailPointSimulator
from reportbridge_sailpoint.status import IN_PROGRESS, NOT_STARTED, NOT_VISIBLE


@pytest.mark.parametrize(
    ("version", "prefix"),
    [
        ("v3", "/v3/reports"),
        ("v2024", "/v2024/reports"),
        ("v2025", "/v2025/reports"),
        ("v2026", "/v2026/reports"),
        ("beta", "/beta/reports"),
        ("reports/v1", "/reports/v1"),
    ],
)
def test_every_api_version_runs_waits_and_fetches_both_formats(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path, version: str, prefix: str
) -> None:
    sim = make_sim(file_size=10_000)
    reports = sp_reports(sim, api_version=version)
    job = reports.run("sp", "ACCOUNTS", **ACCOUNTS)
    assert (job.status, job.provider_status) == (ReportStatus.PENDING, NOT_STARTED)
    done = reports.wait(job, timeout=10, policy=FAST)
    assert (done.status, done.provider_status) == (ReportStatus.SUCCEEDED, "SUCCESS")
    assert done.formats == ("csv", "pdf") and done.progress_text and done.finished_at
    (csv,) = reports.fetch(done, tmp_path, format="csv")
    (pdf,) = reports.fetch(done, tmp_path, format="pdf")
    assert (csv.path.name, csv.size, csv.content_type) == (
        "Account Export.csv",
        10_000,
        "application/csv",
    )
    assert pdf.path.name == "Account Export.pdf" and pdf.path.read_bytes().startswith(b"%PDF")
    paths = [(r.method, r.path) for r in sim.requests if r.path != "/oauth/token"]
    assert paths[0] == ("POST", f"{prefix}/run")
    assert ("GET", f"{prefix}/{job.job_id}/result") in paths
    files = [r for r in sim.requests if r.path == f"{prefix}/{job.job_id}"]
    assert [r.headers["Accept"] for r in files] == ["application/csv", "application/pdf"]
    assert all(r.status == 200 for r in sim.requests)


def test_search_export_zip_is_kept_as_a_zip(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path
) -> None:
    sim = make_sim(file_size=300_000, zip_content_type="application/octet-stream")
    reports = sp_reports(sim, api_version="v2025")
    job = reports.run(
        "sp", "SEARCH_EXPORT", query="name:a*", indices=["identities", "roles"], columns="name"
    )
    done = reports.wait(job, timeout=10, policy=FAST)
    assert done.formats == ("zip",)
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.path.name == "Search Export.zip" and fetched.format == "zip"
    with zipfile.ZipFile(fetched.path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["identities.csv", "roles.csv"]
        assert sum(i.file_size for i in archive.infolist()) == 300_000
    request = next(r for r in sim.requests if r.path == f"/v2025/reports/{job.job_id}")
    assert request.headers["Accept"] == "application/csv"


@pytest.mark.parametrize(
    ("header", "format", "expected"),
    [
        ('attachment; filename="Search Export.csv"', "zip", "Search Export.zip"),
        ("attachment;filename=Search Export", "zip", "Search Export.zip"),
        ('attachment;filename="../../etc/passwd"', "csv", "passwd"),
        ('attachment;filename=\\"Account Export.csv"', "csv", "Account Export.csv"),
        (None, "csv", None),
    ],
)
def test_vendor_file_names_are_read_leniently_and_sanitised(
    header: str | None, format: str, expected: str | None
) -> None:
    assert _file_name(header, format) == expected


@pytest.mark.parametrize("style", ["standard", "compact", "bare"])
def test_disposition_spellings(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path, style: str
) -> None:
    sim = make_sim(disposition=style)
    reports = sp_reports(sim)
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    assert reports.fetch(done, tmp_path)[0].path.name == "Identities.csv"


def test_warning_is_a_success_with_warnings(make_sim: MakeSim, sp_reports: MakeReports) -> None:
    sim = make_sim(outcome="WARNING")
    reports = sp_reports(sim)
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    assert (done.status, done.provider_status) == (ReportStatus.SUCCEEDED, "WARNING")
    assert done.warnings and done.error is None


@pytest.mark.parametrize(
    ("outcome", "temp_error_result", "raw", "retryable"),
    [
        ("ERROR", "FAILURE", "FAILURE", False),
        ("TEMP_ERROR", "FAILURE", "FAILURE", False),
        ("TEMP_ERROR", "TEMP_ERROR", "TEMP_ERROR", True),
    ],
)
def test_failures(
    make_sim: MakeSim,
    sp_reports: MakeReports,
    tmp_path: Path,
    outcome: str,
    temp_error_result: str,
    raw: str,
    retryable: bool,
) -> None:
    sim = make_sim(outcome=outcome, temp_error_result=temp_error_result)
    reports = sp_reports(sim)
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    assert (done.status, done.provider_status) == (ReportStatus.FAILED, raw)
    assert done.error is not None and done.error.retryable is retryable
    assert done.error.code == raw


def test_identical_running_task_is_adopted(make_sim: MakeSim, sp_reports: MakeReports) -> None:
    sim = make_sim(job_seconds=1.0)
    reports = sp_reports(sim)
    first = reports.run("sp", "ACCOUNTS", **ACCOUNTS)
    again = reports.run("sp", "ACCOUNTS", **ACCOUNTS)
    other = reports.run("sp", "ACCOUNTS", **{**ACCOUNTS, "sourceName": "LDAP"})
    assert again.job_id == first.job_id != other.job_id
    assert sim.count("POST", r"/run$") == 3 and len(sim.tasks.all()) == 2


@pytest.mark.parametrize(("dedupe", "tasks"), [("off", 2), ("type", 1)])
def test_dedupe_switch(make_sim: MakeSim, sp_reports: MakeReports, dedupe: str, tasks: int) -> None:
    sim = make_sim(job_seconds=1.0, dedupe=dedupe)
    reports = sp_reports(sim)
    ids = {
        reports.run("sp", "ACCOUNTS", **ACCOUNTS).job_id,
        reports.run("sp", "ACCOUNTS", **{**ACCOUNTS, "sourceName": "LDAP"}).job_id,
    }
    assert len(ids) == len(sim.tasks.all()) == tasks


@pytest.mark.parametrize("running_poll", ["partial", "empty", "not_found"])
def test_every_running_poll_shape_leads_to_success(
    make_sim: MakeSim, sp_reports: MakeReports, running_poll: str
) -> None:
    sim = make_sim(job_seconds=0.5, visible_after=0.2, running_poll=running_poll)
    reports = sp_reports(sim)
    job = reports.run("sp", "IDENTITIES")
    seen: list[tuple[ReportStatus, str | None]] = []
    done = reports.wait(
        job, timeout=10, policy=FAST, on_update=lambda j: seen.append((j.status, j.provider_status))
    )
    assert done.status is ReportStatus.SUCCEEDED
    assert (ReportStatus.PENDING, NOT_VISIBLE) in seen
    if running_poll == "partial":
        assert (ReportStatus.RUNNING, IN_PROGRESS) in seen


def test_poll_404_long_after_submission_is_not_found(
    make_sim: MakeSim, sp_reports: MakeReports
) -> None:
    sim = make_sim(job_seconds=5, running_poll="not_found", visible_after=0)
    reports = sp_reports(sim)
    job = reports.run("sp", "IDENTITIES")
    old = attrs.evolve(job, submitted_at=job.submitted_at.replace(year=2000))  # type: ignore[union-attr]
    with pytest.raises(NotFoundError, match="not found"):
        reports.poll(old)


def test_cancel_a_running_report(make_sim: MakeSim, sp_reports: MakeReports) -> None:
    sim = make_sim(job_seconds=5)
    reports = sp_reports(sim)
    job = reports.run("sp", "IDENTITIES")
    cancelled = reports.cancel(job)
    assert (cancelled.status, cancelled.provider_status) == (ReportStatus.CANCELLED, "TERMINATED")
    assert cancelled.error is not None and "terminated" in cancelled.error.message
    assert sim.count("POST", rf"/v3/reports/{job.job_id}/cancel$") == 1


def test_cancel_after_the_end_reports_the_end(sim: SailPointSimulator, reports: Reports) -> None:
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    again = reports.cancel(attrs.evolve(done, status=ReportStatus.RUNNING))
    assert again.status is ReportStatus.SUCCEEDED


def test_cancel_of_an_unknown_task_is_refused(sim: SailPointSimulator, reports: Reports) -> None:
    ghost = ReportJob(provider="sailpoint", profile="sp", job_id="0" * 32, report_type="IDENTITIES")
    with pytest.raises(RejectedRequestError) as info:
        reports.cancel(ghost)
    assert "HTTP 400" in str(info.value) and info.value.tracking_id


def test_cancel_forbidden_for_api_clients_is_explained(
    make_sim: MakeSim, sp_reports: MakeReports
) -> None:
    sim = make_sim(job_seconds=5, cancel_forbidden=True)
    reports = sp_reports(sim)
    job = reports.run("sp", "IDENTITIES")
    with pytest.raises(PermissionDeniedError) as info:
        reports.cancel(job)
    assert "personal access token" in str(info.value)
    assert "user-bound tokens only" in str(info.value)


def test_file_gone_after_success_is_reported_as_expiry(
    sim: SailPointSimulator, reports: Reports, tmp_path: Path
) -> None:
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    sim.purge(done.job_id)
    with pytest.raises(NotFoundError) as info:
        reports.fetch(done, tmp_path)
    assert "may have expired" in str(info.value) and info.value.status_code == 404
    assert not any(tmp_path.iterdir())


def test_job_reference_fetches_from_a_new_facade(
    sim: SailPointSimulator, reports: Reports, sp_reports: MakeReports, tmp_path: Path
) -> None:
    job = reports.run("sp", "ORPHAN_IDENTITIES", selectedFormats=["PDF"])
    assert job.formats == ("pdf",)
    other = sp_reports(sim)
    done = other.wait(job.ref, timeout=10, policy=FAST)
    assert done.formats == ("pdf",)
    (fetched,) = other.fetch(done, tmp_path)
    assert fetched.format == "pdf"


def test_auditable_downloads(make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path) -> None:
    sim = make_sim()
    reports = sp_reports(sim, auditable_downloads=True)
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    reports.fetch(done, tmp_path)
    assert sim.audit_events == [done.job_id]


def test_large_files_stream_intact(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path
) -> None:
    sim = make_sim(file_size=8 << 20)
    reports = sp_reports(sim)
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    (fetched,) = reports.fetch(done, tmp_path)
    body = SyntheticFile(8 << 20, seed=f"{done.job_id}.csv", header=b"id,name,email,correlated\n")
    assert fetched.size == 8 << 20 and fetched.sha256 == body.sha256


def test_deprecated_version_is_logged_once(
    make_sim: MakeSim, sp_reports: MakeReports, caplog: pytest.LogCaptureFixture
) -> None:
    sim = make_sim(deprecated_versions=("v3",))
    reports = sp_reports(sim)
    with caplog.at_level(logging.WARNING, logger="reportbridge"):
        reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    warnings = [r for r in caplog.records if r.getMessage() == "deprecated API version"]
    assert len(warnings) == 1


def test_run_errors_are_typed_and_never_resent(sim: SailPointSimulator, reports: Reports) -> None:
    body = (
        b'{"detailCode": "500.0 Internal Fault", "trackingId": "b1a0c2d3e4f5061728394a5b6c7d8e9f",'
        b' "messages": [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": "boom"}]}'
    )
    sim.faults.add(Fault(path=r"/run$", status=500, body=body))
    with pytest.raises(ServiceError) as info:
        reports.run("sp", "IDENTITIES")
    assert "boom" in str(info.value) and info.value.vendor_code == "500.0 Internal Fault"
    assert info.value.tracking_id == "b1a0c2d3e4f5061728394a5b6c7d8e9f"
    assert sim.count("POST", r"/run$") == 1


@pytest.mark.parametrize("body", [b'{"id": "a/b"}', b"{}", b"[]", b"not json"])
def test_unusable_run_answers_are_protocol_errors(
    sim: SailPointSimulator, reports: Reports, body: bytes
) -> None:
    sim.faults.add(Fault(path=r"/run$", status=200, body=body))
    with pytest.raises(ProviderProtocolError):
        reports.run("sp", "IDENTITIES")
