"""One profile's connection to Tenable VM exports: run, poll, cancel, list, fetch chunks."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from reportbridge import NotFoundError, ReportJob, ValidationError
from reportbridge.errors import (
    ProviderProtocolError,
    RejectedRequestError,
    UnsupportedOperationError,
    accepted,
)
from reportbridge.model import ResultPart, utcnow
from reportbridge.provider import (
    FileStream,
    ProfileContext,
    Provider,
    ProviderSession,
    check_list_filters,
)
from reportbridge.transport import HttpResponse, StaticHeaders
from reportbridge_tenable.chunkstream import ChunkStream
from reportbridge_tenable.ids import chunk_segment, export_segment, vendor_export_id
from reportbridge_tenable.params import request_body, time_filtered
from reportbridge_tenable.responses import FORMAT, listed_job, status_job, vendor_error
from reportbridge_tenable.settings import KINDS, TenableSettings
from reportbridge_tenable.status import PROVIDER

#: ``state`` (what the command line sends) and ``status`` match a neutral or vendor status
LIST_FILTERS = ("report_type", "state", "status")
#: chunks are kept this long after they are made; a cancelled export's for three days
CHUNK_LIFETIME = "24 hours after it was made (3 days after a cancel)"
LAST_30_DAYS = (
    "no time filter was given: Tenable exports only findings found or fixed in the last 30 "
    "days (set since, last_found, first_found or last_fixed to choose the window)"
)


class TenableSession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        s: TenableSettings = ctx.settings
        self.settings = s
        self.auth = StaticHeaders(
            {"X-ApiKeys": s.api_keys}, secrets=(s.access_key, s.secret_key), provider=PROVIDER
        )
        # Tenable counts requests per API key: profiles sharing keys share one limiter.
        key = hashlib.sha256(s.access_key.encode()).hexdigest()[:16]
        self.http = ctx.http(
            s.base_url,
            auth=self.auth,
            provider=PROVIDER,
            default_rate_limit=provider.default_rate_limit,
            rate_limit_key=f"{PROVIDER}:{key}",
        )

    def close(self) -> None:
        self.http.close()

    # -- addressing ----------------------------------------------------------------------
    def _kind(self, report_type: str) -> str:
        if report_type not in KINDS:
            raise ValidationError(
                f"{PROVIDER} has no export kind {report_type[:40]!r}; accepted: {accepted(KINDS)}",
                provider=PROVIDER,
                field="report_type",
            )
        if report_type not in self.settings.export_kinds:
            raise ValidationError(
                f"profile {self.profile!r} does not run {report_type} exports; its export_kinds "
                f"are {accepted(self.settings.export_kinds)}",
                provider=PROVIDER,
                field="report_type",
            )
        return report_type

    def _export(self, job: ReportJob) -> str:
        """``{kind}/export/{uuid}``, both checked: the only path prefix a job leads to."""
        return f"{self._kind(job.report_type)}/export/{export_segment(job.job_id)}"

    # -- operations ----------------------------------------------------------------------
    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        kind = self._kind(report_type)
        resp = self.http.request(
            "POST", f"{kind}/export", json=request_body(kind, params), what="export request"
        )
        warnings: list[str] = []
        if resp.status == 409:
            uuid = self._duplicate(resp)
            warnings.append(
                f"Tenable refused a duplicate of a running export (HTTP 409); this job follows "
                f"that export, {uuid}, which has the same filters"
            )
        elif resp.status == 200:
            body = resp.json(what="export request")
            found = body.get("export_uuid") if isinstance(body, Mapping) else None
            uuid = vendor_export_id(found, "export request")
        else:
            raise vendor_error(resp, "export request", submit=True)
        if not time_filtered(kind, params):
            warnings.append(LAST_30_DAYS)
        return ReportJob(
            provider=PROVIDER,
            profile=self.profile,
            job_id=uuid,
            report_type=kind,
            params=dict(params),
            submitted_at=utcnow(),
            formats=(FORMAT,),
            warnings=tuple(warnings),
        )

    def _duplicate(self, resp: HttpResponse) -> str:
        body = resp.json(what="export request")
        active = body.get("active_job_id") if isinstance(body, Mapping) else None
        if self.settings.on_duplicate != "adopt":
            raise RejectedRequestError(
                f"{PROVIDER} refused the export: an identical export is already running "
                f"({str(active)[:40]}); wait for it, follow it with 'reportbridge wait', or set "
                'on_duplicate = "adopt"',
                provider=PROVIDER,
                status_code=409,
            )
        return vendor_export_id(active, "export request (409 active_job_id)")

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("GET", f"{self._export(job)}/status", what="export status")
        if resp.status == 404:
            raise NotFoundError(
                f"{PROVIDER} has no {job.report_type} export {job.job_id}: it is unknown to "
                "these keys' container, or older than Tenable keeps exports",
                provider=PROVIDER,
                status_code=404,
            )
        if resp.status != 200:
            raise vendor_error(resp, "export status")
        seen = status_job(
            resp.json(what="export status"),
            profile=self.profile,
            kind=job.report_type,
            job_id=job.job_id,
        )
        return attrs.evolve(seen, params=job.params, warnings=job.warnings)

    def cancel(self, job: ReportJob) -> ReportJob:
        # Cancelling twice is harmless, so a lost answer may be asked again.
        resp = self.http.request(
            "POST", f"{self._export(job)}/cancel", idempotent=True, what="cancel export"
        )
        if resp.status == 200:
            return self.refresh(job)
        error = vendor_error(resp, "cancel export")
        if resp.status == 400:  # "Cannot cancel a completed job": it ended first
            seen = self.refresh(job)
            if seen.is_terminal:
                return seen
        raise error

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        """There is no single file: the result is the chunks (:meth:`open_part`)."""
        self._export(job)  # a bad id or kind is still named as such
        raise UnsupportedOperationError(
            PROVIDER, "opening a single file", "exports come in chunks: open each part"
        )

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        if part.format != FORMAT:
            raise ValidationError(
                f"{PROVIDER} chunks are JSON; there is no {part.format!r} part",
                provider=PROVIDER,
                field="format",
            )
        path = f"{self._export(job)}/chunks/{chunk_segment(part.id)}"
        what = f"chunk {part.id} of export {job.job_id}"
        resp = self.http.request("GET", path, stream=True, what="download chunk")
        if resp.status != 200:
            try:
                if resp.status == 404:
                    raise NotFoundError(
                        f"{PROVIDER} no longer has {what}: a chunk is kept {CHUNK_LIFETIME}",
                        provider=PROVIDER,
                        status_code=404,
                    )
                raise vendor_error(resp, f"download {what}")  # 400: not ready yet
            finally:
                _discard(resp)

        def again(offset: int) -> HttpResponse:
            headers = {"Range": f"bytes={offset}-"}
            return self.http.request(
                "GET", path, headers=headers, stream=True, what="download chunk"
            )

        return ChunkStream(resp, format=FORMAT, reopen=again, what=what)

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        check_list_filters(PROVIDER, filters, LIST_FILTERS, items="exports")
        wanted = filters.get("report_type")
        kinds = [self._kind(k) for k in ([wanted] if isinstance(wanted, str) else wanted or ())]
        status = filters.get("state") or filters.get("status")
        status = str(status).lower() if status else None
        listings = [self._listing(k) for k in kinds or self.settings.export_kinds]
        seen = 0
        for job in heapq.merge(*listings, key=_newest, reverse=True):
            if status and status not in (job.status.value, (job.provider_status or "").lower()):
                continue
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield job

    def _listing(self, kind: str) -> list[ReportJob]:
        """The vendor's recent exports of ``kind`` (its 1,000 newest), newest first."""
        resp = self.http.request("GET", f"{kind}/export/status", what="list exports")
        if resp.status != 200:
            raise vendor_error(resp, "list exports")
        body = resp.json(what="list exports")
        items = body.get("exports") if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise ProviderProtocolError(
                f"{PROVIDER} list exports: the answer holds no exports list", provider=PROVIDER
            )
        jobs = []
        for item in items:
            raw = item.get("uuid") if isinstance(item, Mapping) else None
            uuid = vendor_export_id(raw, "list exports")
            jobs.append(listed_job(item, profile=self.profile, kind=kind, job_id=uuid))
        return sorted(jobs, key=_newest, reverse=True)


def _newest(job: ReportJob) -> float:
    return job.created_at.timestamp() if job.created_at else 0.0


def _discard(resp: HttpResponse) -> None:
    """Read and drop a small error body (a cut one included), then close."""
    resp.drain()
    resp.close()


__all__ = ["LIST_FILTERS", "TenableSession"]
