"""The four report RPCs over HTTP, in either of the two REST styles a deployment exposes.

- ``rest``: the HTTP bindings declared in the protobuf (``/report/v1/...``); non-path
  fields of a GET travel as query parameters, of a POST in the JSON body.
- ``gateway``: the console API gateway, ``POST /{service}/{resource}/{verb}`` with every
  field in the JSON body.

``domain_id`` is added to every request here, so callers never forget it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from reportbridge.errors import ProviderProtocolError
from reportbridge.transport import HttpClient
from reportbridge_spaceone.errors import vendor_error
from reportbridge_spaceone.settings import SpaceoneSettings, token_expiry_hint
from reportbridge_spaceone.status import PROVIDER


@attrs.frozen
class Call:
    """One HTTP request of an RPC: where it goes and how its fields travel."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


def _segment(report_id: str) -> str:
    # Ids come back from job references too: never let one change the path.
    return quote(report_id, safe="")


def rest_call(rpc: str, fields: dict[str, Any], _verb: str = "") -> Call:
    report_id = str(fields.get("report_id", ""))
    if rpc == "create":
        return Call("POST", "report/v1/reports", body=fields)
    if rpc == "get":
        query = {k: v for k, v in fields.items() if k != "report_id"}
        return Call("GET", f"report/v1/report/{_segment(report_id)}", params=query)
    if rpc == "get_download_url":
        query = {k: v for k, v in fields.items() if k != "report_id"}
        return Call("GET", f"report/v1/report/{_segment(report_id)}/download_url", params=query)
    if rpc == "list":
        return Call("POST", "report/v1/reports/search", body=fields)
    raise ValueError(f"unknown SpaceONE report RPC {rpc!r}")


def gateway_call(rpc: str, fields: dict[str, Any], download_verb: str) -> Call:
    verbs = {"create": "create", "get": "get", "get_download_url": download_verb, "list": "list"}
    if rpc not in verbs:
        raise ValueError(f"unknown SpaceONE report RPC {rpc!r}")
    return Call("POST", f"report/report/{verbs[rpc]}", body=fields)


class ReportApi:
    """``spaceone.api.report.v1.Report`` for one profile; answers are JSON objects."""

    def __init__(self, http: HttpClient, settings: SpaceoneSettings) -> None:
        self.http = http
        self.domain_id = settings.domain_id or ""
        self.style = settings.api_style
        self.download_verb = settings.gateway_download_verb
        self._token = settings.token

    def call(self, rpc: str, fields: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        payload = {"domain_id": self.domain_id, **fields}
        build = gateway_call if self.style == "gateway" else rest_call
        call = build(rpc, payload, self.download_verb)
        resp = self.http.request(
            call.method,
            call.path,
            params=call.params,
            json=call.body,
            # Only create starts work; get, download URL and search are reads even as POSTs.
            idempotent=rpc != "create",
            what=what,
        )
        if not 200 <= resp.status < 300:
            raise vendor_error(resp, what, self._hint(resp.status, rpc))
        body = resp.json(what=what)
        if not isinstance(body, dict):
            raise ProviderProtocolError(
                f"{PROVIDER} {what}: expected a JSON object, got {type(body).__name__}",
                provider=PROVIDER,
            )
        return body

    def _hint(self, status: int, rpc: str) -> str:
        if status == 401:
            return token_expiry_hint(self._token)
        if status == 404:  # SpaceONE answers unknown ids with 400: a 404 is a wrong path
            return f"; no such endpoint: check base_url and api_style (now {self.style!r})"
        if rpc == "create" and status >= 500:
            return (
                "; the report may or may not have been created: list the reports "
                "(filter template_id) before running it again"
            )
        return ""

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.call("create", fields, what="create report")

    def get(self, report_id: str) -> dict[str, Any]:
        return self.call("get", {"report_id": report_id}, what="get report")

    def download_url(self, report_id: str) -> str:
        body = self.call("get_download_url", {"report_id": report_id}, what="get download URL")
        url = body.get("download_url")
        if not isinstance(url, str) or not url.strip():
            raise ProviderProtocolError(
                f"{PROVIDER} get download URL of report {report_id}: the answer has no "
                "download_url",
                provider=PROVIDER,
            )
        return url.strip()

    def search(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.call("list", fields, what="list reports")
