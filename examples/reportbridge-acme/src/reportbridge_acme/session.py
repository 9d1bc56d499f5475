"""One profile's connection to Acme: start, poll, cancel and list exports, fetch chunks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reportbridge import ReportJob, ResultPart
from reportbridge.errors import ProviderProtocolError, ValidationError, accepted
from reportbridge.provider import (
    FileStream,
    ProfileContext,
    Provider,
    ProviderSession,
    check_list_filters,
)
from reportbridge.transport import HttpResponse, StaticHeaders
from reportbridge_acme.answers import (
    chunk_segment,
    export_job,
    export_segment,
    unwrap,
    vendor_error,
)
from reportbridge_acme.reports import FORMATS, export_request
from reportbridge_acme.settings import AcmeSettings
from reportbridge_acme.status import PROVIDER, VOCABULARY

#: the filters ``list_jobs`` accepts (Acme filters by report and by its own state names)
LIST_FILTERS = ("report_type", "state")


class AcmeSession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        s: AcmeSettings = ctx.settings
        self.settings = s
        auth = StaticHeaders({"X-Acme-Key": s.api_key, "X-Acme-Pin": s.pin}, provider=PROVIDER)
        self.http = ctx.http(
            s.base_url,
            auth=auth,
            provider=PROVIDER,
            default_rate_limit=provider.default_rate_limit,
        )

    def close(self) -> None:
        self.http.close()

    def _export_path(self, job: ReportJob) -> str:
        return f"v2/exports/{export_segment(job.job_id)}"

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        body = export_request(report_type, params)
        resp = self.http.request("POST", "v2/exports", json=body, what="start export")
        if resp.status != 201:
            raise vendor_error(resp, "start export")
        export = unwrap(resp.json(what="start export"), "start export")
        return export_job(export, profile=self.profile, what="start export")

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("GET", self._export_path(job), what="export status")
        if resp.status != 200:
            raise vendor_error(resp, "export status")
        export = unwrap(resp.json(what="export status"), "export status")
        return export_job(export, profile=self.profile, what="export status")

    def cancel(self, job: ReportJob) -> ReportJob:
        # Cancelling twice is harmless at Acme, so a lost answer may be asked again.
        path = f"{self._export_path(job)}/cancel"
        resp = self.http.request("POST", path, idempotent=True, what="cancel export")
        if resp.status == 409:  # it finished first: say where it ended
            seen = self.refresh(job)
            if seen.is_terminal:
                return seen
        if resp.status != 200:
            raise vendor_error(resp, "cancel export")
        export = unwrap(resp.json(what="cancel export"), "cancel export")
        return export_job(export, profile=self.profile, what="cancel export")

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        if part.format not in FORMATS:
            raise ValidationError(
                f"{PROVIDER} has no {part.format!r} chunks; accepted: {accepted(FORMATS)}",
                provider=PROVIDER,
                field="format",
            )
        path = f"{self._export_path(job)}/chunks/{chunk_segment(part.id)}.{part.format}"

        def request(offset: int = 0) -> HttpResponse:
            headers = {"Range": f"bytes={offset}-"} if offset else None
            return self.http.request(
                "GET", path, headers=headers, stream=True, what="download chunk"
            )

        resp = request()
        if resp.status != 200:
            error = vendor_error(resp, f"download chunk {part.id} of {job.job_id}")
            resp.close()  # the small error body was read above
            raise error
        return FileStream(resp, format=part.format, reopen=request)

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        query = self._list_query(filters)
        seen = 0
        while True:
            resp = self.http.request("GET", "v2/exports", params=query, what="list exports")
            if resp.status != 200:
                raise vendor_error(resp, "list exports")
            body = resp.json(what="list exports")
            items = body.get("exports") if isinstance(body, Mapping) else None
            if not isinstance(items, list):
                raise ProviderProtocolError(
                    f"{PROVIDER} list exports: the answer holds no exports list",
                    provider=PROVIDER,
                )
            for item in items:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield export_job(item, profile=self.profile, what="list exports")
            cursor = body.get("next_cursor")
            if not items or not isinstance(cursor, str) or not cursor:
                return
            query["cursor"] = cursor  # sent as a query value, encoded by the client

    def _list_query(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        check_list_filters(PROVIDER, filters, LIST_FILTERS, items="exports")
        query: dict[str, Any] = {"limit": self.settings.list_page_size}
        report = filters.get("report_type")
        if report is not None:
            known = [t.name for t in self.provider.capabilities().report_types]
            if report not in known:
                raise ValidationError(
                    f"{PROVIDER} has no report type {str(report)[:40]!r}; accepted: "
                    f"{accepted(known)}",
                    provider=PROVIDER,
                    field="report_type",
                )
            query["report"] = report
        state = filters.get("state")
        if state is not None:
            if str(state).lower() not in VOCABULARY:
                raise ValidationError(
                    f"{PROVIDER} has no export state {str(state)[:40]!r}; accepted: "
                    f"{accepted(VOCABULARY)}",
                    provider=PROVIDER,
                    field="state",
                )
            query["state"] = str(state).lower()
        return query
