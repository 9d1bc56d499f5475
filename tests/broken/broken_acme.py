"""A deliberately broken provider: the Acme example with four classic mistakes.

- ``cancel`` sends nothing and only says CANCELLED;
- a refused credential is reported with the key and PIN in the message;
- a state it does not know is taken as RUNNING;
- every chunk is downloaded as CSV, whatever format was asked for.

``tests/test_contract_catches_broken.py`` runs the shared contract on it (in a child
pytest) and checks that each mistake fails with a message saying what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from reportbridge import (
    AuthenticationError,
    ReportJob,
    ReportStatus,
    ResultPart,
    UnknownStatusError,
)
from reportbridge.hookspecs import hookimpl
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge_acme import AcmeProvider
from reportbridge_acme.session import AcmeSession

NAME = "broken-acme"


class BrokenSession(AcmeSession):
    def submit(self, report_type: str, params: Any) -> ReportJob:
        resp = self.http.request("GET", "v2/exports", params={"limit": 1}, what="check keys")
        if resp.status == 401:
            s = self.settings
            raise AuthenticationError(  # mistake: the credentials in the message
                f"{NAME} refused api key {s.api_key} with pin {s.pin}", provider=NAME
            )
        return attrs.evolve(super().submit(report_type, params), provider=NAME)

    def refresh(self, job: ReportJob) -> ReportJob:
        try:
            return attrs.evolve(super().refresh(job), provider=NAME)
        except UnknownStatusError as exc:  # mistake: a guess instead of an error
            return attrs.evolve(job, status=ReportStatus.RUNNING, provider_status=str(exc.raw))

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        stream = super().open_part(job, attrs.evolve(part, format="csv"))  # mistake
        stream.format = part.format
        return stream

    def cancel(self, job: ReportJob) -> ReportJob:  # mistake: nothing is sent
        return attrs.evolve(job, status=ReportStatus.CANCELLED, provider_status="cancelled")


class BrokenProvider(AcmeProvider):
    name = NAME
    display_name = "Acme, deliberately broken (tests only)"

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return BrokenSession(self, ctx)


class BrokenPlugin:
    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(BrokenProvider())
