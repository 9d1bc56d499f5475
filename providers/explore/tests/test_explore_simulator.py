"""The simulator speaks the vendor's shapes: run bodies, 3xx polls, HAL pages, S3 URLs."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportbridge.transport import HttpClient, HttpResponse, TransportOptions
from reportbridge.transport.retry import RetryPolicy
from reportbridge_explore.sim_files import ReportFile
from reportbridge_explore.sim_state import SimJob
from reportbridge_explore.simulator import ExploreSimulator

SimFactory = Callable[..., ExploreSimulator]
SPAN = {"from": "2025-01-01T00:00:00", "to": "2025-01-31T00:00:00"}


class Raw:
    """Plain HTTP to each origin of a simulator, with a token from its token host."""

    def __init__(self, sim: ExploreSimulator) -> None:
        self.sim = sim
        # One attempt: these tests look at the simulator's first answer.
        self.api = HttpClient(sim.base_url, options=TransportOptions(retry=RetryPolicy(1)))
        self.token_host = HttpClient(sim.origin_url("token"))
        self.storage = HttpClient(sim.origin_url("storage"))
        pair = f"{sim.client_id}:{sim.client_secret}".encode()
        resp = self.token_host.request(
            "POST",
            "oauth/token",
            data=b"grant_type=client_credentials&scope=data-reports%3Aread+data-reports%3Awrite",
            headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
        )
        self.token_body = resp.json()
        self.headers = {"Authorization": f"Bearer {self.token_body['access_token']}"}

    def call(self, method: str, path: str, body: Any = None) -> HttpResponse:
        return self.api.request(
            method, path, json=body, headers=self.headers, follow_redirects=False
        )

    def close(self) -> None:
        for client in (self.api, self.token_host, self.storage):
            client.close()


@pytest.fixture
def raw(explore_sim: SimFactory) -> Iterator[Callable[..., Raw]]:
    made: list[Raw] = []

    def make(**options: Any) -> Raw:
        made.append(Raw(explore_sim(**options)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_token_answer_has_the_vendor_fields(raw: Callable[..., Raw]) -> None:
    body = raw().token_body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "data-reports:read data-reports:write"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timespan": {"from": "2025-01-01T00:00:00", "to": "2999-01-01T00:00:00"}}, "timespan.to"),
        ({"timespan": {"from": "2025-01-01T00:00:00", "to": "2025-03-01T00:00:00"}}, "timespan"),
        ({"timespan": SPAN, "timezone": "Nowhere/City"}, "timezone"),
        ({"timespan": SPAN, "format": "xml"}, "format"),
        ({"timespan": SPAN, "name": "x" * 257}, "name"),
        ({}, "timespan"),
    ],
)
def test_run_refusals_use_the_vendor_error_body(
    raw: Callable[..., Raw], body: dict[str, Any], field: str
) -> None:
    r = raw()
    resp = r.call("POST", "data/reports/calls/jobs", body)
    error = resp.json()
    assert resp.status == 400
    assert set(error) == {"code", "message", "description", "fields"}
    assert error["fields"][0]["name"] == field
    assert r.sim.jobs == {}


def test_run_defaults_and_shapes(raw: Callable[..., Raw]) -> None:
    r = raw(run_body="flat")
    flat = r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN}).json()
    assert flat["status"] == "created" and flat["format"] == "json" and flat["timezone"] == "UTC"
    assert flat["_links"]["files"]["href"].endswith(f"/data/reports/calls/files/{flat['id']}")
    assert r.call("POST", "data/reports/nope/jobs", {"timespan": SPAN}).status == 400


@pytest.mark.parametrize(("code", "location"), [(300, "relative"), (302, "absolute")])
def test_done_poll_redirects_with_the_job_in_the_body(
    raw: Callable[..., Raw], code: int, location: str
) -> None:
    r = raw(poll_redirect_status=code, location=location, job_seconds=0.05)
    job = r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN}).json()["job"]
    time.sleep(0.1)
    resp = r.call("GET", f"data/reports/calls/jobs/{job['id']}")
    assert resp.status == code
    where = resp.header("Location") or ""
    assert where.endswith(f"/data/reports/calls/files/{job['id']}")
    assert where.startswith("http") is (location == "absolute")
    assert resp.json()["job"]["status"] == "done"


def test_signed_urls_are_checked(raw: Callable[..., Raw]) -> None:
    r = raw(job_seconds=0.0)
    job = r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN}).json()["job"]
    url = r.call("GET", f"data/reports/calls/files/{job['id']}").header("Location") or ""
    assert "X-Amz-Signature=" in url
    assert r.storage.request("GET", url).status == 200
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    assert b"SignatureDoesNotMatch" in r.storage.request("GET", tampered).data
    assert r.storage.request("GET", url, headers=r.headers).status == 400


def test_cancel_and_delete_follow_the_legacy_codes(raw: Callable[..., Raw]) -> None:
    r = raw(job_seconds=0.05)
    job = r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN}).json()["job"]
    time.sleep(0.1)
    assert r.call("DELETE", f"data/reports/calls/jobs/{job['id']}").status == 403
    assert r.call("DELETE", f"data/reports/calls/files/{job['id']}").status == 204
    assert (
        r.call("GET", f"data/reports/calls/jobs/{job['id']}").json()["job"]["status"] == "deleted"
    )
    assert r.call("DELETE", f"data/reports/calls/files/{job['id']}").status == 403


def test_list_is_a_hal_page(raw: Callable[..., Raw]) -> None:
    r = raw()
    for _ in range(3):
        r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN})
    page = r.call("GET", "data/reports/calls/jobs?page=1&per_page=2").json()
    assert (page["total"], page["page"], page["per_page"]) == (3, 1, 2)
    assert len(page["_embedded"]["jobs"]) == 2
    assert page["_links"]["next"]["href"].endswith("page=2&per_page=2")
    assert page["_links"]["page"]["templated"] is True
    last = r.call("GET", "data/reports/calls/jobs?page=2&per_page=2").json()
    assert "next" not in last["_links"] and len(last["_embedded"]["jobs"]) == 1


def test_quota_answer(raw: Callable[..., Raw]) -> None:
    r = raw(quota=1, job_seconds=60, quota_retry_after="7")
    assert r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN}).status == 202
    resp = r.call("POST", "data/reports/calls/jobs", {"timespan": SPAN})
    assert resp.status == 429 and resp.header("Retry-After") == "7"
    assert "15" not in resp.json()["description"] and "quota of 1" in resp.json()["description"]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["csv", "json", "json_bulk"]),
    st.integers(min_value=0, max_value=20_000),
    st.integers(min_value=0, max_value=30_000),
    st.integers(min_value=0, max_value=3_000),
)
def test_report_files_are_valid_and_ranges_agree(fmt: str, size: int, start: int, n: int) -> None:
    f = ReportFile(size, seed="job", fmt=fmt, report_type="calls")
    data = f.read_all()
    assert len(data) == f.size and f.size >= size - 400
    assert b"".join(f.iter_range(start, start + n, chunk=97)) == data[start : start + n]
    if fmt == "json":
        doc = json.loads(data)
        assert doc["type"] == "calls" and doc["total"] == len(doc["entries"]) == f.count
    elif fmt == "json_bulk":
        assert len([json.loads(line) for line in data.splitlines()]) == f.count
    else:
        assert len(data.splitlines()) == f.count + 1


@pytest.mark.parametrize("legacy", [False, True])
def test_jobs_move_through_the_vendor_stages(legacy: bool) -> None:
    sim = ExploreSimulator(job_seconds=4.0, retention_seconds=10.0, legacy_sending=legacy)
    job = SimJob(
        "j", "calls", "", "UTC", "csv", SPAN, created=0.0, seq=0, created_at="", outcome="done"
    )
    seen = [sim.progression.state(job, t) for t in (0.0, 1.1, 2.1, 3.1, 4.0, 13.9, 14.0)]
    stages = (
        ["created", "processing", "uploading", "sending"]
        if legacy
        else ["created", "created", "processing", "uploading"]
    )
    assert seen == [*stages, "done", "done", "deleted"]
