"""One profile's connection to a SpaceONE report service: run, poll, fetch, list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge import ReportJob
from reportbridge.provider import FileStream, ProfileContext, ProviderSession
from reportbridge.transport import StaticBearerToken
from reportbridge_spaceone.api import ReportApi
from reportbridge_spaceone.files import SignedFileFetcher
from reportbridge_spaceone.listing import build_query, pages
from reportbridge_spaceone.responses import to_job
from reportbridge_spaceone.settings import SpaceoneSettings
from reportbridge_spaceone.status import PROVIDER
from reportbridge_spaceone.templates import request_warnings

if TYPE_CHECKING:
    from reportbridge_spaceone.provider import SpaceoneProvider

#: the one thing ``ReportInfo`` never echoes and a reference must keep
NAME_KEY = "name"


class SpaceoneSession(ProviderSession):
    def __init__(self, provider: SpaceoneProvider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        settings: SpaceoneSettings = ctx.settings
        self.settings = settings
        self.http = ctx.http(
            settings.base_url,
            auth=StaticBearerToken(settings.token),  # a pre-issued JWT: no exchange
            provider=PROVIDER,
            default_rate_limit=provider.default_rate_limit,
        )
        self.api = ReportApi(self.http, settings)
        self.files = SignedFileFetcher(self.api)

    def close(self) -> None:
        self.http.close()

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        fields: dict[str, Any] = {"template_id": report_type, "name": params["name"]}
        if params.get("template_options") is not None:
            fields["template_options"] = params["template_options"]
        if params.get("storage_id"):
            fields["storage_id"] = params["storage_id"]
        info = self.api.create(fields)
        job = to_job(
            info,
            profile=self.profile,
            what="create report",
            report_type=report_type,
            params=params,
            extra={NAME_KEY: str(params["name"])},
        )
        return attrs.evolve(job, warnings=request_warnings(report_type, params))

    def refresh(self, job: ReportJob) -> ReportJob:
        seen = to_job(
            self.api.get(job.job_id),
            profile=self.profile,
            what="get report",
            report_type=job.report_type,
            params=job.params or None,
            extra=job.extra,
        )
        return attrs.evolve(seen, warnings=job.warnings)

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        return self.files.open(job, format)

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        conditions = build_query(filters)  # refuses bad filters before any request
        return self._listing(conditions, limit)

    def _listing(self, conditions: list[dict[str, Any]], limit: int | None) -> Iterator[ReportJob]:
        for info in pages(
            self.api.search, conditions, page_size=self.settings.list_page_size, limit=limit
        ):
            yield to_job(info, profile=self.profile, what="list reports")
