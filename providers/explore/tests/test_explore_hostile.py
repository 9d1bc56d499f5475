"""Hostile ids, references and answers: Explore never sends a request the vendor never meant."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from explore_testkit import FAST, JANUARY

from reportbridge import ProviderProtocolError, ReportJob, ReportStatus, ValidationError
from reportbridge.facade import Reports
from reportbridge.refs import decode_ref
from reportbridge.testing import Request, Response
from reportbridge.testing.contract_ids import handmade_ref
from reportbridge_explore.simulator import ExploreSimulator

SimFactory = Callable[..., ExploreSimulator]
ReportsFactory = Callable[..., Reports]

HOSTILE_IDS = [
    "../../../admin/users/42?force=true#",
    "../x",
    "a/b",
    "x?y=1",
    "%2e%2e",
    "..%2F..%2Fadmin",
    "#frag",
    "..",
    "a\\..\\b",
    "a\u2215..\u2215b",
    "a\uff0fb",
    "a\x00b",
    "a\r\nX-Injected: yes",
]
HOSTILE_TYPES = ["../admin", "calls/../../admin", "calls?x=1", "Calls", "calls#", "%63alls", ""]


def crafted(
    job_id: str = "369f88a5-d5a3-42c6-a135-8aec4215553e",
    report_type: str = "calls",
    extra: dict[str, str] | None = None,
) -> str:
    """A reference written by hand (encode_ref would never write a secret-bearing URL)."""
    return handmade_ref(
        {"p": "explore", "n": "tx", "i": job_id, "t": report_type, "x": extra or {}}
    )


@pytest.mark.parametrize("job_id", HOSTILE_IDS)
def test_a_crafted_job_id_is_refused_before_any_request(
    sim: ExploreSimulator, reports: Reports, job_id: str, tmp_path: Path
) -> None:
    reports.run("tx", "calls", **JANUARY)  # a token is cached: any request would show
    before = len(sim.requests)
    ref = crafted(job_id)
    for operation in (reports.poll, reports.cancel, lambda r: reports.fetch(r, tmp_path)):
        with pytest.raises(ValidationError, match="explore job id") as info:
            operation(ref)
        assert info.value.provider == "explore"
    done = ReportJob(
        provider="explore",
        profile="tx",
        job_id=job_id,
        report_type="calls",
        status=ReportStatus.SUCCEEDED,
        provider_status="done",
    )
    with pytest.raises(ValidationError):
        reports.fetch(done, tmp_path)
    with pytest.raises(ValidationError):
        reports.session("tx").cancel(done)
    assert sim.requests[before:] == []
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("report_type", HOSTILE_TYPES)
def test_a_crafted_report_type_is_refused_before_any_request(
    sim: ExploreSimulator, reports: Reports, report_type: str
) -> None:
    job = reports.run("tx", "calls", **JANUARY)
    before = len(sim.requests)
    ref = crafted(job.job_id, report_type=report_type)
    for operation in (reports.poll, reports.cancel):
        with pytest.raises(ValidationError, match="report type"):
            operation(ref)
    assert sim.requests[before:] == []


@pytest.mark.parametrize("answered", HOSTILE_IDS[:8])
def test_a_hostile_id_in_the_run_answer_is_a_protocol_error(
    explore_sim: SimFactory, explore_reports: ReportsFactory, answered: str
) -> None:
    sim = explore_sim(forced_job_id=answered)
    reports = explore_reports(sim)
    with pytest.raises(ProviderProtocolError, match="cannot address it"):
        reports.run("tx", "calls", **JANUARY)
    # nothing but the token and the run request reached the vendor
    assert [(r.method, r.path) for r in sim.requests if r.origin == "api"] == [
        ("POST", "/data/reports/calls/jobs")
    ]


def test_an_unusual_but_harmless_id_travels_as_one_encoded_segment(
    explore_sim: SimFactory, explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    odd = "job:ünïcode~1;v=2@x"
    sim = explore_sim(forced_job_id=odd)
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    assert job.job_id == odd and decode_ref(job.ref).job_id == odd
    done = reports.wait(job.ref, policy=FAST, timeout=20)
    assert done.status is ReportStatus.SUCCEEDED
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.sha256 == sim.file_for(odd).sha256
    polls = [r.path for r in sim.requests if r.method == "GET" and "/jobs/" in r.path]
    assert polls and all(
        p == "/data/reports/calls/jobs/job%3A%C3%BCn%C3%AFcode~1%3Bv%3D2%40x" for p in polls
    )


class ChattySimulator(ExploreSimulator):
    """Answers polls with another job's id, and a files Location carrying a signature."""

    location_query = "X-Amz-Signature=0a1b2c3d4e5f&X-Amz-Credential=AKIAEXAMPLE"
    other_path = False

    def poll(self, req: Request, kind: str, job_id: str) -> Response:
        resp = super().poll(req, kind, job_id)
        if resp.status == 200:
            assert isinstance(resp.body, bytes)
            body: dict[str, Any] = json.loads(resp.body)
            body["job"]["id"] = "../../../admin/users/42?force=true#"
            return Response.json(body)
        location = resp.headers.get("Location")
        if location and self.location_query:
            path = location.replace("/files/", "/v2/files/") if self.other_path else location
            resp.headers["Location"] = f"{path}?{self.location_query}"
        return resp


