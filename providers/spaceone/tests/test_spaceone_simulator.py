"""The simulator speaks SpaceONE: paths, payloads, error bodies, signed storage URLs."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from spaceone_testkit import PDF

from reportbridge_spaceone.simulator import SpaceoneSimulator

StartSim = Callable[..., SpaceoneSimulator]


def call(
    sim: SpaceoneSimulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = "default",  # noqa: S107 - a marker, not a secret
    origin: str = "api",
) -> tuple[int, Any, dict[str, str]]:
    url = path if "://" in path else sim.origin_url(origin) + path
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {sim.token if token == 'default' else token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            raw, status, hdrs = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw, status, hdrs = exc.read(), exc.code, dict(exc.headers)
    ctype = hdrs.get("Content-Type", "")
    return status, json.loads(raw) if "json" in ctype else raw, hdrs


def create(sim: SpaceoneSimulator, **fields: Any) -> dict[str, Any]:
    body = {"domain_id": sim.domain_id, "template_id": PDF, "name": "n", **fields}
    status, answer, _ = call(sim, "POST", "/report/v1/reports", body)
    assert status == 200, answer
    assert isinstance(answer, dict)
    return answer


def test_create_answers_report_info_without_state_or_name(sim: SpaceoneSimulator) -> None:
    info = create(sim, template_options={"month": "2025-02"})
    assert info["report_id"].startswith("report-") and len(info["report_id"]) == 19
    assert "state" not in info and "name" not in info
    assert info["template_options"] == {"month": "2025-02"}
    assert info["storage_info"]["storage_type_info"]["storage_type"] == "S3"
    assert info["created_by"] == sim.user_id and info["created_at"].endswith("Z")
    assert info["storage_path"] == "" and info["schedule_id"] == ""


def test_finished_report_and_signed_url(spaceone_sim: StartSim) -> None:
    sim = spaceone_sim(job_seconds=0.0, numeric_states=True)
    report_id = create(sim)["report_id"]
    path = f"/report/v1/report/{report_id}"
    status, info, _ = call(sim, "GET", f"{path}?domain_id={sim.domain_id}")
    assert status == 200 and info["state"] == 5
    assert info["storage_path"] == f"{sim.domain_id}/{report_id}.pdf"
    status, answer, _ = call(sim, "GET", f"{path}/download_url?domain_id={sim.domain_id}")
    url = answer["download_url"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == sim.origin_url("storage") != sim.base_url
    assert {"X-Date", "X-Expires", "X-Signature"} <= {
        q.split("=")[0] for q in parts.query.split("&")
    }
    status, body, headers = call(sim, "GET", url, token=None)
    assert (
        status == 200 and body.startswith(b"%PDF-") and headers["Content-Type"] == "application/pdf"
    )
    status, body, _ = call(sim, "GET", url)  # with the API token: refused
    assert status == 400 and b"InvalidArgument" in body
    status, body, _ = call(sim, "GET", url.replace("X-Signature=", "X-Signature=0"), token=None)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    status, body, _ = call(sim, "GET", url.replace(report_id, "report-000000000000"), token=None)
    assert status == 403  # the signature covers the path


def test_expired_signature_is_refused(spaceone_sim: StartSim) -> None:
    sim = spaceone_sim(job_seconds=0.0, url_ttl=0.05)
    report_id = create(sim)["report_id"]
    _, answer, _ = call(
        sim, "GET", f"/report/v1/report/{report_id}/download_url?domain_id={sim.domain_id}"
    )
    time.sleep(0.1)
    status, body, _ = call(sim, "GET", answer["download_url"], token=None)
    assert status == 403 and b"Request has expired" in body


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"template_id": PDF, "name": "n"}, 400, "ERROR_REQUIRED_PARAMETER"),
        ({"domain_id": "D", "template_id": PDF, "name": "n"}, 403, "ERROR_PERMISSION_DENIED"),
        ({"domain_id": "@", "name": "n"}, 400, "ERROR_REQUIRED_PARAMETER"),
        ({"domain_id": "@", "template_id": PDF}, 400, "ERROR_REQUIRED_PARAMETER"),
        ({"domain_id": "@", "template_id": "template-0", "name": "n"}, 404, "ERROR_NOT_FOUND"),
        (
            {"domain_id": "@", "template_id": PDF, "name": "n", "template_options": [1]},
            400,
            "ERROR_INVALID_PARAMETER_TYPE",
        ),
        (
            {"domain_id": "@", "template_id": PDF, "name": "n", "storage_id": "storage-1"},
            404,
            "ERROR_NOT_FOUND",
        ),
        ([1, 2], 400, "ERROR_INVALID_ARGUMENT"),
    ],
)
def test_create_errors_use_the_fastapi_body(
    sim: SpaceoneSimulator, body: Any, status: int, code: str
) -> None:
    if isinstance(body, dict) and body.get("domain_id") == "@":
        body["domain_id"] = sim.domain_id
    got, answer, _ = call(sim, "POST", "/report/v1/reports", body)
    assert got == status
    assert answer["detail"]["code"] == code and answer["detail"]["message"]


def test_authentication_and_routing_errors(sim: SpaceoneSimulator) -> None:
    body = {"domain_id": sim.domain_id, "template_id": PDF, "name": "n"}
    status, answer, _ = call(sim, "POST", "/report/v1/reports", body, token=None)
    assert status == 401 and answer["detail"]["code"] == "ERROR_AUTHENTICATE_FAILURE"
    status, answer, _ = call(sim, "POST", "/report/v1/reports", body, token="x.y.z")
    assert status == 401
    status, answer, _ = call(sim, "GET", "/report/v1/nothing")
    assert status == 404 and answer == {"detail": "Not Found"}
    status, answer, _ = call(sim, "POST", "/report/report/create", body)
    assert status == 404, "the gateway style is off unless asked for"


@pytest.mark.parametrize("http_status", [404, 400])
def test_unknown_report_is_not_found_with_either_status(
    spaceone_sim: Callable[..., SpaceoneSimulator], http_status: int
) -> None:
    sim = spaceone_sim(not_found_status=http_status)
    status, answer, _ = call(
        sim, "GET", f"/report/v1/report/report-000000000000?domain_id={sim.domain_id}"
    )
    assert status == http_status and answer["detail"]["code"] == "ERROR_NOT_FOUND"
    assert "report-000000000000" in answer["detail"]["message"]


def test_not_found_status_is_404_or_400() -> None:
    with pytest.raises(ValueError, match="not_found_status"):
        SpaceoneSimulator(not_found_status=500)


def test_download_url_before_finished_is_refused(sim: SpaceoneSimulator) -> None:
    report_id = create(sim)["report_id"]
    status, answer, _ = call(
        sim, "GET", f"/report/v1/report/{report_id}/download_url?domain_id={sim.domain_id}"
    )
    assert status == 400 and "CREATED" in answer["detail"]["message"]


def test_gateway_style(spaceone_sim: StartSim) -> None:
    sim = spaceone_sim(api_style="gateway", job_seconds=0.0)
    status, info, _ = call(
        sim,
        "POST",
        "/report/report/create",
        {"domain_id": sim.domain_id, "template_id": PDF, "name": "n"},
    )
    assert status == 200
    fields = {"domain_id": sim.domain_id, "report_id": info["report_id"]}
    status, info, _ = call(sim, "POST", "/report/report/get", fields)
    assert status == 200 and info["state"] == "FINISHED"
    status, answer, _ = call(sim, "POST", "/report/report/get-download-url", fields)
    assert status == 200 and answer["download_url"].startswith(sim.origin_url("storage"))
    status, answer, _ = call(sim, "POST", "/report/report/list", {"domain_id": sim.domain_id})
    assert status == 200 and answer["total_count"] == 1
    status, _, _ = call(sim, "POST", "/report/v1/reports", fields)
    assert status == 404


def test_rest_list_with_shortcut_filters_and_query_errors(spaceone_sim: StartSim) -> None:
    sim = spaceone_sim(job_seconds=0.0)
    create(sim)
    status, answer, _ = call(
        sim, "GET", f"/report/v1/reports?domain_id={sim.domain_id}&state=FINISHED"
    )
    assert status == 200 and answer["total_count"] == 1
    status, answer, _ = call(
        sim, "GET", f"/report/v1/reports?domain_id={sim.domain_id}&state=FAILURE"
    )
    assert answer == {"results": [], "total_count": 0}
    search = "/report/v1/reports/search"
    for query, code in [
        ({"page": {"start": 0, "limit": 5}}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [{"k": "state", "v": "x", "o": "near"}]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [{"k": "state", "v": "x", "o": "in"}]}, "ERROR_INVALID_PARAMETER_TYPE"),
        ({"sort": "created_at"}, "ERROR_INVALID_PARAMETER_TYPE"),
    ]:
        status, answer, _ = call(sim, "POST", search, {"domain_id": sim.domain_id, "query": query})
        assert status == 400 and answer["detail"]["code"] == code, query
    status, answer, _ = call(
        sim,
        "POST",
        search,
        {
            "domain_id": sim.domain_id,
            "query": {"filter": [{"key": "state", "value": [5], "operator": "in"}]},
        },
    )
    assert answer["total_count"] == 1


def test_simulator_options_are_checked() -> None:
    with pytest.raises(ValueError, match="outcome"):
        SpaceoneSimulator(outcome="DONE")
    with pytest.raises(ValueError, match="api_style"):
        SpaceoneSimulator(api_style="grpc")


def test_profile_settings_name_the_style(spaceone_sim: StartSim) -> None:
    sim = spaceone_sim(api_style="gateway", gateway_download_verb="get_download_url")
    settings = sim.profile_settings()
    assert settings["api_style"] == "gateway"
    assert settings["gateway_download_verb"] == "get_download_url"
    assert settings["token"] == sim.token and settings["domain_id"] == sim.domain_id
