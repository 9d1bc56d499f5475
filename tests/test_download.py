"""Downloads are atomic: verified files appear, broken ones leave nothing behind."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import DownloadError, LocalWriteError, ReportJob, Reports
from reportbridge.download import FileNames, filename_from_disposition, safe_filename
from reportbridge.testing import Fault
from tests.toy import ToySimulator


def finished(reports: Reports) -> Any:
    return reports.wait(reports.run("toy", "USERS"), timeout=10)


def test_cut_mid_body_leaves_no_file(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    toy_sim.file_size = 3 * 1024 * 1024
    toy_sim.ranges = False  # the server cannot resume: the cut must surface
    job = finished(toy_reports)
    toy_sim.faults.add(Fault(path="/file$", drop_after=1024 * 1024 + 17))
    with pytest.raises(DownloadError) as info:
        toy_reports.fetch(job, tmp_path, download_attempts=1)
    assert "nothing was kept" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    # and a second try succeeds and is complete
    (fetched,) = toy_reports.fetch(job, tmp_path)
    assert fetched.size == toy_sim.file_size
    assert fetched.sha256 == toy_sim.file_for(job.job_id).sha256
    assert [p.name for p in tmp_path.iterdir()] == [fetched.path.name]


@pytest.mark.parametrize("redirect", [False, True])
def test_cut_download_resumes_with_range(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any, redirect: bool
) -> None:
    toy_sim.file_size = 5 * 1024 * 1024 + 3
    toy_sim.redirect_files = redirect
    job = finished(toy_reports)
    path = "/blob/" if redirect else "/file$"
    toy_sim.faults.add(
        Fault(path=path, drop_after=1024 * 1024 + 17),
        Fault(path=path, drop_after=2 * 1024 * 1024 + 5),  # then the first resume is cut too
    )
    (fetched,) = toy_reports.fetch(job, tmp_path)
    assert fetched.size == toy_sim.file_size
    assert fetched.sha256 == toy_sim.file_for(job.job_id).sha256
    gets = [r for r in toy_sim.requests if r.path.endswith(("/file", ".csv"))]
    ranges = [
        r.headers.get("Range") for r in gets if r.origin == ("storage" if redirect else "api")
    ]
    assert ranges[0] is None
    assert ranges[1] == "bytes=1048593-"
    assert ranges[2] is not None and ranges[2].startswith("bytes=")
    assert [p.name for p in tmp_path.iterdir()] == [fetched.path.name]


def test_short_body_against_content_length_leaves_no_file(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    toy_sim.ranges = False
    job = finished(toy_reports)
    toy_sim.faults.add(Fault(path="/file$", bad_length=100))
    with pytest.raises(DownloadError):
        toy_reports.fetch(job, tmp_path, download_attempts=1)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_only_when_complete(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    job = finished(toy_reports)
    (good,) = toy_reports.fetch(job, tmp_path)
    toy_sim.ranges = False
    before = good.path.read_bytes()
    toy_sim.faults.add(Fault(path="/file$", drop_after=10))
    with pytest.raises(DownloadError):
        toy_reports.fetch(job, tmp_path, download_attempts=1)
    assert good.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [good.path.name]


def test_broken_download_is_started_again(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    toy_sim.ranges = False
    job = finished(toy_reports)
    toy_sim.faults.add(
        Fault(path="/file$", drop_after=100, times=1), Fault(path="/file$", status=503)
    )
    (fetched,) = toy_reports.fetch(job, tmp_path)
    assert fetched.sha256 == toy_sim.file_for(job.job_id).sha256
    assert toy_sim.count("GET", "/file$") == 3  # cut; 503 (retried by the transport); ok
    assert [p.name for p in tmp_path.iterdir()] == [fetched.path.name]


def test_progress_callback(toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any) -> None:
    toy_sim.file_size = 3 * 1024 * 1024 + 5
    seen: list[tuple[int, int | None]] = []
    toy_reports.fetch(finished(toy_reports), tmp_path, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (toy_sim.file_size, toy_sim.file_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="Account Export.csv"', "Account Export.csv"),
        ('attachment;filename=\\"fileName"', "fileName"),
        ("attachment; filename=plain.pdf", "plain.pdf"),
        ("attachment; filename*=UTF-8''na%C3%AFve%20report.csv", "naïve report.csv"),
        ("inline", None),
        (None, None),
    ],
)
def test_content_disposition(header: str | None, name: str | None) -> None:
    assert filename_from_disposition(header) == name


@pytest.mark.parametrize(
    ("charset", "name"),
    [
        ("x", "na\u00efve.csv"),  # unknown to Python: LookupError before
        ("rot13", "na\u00efve.csv"),  # known, but not a text encoding
        ("utf-8\x00", "na\u00efve.csv"),
        ("ISO-8859-1", "na\u00c3\u00afve.csv"),  # allowed, and read as it says
    ],
)
def test_content_disposition_with_an_odd_charset(charset: str, name: str) -> None:
    header = f"attachment; filename*={charset}''na%C3%AFve.csv"
    assert filename_from_disposition(header) == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("..", "fallback.csv"),
        ("a\x00b\nc.csv", "a_b_c.csv"),
        ("CON.csv", "_CON.csv"),
        ("", "fallback.csv"),
        ("/", "fallback.csv"),
    ],
)
def test_safe_filename_examples(raw: str, expected: str) -> None:
    assert safe_filename(raw, "fallback.csv") == expected


@given(st.text(max_size=300))
def test_safe_filename_never_escapes(raw: str) -> None:
    name = safe_filename(raw, "fallback")
    assert name and "/" not in name and "\\" not in name
    assert name not in (".", "..")
    assert not any(ord(c) < 32 or ord(c) == 127 for c in name)
    assert len(name.encode()) <= 200


def test_a_disk_that_refuses_the_body_leaves_nothing(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    resource = pytest.importorskip("resource")  # POSIX: a file-size limit stands in for a full disk
    toy_sim.file_size = 4 * 1024 * 1024
    job = finished(toy_reports)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, hard))  # writes past 1 MiB fail
    try:
        with pytest.raises(LocalWriteError) as info:
            toy_reports.fetch(job, tmp_path, filename="report.csv")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert info.value.path == tmp_path / "report.csv"
    assert "report.csv" in str(info.value) and "nothing was kept" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert toy_sim.count("GET", "/file$") == 1  # a local failure is not retried


def test_file_names_of_a_batch_never_overwrite_each_other(tmp_path: Any) -> None:
    def job(job_id: str, profile: str = "p") -> ReportJob:
        return ReportJob(provider="x", profile=profile, job_id=job_id, report_type="T")

    names = FileNames()
    claim = functools.partial(names.claim, tmp_path)
    assert claim("Export.csv", job=job("1"), format="csv") == "Export.csv"
    assert claim("Export.csv", job=job("1"), format="csv") == "Export.csv"  # a shared job
    assert claim("Export.csv", job=job("2"), format="csv") == "Export-2.csv"
    assert claim("Export.csv", job=job("1", "q"), format="csv") == "Export-1.csv"
    assert claim("Export.csv", job=job("2"), format="csv") == "Export-2.csv"  # stable
    assert claim("Export.csv", job=job("3"), format=None) == "Export-3.csv"
    assert names.claim(tmp_path / "b", "Export.csv", job=job("3"), format=None) == "Export.csv"
    with pytest.raises(LocalWriteError, match=r"pdf file of job 1 would be named 'Export\.csv'"):
        # the second format of job 1 also named Export.csv: both names are taken
        claim("Export.csv", job=job("1"), format="pdf")
