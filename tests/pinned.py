"""A test-only vendor ("pinned") whose API takes a PIN in the query string of every request.

Its one credential is a setting named ``pin``: no name rule would take it for a secret,
so only :func:`reportbridge.provider.secret_field` keeps it out of logs and errors. The
vendor echoes a wrong PIN in its error body, as careless APIs do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from reportbridge import Capabilities, ReportJob, ReportStatus, ReportTypeSpec, StatusMap
from reportbridge.errors import error_for_status
from reportbridge.hookspecs import hookimpl
from reportbridge.logging import redact_text
from reportbridge.provider import (
    ProfileContext,
    Provider,
    ProviderSession,
    secret_field,
)
from reportbridge.testing import Request, Response, Simulator, route

NAME = "pinned"
STATUS = StatusMap(NAME, {"running": ReportStatus.RUNNING, "done": ReportStatus.SUCCEEDED})


class PinnedSimulator(Simulator):
    name = NAME

    def __init__(self, *, pin: str = "4821-7730", **kw: Any) -> None:
        super().__init__(**kw)
        self.pin = pin
        self._ids = itertools.count(1)

    def profile_settings(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "pin": self.pin}

    def _refused(self, req: Request) -> Response | None:
        given = req.arg("pin")
        if given != self.pin:
            return Response.json({"error": f"pin {given} does not open this account"}, 403)
        return None

    @route("POST", "/jobs")
    def create(self, req: Request) -> Response:
        return self._refused(req) or Response.json({"id": f"j{next(self._ids)}"}, 201)

    @route("GET", "/jobs/(?P<job_id>[a-z0-9]+)")
    def get(self, req: Request, job_id: str) -> Response:
        return self._refused(req) or Response.json({"id": job_id, "state": "running"})


@attrs.frozen
class PinnedSettings:
    base_url: str
    pin: str = secret_field()


class PinnedProvider(Provider):
    name = NAME
    display_name = "PIN-in-the-query vendor (tests only)"
    settings_type = PinnedSettings

    def capabilities(self) -> Capabilities:
        return Capabilities(report_types=(ReportTypeSpec("USERS", formats=("csv",)),))

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return PinnedSession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        return PinnedSimulator(**options)


class PinnedSession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        self.pin = ctx.settings.pin
        self.http = ctx.http(ctx.settings.base_url, provider=NAME)

    def _body(self, method: str, path: str) -> Mapping[str, Any]:
        resp = self.http.request(method, path, params={"pin": self.pin}, what=f"{method} {path}")
        if resp.status >= 400:
            # the vendor's words, passed through redact_text as the plugin guide asks
            text = redact_text(resp.text()[:200])
            raise error_for_status(resp.status, f"{NAME}: {text}", provider=NAME)
        body: Mapping[str, Any] = resp.json(what=path)
        return body

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        body = self._body("POST", "jobs")
        return ReportJob(
            provider=NAME,
            profile=self.profile,
            job_id=str(body["id"]),
            report_type=report_type,
            formats=("csv",),
        )

    def refresh(self, job: ReportJob) -> ReportJob:
        body = self._body("GET", f"jobs/{job.job_id}")
        state = body.get("state")
        return attrs.evolve(job, status=STATUS(state), provider_status=str(state))


class PinnedPlugin:
    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(PinnedProvider())
