"""A test-only vendor ("toy"): a simulator and a provider plugin proving the core.

It is also the smallest complete example of a provider plugin: settings, status
map, capabilities, session operations over the core transport, and a simulator
built on :class:`reportbridge.testing.Simulator`.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from reportbridge import (
    Capabilities,
    ParamSpec,
    ReportJob,
    ReportStatus,
    ReportTypeSpec,
    StatusMap,
)
from reportbridge.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RejectedRequestError,
    ServiceError,
)
from reportbridge.hookspecs import hookimpl
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route
from reportbridge.transport import HttpResponse, OAuth2ClientCredentials, RateLimit

# -- simulator ---------------------------------------------------------------------------


class ToySimulator(Simulator):
    name = "toy"
    origins = ("api", "storage")

    def __init__(
        self,
        *,
        job_seconds: float = 0.2,
        file_size: int = 2048,
        token_lifetime: int = 600,
        redirect_files: bool = False,
        ranges: bool = True,
        outcome: str = "done",
        client_id: str = "toy-client",
        client_secret: str = "toy-secret-value-123",  # noqa: S107 - a simulator credential
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.job_seconds = job_seconds
        self.file_size = file_size
        self.token_lifetime = token_lifetime
        self.redirect_files = redirect_files
        self.ranges = ranges
        self.outcome = outcome
        self.client_id = client_id
        self.client_secret = client_secret
        self.jobs: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def profile_settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def file_for(self, job_id: str) -> SyntheticFile:
        return SyntheticFile(self.file_size, seed=job_id, header=b"id,key,email,amount\n")

    def _auth(self, req: Request) -> Response | None:
        token = req.bearer
        expires = self.tokens.get(token or "")
        if expires is None or time.monotonic() >= expires:
            return Response.json({"error": "invalid or expired token"}, 401)
        return None

    @route("POST", "/oauth/token")
    def token(self, req: Request) -> Response:
        form = req.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Response.json({"error": "bad client credentials"}, 401)
        with self._lock:
            self.tokens_issued += 1
            token = (
                f"toy-token-{self.tokens_issued}-"
                + hashlib.sha256(str(time.time()).encode()).hexdigest()[:12]
            )
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return Response.json(
            {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}
        )

    def state_of(self, job: dict[str, Any]) -> str:
        if job["state"] in ("cancelled",):
            return job["state"]
        age = time.monotonic() - job["created"]
        if age < self.job_seconds / 2:
            return "queued"
        if age < self.job_seconds:
            return "working"
        return job["outcome"]

    def _view(self, job: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": job["id"],
            "type": job["type"],
            "state": self.state_of(job),
            "formats": ["csv", "json"],
        }

    @route("POST", "/jobs")
    def create(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        body = req.json()
        with self._lock:
            job_id = f"job{next(self._ids):06d}"
            self.jobs[job_id] = {
                "id": job_id,
                "type": body["type"],
                "params": body.get("params", {}),
                "state": "queued",
                "outcome": self.outcome,
                "created": time.monotonic(),
            }
        return Response.json(
            self._view(self.jobs[job_id]), 201, headers={"X-Request-Id": f"req-{job_id}"}
        )

    @route("GET", "/jobs")
    def listing(self, req: Request) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        page, size = int(req.arg("page", "1") or 1), int(req.arg("per_page", "10") or 10)
        jobs = sorted(self.jobs.values(), key=lambda j: j["created"], reverse=True)
        chunk = jobs[(page - 1) * size : page * size]
        return Response.json({"jobs": [self._view(j) for j in chunk], "total": len(jobs)})

    @route("GET", "/jobs/(?P<job_id>[^/]+)")
    def get(self, req: Request, job_id: str) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.jobs.get(job_id)
        if job is None:
            return Response.json({"error": "no such job"}, 404)
        return Response.json(self._view(job))

    @route("POST", "/jobs/(?P<job_id>[^/]+)/cancel")
    def cancel(self, req: Request, job_id: str) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.jobs.get(job_id)
        if job is None:
            return Response.json({"error": "no such job"}, 404)
        if self.state_of(job) in ("done", "failed"):
            return Response.json({"error": "already finished"}, 400)
        job["state"] = "cancelled"
        return Response.json(self._view(job))

    @route("GET", "/jobs/(?P<job_id>[^/]+)/file")
    def file(self, req: Request, job_id: str) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        job = self.jobs.get(job_id)
        if job is None or self.state_of(job) != "done":
            return Response.json({"error": "file not found"}, 404)
        fmt = req.arg("format", "csv")
        if self.redirect_files:
            return Response.redirect(
                f"{self.origin_url('storage')}/blob/{job_id}.{fmt}?sig=abc123", 302
            )
        return Response.file(
            req,
            self.file_for(job_id),
            content_type="text/csv",
            filename=f"../{job_id}.{fmt}",
            ranges=self.ranges,
            headers={"ETag": f'"{job_id}-{fmt}"', "Last-Modified": "Sun, 06 Dec 2026 10:00:00 GMT"},
        )

    @route("GET", "/blob/(?P<name>[^/]+)", origin="storage")
    def blob(self, req: Request, name: str) -> Response:
        job_id = name.split(".")[0]
        return Response.file(
            req, self.file_for(job_id), content_type="text/csv", ranges=self.ranges
        )


# -- provider ---------------------------------------------------------------------------

STATUS = StatusMap(
    "toy",
    {
        "queued": ReportStatus.PENDING,
        "working": ReportStatus.RUNNING,
        "done": ReportStatus.SUCCEEDED,
        "failed": ReportStatus.FAILED,
        "cancelled": ReportStatus.CANCELLED,
        "purged": ReportStatus.EXPIRED,
    },
)


@attrs.frozen
class ToySettings:
    base_url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)


class ToyProvider(Provider):
    name = "toy"
    display_name = "Toy vendor (tests only)"
    settings_type = ToySettings
    default_rate_limit = RateLimit(1000, 1.0)

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=(
                ReportTypeSpec(
                    "USERS",
                    "every user",
                    params=(
                        ParamSpec("active_only", "boolean"),
                        ParamSpec("label", "string", max_length=20),
                    ),
                    formats=("csv", "json"),
                ),
                ReportTypeSpec(
                    "AUDIT",
                    "audit trail",
                    params=(ParamSpec("since", "string", required=True),),
                    formats=("csv",),
                ),
            ),
            formats=("csv", "json"),
            cancel=True,
            list=True,
        )

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return ToySession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        return ToySimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        return [("USERS", {"active_only": True}, ("csv", "json")), ("AUDIT", {"since": "2025"}, ())]


class ToySession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        s: ToySettings = ctx.settings
        auth = OAuth2ClientCredentials(
            s.base_url.rstrip("/") + "/oauth/token", s.client_id, s.client_secret, provider="toy"
        )
        self.http = ctx.http(
            s.base_url, auth=auth, provider="toy", default_rate_limit=ToyProvider.default_rate_limit
        )
        self.auth = auth

    def _check(self, resp: HttpResponse, what: str) -> Any:
        if 200 <= resp.status < 300:
            return resp.json(what=what)
        text = resp.text()[:200]
        kinds: dict[int, type] = {
            401: AuthenticationError,
            403: PermissionDeniedError,
            404: NotFoundError,
            429: RateLimitedError,
        }
        kind = kinds.get(resp.status, ServiceError if resp.status >= 500 else RejectedRequestError)
        raise kind(
            f"toy {what} failed (HTTP {resp.status}): {text}",
            provider="toy",
            status_code=resp.status,
        )

    def _job(self, body: Mapping[str, Any], report_type: str | None = None) -> ReportJob:
        return ReportJob(
            provider="toy",
            profile=self.profile,
            job_id=body["id"],
            report_type=report_type or body.get("type", ""),
            status=STATUS(body.get("state")),
            provider_status=body.get("state"),
            formats=tuple(body.get("formats", ())),
        )

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        resp = self.http.request(
            "POST", "jobs", json={"type": report_type, "params": dict(params)}, what="start job"
        )
        return self._job(self._check(resp, "start job"), report_type)

    def refresh(self, job: ReportJob) -> ReportJob:
        return self._job(
            self._check(self.http.request("GET", f"jobs/{job.job_id}", what="poll"), "poll"),
            job.report_type,
        )

    def cancel(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("POST", f"jobs/{job.job_id}/cancel", what="cancel")
        return self._job(self._check(resp, "cancel"), job.report_type)

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        from reportbridge.download import filename_from_disposition

        def request(offset: int = 0) -> HttpResponse:
            headers = {"Range": f"bytes={offset}-"} if offset else None
            return self.http.request(
                "GET",
                f"jobs/{job.job_id}/file",
                params={"format": format},
                headers=headers,
                stream=True,
                what="fetch",
            )

        resp = request()
        if resp.status != 200:
            resp.data  # noqa: B018 - read the error body before closing
            resp.close()
            self._check(resp, "fetch")
        return FileStream(
            resp,
            format=format,
            filename=filename_from_disposition(resp.header("Content-Disposition")),
            reopen=request,
        )

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        seen = 0
        for page in itertools.count(1):
            body = self._check(
                self.http.request("GET", "jobs", params={"page": page, "per_page": 10}), "list"
            )
            for item in body["jobs"]:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield self._job(item)
            if not body["jobs"] or page * 10 >= body["total"]:
                return


class ToyPlugin:
    """Registered in code by the tests (not through an entry point)."""

    def __init__(self) -> None:
        self.provider = ToyProvider()
        self.events: list[tuple[str, Any]] = []

    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(self.provider)

    @hookimpl
    def job_submitted(self, job: ReportJob) -> None:
        self.events.append(("submitted", job.job_id))

    @hookimpl
    def job_status_changed(self, job: ReportJob, previous: ReportStatus) -> None:
        self.events.append(("status", (previous.value, job.status.value)))

    @hookimpl
    def file_fetched(self, job: ReportJob, file: Any) -> None:
        self.events.append(("fetched", file.sha256))
