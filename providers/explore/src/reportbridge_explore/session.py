"""One profile's connection to Talkdesk Explore: run, poll, cancel, fetch, list."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import attrs

from reportbridge import (
    NotFoundError,
    PermissionDeniedError,
    ReportJob,
    ReportStatus,
    ValidationError,
)
from reportbridge.checks import CheckStep, steps_until_failure
from reportbridge.errors import ProviderProtocolError, UnsupportedOperationError, accepted
from reportbridge.model import parse_timestamp
from reportbridge.provider import (
    FileStream,
    ProfileContext,
    Provider,
    ProviderSession,
    check_list_filters,
)
from reportbridge.transport import HttpClient, HttpResponse, OAuth2ClientCredentials
from reportbridge_explore.files import FileFetcher
from reportbridge_explore.params import REPORT_TYPES
from reportbridge_explore.paths import FILES_KEY, job_path, jobs_path, storable_files_url
from reportbridge_explore.responses import job_object, to_job, vendor_error
from reportbridge_explore.settings import ExploreSettings
from reportbridge_explore.status import PROVIDER, REDIRECT_STATUS

#: ``state`` (what the command line sends) and ``status`` match a neutral or a vendor status.
LIST_FILTERS = ("report_type", "state", "status")
_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


class ExploreSession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        s: ExploreSettings = ctx.settings
        self.settings = s
        self.auth = OAuth2ClientCredentials(
            s.token_endpoint,
            s.client_id,
            s.client_secret,
            scope=s.scope,
            client_auth="basic",
            provider=PROVIDER,
        )
        self.http = ctx.http(s.api_base, auth=self.auth, provider=PROVIDER)
        self.token_http: HttpClient | None = None
        if not self.http.same_origin(s.token_endpoint):
            # The core client drops every Authorization header on a foreign origin, the
            # token request's Basic client credentials included; so the token host gets
            # a client of its own, where it is the home origin.
            parts = urlsplit(s.token_endpoint)
            self.token_http = ctx.http(f"{parts.scheme}://{parts.netloc}/", provider=PROVIDER)
            self.auth.bind(self.token_http)
        self.files = FileFetcher(self.http, not_ready_retries=s.file_not_ready_retries)

    def close(self) -> None:
        self.http.close()
        if self.token_http is not None:
            self.token_http.close()

    def check(self) -> list[CheckStep]:
        """A token, then the first page (of one job) of one report type's jobs."""
        wanted = {"report_type": self.report_types[0]}
        return steps_until_failure(
            ("token", self.auth.token),
            ("api", lambda: next(iter(self.list_jobs(wanted, limit=1)), None)),
        )

    # -- operations ----------------------------------------------------------------------
    @property
    def report_types(self) -> list[str]:
        """The documented types plus this profile's extra_report_types."""
        return [
            *REPORT_TYPES,
            *(t for t in self.settings.extra_report_types if t not in REPORT_TYPES),
        ]

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        if report_type not in self.report_types:
            # Another profile's extra type passed Provider.validate; not this profile's.
            raise ValidationError(
                f"unknown report type {report_type!r} for profile {self.profile!r} (provider "
                f"{PROVIDER!r}); accepted: {accepted(self.report_types)}; add it to the "
                "profile's extra_report_types if the vendor offers it",
                provider=PROVIDER,
                field="report_type",
            )
        sent = dict(params)
        sent.setdefault("format", self.settings.default_format)
        sent.setdefault("timezone", "UTC")
        body: dict[str, Any] = {
            "timezone": sent["timezone"],
            "format": sent["format"],
            "timespan": {"from": sent["from"], "to": sent["to"]},
        }
        if sent.get("name"):
            body["name"] = sent["name"]
        # A 503 ("unable to audit operation") means the job was not created: safe to resend.
        resp = self.http.request(
            "POST", jobs_path(report_type), json=body, resend_on={503}, what="run report"
        )
        if resp.status not in (200, 201, 202):
            hint = "the job was not created, so running it again is safe"
            raise vendor_error(
                resp, "run report", quota=True, hint=hint if resp.status == 503 else ""
            )
        job = to_job(
            resp.json(what="run report"),
            profile=self.profile,
            report_type=report_type,
            what="run report",
            extra={"format": sent["format"]},
        )
        return attrs.evolve(job, report_type=report_type, params=sent)

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("GET", job_path(job), follow_redirects=False, what="poll")
        if 300 <= resp.status < 400:
            return self._done(job, resp)
        if resp.status != 200:
            raise vendor_error(resp, "poll")
        return to_job(
            resp.json(what="poll"),
            profile=self.profile,
            report_type=job.report_type,
            what="poll",
            extra=job.extra,
            job_id=job.job_id,
        )

    def _done(self, job: ReportJob, resp: HttpResponse) -> ReportJob:
        """Any 3xx on poll means done; Location (or _links.files) names the files."""
        try:
            body = resp.json(what="poll")
        except ProviderProtocolError:
            body = None
        if not isinstance(body, Mapping) or not isinstance(body.get("job", body), Mapping):
            body = {}
        extra = dict(job.extra)
        href = resp.header("Location") or _link(body, "files")
        if href:
            self._keep_files_url(job, urljoin(resp.url, href), extra)
        inner = body.get("job") if isinstance(body.get("job"), Mapping) else body
        return to_job(
            {"job": {**inner, "id": job.job_id}},  # the job we asked for, whatever it says
            profile=self.profile,
            report_type=job.report_type,
            what="poll",
            status=ReportStatus.SUCCEEDED,
            raw_status=REDIRECT_STATUS,
            extra=extra,
            job_id=job.job_id,
        )

    def _keep_files_url(self, job: ReportJob, files: str, extra: dict[str, str]) -> None:
        """Keep a files URL other than the documented one, if a reference may hold it."""
        kept = storable_files_url(self.http, files)
        if kept is not None and kept != self.files.default_url(job):
            extra[FILES_KEY] = kept  # references stay short: the documented path is implied
        else:
            extra.pop(FILES_KEY, None)

    def cancel(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("DELETE", job_path(job), what="cancel")
        if resp.status in (200, 202, 204):
            try:
                return self.refresh(job)
            except NotFoundError:  # the vendor may drop a cancelled job altogether
                return attrs.evolve(job, status=ReportStatus.CANCELLED, provider_status="canceled")
        if resp.status in (405, 501):
            raise UnsupportedOperationError(
                PROVIDER, "cancel", f"this account's API refused DELETE (HTTP {resp.status})"
            )
        error = vendor_error(resp, "cancel")
        if isinstance(error, PermissionDeniedError):
            # The legacy API answered 403 once a job had finished: cancel came too late.
            seen = self.refresh(job)
            if seen.is_terminal:
                return seen
        raise error

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        made = job.extra.get("format")
        if made and format.lower() != made:
            raise ValidationError(
                f"{PROVIDER} job {job.job_id} was run with format {made!r}; its file exists "
                f"only in that format (run the report again with format={format!r})",
                provider=PROVIDER,
                field="format",
            )
        return self.files.open(job, format)

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        check_list_filters(PROVIDER, filters, LIST_FILTERS, items="jobs")
        types = self._list_types(filters.get("report_type"))
        status = filters.get("state") or filters.get("status")
        wanted = str(status).lower() if status else None
        # Explore lists per report type; merge the newest-first pages of each type.
        merged = heapq.merge(
            *(self._listing(t) for t in types),
            key=lambda j: j.created_at or _OLDEST,
            reverse=True,
        )
        seen = 0
        for job in merged:
            if wanted and wanted not in (job.status.value, (job.provider_status or "").lower()):
                continue
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield job

    def _list_types(self, value: Any) -> list[str]:
        known = self.report_types
        if value is None:
            return known
        names = [value] if isinstance(value, str) else list(value)
        wrong = [n for n in names if n not in known]
        if wrong:
            raise ValidationError(
                f"{PROVIDER} has no report type {', '.join(map(str, wrong))}; accepted: "
                f"{accepted(known)}",
                provider=PROVIDER,
                field="report_type",
            )
        return names

    def refresh_many(self, jobs: Sequence[ReportJob]) -> dict[str, ReportJob]:
        """One listing per report type answers for every job of that type, newest first."""
        found: dict[str, ReportJob] = {}
        by_type: dict[str, dict[str, ReportJob]] = {}
        for job in jobs:
            by_type.setdefault(job.report_type, {})[job.job_id] = job
        for report_type, wanted in by_type.items():
            oldest = min((j.created_at for j in wanted.values() if j.created_at), default=None)
            size = min(1000, max(self.settings.list_page_size, len(wanted)))
            most = len(wanted) // size + 2  # pages to read when creation times are unknown
            for item, page, url in self._items(report_type, size):
                body = job_object(item, "list jobs")  # others' jobs are only looked at
                job = wanted.pop(str(body["id"]), None)  # only ids we asked for can match
                if job is not None:
                    found[job.job_id] = self._listed(job, report_type, item, url)
                created = parse_timestamp(body.get("created_at"))
                older = oldest is not None and created is not None and created < oldest
                if not wanted or older or (oldest is None and page > most):
                    break
        return found

    def _listed(self, job: ReportJob, report_type: str, item: Any, url: str) -> ReportJob:
        """A listed job as :meth:`refresh` would give it (the files link kept likewise)."""
        listed = to_job(item, profile=self.profile, report_type=report_type, what="poll")
        extra = dict(job.extra)
        href = _link(item, "files")
        if listed.status is ReportStatus.SUCCEEDED and href:
            self._keep_files_url(job, urljoin(url, href), extra)
        return attrs.evolve(listed, extra={**extra, **listed.extra})

    def _listing(self, report_type: str) -> Iterator[ReportJob]:
        for item, _page, _url in self._items(report_type, self.settings.list_page_size):
            yield to_job(item, profile=self.profile, report_type=report_type, what="list jobs")

    def _items(self, report_type: str, size: int) -> Iterator[tuple[Any, int, str]]:
        """Raw jobs of one type, newest first, with their page's number and URL."""
        page = 1
        url: str | None = self.http.url(jobs_path(report_type), {"page": 1, "per_page": size})
        while url:
            resp = self.http.request("GET", url, what="list jobs")
            if resp.status != 200:
                raise vendor_error(resp, "list jobs")
            body = resp.json(what="list jobs")
            items = _embedded_jobs(body)
            for item in items:
                yield item, page, resp.url
            url = None
            href = _link(body, "next")
            total = body.get("total") if isinstance(body, Mapping) else None
            if href and self.http.same_origin(urljoin(resp.url, href)):
                url = urljoin(resp.url, href)
            elif items and isinstance(total, int) and page * size < total:
                url = self.http.url(jobs_path(report_type), {"page": page + 1, "per_page": size})
            page += 1


def _link(body: Any, name: str) -> str | None:
    links = body.get("_links") if isinstance(body, Mapping) else None
    link = links.get(name) if isinstance(links, Mapping) else None
    href = link.get("href") if isinstance(link, Mapping) else None
    return href if isinstance(href, str) and href else None


def _embedded_jobs(body: Any) -> list[Any]:
    if isinstance(body, Mapping):
        embedded = body.get("_embedded")
        jobs = embedded.get("jobs") if isinstance(embedded, Mapping) else body.get("jobs")
        if isinstance(jobs, list):
            return jobs
    raise ProviderProtocolError(
        f"{PROVIDER} list jobs: the page holds no _embedded.jobs list", provider=PROVIDER
    )
