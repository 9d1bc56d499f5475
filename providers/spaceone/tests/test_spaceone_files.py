"""Fetching: a fresh signed URL per attempt, no token at the storage, expiry as NotFoundError."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spaceone_testkit import CSV, FAST, PDF

from reportbridge import NotFoundError, ReportJob, ReportStatus, ValidationError
from reportbridge.facade import Reports
from reportbridge.testing import Fault
from reportbridge_spaceone.simulator import SpaceoneSimulator

Make = Callable[..., Reports]
StartSim = Callable[..., SpaceoneSimulator]


def finished(reports: Reports, template: str = PDF) -> ReportJob:
    done = reports.wait(reports.run("so", template, name="file test"), timeout=20, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    return done


def storage_requests(sim: SpaceoneSimulator) -> list[dict[str, str]]:
    return [r.headers for r in sim.requests if r.origin == "storage"]


def test_fetch_streams_the_file_without_the_token(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.format == "pdf" and fetched.content_type == "application/pdf"
    assert fetched.path.name == f"{job.job_id}.pdf"
    assert fetched.path.read_bytes().startswith(b"%PDF-")
    assert fetched.sha256 == sim.file_for(sim.store.reports[job.job_id]).sha256
    (headers,) = storage_requests(sim)
    assert not any(k.lower() == "authorization" for k in headers)
    assert sim.count("GET", "/download_url$") == 1


def test_every_attempt_asks_for_a_fresh_url(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    reports.fetch(job, tmp_path / "a")
    reports.fetch(job, tmp_path / "b")
    assert sim.count("GET", "/download_url$") == 2
    assert (tmp_path / "a" / f"{job.job_id}.pdf").read_bytes() == (
        tmp_path / "b" / f"{job.job_id}.pdf"
    ).read_bytes()


def test_a_403_from_storage_gets_a_fresh_url(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.faults.add(Fault(path="^/_storage/", status=403, body=b"<Error>expired</Error>"))
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.size == sim.file_size
    assert sim.count("GET", "/download_url$") == 2
    assert sim.count("GET", "^/_storage/", origin="storage") == 2


@pytest.mark.parametrize("status", [403, 404])
def test_refused_fresh_url_means_the_file_expired(
    spaceone_sim: StartSim, make_spaceone: Make, tmp_path: Path, status: int
) -> None:
    sim = spaceone_sim()
    reports = make_spaceone(sim)
    job = finished(reports)
    sim.faults.add(Fault(path="^/_storage/", status=status, times=None))
    with pytest.raises(NotFoundError) as info:
        reports.fetch(job, tmp_path)
    assert "expired" in str(info.value)
    assert sim.count("GET", "/download_url$") == (2 if status == 403 else 1)
    assert list(tmp_path.iterdir()) == []


def test_signed_urls_that_expire_before_use(
    spaceone_sim: StartSim, make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(url_ttl=0)
    reports = make_spaceone(sim)
    with pytest.raises(NotFoundError) as info:
        reports.fetch(finished(reports), tmp_path)
    assert "HTTP 403" in str(info.value) and "expired" in str(info.value)
    assert "X-Signature" not in str(info.value)


def test_removed_file_is_reported_as_expired(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.remove_file(job.job_id)
    with pytest.raises(NotFoundError) as info:
        reports.fetch(job, tmp_path)
    assert "may have expired" in str(info.value)


def test_download_url_refused_is_reported_as_expired(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.remove_file(job.job_id, refuse_url=True)
    with pytest.raises(NotFoundError) as info:
        reports.fetch(job, tmp_path)
    assert "may have expired" in str(info.value) and "ERROR_NOT_FOUND" in str(info.value)
    assert sim.count(origin="storage") == 0


def test_storage_errors_are_retried_with_a_fresh_url(
    reports: Reports, sim: SpaceoneSimulator, tmp_path: Path
) -> None:
    job = finished(reports)
    # Three 500s exhaust the client's own retries of one URL; the façade then starts over.
    sim.faults.add(Fault(path="^/_storage/", status=500, times=3))
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.size == sim.file_size
    assert sim.count("GET", "/download_url$") == 2


def test_a_cut_download_resumes_with_a_fresh_url(
    spaceone_sim: StartSim, make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(file_size=300_000)
    reports = make_spaceone(sim)
    job = finished(reports)
    sim.faults.add(Fault(path="^/_storage/", drop_after=100_000))
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.size == 300_000
    assert fetched.sha256 == sim.file_for(sim.store.reports[job.job_id]).sha256
    assert sim.count("GET", "/download_url$") == 2
    assert any("Range" in h for h in storage_requests(sim))


def test_csv_template_and_vendor_file_name(
    spaceone_sim: StartSim, make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(content_disposition=True)
    reports = make_spaceone(sim)
    job = finished(reports, CSV)
    assert job.formats == ("csv",)
    (fetched,) = reports.fetch(job.ref, tmp_path)
    assert fetched.format == "csv" and fetched.vendor_filename == f"{job.job_id}.csv"
    assert fetched.path.read_bytes().startswith(b"id,resource,cost,region\n")
    with pytest.raises(ValidationError) as info:
        reports.fetch(job, tmp_path, format="pdf")
    assert "accepted: csv" in str(info.value)


def test_format_comes_from_the_storage_when_the_path_has_no_extension(
    spaceone_sim: StartSim, make_spaceone: Make, tmp_path: Path
) -> None:
    sim = spaceone_sim(storage_path_extension=False)
    reports = make_spaceone(sim)
    job = finished(reports, CSV)
    assert job.formats == ()
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.format == "csv" and fetched.content_type == "text/csv"


def test_fetch_before_finished_is_refused(reports: Reports, tmp_path: Path) -> None:
    job = reports.run("so", PDF, name="x")
    with pytest.raises(ValidationError):
        reports.fetch(job, tmp_path)
    assert list(tmp_path.iterdir()) == []
