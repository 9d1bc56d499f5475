"""The simulator speaks the vendor's wire format (PROVIDERS.md, SailPoint section)."""

from __future__ import annotations

import json
import time
import zipfile
from io import BytesIO
from typing import Any

import pytest
import urllib3
from conftest import ACCOUNTS, MakeSim

from reportbridge_sailpoint.simulator import SailPointSimulator

HTTP = urllib3.PoolManager(retries=False)  # urllib3 would follow Retry-After itself
BAD = "400.1 Bad Request Content"
CSV = {"Accept": "application/csv"}
VERSIONS = ("v3", "v2024", "v2025", "v2026", "beta", "reports/v1")


def prefix(version: str) -> str:
    return "/reports/v1" if version == "reports/v1" else f"/{version}/reports"


def token(sim: SailPointSimulator) -> str:
    resp = HTTP.request(
        "POST",
        f"{sim.base_url}/oauth/token",
        fields={
            "grant_type": "client_credentials",
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        },
        encode_multipart=False,
    )
    assert resp.status == 200
    return str(resp.json()["access_token"])


def call(
    sim: SailPointSimulator,
    method: str,
    path: str,
    *,
    bearer: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> urllib3.BaseHTTPResponse:
    sent = dict(headers or {})
    if bearer:
        sent["Authorization"] = f"Bearer {bearer}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    return HTTP.request(method, f"{sim.base_url}{path}", body=data, headers=sent)


def run(sim: SailPointSimulator, bearer: str, version: str = "v3", **body: Any) -> dict[str, Any]:
    payload = body or {"reportType": "ACCOUNTS", "arguments": ACCOUNTS}
    resp = call(sim, "POST", f"{prefix(version)}/run", bearer=bearer, body=payload)
    assert resp.status == 200, resp.data
    return dict(resp.json())


def wait_done(sim: SailPointSimulator, bearer: str, task_id: str, version: str = "v3") -> Any:
    for _ in range(200):
        body = call(sim, "GET", f"{prefix(version)}/{task_id}/result", bearer=bearer).json()
        if "status" in body:
            return body
        time.sleep(0.02)
    raise AssertionError("the task never finished")


def is_error_dto(resp: urllib3.BaseHTTPResponse, status: int, code: str) -> dict[str, Any]:
    body = resp.json()
    assert resp.status == status
    assert body["detailCode"] == code and len(body["trackingId"]) == 32
    assert body["messages"][0]["localeOrigin"] == "DEFAULT" and body["messages"][0]["text"]
    return dict(body)


def test_token_answer_and_its_three_request_forms(sim: SailPointSimulator) -> None:
    creds = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
    }
    url = f"{sim.base_url}/oauth/token"
    forms = [
        HTTP.request("POST", url, fields=creds, encode_multipart=False),
        HTTP.request("POST", url, fields=creds, encode_multipart=True),
        HTTP.request("POST", url + "?" + "&".join(f"{k}={v}" for k, v in creds.items())),
    ]
    for resp in forms:
        body = resp.json()
        assert resp.status == 200
        assert body["token_type"] == "bearer" and body["expires_in"] == 749
        assert body["access_token"].count(".") == 2  # a JWT
        assert {"scope", "tenant_id", "pod", "org", "jti"} <= set(body)
    bad = HTTP.request("POST", url, fields={**creds, "client_secret": "x"}, encode_multipart=False)
    assert bad.status == 401 and bad.json()["error"] == "invalid_client"
    grant = HTTP.request("POST", url, fields={**creds, "grant_type": "password"})
    assert grant.status == 400


