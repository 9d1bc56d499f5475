"""An offline SailPoint tenant: OAuth, the four report operations in every API version.

Switches cover what PROVIDERS.md marks as inferred, so tests can check that the
client copes with each possibility; the defaults are the documented guesses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import threading
from collections.abc import Mapping
from typing import Any

from reportbridge.testing.files import SyntheticFile
from reportbridge.testing.server import Request, Response, Simulator, route
from reportbridge_sailpoint.simulator.tasks import (
    OUTCOMES,
    TASK_NAMES,
    Task,
    TaskBook,
    Timing,
    available_formats,
    check_report_details,
    report_results,
    task_details,
)
from reportbridge_sailpoint.simulator.wire import (
    Quota,
    TokenBook,
    accepts,
    disposition,
    error_dto,
    jwt_refused,
    not_acceptable,
    rate_limited,
    token_form,
)
from reportbridge_sailpoint.simulator.zipstream import StreamedZip

ANNUAL = r"/(?P<version>v3|v2024|v2025|v2026|beta)/reports"
PER_SERVICE = r"/(?P<version>reports/v1)"
TASK = r"(?P<task_id>[^/]+)"
CSV_HEADERS = {
    "ACCOUNTS": b"id,name,nativeIdentity,sourceName\n",
    "SEARCH_EXPORT": b"id,name,type,attributes\n",
}
FILE_TYPES = {"csv": "application/csv", "pdf": "application/pdf"}


class SailPointSimulator(Simulator):
    """A SailPoint Identity Security Cloud tenant for tests, demos and benchmarks.

    Options (all keyword):

    - ``job_seconds``: how long a report runs; ``file_size``: bytes of each file;
    - ``outcome``: SUCCESS, WARNING, ERROR or TEMP_ERROR for every task, or
      ``outcome_shares`` such as ``{"WARNING": 0.1, "ERROR": 0.05}`` (rest SUCCESS);
    - ``dedupe``: how run finds "the same task" to return instead of a new one
      (``type+arguments``, ``type`` or ``off``);
    - ``visible_after``: seconds during which the result endpoint answers ``{}``;
    - ``running_poll``: the result while running: ``partial`` (no status),
      ``empty`` (``{}``) or ``not_found`` (404);
    - ``temp_error_result``: how results show a TEMP_ERROR task (``FAILURE`` or
      ``TEMP_ERROR``); ``early_fetch_status``: 404 or 400 for an unfinished file;
    - ``cancel_forbidden``: answer 403 to cancel (API-client tokens);
      ``cancel_finished``: cancel of a finished task is ``refuse``d (400) or ``purge``s
      its files (204), an undocumented possibility;
    - ``forced_job_id``: the id every new task gets (hostile-answer tests);
    - ``zip_content_type``, ``disposition`` (``standard``, ``compact``, ``bare``),
      ``naive_timestamps`` (no UTC offset), ``ranges`` (Range support);
    - ``quota`` requests per ``quota_window`` s per client id and API version;
    - ``deprecated_versions``: versions answered with ``X-Deprecated: true``;
    - ``clients``: extra client id -> secret pairs.
    """

    name = "sailpoint"
    origins = ("api",)

    def __init__(
        self,
        *,
        job_seconds: float = 1.0,
        file_size: int = 4096,
        client_id: str = "sim-client-0001",
        client_secret: str = "sim-secret-7f3a9c21",  # noqa: S107 - a simulator credential
        clients: Mapping[str, str] | None = None,
        token_lifetime: int = 749,
        outcome: str = "SUCCESS",
        outcome_shares: Mapping[str, float] | None = None,
        seed: int = 0,
        dedupe: str = "type+arguments",
        visible_after: float | None = None,
        running_poll: str = "partial",
        temp_error_result: str = "FAILURE",
        early_fetch_status: int = 404,
        cancel_forbidden: bool = False,
        cancel_finished: str = "refuse",
        forced_job_id: str | None = None,
        zip_content_type: str = "application/zip",
        disposition: str = "standard",
        naive_timestamps: bool = False,
        ranges: bool = False,
        quota: int = 100,
        quota_window: float = 10.0,
        deprecated_versions: tuple[str, ...] = (),
        tenant: str = "58eb06a4-dcd7-4e96-8fac-cca2afc03e61",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        for value, allowed, name in (
            (outcome, OUTCOMES, "outcome"),
            (running_poll, ("partial", "empty", "not_found"), "running_poll"),
            (temp_error_result, ("FAILURE", "TEMP_ERROR"), "temp_error_result"),
            (disposition, ("standard", "compact", "bare"), "disposition"),
            (cancel_finished, ("refuse", "purge"), "cancel_finished"),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if not set(outcome_shares or {}) <= set(OUTCOMES):
            raise ValueError(f"outcome_shares keys must be among {', '.join(OUTCOMES)}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.clients = {client_id: client_secret, **(clients or {})}
        self.token_lifetime = token_lifetime
        self.file_size = file_size
        self.outcome = outcome
        self.outcome_shares = dict(outcome_shares or {})
        self.running_poll = running_poll
        self.temp_error_result = temp_error_result
        self.early_fetch_status = early_fetch_status
        self.cancel_forbidden = cancel_forbidden
        self.cancel_finished = cancel_finished
        self.zip_content_type = zip_content_type
        self.disposition = disposition
        self.naive_timestamps = naive_timestamps
        self.ranges = ranges
        self.deprecated_versions = tuple(deprecated_versions)
        self.tasks = TaskBook(
            Timing(job_seconds, job_seconds / 10 if visible_after is None else visible_after),
            dedupe=dedupe,
            forced_id=forced_job_id,
        )
        self.tokens = TokenBook(tenant)
        self._revoked: set[str] = set()
        self.quota = Quota(quota, quota_window)
        self.audit_events: list[str] = []
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()

    def profile_settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    # -- gateway ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        resp = super().handle(request)
        version = _version_of(request.path)
        if version is not None and version in self.deprecated_versions:
            resp.headers["X-Deprecated"] = "true"
        return resp

    def error(self, status: int, message: str, request: Request) -> Response:
        return error_dto(status, message)

    def _admit(self, req: Request, version: str) -> str | Response:
        """The caller's client id; a 401 without a valid token, a 429 over the quota."""
        client, reason = self.tokens.client_of(req.bearer)
        if client is None:
            return jwt_refused(reason)
        wait = self.quota.take((client, version))
        return rate_limited(wait) if wait is not None else client

    def stamp(self, when: dt.datetime) -> str:
        text = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        return text if self.naive_timestamps else text + "Z"

    # -- OAuth -----------------------------------------------------------------------
    @route("POST", "/oauth/token")
    def token(self, req: Request) -> Response:
        form = token_form(req)
        if form.get("grant_type") != "client_credentials":
            return Response.json(
                {"error": "unsupported_grant_type", "error_description": "client_credentials only"},
                400,
            )
        client_id = form.get("client_id", "")
        if not client_id or self.clients.get(client_id) != form.get("client_secret"):
            return Response.json(
                {"error": "invalid_client", "error_description": "Bad credentials"}, 401
            )
        return Response.json(self.tokens.issue(client_id, self.token_lifetime))

    # -- reports ---------------------------------------------------------------------
    @route("POST", ANNUAL + "/run")
    @route("POST", PER_SERVICE + "/run")
    def run(self, req: Request, version: str) -> Response:
        if isinstance(client := self._admit(req, version), Response):
            return client
        try:
            body = req.json()
        except ValueError:
            return error_dto(400, "Malformed request body", cause="the body is not valid JSON")
        problem = check_report_details(body)
        if problem is not None:
            return error_dto(400, "Invalid report details", cause=problem)
        task, _adopted = self.tasks.start(
            body["reportType"], body.get("arguments") or {}, self._pick_outcome(), client
        )
        return Response.json(task_details(self.tasks, task, self.stamp))

    @route("GET", ANNUAL + "/" + TASK + "/result")
    @route("GET", PER_SERVICE + "/" + TASK + "/result")
    def result(self, req: Request, version: str, task_id: str) -> Response:
        if isinstance(client := self._admit(req, version), Response):
            return client
        task = self.tasks.get(task_id)
        if task is None or not self.tasks.is_visible(task):
            return Response.json({})  # the vendor's "empty report result"
        if self.tasks.completion(task) is None:
            if self.running_poll == "empty":
                return Response.json({})
            if self.running_poll == "not_found":
                return error_dto(404, f"Report result {task_id} not found")
        return Response.json(report_results(self.tasks, task, self.stamp, self.temp_error_result))

    @route("POST", ANNUAL + "/" + TASK + "/cancel")
    @route("POST", PER_SERVICE + "/" + TASK + "/cancel")
    def cancel(self, req: Request, version: str, task_id: str) -> Response:
        if isinstance(client := self._admit(req, version), Response):
            return client
        if self.cancel_forbidden:
            return error_dto(403, "Forbidden", cause="cancel requires a user-bound token")
        task = self.tasks.get(task_id)
        if task is not None and self.cancel_finished == "purge" and self.tasks.is_finished(task):
            task.purged = True
            return Response.empty(204)
        if task is None or not self.tasks.terminate(task):
            return error_dto(400, f"No running report task with id {task_id}")
        return Response.empty(204)

    @route("GET", ANNUAL + "/" + TASK)
    @route("GET", PER_SERVICE + "/" + TASK)
    def file(self, req: Request, version: str, task_id: str) -> Response:
        if isinstance(client := self._admit(req, version), Response):
            return client
        file_format = req.arg("fileFormat")
        if file_format not in FILE_TYPES:
            return error_dto(
                400, "Invalid fileFormat", cause="fileFormat is required: csv or pdf (lowercase)"
            )
        if not accepts(req.header("Accept"), FILE_TYPES[file_format]):
            return not_acceptable()
        task = self.tasks.get(task_id)
        if task is None or self.tasks.completion(task) not in ("SUCCESS", "WARNING"):
            status = self.early_fetch_status if task is not None else 404
            return error_dto(status, f"File Not Found for report {task_id}")
        if task.purged or file_format.upper() not in available_formats(task):
            return error_dto(404, f"File Not Found: report {task_id} has no {file_format} file")
        if req.arg("auditable", "false") == "true":
            self.audit_events.append(task.id)
        return self._file_response(req, task, file_format, req.arg("name"))

    # -- fault-injection surface (see reportbridge.testing.Simulator) -------------------
    fault_paths = {
        "submit": (
            "POST",
            r"^/(?:v3|v2024|v2025|v2026|beta)/reports/run$|^/reports/v1/run$",
            "api",
        ),
        "poll": ("GET", r"/result$", "api"),
        "download": (
            "GET",
            r"^/(?:v3|v2024|v2025|v2026|beta)/reports/[^/]+$|^/reports/v1/[^/]+$",
            "api",
        ),
        "token": ("POST", r"^/oauth/token$", "api"),
    }

    def jobs_created(self) -> int:
        return len(self.tasks.all())

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        task = self.tasks.get(job_id)
        if task is None:
            raise KeyError(job_id)
        if task.report_type == "SEARCH_EXPORT":
            digest = hashlib.sha256()
            for chunk in self.search_export(task):
                digest.update(chunk)
            return digest.hexdigest()
        header = (
            b"%PDF-1.4\n"
            if format == "pdf"
            else CSV_HEADERS.get(task.report_type, b"id,name,email,correlated\n")
        )
        return SyntheticFile(self.file_size, seed=f"{task.id}.{format}", header=header).sha256

    def expire_tokens(self) -> bool:
        self._revoked.update(self.tokens.revoke_all())
        return True

    def unknown_status_body(self) -> bytes | None:
        return json.dumps({"id": "0" * 32, "reportType": "ACCOUNTS", "status": "PAUSED"}).encode()

    def secrets(self) -> list[str]:
        return [*self.clients.values(), *self.tokens.issued_tokens(), *self._revoked]

    def purge(self, task_id: str) -> None:
        """Delete a task's files, as the vendor's retention eventually does."""
        task = self.tasks.get(task_id)
        if task is None:
            raise KeyError(task_id)
        task.purged = True

    def _file_response(
        self, req: Request, task: Task, file_format: str, name: str | None
    ) -> Response:
        base = name or TASK_NAMES[task.report_type]
        if task.report_type == "SEARCH_EXPORT":
            archive = self.search_export(task)
            headers = {
                "Content-Type": self.zip_content_type,
                "Content-Disposition": disposition(self.disposition, f"{base}.zip"),
            }
            return Response(200, headers, iter(archive), archive.size)
        header = (
            b"%PDF-1.4\n"
            if file_format == "pdf"
            else CSV_HEADERS.get(task.report_type, b"id,name,email,correlated\n")
        )
        content = SyntheticFile(self.file_size, seed=f"{task.id}.{file_format}", header=header)
        return Response.file(
            req,
            content,
            content_type=FILE_TYPES[file_format],
            ranges=self.ranges,
            headers={"Content-Disposition": disposition(self.disposition, f"{base}.{file_format}")},
        )

    def search_export(self, task: Task) -> StreamedZip:
        """SEARCH_EXPORT's zip: one CSV per index searched, ``file_size`` bytes in all."""
        indices = [i for i in task.arguments.get("indices") or ["identities"] if i != "*"]
        indices = indices or ["identities"]
        share, rest = divmod(self.file_size, len(indices))
        return StreamedZip(
            [
                (
                    f"{index}.csv",
                    SyntheticFile(
                        share + (1 if n < rest else 0),
                        seed=f"{task.id}.{index}",
                        header=CSV_HEADERS["SEARCH_EXPORT"],
                    ),
                )
                for n, index in enumerate(indices)
            ]
        )

    def _pick_outcome(self) -> str:
        if not self.outcome_shares:
            return self.outcome
        with self._random_lock:
            draw = self._random.random()
        for outcome, share in self.outcome_shares.items():
            if draw < share:
                return outcome
            draw -= share
        return "SUCCESS"


def _version_of(path: str) -> str | None:
    if path.startswith("/reports/v1/"):
        return "reports/v1"
    head = path.split("/")[1] if path.count("/") >= 2 else ""
    return head or None
