"""Run, poll, cancel and fetch SailPoint reports over the core transport."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from reportbridge.download import filename_from_disposition, safe_filename
from reportbridge.errors import ProviderProtocolError
from reportbridge.ids import path_segment, vendor_id
from reportbridge.logging import get_logger
from reportbridge.model import ReportJob, utcnow
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge.transport.auth import OAuth2ClientCredentials
from reportbridge.transport.http import HttpResponse
from reportbridge_sailpoint.reports import ZIP, accept_header, formats_for, wire_format
from reportbridge_sailpoint.settings import PROVIDER, SailPointSettings
from reportbridge_sailpoint.status import job_from_result, job_from_task
from reportbridge_sailpoint.vendor_errors import (
    CANCEL_FORBIDDEN_HINT,
    error_from_response,
    raise_for_response,
)

log = get_logger("reportbridge.sailpoint")
JSON = {"Accept": "application/json"}
#: How long after submission a 404 on the result endpoint still means "not visible yet".
POLL_NOT_FOUND_GRACE = dt.timedelta(minutes=5)
#: the vendor's task result ids: 32 lowercase hex digits
TASK_RESULT_ID = re.compile(r"[0-9a-f]{32}")
EXAMPLE_ID = "ef38f94347e94562b5bb8424a56397d8"


class SailPointSession(ProviderSession):
    """One profile's connection to a tenant's Reports Data Extraction API."""

    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        settings: SailPointSettings = ctx.settings
        self.settings = settings
        self.auth = OAuth2ClientCredentials(
            settings.effective_token_url,
            settings.client_id,
            settings.client_secret,
            provider=PROVIDER,
        )
        self.http = ctx.http(
            settings.base_url,
            auth=self.auth,
            provider=PROVIDER,
            default_rate_limit=provider.default_rate_limit,
            # the vendor counts per client id and API version, not per connection
            rate_limit_key=":".join(
                (
                    PROVIDER,
                    urlsplit(settings.base_url).netloc.lower(),
                    settings.client_id,
                    settings.api_version,
                )
            ),
        )
        self.reports = settings.reports_path
        self._id_shape: dict[str, Any] = {
            "pattern": TASK_RESULT_ID if settings.strict_ids else None,
            "example": EXAMPLE_ID,
        }
        self._deprecation_logged = False

    def close(self) -> None:
        self.http.close()

    # -- operations ------------------------------------------------------------------
    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        body = {"reportType": report_type, "arguments": dict(params)}
        resp = self._call("POST", "run", json=body, what="run report")
        data = self._json(resp, "run report")
        if not isinstance(data, Mapping) or "id" not in data:
            raise ProviderProtocolError(
                f"{PROVIDER} run answer has no task result id", provider=PROVIDER
            )
        job_id = vendor_id(data["id"], what="task result id", provider=PROVIDER, **self._id_shape)
        template = ReportJob(
            provider=PROVIDER,
            profile=self.profile,
            job_id=job_id,
            report_type=report_type,
            params=dict(params),
            submitted_at=utcnow(),
        )
        job = job_from_task(template, data)
        if job.started_at is not None:
            # Run is get-or-create: an identical running task comes back instead of a new one.
            log.info("adopted a running task", profile=self.profile, job_id=job_id)
        return _with_formats(job, formats_for(report_type, params))

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self._call("GET", f"{self._job_path(job)}/result", what="poll report")
        if resp.status == 404 and _recently_submitted(job):
            return job_from_result(job, {})
        seen = job_from_result(job, self._json(resp, "poll report"))
        return _with_formats(seen, seen.formats or formats_for(job.report_type, job.params))

    def cancel(self, job: ReportJob) -> ReportJob:
        resp = self._call("POST", f"{self._job_path(job)}/cancel", idempotent=True, what="cancel")
        if resp.status == 403:
            raise_for_response(resp, f"cancel of job {job.job_id}", hint=CANCEL_FORBIDDEN_HINT)
        if resp.status == 400:
            # Cancelling a finished task is refused: report where the job stands instead.
            refused = error_from_response(resp, f"cancel of job {job.job_id}")
            seen = self.refresh(job)
            if seen.is_terminal:
                return seen
            raise refused
        if not 200 <= resp.status < 300:
            raise_for_response(resp, f"cancel of job {job.job_id}")
        return self.refresh(job)

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        path = self._job_path(job)
        params: dict[str, Any] = {"fileFormat": wire_format(format)}
        if self.settings.auditable_downloads:
            params["auditable"] = True

        def request(offset: int = 0) -> HttpResponse:
            headers = {"Accept": accept_header(format)}
            if offset:
                headers["Range"] = f"bytes={offset}-"
            return self._call(
                "GET", path, params=params, headers=headers, stream=True, what="download"
            )

        resp = request()
        if resp.status != 200:
            try:
                error = error_from_response(resp, f"download of job {job.job_id} ({format})")
            finally:
                resp.close()
            raise error
        return FileStream(
            resp,
            format=format,
            filename=_file_name(resp.header("Content-Disposition"), format),
            reopen=request,
        )

    # -- plumbing --------------------------------------------------------------------
    def _job_path(self, job: ReportJob) -> str:
        """The task result id as a path segment, refused before any request if it cannot be."""
        what = f"{PROVIDER} task result id"
        return path_segment(job.job_id, what=what, provider=PROVIDER, **self._id_shape)

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> HttpResponse:
        resp = self.http.request(
            method, f"{self.reports}/{path}", headers=headers or JSON, what=what, **kw
        )
        if not self._deprecation_logged and (resp.header("X-Deprecated") or "").lower() == "true":
            self._deprecation_logged = True
            log.warning(
                "deprecated API version",
                profile=self.profile,
                api_version=self.settings.api_version,
                advice="set api_version to a newer version such as v2025 or reports/v1",
            )
        return resp

    def _json(self, resp: HttpResponse, what: str) -> Any:
        if not 200 <= resp.status < 300:
            raise_for_response(resp, what)
        return resp.json(what=f"{PROVIDER} {what} answer")


def _recently_submitted(job: ReportJob) -> bool:
    # The result endpoint documents no 404; right after a run it can only mean "not yet".
    return job.submitted_at is not None and utcnow() - job.submitted_at < POLL_NOT_FOUND_GRACE


def _with_formats(job: ReportJob, formats: tuple[str, ...]) -> ReportJob:
    return attrs.evolve(job, formats=formats)


def _file_name(disposition: str | None, format: str) -> str | None:
    name = filename_from_disposition(disposition)
    if name is None:
        return None
    name = safe_filename(name, f"report.{wire_format(format)}")
    if format == ZIP and not name.lower().endswith(".zip"):
        # SEARCH_EXPORT's body is a zip whatever the name says; keep it openable.
        stem = name[:-4] if name.lower().endswith(".csv") else name
        name = f"{stem}.zip"
    return name


__all__ = ["POLL_NOT_FOUND_GRACE", "SailPointSession"]
