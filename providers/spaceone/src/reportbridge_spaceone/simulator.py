"""An offline SpaceONE report service, faithful to ``spaceone.api.report.v1`` over REST.

Two origins: ``api`` (the report service, REST bindings or the console gateway) and
``storage`` (object storage serving pre-signed URLs). Switches for every inferred
behaviour: ``omit_created_state``, ``numeric_states``, ``api_style``,
``gateway_download_verb``, ``url_ttl``, ``storage_path_extension``,
``content_disposition``, ``outcome`` / ``outcomes``, ``not_found_status`` (404 as current
python-core answers ERROR_NOT_FOUND, or 400 as before 2023-04), ``forced_job_id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route
from reportbridge_spaceone.sim_storage import PREFIX, UrlSigner, s3_error
from reportbridge_spaceone.sim_store import (
    DEFAULT_STORAGE,
    OUTCOMES,
    STORAGE_INFO,
    TEMPLATES,
    QueryError,
    ReportStore,
    SimReport,
    state_value,
)

CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv"}
HEADERS = {"pdf": b"%PDF-1.7\n% simulated SpaceONE report\n", "csv": b"id,resource,cost,region\n"}
SHORTCUTS = ("report_id", "template_id", "storage_id", "schedule_id", "created_by", "state")
Fields = dict[str, Any]


def api_error(status: int, code: str, message: str) -> Response:
    """The python-core FastAPI error body."""
    return Response.json({"detail": {"code": code, "message": message}}, status)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SpaceoneSimulator(Simulator):
    name = "spaceone"
    origins = ("api", "storage")

    def __init__(
        self,
        *,
        job_seconds: float = 0.5,
        file_size: int = 4096,
        outcome: str = "FINISHED",
        outcomes: Mapping[str, str] | None = None,
        omit_created_state: bool = True,
        numeric_states: bool = False,
        api_style: str = "rest",
        gateway_download_verb: str = "get-download-url",
        url_ttl: float = 300.0,
        storage_path_extension: bool = True,
        content_disposition: bool = False,
        ranges: bool = True,
        domain_id: str = "domain-58eb06a4dcd7",
        user_id: str = "alice@example.com",
        token_lifetime: float = 3600.0,
        not_found_status: int = 404,
        forced_job_id: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        for state in (outcome, *(outcomes or {}).values()):
            if state not in OUTCOMES:
                raise ValueError(f"outcome {state!r} is not one of {', '.join(OUTCOMES)}")
        if api_style not in ("rest", "gateway"):
            raise ValueError("api_style must be 'rest' or 'gateway'")
        if not_found_status not in (400, 404):
            raise ValueError("not_found_status must be 404 (current) or 400 (before 2023-04)")
        self.not_found_status = not_found_status
        self.file_size = file_size
        self.omit_created_state = omit_created_state
        self.numeric_states = numeric_states
        self.api_style = api_style
        self.gateway_download_verb = gateway_download_verb
        self.storage_path_extension = storage_path_extension
        self.content_disposition = content_disposition
        self.ranges = ranges
        self.domain_id = domain_id
        self.user_id = user_id
        if api_style == "gateway":  # every call is POST /report/report/{verb} there
            self.fault_paths = {
                **SpaceoneSimulator.fault_paths,
                "submit": ("POST", r"^/report/report/create$", "api"),
                "poll": ("POST", r"^/report/report/get$", "api"),
            }
        self.store = ReportStore(job_seconds, outcome, outcomes or {}, forced_id=forced_job_id)
        self.signer = UrlSigner(url_ttl)
        self._jwt_key = secrets.token_bytes(32)
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token = self.issue_token(lifetime=token_lifetime)

    # -- credentials -------------------------------------------------------------------
    def issue_token(self, *, domain_id: str | None = None, lifetime: float = 3600.0) -> str:
        """A JWT shaped like a SpaceONE API key (``did``, ``aud``, ``cat``, ``exp``...)."""
        claims = {
            "iss": "spaceone.identity",
            "did": domain_id or self.domain_id,
            "aud": self.user_id,
            "cat": "API_KEY",
            "user_type": "USER",
            "api_key_id": f"api-key-{secrets.token_hex(6)}",
            "exp": int(time.time() + lifetime),
            "ver": "2.0",
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        sig = _b64(hmac.new(self._jwt_key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        token = f"{head}.{body}.{sig}"
        self.tokens[token] = claims
        return token

    def profile_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "token": self.token,
            "domain_id": self.domain_id,
        }
        if self.api_style != "rest":
            settings["api_style"] = self.api_style
        if self.gateway_download_verb != "get-download-url":
            settings["gateway_download_verb"] = self.gateway_download_verb
        return settings

    # -- test helpers ------------------------------------------------------------------
    # -- fault-injection surface (see reportbridge.testing.Simulator) -------------------
    fault_paths = {
        "submit": ("POST", r"^/report/v1/reports$", "api"),
        "poll": ("GET", r"^/report/v1/report/[^/]+$", "api"),
        "download": ("GET", r"^" + PREFIX, "storage"),
    }

    def jobs_created(self) -> int:
        return len(self.store.reports)

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        return self.file_for(self.store.reports[job_id]).sha256

    def unknown_status_body(self) -> bytes | None:
        return json.dumps({"report_id": "report-000000000000", "state": "ARCHIVED"}).encode()

    def secrets(self) -> list[str]:
        return [self.token]

    def force_state(self, report_id: str, state: str, error: dict[str, str] | None = None) -> None:
        """Put a report in ``state`` now (e.g. CANCELED, which only the server can do)."""
        self.store.force(report_id, state, error)

    def remove_file(self, report_id: str, *, refuse_url: bool = False) -> None:
        """Delete a finished report's object; ``refuse_url`` also fails get_download_url."""
        report = self.store.reports[report_id]
        report.file_removed = True
        report.url_refused = refuse_url

    def file_for(self, report: SimReport) -> SyntheticFile:
        return SyntheticFile(self.file_size, seed=report.report_id, header=HEADERS[report.format])

    # -- errors and answers ------------------------------------------------------------
    def not_found(self, message: str) -> Response:
        return api_error(self.not_found_status, "ERROR_NOT_FOUND", message)

    def error(self, status: int, message: str, request: Request) -> Response:
        return Response.json(
            {"detail": "Not Found" if status == 404 else "Method Not Allowed"}, status
        )

    def _claims(self, req: Request, fields: Fields) -> dict[str, Any] | Response:
        claims = self.tokens.get(req.bearer or "")
        if claims is None or time.time() >= claims["exp"]:
            return api_error(401, "ERROR_AUTHENTICATE_FAILURE", "Authenticate failure.")
        domain = fields.get("domain_id")
        if not domain:
            return api_error(
                400, "ERROR_REQUIRED_PARAMETER", "Required parameter. (key = domain_id)"
            )
        if domain != claims["did"]:
            return api_error(403, "ERROR_PERMISSION_DENIED", "Permission denied.")
        return claims

    def info(self, report: SimReport) -> dict[str, Any]:
        state = self.store.state(report)
        path = f"{report.domain_id}/{report.report_id}"
        if self.storage_path_extension:
            path += f".{report.format}"
        out: dict[str, Any] = {
            "domain_id": report.domain_id,
            "report_id": report.report_id,
            "template_id": report.template_id,
            "storage_info": {**STORAGE_INFO, "domain_id": report.domain_id},
            "storage_path": path if state == "FINISHED" else "",
            "template_options": report.template_options,
            "created_by": report.created_by,
            "schedule_id": "",
            "created_at": report.created_at,
        }
        if state != "CREATED" or not self.omit_created_state:
            out["state"] = state_value(state, self.numeric_states)
        if state in ("FAILURE", "TIMEOUT", "CANCELED") and report.error:
            out["error"] = report.error
        return out

    # -- the RPCs ----------------------------------------------------------------------
    def create(self, fields: Fields, claims: dict[str, Any]) -> Response:
        for key in ("template_id", "name"):
            if not isinstance(fields.get(key), str) or not fields[key].strip():
                return api_error(
                    400, "ERROR_REQUIRED_PARAMETER", f"Required parameter. (key = {key})"
                )
        options = fields.get("template_options", {})
        if not isinstance(options, dict):
            return api_error(
                400,
                "ERROR_INVALID_PARAMETER_TYPE",
                "Invalid parameter type. (key = template_options)",
            )
        if fields["template_id"] not in TEMPLATES:
            return self.not_found(f"Value not found. (template_id = {fields['template_id']})")
        storage = fields.get("storage_id") or DEFAULT_STORAGE
        if storage != DEFAULT_STORAGE:
            return self.not_found(f"Value not found. (storage_id = {storage})")
        report = self.store.add(
            domain_id=claims["did"],
            template_id=fields["template_id"],
            name=fields["name"],
            template_options=options,
            storage_id=storage,
            created_by=claims["aud"],
        )
        return Response.json(self.info(report))

    def _report(self, fields: Fields) -> SimReport | Response:
        report_id = fields.get("report_id")
        if not report_id:
            return api_error(
                400, "ERROR_REQUIRED_PARAMETER", "Required parameter. (key = report_id)"
            )
        report = self.store.find(fields["domain_id"], str(report_id))
        if report is None:
            return self.not_found(f"Value not found. (report_id = {report_id})")
        return report

    def get(self, fields: Fields, claims: dict[str, Any]) -> Response:
        report = self._report(fields)
        return report if isinstance(report, Response) else Response.json(self.info(report))

    def download_url(self, fields: Fields, claims: dict[str, Any]) -> Response:
        report = self._report(fields)
        if isinstance(report, Response):
            return report
        state = self.store.state(report)
        if state != "FINISHED":
            return api_error(
                400, "ERROR_INVALID_STATE", f"Report is not finished. (state = {state})"
            )
        if report.url_refused:
            return self.not_found(f"Value not found. (storage_path = {report.report_id})")
        url = self.signer.sign(self.origin_url("storage"), f"{report.report_id}.{report.format}")
        return Response.json({"download_url": url})

    def search(self, fields: Fields, claims: dict[str, Any]) -> Response:
        query = fields.get("query") or {}
        if not isinstance(query, dict):
            return api_error(400, "ERROR_INVALID_PARAMETER_TYPE", "Invalid parameter type. (query)")
        conditions = list(query.get("filter") or [])
        conditions += [{"k": k, "v": fields[k], "o": "eq"} for k in SHORTCUTS if fields.get(k)]
        try:
            rows, total = self.store.search(
                fields["domain_id"], conditions, query.get("sort"), query.get("page")
            )
        except QueryError as exc:
            return api_error(400, exc.code, str(exc))
        return Response.json({"results": [self.info(r) for r in rows], "total_count": total})

    def _serve_rpc(
        self, req: Request, style: str, fields: Fields | None, rpc: Callable[..., Response]
    ) -> Response:
        if style != self.api_style:
            return self.error(404, "", req)
        if fields is None:
            try:
                fields = req.json()
            except ValueError:
                fields = None
            if not isinstance(fields, dict):
                return api_error(400, "ERROR_INVALID_ARGUMENT", "Argument not valid. (body)")
        claims = self._claims(req, fields)
        return claims if isinstance(claims, Response) else rpc(fields, claims)

    @staticmethod
    def _query_fields(req: Request, **path: str) -> Fields:
        fields: Fields = {k: v[0] for k, v in req.query.items() if v}
        if "only" in req.query:
            fields["only"] = req.args("only")
        return {**fields, **path}

    # -- REST bindings -----------------------------------------------------------------
    @route("POST", "/report/v1/reports")
    def rest_create(self, req: Request) -> Response:
        return self._serve_rpc(req, "rest", None, self.create)

    @route("GET", "/report/v1/report/(?P<report_id>[^/]+)")
    def rest_get(self, req: Request, report_id: str) -> Response:
        return self._serve_rpc(req, "rest", self._query_fields(req, report_id=report_id), self.get)

    @route("GET", "/report/v1/report/(?P<report_id>[^/]+)/download_url")
    def rest_download_url(self, req: Request, report_id: str) -> Response:
        fields = self._query_fields(req, report_id=report_id)
        return self._serve_rpc(req, "rest", fields, self.download_url)

    @route("GET", "/report/v1/reports")
    def rest_list(self, req: Request) -> Response:
        return self._serve_rpc(req, "rest", self._query_fields(req), self.search)

    @route("POST", "/report/v1/reports/search")
    def rest_search(self, req: Request) -> Response:
        return self._serve_rpc(req, "rest", None, self.search)

    # -- console API gateway -----------------------------------------------------------
    @route("POST", "/report/report/(?P<verb>[^/]+)")
    def gateway(self, req: Request, verb: str) -> Response:
        rpcs = {
            "create": self.create,
            "get": self.get,
            self.gateway_download_verb: self.download_url,
            "list": self.search,
        }
        if verb not in rpcs:
            return self.error(404, "", req)
        return self._serve_rpc(req, "gateway", None, rpcs[verb])

    # -- storage -----------------------------------------------------------------------
    @route("GET", PREFIX + "(?P<name>[^/]+)", origin="storage")
    def storage_object(self, req: Request, name: str) -> Response:
        refused = self.signer.refusal(req)
        if refused is not None:
            return refused
        report = self.store.reports.get(name.rsplit(".", 1)[0])
        if report is None or report.file_removed:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return Response.file(
            req,
            self.file_for(report),
            content_type=CONTENT_TYPES[report.format],
            filename=name if self.content_disposition else None,
            ranges=self.ranges,
        )