def test_jwt_refusals(sim: SailPointSimulator) -> None:
    missing = call(sim, "GET", "/v3/reports/x/result")
    assert missing.status == 401 and missing.json() == {
        "error": "JWT validation failed: JWT is missing"
    }
    bearer = token(sim)
    sim.tokens.expire_all()
    expired = call(sim, "GET", "/v3/reports/x/result", bearer=bearer)
    assert expired.json() == {"error": "JWT validation failed: JWT is expired"}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_serves_the_four_operations(make_sim: MakeSim, version: str) -> None:
    sim = make_sim(job_seconds=0.3)
    bearer = token(sim)
    started = run(sim, bearer, version)
    assert started["launched"] is None and started["completionStatus"] is None
    assert started["created"].endswith("Z") and len(started["id"]) == 32
    task_id = started["id"]
    done = wait_done(sim, bearer, task_id, version)
    assert done["status"] == "SUCCESS" and done["availableFormats"] == ["CSV", "PDF"]
    assert done["taskDefName"] == "Account Export" and isinstance(done["duration"], int)
    for fmt, media in (("csv", "application/csv"), ("pdf", "application/pdf")):
        resp = call(
            sim,
            "GET",
            f"{prefix(version)}/{task_id}?fileFormat={fmt}",
            bearer=bearer,
            headers={"Accept": media},
        )
        assert resp.status == 200 and resp.headers["Content-Type"] == media
        assert resp.headers["Content-Disposition"] == f'attachment; filename="Account Export.{fmt}"'
    other = run(sim, bearer, version, reportType="IDENTITIES", arguments={})
    cancel = call(sim, "POST", f"{prefix(version)}/{other['id']}/cancel", bearer=bearer)
    assert cancel.status == 204 and cancel.data == b""
    assert wait_done(sim, bearer, other["id"], version)["status"] == "TERMINATED"


def test_poll_payloads_over_time(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=0.6, visible_after=0.15)
    bearer = token(sim)
    task_id = run(sim, bearer)["id"]
    assert call(sim, "GET", f"/v3/reports/{task_id}/result", bearer=bearer).json() == {}
    time.sleep(0.2)
    running = call(sim, "GET", f"/v3/reports/{task_id}/result", bearer=bearer).json()
    assert set(running) == {"id", "reportType", "taskDefName", "created"}
    adopted = run(sim, bearer)
    assert adopted["id"] == task_id and adopted["launched"] is not None
    assert call(sim, "GET", "/v3/reports/0123/result", bearer=bearer).json() == {}


def test_run_refuses_bad_report_details(sim: SailPointSimulator) -> None:
    bearer = token(sim)
    for body in (
        {"reportType": "NOPE"},
        {"reportType": "ACCOUNTS", "arguments": {"application": "x"}},
        {"reportType": "IDENTITIES_DETAILS", "arguments": {"correlatedOnly": "yes"}},
        {"reportType": "ORPHAN_IDENTITIES", "arguments": {"selectedFormats": ["XLS"]}},
        ["not", "an", "object"],
    ):
        resp = call(sim, "POST", "/v3/reports/run", bearer=bearer, body=body)
        is_error_dto(resp, 400, BAD)
    assert sim.tasks.all() == []


def test_file_endpoint_errors(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=0.3)
    bearer = token(sim)
    task_id = run(sim, bearer)["id"]
    path = f"/v3/reports/{task_id}"
    early = call(
        sim, "GET", f"{path}?fileFormat=csv", bearer=bearer, headers={"Accept": "application/csv"}
    )
    assert "File Not Found" in is_error_dto(early, 404, "404 Not found")["messages"][0]["text"]
    wait_done(sim, bearer, task_id)
    for query in ("", "?fileFormat=CSV", "?fileFormat=xlsx"):
        is_error_dto(
            call(sim, "GET", path + query, bearer=bearer), 400, "400.1 Bad Request Content"
        )
    wrong = call(
        sim, "GET", f"{path}?fileFormat=pdf", bearer=bearer, headers={"Accept": "application/json"}
    )
    assert wrong.status == 500
    assert wrong.json()["errorName"] == "NotAcceptableException"
    assert wrong.json()["errorMessage"] == "RESTEASY003635: No match for accept header"
    for accept in (None, "*/*", "application/*", "text/html, application/pdf;q=0.9"):
        headers = {"Accept": accept} if accept else {}
        assert (
            call(sim, "GET", f"{path}?fileFormat=pdf", bearer=bearer, headers=headers).status == 200
        )
    assert (
        call(sim, "GET", f"{path}?fileFormat=pdf&name=Mine", bearer=bearer).headers[
            "Content-Disposition"
        ]
        == 'attachment; filename="Mine.pdf"'
    )


def test_early_fetch_status_switch(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=5, early_fetch_status=400)
    bearer = token(sim)
    task_id = run(sim, bearer)["id"]
    resp = call(sim, "GET", f"/v3/reports/{task_id}?fileFormat=csv", bearer=bearer)
    assert resp.status == 400


