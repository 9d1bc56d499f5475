"""A test-only vendor whose exports come in chunks ("chunky"): a simulator and a provider.

Shaped like the export APIs of vulnerability scanners: ``POST /exports`` starts an
export, ``GET /exports/{id}/status`` lists the chunks ready so far (they appear while
the export is PROCESSING) and, once it is FINISHED, the chunks that failed;
``GET /exports/{id}/chunks/{n}`` downloads one chunk (Range supported). It proves the
core's handling of chunked results: early fetch, per-chunk resume, partial success.

Switches: ``chunks`` (how many), ``failed`` (chunk numbers that fail), ``release``:
``"time"`` (chunk k is ready at k/(n+1) of ``job_seconds``) or ``"downloads"`` (chunk
k+1 is ready only once chunk k was downloaded, and the export finishes only when every
good chunk was: a client that does not fetch while the export runs never sees it end).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from reportbridge import Capabilities, ReportJob, ReportStatus, ReportTypeSpec, ResultPart
from reportbridge.errors import NotFoundError, ProviderProtocolError, RejectedRequestError
from reportbridge.hookspecs import hookimpl
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route
from reportbridge.transport import HttpResponse


class ChunkySimulator(Simulator):
    name = "chunky"

    def __init__(
        self,
        *,
        job_seconds: float = 0.4,
        file_size: int = 4096,
        chunks: int = 3,
        failed: tuple[int, ...] = (),
        release: str = "time",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.job_seconds = job_seconds
        self.file_size = file_size
        self.chunks = chunks
        self.failed = set(failed)
        self.release = release
        self.exports: dict[str, dict[str, Any]] = {}
        #: what happened, in order: ("status", state, ready chunks), ("chunk", n), and
        #: whatever a test adds with :meth:`note` (client-side events)
        self.log: list[tuple[Any, ...]] = []
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()

    fault_paths = {
        "submit": ("POST", "^/exports$", "api"),
        "poll": ("GET", "^/exports/[^/]+/status$", "api"),
        "download": ("GET", "^/exports/[^/]+/chunks/", "api"),
    }

    def note(self, *entry: Any) -> None:
        with self._state_lock:
            self.log.append(entry)

    def chunk_file(self, export_id: str, n: int) -> SyntheticFile:
        return SyntheticFile(self.file_size + n, seed=f"{export_id}/{n}", header=b'[{"id":')

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        return self.chunk_file(job_id, int(part or "1")).sha256

    def jobs_created(self) -> int:
        return len(self.exports)

    def _view(self, export: dict[str, Any]) -> dict[str, Any]:
        good = [k for k in range(1, self.chunks + 1) if k not in self.failed]
        if self.release == "time":
            age = time.monotonic() - export["created"]
            step = self.job_seconds / (self.chunks + 1)
            ready = [k for k in good if age >= k * step]
            finished = age >= self.job_seconds
            state = "FINISHED" if finished else ("PROCESSING" if age >= step / 2 else "QUEUED")
        else:
            ready = []
            for k in good:
                ready.append(k)
                if k not in export["served"]:
                    break
            finished = set(good) <= export["served"]
            state = "FINISHED" if finished else "PROCESSING"
        if export["cancelled"]:
            state = "CANCELLED"
        failed = sorted(self.failed) if state == "FINISHED" else []
        return {"status": state, "chunks_available": ready, "chunks_failed": failed}

    @route("POST", "/exports")
    def create(self, req: Request) -> Response:
        with self._state_lock:
            export_id = f"exp{next(self._ids):04d}"
            self.exports[export_id] = {
                "created": time.monotonic(),
                "served": set(),
                "cancelled": False,
            }
        return Response.json({"export_uuid": export_id})

    @route("GET", "/exports/(?P<export_id>[^/]+)/status")
    def status(self, req: Request, export_id: str) -> Response:
        export = self.exports.get(export_id)
        if export is None:
            return Response.json({"error": "no such export"}, 404)
        with self._state_lock:
            view = self._view(export)
            self.log.append(("status", view["status"], tuple(view["chunks_available"])))
        return Response.json(view)

    @route("GET", "/exports")
    def listing(self, req: Request) -> Response:
        with self._state_lock:
            views = [{"uuid": i, **self._view(e)} for i, e in self.exports.items()]
            self.log.extend(("status", v["status"], tuple(v["chunks_available"])) for v in views)
        return Response.json({"exports": views})

    @route("POST", "/exports/(?P<export_id>[^/]+)/cancel")
    def cancel(self, req: Request, export_id: str) -> Response:
        export = self.exports.get(export_id)
        if export is None:
            return Response.json({"error": "no such export"}, 404)
        export["cancelled"] = True
        return Response.json(self._view(export))

    @route("GET", "/exports/(?P<export_id>[^/]+)/chunks/(?P<n>[0-9]+)")
    def chunk(self, req: Request, export_id: str, n: str) -> Response:
        export = self.exports.get(export_id)
        if export is None:
            return Response.json({"error": "no such export"}, 404)
        if int(n) not in self._view(export)["chunks_available"]:
            return Response.json({"error": f"chunk {n} is not ready"}, 404)
        with self._state_lock:
            export["served"].add(int(n))
            self.log.append(("chunk", int(n)))
        return Response.file(
            req, self.chunk_file(export_id, int(n)), content_type="application/json"
        )


STATES = {
    "QUEUED": ReportStatus.PENDING,
    "PROCESSING": ReportStatus.RUNNING,
    "FINISHED": ReportStatus.SUCCEEDED,
    "CANCELLED": ReportStatus.CANCELLED,
    "ERROR": ReportStatus.FAILED,
}


@attrs.frozen
class ChunkySettings:
    base_url: str
    listing: bool = False  # poll every export of a batch with one listing request


class ChunkyProvider(Provider):
    name = "chunky"
    display_name = "Chunked exports (tests only)"
    settings_type = ChunkySettings

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=(ReportTypeSpec("VULNS", "findings", formats=("json",)),),
            formats=("json",),
            cancel=True,
            parts="chunked",
        )

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return ChunkySession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        return ChunkySimulator(**options)


class ChunkySession(ProviderSession):
    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        super().__init__(provider, ctx)
        self.http = ctx.http(ctx.settings.base_url, provider="chunky")

    def _json(self, resp: HttpResponse, what: str) -> Any:
        if resp.status == 404:
            raise NotFoundError(f"chunky {what}: not found", provider="chunky", status_code=404)
        if resp.status >= 300:
            raise RejectedRequestError(
                f"chunky {what} failed (HTTP {resp.status})",
                provider="chunky",
                status_code=resp.status,
            )
        return resp.json(what=what)

    def _job(self, job_id: str, report_type: str, body: Mapping[str, Any]) -> ReportJob:
        raw = body.get("status")
        if raw not in STATES:
            raise ProviderProtocolError(f"chunky: unknown status {raw!r}", provider="chunky")
        failed = [int(n) for n in body.get("chunks_failed", [])]
        status = STATES[raw]
        if status is ReportStatus.SUCCEEDED and failed:
            status = ReportStatus.PARTIAL
        parts = [ResultPart(str(int(n)), "json") for n in body.get("chunks_available", [])]
        parts += [
            ResultPart(str(n), "json", state="failed", error=f"chunk {n} failed at the vendor")
            for n in failed
        ]
        return ReportJob(
            provider="chunky",
            profile=self.profile,
            job_id=job_id,
            report_type=report_type,
            status=status,
            provider_status=raw,
            formats=("json",),
            parts=parts,
        )

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        body = self._json(self.http.request("POST", "exports", json={}), "start export")
        return ReportJob(
            provider="chunky",
            profile=self.profile,
            job_id=body["export_uuid"],
            report_type=report_type,
            formats=("json",),
        )

    def refresh(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("GET", f"exports/{job.job_id}/status", what="poll")
        return self._job(job.job_id, job.report_type, self._json(resp, "poll"))

    def refresh_many(self, jobs: Sequence[ReportJob]) -> Mapping[str, ReportJob] | None:
        if not self.ctx.settings.listing:
            return None
        body = self._json(self.http.request("GET", "exports", what="list"), "list")
        types = {j.job_id: j.report_type for j in jobs}
        return {
            e["uuid"]: self._job(e["uuid"], types[e["uuid"]], e)
            for e in body["exports"]
            if e["uuid"] in types
        }

    def cancel(self, job: ReportJob) -> ReportJob:
        resp = self.http.request("POST", f"exports/{job.job_id}/cancel", what="cancel")
        return self._job(job.job_id, job.report_type, self._json(resp, "cancel"))

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        def request(offset: int = 0) -> HttpResponse:
            headers = {"Range": f"bytes={offset}-"} if offset else None
            return self.http.request(
                "GET",
                f"exports/{job.job_id}/chunks/{int(part.id)}",
                headers=headers,
                stream=True,
                what="fetch chunk",
            )

        resp = request()
        if resp.status != 200:
            resp.data  # noqa: B018 - read the error body before closing
            resp.close()
            self._json(resp, f"fetch chunk {part.id}")
        return FileStream(resp, format="json", reopen=request)


class ChunkyPlugin:
    def __init__(self) -> None:
        self.provider = ChunkyProvider()

    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(self.provider)
