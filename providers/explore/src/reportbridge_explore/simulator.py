"""An offline Talkdesk Explore: token host, data-reports API and signed-URL storage.

Three origins, as the vendor has: ``token`` (the account's talkdeskid host, HTTP Basic
client credentials), ``api`` (``/data/reports/...``) and ``storage`` (S3-like signed
URLs that expire and refuse an Authorization header). Behaviour the vendor does not
document is a keyword switch; the defaults follow the provider reference.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote

from reportbridge import ReportStatus
from reportbridge.testing import Request, Response, Simulator, route
from reportbridge_explore.params import REPORT_TYPES
from reportbridge_explore.sim_files import CONTENT_TYPES, ReportFile
from reportbridge_explore.sim_state import (
    ACTIVE,
    EXTENSIONS,
    BadRequest,
    Progression,
    SimJob,
    UrlSigner,
    check_run_body,
)
from reportbridge_explore.status import VOCABULARY

READ, WRITE = "data-reports:read", "data-reports:write"
_JOBS = r"/data/reports/(?P<kind>[^/]+)/jobs"
_CODES = {400: "0130101", 401: "0130401", 403: "0130403", 404: "0130404", 405: "0130405"}
_CODES |= {429: "0130429", 503: "0130503"}


class ExploreSimulator(Simulator):
    name = "explore"
    origins = ("api", "token", "storage")

    def __init__(
        self,
        *,
        job_seconds: float = 1.0,
        file_size: int = 64 * 1024,
        outcome: str = "done",
        poll_redirect_status: int = 303,
        location: str = "relative",
        run_body: str = "wrapped",
        files_redirect_status: int = 302,
        files_not_ready: int = 0,
        url_ttl: float = 60.0,
        retention_seconds: float = 30 * 86400.0,
        quota: int = 15,
        quota_retry_after: str | None = None,
        audit_failures: int = 0,
        cancel_supported: bool = True,
        cancel_finished: str = "refuse",
        forced_job_id: str | None = None,
        legacy_sending: bool = False,
        default_format: str = "json",
        token_lifetime: int = 600,
        granted_scopes: tuple[str, ...] = (READ, WRITE),
        report_types: tuple[str, ...] = tuple(REPORT_TYPES),
        client_id: str = "explore-sim-client",
        client_secret: str = "explore-sim-secret-4f2a9c",  # noqa: S107 - simulator credential
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if poll_redirect_status not in range(300, 400) or location not in ("relative", "absolute"):
            raise ValueError("poll_redirect_status must be 3xx; location relative or absolute")
        if run_body not in ("wrapped", "flat"):
            raise ValueError("run_body must be 'wrapped' or 'flat'")
        if cancel_finished not in ("refuse", "delete"):
            raise ValueError("cancel_finished must be 'refuse' or 'delete'")
        stages = ("created", "processing", "uploading", "sending")
        self.progression = Progression(
            job_seconds, retention_seconds, stages if legacy_sending else stages[:3]
        )
        self.file_size = file_size
        self.outcome = outcome
        self.poll_redirect_status = poll_redirect_status
        self.location = location
        self.run_body = run_body
        self.files_redirect_status = files_redirect_status
        self.files_not_ready = files_not_ready
        self.signer = UrlSigner(secrets.token_bytes(16), url_ttl)
        self.quota = quota
        self.quota_retry_after = quota_retry_after
        self.audit_failures = audit_failures
        self.cancel_supported = cancel_supported
        # What DELETE does to a finished job: the legacy API refused it (403); a server
        # could as well accept it and delete the finished report ("delete").
        self.cancel_finished = cancel_finished
        # The id every new job gets, to test how clients treat a hostile id in an answer.
        self.forced_job_id = forced_job_id
        self.default_format = default_format
        self.token_lifetime = token_lifetime
        self.granted_scopes = tuple(granted_scopes)
        self.report_types = tuple(report_types)
        self.client_id = client_id
        self.client_secret = client_secret
        self.jobs: dict[str, SimJob] = {}
        self.tokens: dict[str, tuple[float, frozenset[str]]] = {}
        self.urls_issued = 0
        self._order = itertools.count()
        self._state_lock = threading.Lock()

    # -- helpers for users and tests ----------------------------------------------------
    def profile_settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "token_url": self.origin_url("token") + "/oauth/token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    # -- fault-injection surface (see reportbridge.testing.Simulator) -------------------
    fault_paths = {
        "submit": ("POST", r"^/data/reports/[^/]+/jobs$", "api"),
        "poll": ("GET", r"^/data/reports/[^/]+/jobs/[^/]+$", "api"),
        "download": ("GET", r"^/_s3/reports/", "storage"),
        "token": ("POST", r"^/oauth/token$", "token"),
        "cancel": ("DELETE", r"^/data/reports/[^/]+/jobs/[^/]+$", "api"),
    }

    def job_state(self, job_id: str) -> ReportStatus:
        return VOCABULARY[self.state(job_id)]

    def jobs_created(self) -> int:
        return len(self.jobs)

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        return self.file_for(job_id).sha256

    def expire_tokens(self, older_than: float = 0.0) -> bool:
        # an entry holds its expiry time: issued = expiry - lifetime
        cutoff = time.monotonic() - older_than + self.token_lifetime
        for token, (expires, _) in list(self.tokens.items()):
            if expires <= cutoff:
                self.tokens.pop(token, None)
        return True

    def unknown_status_body(self) -> bytes | None:
        job = {"id": "00000000-0000-0000-0000-000000000000", "status": "completed"}
        return json.dumps({"job": job}).encode()

    def secrets(self) -> list[str]:
        return [self.client_secret, *self.tokens]

    def file_for(self, job_id: str) -> ReportFile:
        job = self.jobs[job_id]
        return ReportFile(self.file_size, seed=job.id, fmt=job.format, report_type=job.type)

    def state(self, job_id: str) -> str:
        return self.progression.state(self.jobs[job_id], time.monotonic())

    def error(self, status: int, message: str, request: Request) -> Response:
        return self.vendor_error(status, message)

    def vendor_error(
        self, status: int, description: str, field: str | None = None, **headers: str
    ) -> Response:
        fields = [{"name": field, "description": description}] if field else []
        body = {
            "code": _CODES.get(status, "0130000"),
            "message": {400: "Invalid request", 429: "Too Many Requests"}.get(status, "Error"),
            "description": f"{field} {description}" if field else description,
            "fields": fields,
        }
        return Response.json(body, status, headers or None)

    # -- token host -----------------------------------------------------------------------
    @route("POST", "/oauth/token", origin="token")
    def token(self, req: Request) -> Response:
        if not self._client_ok(req.header("Authorization") or ""):
            return Response.json(
                {"error": "invalid_client", "error_description": "bad client credentials"}, 401
            )
        form = req.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        asked = set(form.get("scope", " ".join(self.granted_scopes)).split())
        if not asked <= set(self.granted_scopes):
            return Response.json(
                {"error": "invalid_scope", "error_description": "scope not granted"}, 400
            )
        token = "sim-" + secrets.token_urlsafe(24)
        with self._state_lock:
            self.tokens[token] = (time.monotonic() + self.token_lifetime, frozenset(asked))
        return Response.json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": " ".join(sorted(asked)),
            }
        )

    def _client_ok(self, header: str) -> bool:
        if not header.lower().startswith("basic "):
            return False
        try:
            pair = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        from urllib.parse import unquote

        cid, _, secret = pair.partition(":")
        return (unquote(cid), unquote(secret)) == (self.client_id, self.client_secret)

    def _denied(self, req: Request, scope: str, kind: str) -> Response | None:
        entry = self.tokens.get(req.bearer or "")
        if entry is None or time.monotonic() >= entry[0]:
            return self.vendor_error(401, "invalid or expired access token")
        if scope not in entry[1]:
            return self.vendor_error(403, f"the token lacks the {scope} scope")
        if kind not in self.report_types:
            return self.vendor_error(400, "report type is invalid")
        return None

    def _find(self, kind: str, job_id: str) -> SimJob | None:
        job = self.jobs.get(job_id)
        return job if job is not None and job.type == kind else None

    # -- API --------------------------------------------------------------------------------
    def _view(self, job: SimJob, state: str | None = None) -> dict[str, Any]:
        return {
            "id": job.id,
            "name": job.name,
            "type": job.type,
            "created_at": job.created_at,
            "timezone": job.timezone,
            "status": state or self.progression.state(job, time.monotonic()),
            "format": job.format,
            "timespan": job.timespan,
        }

    def _links(self, job: SimJob) -> dict[str, Any]:
        base, seg = f"{self.base_url}/data/reports/{job.type}", quote(job.id, safe="")
        return {"self": {"href": f"{base}/jobs/{seg}"}, "files": {"href": f"{base}/files/{seg}"}}

    def _wrapped(self, job: SimJob, state: str | None = None) -> dict[str, Any]:
        return {"job": self._view(job, state), "_links": self._links(job)}

    @route("POST", _JOBS)
    def run(self, req: Request, kind: str) -> Response:
        if (denied := self._denied(req, WRITE, kind)) is not None:
            return denied
        try:
            fields = check_run_body(req.json(), self.default_format)
        except ValueError:
            return self.vendor_error(400, "body must be JSON")
        except BadRequest as bad:
            return self.vendor_error(400, bad.description, bad.field)
        now = time.monotonic()
        with self._state_lock:
            if self.audit_failures > 0:  # the vendor fails before creating anything
                self.audit_failures -= 1
                return self.vendor_error(503, "unable to audit operation")
            # fewer jobs than the quota can never fill it: skip the count (it reads every job)
            if len(self.jobs) >= self.quota and self._active(now) >= self.quota:
                extra = {"Retry-After": self.quota_retry_after} if self.quota_retry_after else {}
                return self.vendor_error(
                    429, f"account quota of {self.quota} simultaneous reports exceeded", **extra
                )
            job = SimJob(
                id=self.forced_job_id or str(uuid.uuid4()),
                type=kind,
                created=now,
                seq=next(self._order),
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                outcome=self.outcome,
                **fields,
            )
            self.jobs[job.id] = job
        if self.run_body == "flat":
            return Response.json({**self._view(job), "_links": self._links(job)}, 202)
        return Response.json(self._wrapped(job), 202)

    def _active(self, now: float) -> int:
        return sum(1 for j in self.jobs.values() if self.progression.state(j, now) in ACTIVE)

    @route("GET", _JOBS)
    def listing(self, req: Request, kind: str) -> Response:
        if (denied := self._denied(req, READ, kind)) is not None:
            return denied
        try:
            page = max(1, int(req.arg("page", "1") or 1))
            per_page = min(1000, max(1, int(req.arg("per_page", "10") or 10)))
        except ValueError:
            return self.vendor_error(400, "must be a positive integer", "page")
        jobs = sorted((j for j in self.jobs.values() if j.type == kind), key=lambda j: -j.seq)
        chunk = jobs[(page - 1) * per_page : page * per_page]
        base = f"{self.base_url}/data/reports/{kind}/jobs"
        links: dict[str, Any] = {
            "self": {"href": f"{base}?page={page}&per_page={per_page}"},
            "page": {"templated": True, "href": base + "{?page,per_page,order_by,order}"},
        }
        if page * per_page < len(jobs):
            links["next"] = {"href": f"{base}?page={page + 1}&per_page={per_page}"}
        items = [{**self._view(j), "_links": self._links(j)} for j in chunk]
        return Response.json(
            {
                "_embedded": {"jobs": items},
                "total": len(jobs),
                "page": page,
                "per_page": per_page,
                "_links": links,
            }
        )

    @route("GET", _JOBS + r"/(?P<job_id>[^/]+)")
    def poll(self, req: Request, kind: str, job_id: str) -> Response:
        if (denied := self._denied(req, READ, kind)) is not None:
            return denied
        job = self._find(kind, job_id)
        if job is None:
            return self.vendor_error(404, "report job not found")
        state = self.progression.state(job, time.monotonic())
        if state != "done":
            return Response.json(self._wrapped(job, state))
        files = f"/data/reports/{kind}/files/{quote(job.id, safe='')}"
        if self.location == "absolute":
            files = self.base_url + files
        return Response.redirect(files, self.poll_redirect_status, self._wrapped(job, state))

    @route("DELETE", _JOBS + r"/(?P<job_id>[^/]+)")
    def cancel(self, req: Request, kind: str, job_id: str) -> Response:
        if not self.cancel_supported:
            return self.vendor_error(405, "method not allowed")
        job = self._find(kind, job_id)
        now = time.monotonic()
        if self.cancel_finished == "delete" and job and self.progression.state(job, now) == "done":
            return self._end(req, kind, job_id, ("done",), "deleted", "")
        return self._end(
            req, kind, job_id, ACTIVE, "canceled", "the report job has already finished"
        )

    @route("GET", r"/data/reports/(?P<kind>[^/]+)/files/(?P<job_id>[^/]+)")
    def files(self, req: Request, kind: str, job_id: str) -> Response:
        if (denied := self._denied(req, READ, kind)) is not None:
            return denied
        with self._state_lock:
            job = self._find(kind, job_id)
            if job is None:
                return self.vendor_error(404, "report job not found")
            state = self.progression.state(job, time.monotonic())
            job.files_asked += 1
            lagging = job.files_asked <= self.files_not_ready
            self.urls_issued += state == "done" and not lagging
        if state != "done" or lagging:
            return Response.json(self._wrapped(job, "uploading" if lagging else state))
        name = f"{job.id}.{EXTENSIONS[job.format]}"
        url = f"{self.origin_url('storage')}/_s3/reports/{quote(name)}?{self.signer.query(name)}"
        return Response.redirect(url, self.files_redirect_status)

    @route("DELETE", r"/data/reports/(?P<kind>[^/]+)/files/(?P<job_id>[^/]+)")
    def delete_file(self, req: Request, kind: str, job_id: str) -> Response:
        return self._end(
            req, kind, job_id, ("done",), "deleted", "the report file cannot be deleted"
        )

    def _end(
        self,
        req: Request,
        kind: str,
        job_id: str,
        states: tuple[str, ...],
        final: str,
        refusal: str,
    ) -> Response:
        """Move a job in one of ``states`` to ``final`` (cancel, delete); 403 otherwise."""
        if (denied := self._denied(req, WRITE, kind)) is not None:
            return denied
        with self._state_lock:
            job = self._find(kind, job_id)
            if job is None:
                return self.vendor_error(404, "report job not found")
            if self.progression.state(job, time.monotonic()) not in states:
                return self.vendor_error(403, refusal)
            job.final = final
        return Response.empty(204)

    # -- storage ----------------------------------------------------------------------------
    @route("GET", r"/_s3/reports/(?P<name>[^/]+)", origin="storage")
    def storage(self, req: Request, name: str) -> Response:
        if req.header("Authorization") is not None:
            return _s3_error(400, "InvalidArgument", "Only one auth mechanism allowed")
        problem = self.signer.problem(
            name, req.arg("X-Amz-Date"), req.arg("X-Amz-Expires"), req.arg("X-Amz-Signature")
        )
        if problem:
            text = "Request has expired" if problem == "AccessDenied" else "Bad signature"
            return _s3_error(403, problem, text)
        job = self.jobs.get(name.rsplit(".", 1)[0])
        if job is None or self.progression.state(job, time.monotonic()) != "done":
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return Response.file(req, self.file_for(job.id), content_type=CONTENT_TYPES[job.format])


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return Response(status, {"Content-Type": "application/xml"}, body)