def test_cancel_refusals(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=0.2)
    bearer = token(sim)
    is_error_dto(
        call(sim, "POST", "/v3/reports/0000/cancel", bearer=bearer),
        400,
        "400.1 Bad Request Content",
    )
    task_id = run(sim, bearer)["id"]
    wait_done(sim, bearer, task_id)
    is_error_dto(
        call(sim, "POST", f"/v3/reports/{task_id}/cancel", bearer=bearer),
        400,
        "400.1 Bad Request Content",
    )
    sim.cancel_forbidden = True
    is_error_dto(
        call(sim, "POST", f"/v3/reports/{task_id}/cancel", bearer=bearer), 403, "403 Forbidden"
    )


def test_quota_per_client_and_version(make_sim: MakeSim) -> None:
    sim = make_sim(quota=2, quota_window=30)
    bearer = token(sim)
    statuses = [call(sim, "GET", "/v3/reports/x/result", bearer=bearer).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = call(sim, "GET", "/v3/reports/x/result", bearer=bearer)
    assert limited.json() == {"message": " Rate Limit Exceeded "}
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert call(sim, "GET", "/v2025/reports/x/result", bearer=bearer).status == 200
    assert call(sim, "GET", "/reports/v1/x/result", bearer=bearer).status == 200


def test_unknown_routes_answer_the_vendor_error(sim: SailPointSimulator) -> None:
    bearer = token(sim)
    is_error_dto(call(sim, "GET", "/v9/reports/x", bearer=bearer), 404, "404 Not found")
    resp = call(sim, "DELETE", "/v3/reports/x", bearer=bearer)
    assert resp.status == 405 and resp.json()["detailCode"] == "405 Method Not Allowed"


def test_switches_for_quirks(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=0.1, naive_timestamps=True, deprecated_versions=("v3",), ranges=True)
    bearer = token(sim)
    task = run(sim, bearer)
    assert not task["created"].endswith("Z")
    resp = call(sim, "GET", f"/v3/reports/{task['id']}/result", bearer=bearer)
    assert resp.headers["X-Deprecated"] == "true"
    assert "X-Deprecated" not in call(sim, "GET", "/v2025/reports/x/result", bearer=bearer).headers
    wait_done(sim, bearer, task["id"])
    part = call(
        sim,
        "GET",
        f"/v3/reports/{task['id']}?fileFormat=csv",
        bearer=bearer,
        headers={"Range": "bytes=10-"},
    )
    assert part.status == 206 and part.headers["Content-Range"] == "bytes 10-4095/4096"


def test_outcome_shares_are_seeded(make_sim: MakeSim) -> None:
    shares = {"WARNING": 0.3, "ERROR": 0.2, "TEMP_ERROR": 0.1}
    first = make_sim(outcome_shares=shares, seed=7, dedupe="off")
    second = make_sim(outcome_shares=shares, seed=7, dedupe="off")
    picks = []
    for sim in (first, second):
        bearer = token(sim)
        for _ in range(30):
            run(sim, bearer, reportType="IDENTITIES", arguments={})
        picks.append([t.outcome for t in sim.tasks.all()])
    assert picks[0] == picks[1] and set(picks[0]) == {"SUCCESS", "WARNING", "ERROR", "TEMP_ERROR"}


def test_search_export_zip_streams_with_its_length(make_sim: MakeSim) -> None:
    sim = make_sim(job_seconds=0.05, file_size=1_000_001)
    bearer = token(sim)
    task_id = run(
        sim,
        bearer,
        reportType="SEARCH_EXPORT",
        arguments={"query": "*", "indices": ["identities", "roles", "*"]},
    )["id"]
    assert wait_done(sim, bearer, task_id)["availableFormats"] == ["CSV"]
    resp = call(
        sim,
        "GET",
        f"/v3/reports/{task_id}?fileFormat=csv",
        bearer=bearer,
        headers={"Accept": "application/csv"},
    )
    assert resp.headers["Content-Type"] == "application/zip"
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    with zipfile.ZipFile(BytesIO(resp.data)) as archive:
        assert archive.testzip() is None
        assert [i.file_size for i in archive.infolist()] == [500_001, 500_000]


@pytest.mark.parametrize(
    "options",
    [
        {"outcome": "DONE"},
        {"running_poll": "404"},
        {"dedupe": "all"},
        {"outcome_shares": {"FAILURE": 0.5}},
        {"disposition": "rfc"},
    ],
)
def test_bad_simulator_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        SailPointSimulator(**options)