def test_a_poll_answer_cannot_change_the_job_id(
    start_simulator: Callable[..., Any], explore_reports: ReportsFactory
) -> None:
    sim = start_simulator(ChattySimulator(job_seconds=30))
    reports = explore_reports(sim)
    job = reports.run("tx", "calls", **JANUARY)
    seen = reports.poll(job)
    assert seen.job_id == job.job_id
    cancelled = reports.cancel(seen)
    assert cancelled.job_id == job.job_id
    assert sim.count("DELETE", f"^/data/reports/calls/jobs/{job.job_id}$") == 1
    assert all(r.path.startswith("/data/reports/calls/") for r in sim.requests if r.origin == "api")


@pytest.mark.parametrize("other_path", [False, True])
def test_a_signed_location_is_never_stored_in_the_reference(
    start_simulator: Callable[..., Any],
    explore_reports: ReportsFactory,
    other_path: bool,
    tmp_path: Path,
) -> None:
    sim = ChattySimulator(job_seconds=0.1)
    sim.other_path = other_path
    start_simulator(sim)
    reports = explore_reports(sim)
    done = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST, timeout=20)
    assert done.status is ReportStatus.SUCCEEDED
    for text in (done.ref, repr(decode_ref(done.ref))):
        assert "0a1b2c3d4e5f" not in text and "X-Amz" not in text
    assert "files" not in done.extra
    assert reports.fetch(done, tmp_path)[0].size > 0


def test_a_files_location_without_query_is_kept(
    start_simulator: Callable[..., Any], explore_reports: ReportsFactory, tmp_path: Path
) -> None:
    class MovedFiles(ExploreSimulator):
        def poll(self, req: Request, kind: str, job_id: str) -> Response:
            resp = super().poll(req, kind, job_id)
            if "Location" in resp.headers:
                resp.headers["Location"] = resp.headers["Location"] + "/"
            return resp

    sim = start_simulator(MovedFiles(job_seconds=0.1))
    reports = explore_reports(sim)
    done = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST, timeout=20)
    assert decode_ref(done.ref).extra["files"].endswith(f"/files/{done.job_id}/")


@pytest.mark.parametrize(
    "files",
    [
        "https://elsewhere.example/data/reports/calls/files/x",
        "http://127.0.0.2:{port}/data/reports/calls/files/x",
        "http://127.0.0.2:9\\@127.0.0.1:{port}/data/reports/calls/files/x",
        "http://user:pw@127.0.0.1:{port}/data/reports/calls/files/x",
        "http://127.0.0.1:{port}/data/reports/calls/files/x?token=abc",
        "http://127.0.0.1:{port}/data/reports/calls/files/x#frag",
        "file:///etc/passwd",
        "/data/reports/calls/files/x",
    ],
)
def test_a_files_url_in_a_crafted_reference_is_refused(
    sim: ExploreSimulator, reports: Reports, files: str, tmp_path: Path
) -> None:
    job = reports.wait(reports.run("tx", "calls", **JANUARY), policy=FAST, timeout=20)
    port = sim.base_url.rsplit(":", 1)[1]
    forged = crafted(job.job_id, extra={"format": "csv", "files": files.format(port=port)})
    before = len(sim.requests)
    with pytest.raises(ValidationError, match="files URL"):
        reports.fetch(forged, tmp_path)
    after = sim.requests[before:]
    assert all(r.method == "GET" and "/jobs/" in r.path for r in after)  # only the first look
    assert not any(tmp_path.iterdir())
