"""A test-only vendor whose query results come in pages ("pagey"): simulator and provider.

Shaped like Salesforce Bulk API 2.0 query results: ``POST /queries`` starts a query,
``GET /queries/{id}`` says where it stands, and ``GET /queries/{id}/results`` returns
the first page of rows with a ``Pagey-Locator`` header naming the next page
(``?locator=…``), or ``null`` after the last one. Nothing says how many pages there are
before the last one is read, and pages do not support Range (switch ``ranges``): a cut
page is fetched again, alone.

The provider learns each next page while fetching the page before
(:attr:`FileStream.next_part`), which is what the core follows, journals and resumes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from reportbridge import Capabilities, ReportJob, ReportStatus, ReportTypeSpec, ResultPart
from reportbridge.errors import ProviderProtocolError, RejectedRequestError
from reportbridge.hookspecs import hookimpl
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route

LOCATOR = "Pagey-Locator"
_LOCATOR_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class PageySimulator(Simulator):
    name = "pagey"

    def __init__(
        self,
        *,
        job_seconds: float = 0.3,
        file_size: int = 3000,
        pages: int = 4,
        ranges: bool = False,
        loop: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.job_seconds = job_seconds
        self.file_size = file_size  # bytes of each page
        self.pages = pages
        self.ranges = ranges
        self.loop = loop  # the last page points back at page 2: a vendor bug
        self.queries: dict[str, float] = {}
        #: the page each results request asked for, in order
        self.pages_served: list[int] = []
        self._ids = itertools.count(1)
        self._pages_lock = threading.Lock()

    fault_paths = {
        "submit": ("POST", "^/queries$", "api"),
        "poll": ("GET", "^/queries/[^/]+$", "api"),
        "download": ("GET", "^/queries/[^/]+/results$", "api"),
    }

    def locator(self, query_id: str, page: int) -> str:
        """An opaque token for a page (as vendors make them: nothing to count on)."""
        return hashlib.sha256(f"{query_id}:{page}".encode()).hexdigest()[:20]

    def page_file(self, query_id: str, page: int) -> SyntheticFile:
        return SyntheticFile(self.file_size + page, seed=f"{query_id}#{page}", header=b"Id,Name\n")

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        return self.page_file(job_id, int(part or "1")).sha256

    def jobs_created(self) -> int:
        return len(self.queries)

    @route("POST", "/queries")
    def create(self, req: Request) -> Response:
        with self._pages_lock:
            query_id = f"q{next(self._ids):05d}"
            self.queries[query_id] = time.monotonic()
        return Response.json({"id": query_id, "state": "UploadComplete"})

    @route("GET", "/queries/(?P<query_id>[^/]+)")
    def get(self, req: Request, query_id: str) -> Response:
        created = self.queries.get(query_id)
        if created is None:
            return Response.json({"error": "no such query"}, 404)
        done = time.monotonic() - created >= self.job_seconds
        return Response.json({"id": query_id, "state": "JobComplete" if done else "InProgress"})

    @route("GET", "/queries/(?P<query_id>[^/]+)/results")
    def results(self, req: Request, query_id: str) -> Response:
        if query_id not in self.queries:
            return Response.json({"error": "no such query"}, 404)
        wanted = req.arg("locator")
        pages = {self.locator(query_id, n): n for n in range(2, self.pages + 1)}
        page = 1 if not wanted else pages.get(wanted)
        if page is None:
            return Response.json({"error": "bad locator"}, 400)
        with self._pages_lock:
            self.pages_served.append(page)
        following = page + 1 if page < self.pages else (2 if self.loop else None)
        header = self.locator(query_id, following) if following else "null"
        return Response.file(
            req,
            self.page_file(query_id, page),
            content_type="text/csv",
            ranges=self.ranges,
            headers={LOCATOR: header},
        )


@attrs.frozen
class PageySettings:
    base_url: str


class PageyProvider(Provider):
    name = "pagey"
    display_name = "Paged query results (tests only)"
    settings_type = PageySettings

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=(ReportTypeSpec("QUERY", "rows of a query", formats=("csv",)),),
            formats=("csv",),
            parts="paged",
        )

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return PageySession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        return PageySimulator(**options)


class PageySession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        self.http = ctx.http(ctx.settings.base_url, provider="pagey")

    def _job(self, job_id: str, report_type: str, body: Mapping[str, Any]) -> ReportJob:
        raw = body.get("state")
        states = {"UploadComplete": ReportStatus.PENDING, "InProgress": ReportStatus.RUNNING}
        status = ReportStatus.SUCCEEDED if raw == "JobComplete" else states.get(str(raw))
        if status is None:
            raise ProviderProtocolError(f"pagey: unknown state {raw!r}", provider="pagey")
        return ReportJob(
            provider="pagey",
            profile=self.profile,
            job_id=job_id,
            report_type=report_type,
            status=status,
            provider_status=str(raw),
            formats=("csv",),
        )

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        resp = self.http.request("POST", "queries", json={"query": report_type})
        return self._job(
            resp.json(what="start query")["id"], report_type, {"state": "UploadComplete"}
        )

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("GET", f"queries/{job.job_id}", what="poll")
        return self._job(job.job_id, job.report_type, resp.json(what="poll"))

    def parts(self, job: ReportJob, format: str) -> Sequence[ResultPart]:
        # Only the first page is known before reading: the rest are learned page by page.
        return [ResultPart("1", "csv", state="available" if job.is_fetchable else "pending")]

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        params = {"locator": part.cursor} if part.cursor else None
        resp = self.http.request(
            "GET", f"queries/{job.job_id}/results", params=params, stream=True, what="fetch page"
        )
        if resp.status != 200:
            resp.data  # noqa: B018 - read the error body before closing
            resp.close()
            raise RejectedRequestError(
                f"pagey page {part.id} failed (HTTP {resp.status})",
                provider="pagey",
                status_code=resp.status,
            )
        stream = FileStream(resp, format="csv")
        locator = (resp.header(LOCATOR) or "").strip()
        if locator and locator != "null":
            if not _LOCATOR_SHAPE.fullmatch(locator):
                resp.close()
                raise ProviderProtocolError("pagey: malformed locator header", provider="pagey")
            stream.next_part = ResultPart(str(int(part.id) + 1), "csv", cursor=locator)
        return stream


class PageyPlugin:
    def __init__(self) -> None:
        self.provider = PageyProvider()

    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(self.provider)
