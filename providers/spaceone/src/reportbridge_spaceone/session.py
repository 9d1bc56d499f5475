"""One profile's connection to a SpaceONE report service: run, poll, fetch, list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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
            id_shape=self.api.id_shape,
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
            job_id=job.job_id,
        )
        return attrs.evolve(seen, warnings=job.warnings)

    def refresh_many(self, jobs: Sequence[ReportJob]) -> dict[str, ReportJob]:
        """One search (``report_id`` in the ids, a page at a time) answers for them all."""
        wanted = {job.job_id: job for job in jobs}
        ids = list(wanted)
        size = max(1, self.settings.list_page_size)
        found: dict[str, ReportJob] = {}
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            condition = {"k": "report_id", "v": chunk, "o": "in"}
            for info in pages(self.api.search, [condition], page_size=size, limit=len(chunk)):
                job = wanted.get(str(info.get("report_id")))
                if job is None:  # only ids asked for (and so checked) can match
                    continue
                seen = to_job(
                    info,
                    profile=self.profile,
                    what="get report",
                    report_type=job.report_type,
                    params=job.params or None,
                    extra=job.extra,
                    job_id=job.job_id,
                )
                found[job.job_id] = attrs.evolve(seen, warnings=job.warnings)
        return found

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
            yield to_job(
                info, profile=self.profile, what="list reports", id_shape=self.api.id_shape
            )
