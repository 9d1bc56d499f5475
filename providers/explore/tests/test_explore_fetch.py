"""Fetching through the signed-URL chain when storage or the files endpoint misbehave."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from explore_testkit import FAST, JANUARY

from reportbridge import NotFoundError, ReportJob, ServiceError
from reportbridge.errors import DownloadError, PermissionDeniedError
from reportbridge.facade import Reports
from reportbridge.testing import Fault
from reportbridge.transport import HttpClient
from reportbridge_explore.simulator import ExploreSimulator

SimFactory = Callable[..., ExploreSimulator]
ReportsFactory = Callable[..., Reports]
DoneOn = Callable[..., tuple[ExploreSimulator, Reports, ReportJob]]


def finished(reports: Reports, **params: str) -> ReportJob:
    return reports.wait(reports.run("tx", "calls", **JANUARY, **params), policy=FAST)


@pytest.fixture
def done_on(
    explore_sim: SimFactory, explore_reports: ReportsFactory
) -> Callable[..., tuple[ExploreSimulator, Reports, ReportJob]]:
    """A finished job on a simulator with these switches (and profile ``settings``)."""

    def make(
        settings: dict[str, Any] | None = None, **options: Any
    ) -> tuple[ExploreSimulator, Reports, ReportJob]:
        sim = explore_sim(**options)
        reports = explore_reports(sim, **(settings or {}))
        return sim, reports, finished(reports)

    return make


def test_a_refused_signed_url_is_replaced_by_a_fresh_one(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.faults.add(Fault(path="^/_s3/", status=403, times=1))
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.sha256 == sim.file_for(job.job_id).sha256
    assert sim.urls_issued == 2


def test_expired_urls_give_up_after_three_fresh_ones(done_on: DoneOn, tmp_path: Path) -> None:
    sim, reports, job = done_on(url_ttl=-1)  # every URL is already expired
    with pytest.raises(PermissionDeniedError) as info:
        reports.fetch(job, tmp_path)
    assert "3 fresh URL(s)" in str(info.value)
    assert "Signature" not in str(info.value) and "X-Amz" not in str(info.value)
    assert sim.urls_issued == 3 and not any(tmp_path.iterdir())


def test_a_cut_download_resumes_from_a_fresh_url(done_on: DoneOn, tmp_path: Path) -> None:
    sim, reports, job = done_on(file_size=200_000)
    sim.faults.add(Fault(path="^/_s3/", drop_after=70_000, times=1))
    (fetched,) = reports.fetch(job, tmp_path)
    assert fetched.sha256 == sim.file_for(job.job_id).sha256
    assert sim.urls_issued == 2
    ranged = [r for r in sim.requests if r.origin == "storage" and "Range" in r.headers]
    assert len(ranged) == 1 and ranged[0].status == 206


def test_files_not_ready_yet_is_waited_for_and_never_saved(done_on: DoneOn, tmp_path: Path) -> None:
    sim, reports, job = done_on(files_not_ready=2)
    (fetched,) = reports.fetch(job, tmp_path)
    assert sim.count("GET", "/files/") == 3
    assert fetched.path.read_bytes().startswith(b"id,")


def test_files_never_ready_is_a_clear_error(done_on: DoneOn, tmp_path: Path) -> None:
    sim, reports, job = done_on({"file_not_ready_retries": 1}, files_not_ready=100)
    with pytest.raises(ServiceError, match="not ready yet"):
        reports.fetch(job, tmp_path, download_attempts=1)
    assert sim.count("GET", "/files/") == 2 and not any(tmp_path.iterdir())


def test_a_file_deleted_since_the_poll_is_not_found(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.jobs[job.job_id].final = "deleted"
    with pytest.raises(NotFoundError, match="deleted"):
        reports.fetch(job, tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_wrong_length_leaves_nothing_behind(
    sim: ExploreSimulator, reports: Reports, tmp_path: Path
) -> None:
    job = finished(reports)
    sim.faults.add(Fault(path="^/_s3/", bad_length=10, times=None))
    with pytest.raises(DownloadError):
        reports.fetch(job, tmp_path, download_attempts=1)
    assert not any(tmp_path.iterdir())


def test_storage_refuses_an_authorization_header(sim: ExploreSimulator, reports: Reports) -> None:
    job = finished(reports)
    session = reports.session("tx")
    url = session.files.signed_url(job)  # type: ignore[attr-defined]
    storage = HttpClient(sim.origin_url("storage"))
    try:
        with_header = storage.request("GET", url, headers={"Authorization": "Bearer x"})
        plain = storage.request("GET", url)
    finally:
        storage.close()
    assert with_header.status == 400 and b"InvalidArgument" in with_header.data
    assert plain.status == 200
