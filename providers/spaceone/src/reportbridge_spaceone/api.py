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

import attrs

from reportbridge.errors import ProviderProtocolError
from reportbridge.ids import path_segment
from reportbridge.transport import HttpClient
from reportbridge_spaceone.errors import vendor_error
from reportbridge_spaceone.settings import VERB, SpaceoneSettings, id_shape, token_expiry_hint
from reportbridge_spaceone.status import PROVIDER

#: ERROR_NOT_FOUND (HTTP 404 on current Cloudforet, 400 before 2023-04): what is missing
NOT_FOUND_HINTS = {
    "create": "; the template_id or storage_id named above does not exist in this domain",
    "get": "; no such report in this domain (wrong id, another domain, or deleted)",
    "get_download_url": "; the report or its stored file does not exist any more",
}


@attrs.frozen
class Call:
    """One HTTP request of an RPC: where it goes and how its fields travel."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


def rest_call(rpc: str, fields: dict[str, Any], _verb: str = "", segment: str = "") -> Call:
    """``segment``: the report id, already checked and encoded (:func:`path_segment`)."""
    if rpc == "create":
        return Call("POST", "report/v1/reports", body=fields)
    if rpc == "get":
        query = {k: v for k, v in fields.items() if k != "report_id"}
        return Call("GET", f"report/v1/report/{segment}", params=query)
    if rpc == "get_download_url":
        query = {k: v for k, v in fields.items() if k != "report_id"}
        return Call("GET", f"report/v1/report/{segment}/download_url", params=query)
    if rpc == "list":
        return Call("POST", "report/v1/reports/search", body=fields)
    raise ValueError(f"unknown SpaceONE report RPC {rpc!r}")


def gateway_call(rpc: str, fields: dict[str, Any], download_verb: str, _segment: str = "") -> Call:
    verbs = {"create": "create", "get": "get", "get_download_url": download_verb, "list": "list"}
    if rpc not in verbs:
        raise ValueError(f"unknown SpaceONE report RPC {rpc!r}")
    verb = path_segment(verbs[rpc], what=f"{PROVIDER} gateway verb", pattern=VERB, field="verb")
    return Call("POST", f"report/report/{verb}", body=fields)


class ReportApi:
    """``spaceone.api.report.v1.Report`` for one profile; answers are JSON objects."""

    def __init__(self, http: HttpClient, settings: SpaceoneSettings) -> None:
        self.http = http
        self.domain_id = settings.domain_id or ""
        self.style = settings.api_style
        self.download_verb = settings.gateway_download_verb
        self.id_shape = id_shape(settings)
        self._token = settings.token

    def call(self, rpc: str, fields: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        payload = {"domain_id": self.domain_id, **fields}
        segment = ""
        if "report_id" in payload:  # from a reference too: checked in either style
            what = f"{PROVIDER} report id"
            segment = path_segment(
                payload["report_id"], what=what, provider=PROVIDER, **self.id_shape
            )
        build = gateway_call if self.style == "gateway" else rest_call
        call = build(rpc, payload, self.download_verb, segment)
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
            raise vendor_error(resp, what, lambda code: self._hint(resp.status, rpc, code))
        body = resp.json(what=what)
        if not isinstance(body, dict):
            raise ProviderProtocolError(
                f"{PROVIDER} {what}: expected a JSON object, got {type(body).__name__}",
                provider=PROVIDER,
            )
        return body

    def _hint(self, status: int, rpc: str, code: str | None) -> str:
        """What to add to an error; ``code`` is the vendor's error code, None if the body
        was not a SpaceONE error (then a 404 comes from a wrong path, not a missing id)."""
        if code == "ERROR_NOT_FOUND":
            return NOT_FOUND_HINTS.get(rpc, "")
        if status == 401:
            return token_expiry_hint(self._token)
        if status == 404 and code is None:
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
