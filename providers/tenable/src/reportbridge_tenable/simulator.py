"""An offline Tenable Vulnerability Management: the vulns and assets export endpoints.

Paths, bodies, statuses, chunk behaviour, errors and limits follow Tenable's developer
portal (see docs/providers/tenable.md, where each fact is marked confirmed or
inferred). What the vendor leaves open is a keyword switch; the defaults are the
documented behaviour, or the cautious reading where there is none.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from typing import Any

from reportbridge.testing import Request, Response, Simulator, route
from reportbridge_tenable.params import (
    CHUNK_SIZE,
    NOT_WITH_SINCE,
    NUM_ASSETS,
    RESOURCE_TAGS_CHUNK_SIZE,
)
from reportbridge_tenable.sim_chunks import ChunkFile, seeded_uuid
from reportbridge_tenable.sim_exports import ACTIVE, SimExport, Timeline

_KIND = r"(?P<kind>vulns|assets)"
_UUID = r"(?P<export_uuid>[^/]+)"
_KEYS = re.compile(r"\s*accessKey=([^;]*);\s*secretKey=([^;]*);?\s*")
#: what Tenable's gateway answers a 429 with (an nginx page, not JSON)
TOO_MANY = (
    b"<html>\n<head><title>429 Too Many Requests</title></head>\n<body>\n"
    b"<center><h1>429 Too Many Requests</h1></center>\n<hr><center>nginx</center>\n"
    b"</body>\n</html>\n"
)
CONTENT_TYPES = {"vulns": "application/octet-stream", "assets": "application/json"}
DAY = 86400.0


class TenableSimulator(Simulator):
    name = "tenable"
    origins = ("api",)

    def __init__(
        self,
        *,
        job_seconds: float = 1.0,
        file_size: int = 16 * 1024,
        chunks: int = 3,
        queued_share: float = 0.2,
        out_of_order: bool = True,
        failed_chunks: tuple[int, ...] = (),
        cancel_after_failure: bool = True,
        empty_chunks: tuple[int, ...] = (),
        outcome: str = "FINISHED",
        concurrent_exports: int = 2,
        concurrency_retry_after: str = "30",
        rate_limit: int | None = None,
        retry_after: str = "30",
        duplicates: str = "conflict",
        ranges: bool = False,
        content_length: bool = True,
        garbled_chunks: int = 0,
        minimal_status: bool = False,
        chunk_ttl: float = DAY,
        cancelled_chunk_ttl: float = 3 * DAY,
        export_ttl: float | None = None,
        export_permission: tuple[str, ...] = ("vulns", "assets"),
        seed: str = "tenable-sim",
        forced_job_id: str | None = None,
        access_key: str = "a1" * 32,
        secret_key: str = "5ec7" * 16,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if outcome not in ("FINISHED", "ERROR"):
            raise ValueError("outcome must be FINISHED or ERROR")
        if duplicates not in ("conflict", "allow", "replace"):
            raise ValueError("duplicates must be conflict, allow or replace")
        if chunks < 1 or not set(failed_chunks) | set(empty_chunks) <= set(range(1, chunks + 1)):
            raise ValueError("chunks must be >= 1 and failed/empty chunks among 1..chunks")
        self.job_seconds = job_seconds
        self.file_size = file_size
        self.chunks = chunks
        self.queued_share = queued_share
        self.out_of_order = out_of_order
        self.failed_chunks = frozenset(failed_chunks)
        self.cancel_after_failure = cancel_after_failure
        self.empty_chunks = frozenset(empty_chunks)
        self.outcome = outcome
        self.concurrent_exports = concurrent_exports
        self.concurrency_retry_after = concurrency_retry_after
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.duplicates = duplicates
        self.ranges = ranges
        self.content_length = content_length
        self.garbled_chunks = garbled_chunks
        self.minimal_status = minimal_status
        self.chunk_ttl = chunk_ttl
        self.cancelled_chunk_ttl = cancelled_chunk_ttl
        self.export_ttl = export_ttl
        self.export_permission = tuple(export_permission)
        self.seed = seed
        self.forced_job_id = forced_job_id
        self.access_key = access_key
        self.secret_key = secret_key
        self.exports: dict[str, SimExport] = {}
        #: ("status", uuid, STATUS) and ("chunk", uuid, id) in the order they were answered
        self.events: list[tuple[str, str, str]] = []
        self._seq = itertools.count()
        self._recent: deque[float] = deque()
        self._state_lock = threading.Lock()

    # -- helpers for users and tests ----------------------------------------------------
    def profile_settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }

    fault_paths = {
        "submit": ("POST", r"^/(vulns|assets)/export$", "api"),
        "poll": ("GET", r"^/(vulns|assets)/export/[^/]+/status$", "api"),
        "download": ("GET", r"^/(vulns|assets)/export/[^/]+/chunks/[0-9]+$", "api"),
    }

    def jobs_created(self) -> int:
        return len(self.exports)

    def chunk_file(self, export_uuid: str, chunk: int | str) -> ChunkFile:
        export = self.exports[export_uuid]
        n = int(chunk)
        return ChunkFile(
            self.file_size,
            seed=f"{export_uuid}:{n}",
            kind=export.kind,
            empty=n in export.timeline.empty,
        )

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        if part is None:
            if self.chunks != 1:
                raise ValueError(f"export {job_id} has {self.chunks} chunks: name the part")
            part = "1"
        return self.chunk_file(job_id, part).sha256

    def secrets(self) -> list[str]:
        return [self.access_key, self.secret_key]

    def unknown_status_body(self) -> bytes:
        return (
            b'{"uuid": "00000000-0000-4000-8000-000000000000", "status": "ARCHIVED", '
            b'"chunks_available": [], "chunks_failed": [], "chunks_cancelled": []}'
        )

    def error(self, status: int, message: str, request: Request) -> Response:
        return self.vendor_error(status, message)

    @staticmethod
    def vendor_error(status: int, message: str) -> Response:
        names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
        body = {"statusCode": status, "error": names.get(status, "Error"), "message": message}
        return Response.json(body, status)

    def _note(self, kind: str, export_uuid: str, detail: str) -> None:
        with self._state_lock:
            self.events.append((kind, export_uuid, detail))

    # -- gate: keys, rate, permission -------------------------------------------------------
    def _denied(self, req: Request, kind: str | None = None) -> Response | None:
        m = _KEYS.fullmatch(req.header("X-ApiKeys") or "")
        if m is None or (m.group(1), m.group(2)) != (self.access_key, self.secret_key):
            return self.vendor_error(401, "Invalid credentials.")
        if self.rate_limit is not None:
            now = time.monotonic()
            with self._state_lock:
                while self._recent and now - self._recent[0] >= 60.0:
                    self._recent.popleft()
                if len(self._recent) >= self.rate_limit:
                    return _too_many(self.retry_after)
                self._recent.append(now)
        if kind is not None and kind not in self.export_permission:
            return self.vendor_error(403, f"You do not have permission to export {kind}.")
        return None

    def _find(self, kind: str, export_uuid: str, now: float) -> SimExport | None:
        export = self.exports.get(export_uuid)
        if export is None or export.kind != kind:
            return None
        ended = export.created + export.timeline.finish
        if self.export_ttl is not None and now >= ended + self.export_ttl:
            return None
        return export

    # -- endpoints --------------------------------------------------------------------------
    @route("POST", rf"/{_KIND}/export")
    def request_export(self, req: Request, kind: str) -> Response:
        if (denied := self._denied(req, kind)) is not None:
            return denied
        try:
            body = check_body(kind, req.json())
        except ValueError as exc:
            return self.vendor_error(400, str(exc))
        now = time.monotonic()
        with self._state_lock:
            active = [
                e for e in self.exports.values() if e.kind == kind and e.status(now) in ACTIVE
            ]
            same = next((e for e in active if e.body == body), None)
            if same is not None and self.duplicates == "conflict":
                reason = (
                    "The request could not be completed due to a conflict with the ongoing export"
                )
                return Response.json({"active_job_id": same.uuid, "failure_reason": reason}, 409)
            if same is not None and self.duplicates == "replace":
                same.cancelled_at = now
                active.remove(same)
            if len(active) >= self.concurrent_exports:
                return _too_many(self.concurrency_retry_after)
            seq = next(self._seq)
            # forced_job_id: every export gets that id (hostile-answer tests)
            export_uuid = self.forced_job_id or seeded_uuid(self.seed, seq)
            self.exports[export_uuid] = SimExport(
                uuid=export_uuid,
                kind=kind,
                body=body,
                created=now,
                created_ms=int(time.time() * 1000),
                timeline=Timeline.plan(
                    job_seconds=self.job_seconds,
                    chunks=self.chunks,
                    queued_share=self.queued_share,
                    out_of_order=self.out_of_order,
                    failed=self.failed_chunks,
                    cancel_after_failure=self.cancel_after_failure,
                    outcome=self.outcome,
                    seed=export_uuid,
                    empty=self.empty_chunks,
                ),
                seq=seq,
            )
        return Response.json({"export_uuid": export_uuid})

    @route("GET", rf"/{_KIND}/export/status")
    def list_exports(self, req: Request, kind: str) -> Response:
        if (denied := self._denied(req, kind)) is not None:
            return denied
        now = time.monotonic()
        mine = sorted(
            (e for e in self.exports.values() if self._find(kind, e.uuid, now) is not None),
            key=lambda e: -e.seq,
        )
        return Response.json({"exports": [e.summary(now) for e in mine[:1000]]})

    @route("GET", rf"/{_KIND}/export/{_UUID}/status")
    def export_status(self, req: Request, kind: str, export_uuid: str) -> Response:
        if (denied := self._denied(req, kind)) is not None:
            return denied
        now = time.monotonic()
        export = self._find(kind, export_uuid, now)
        if export is None:
            return self.vendor_error(404, f"Export {export_uuid} not found.")
        view = export.view(now, minimal=self.minimal_status)
        self._note("status", export_uuid, view["status"])
        return Response.json(view)

    @route("POST", rf"/{_KIND}/export/{_UUID}/cancel")
    def cancel_export(self, req: Request, kind: str, export_uuid: str) -> Response:
        if (denied := self._denied(req, kind)) is not None:
            return denied
        now = time.monotonic()
        with self._state_lock:
            export = self._find(kind, export_uuid, now)
            if export is None:
                return Response.json(
                    {"status": 404, "message": f"Job with UUID: {export_uuid} not found"}, 404
                )
            if export.status(now) not in ACTIVE:
                return Response.json(
                    {"status": 400, "message": "Cannot cancel a completed job"}, 400
                )
            export.cancelled_at = now
        return Response.json({"status": "CANCELLED"})

    @route("GET", rf"/{_KIND}/export/{_UUID}/chunks/(?P<chunk>[^/]+)")
    def download_chunk(self, req: Request, kind: str, export_uuid: str, chunk: str) -> Response:
        if (denied := self._denied(req, kind)) is not None:
            return denied
        now = time.monotonic()
        export = self._find(kind, export_uuid, now)
        if export is None or not chunk.isdigit() or int(chunk) not in export.timeline.done_at:
            return self.vendor_error(404, "Chunk not found.")
        ready = export.chunk_done_at(int(chunk))
        available, _, _ = export.chunk_lists(now)
        if ready is None or int(chunk) not in available:
            return self.vendor_error(400, f"Chunk {chunk} is not ready for download.")
        ttl = self.cancelled_chunk_ttl if export.cancelled_at is not None else self.chunk_ttl
        if now >= ready + ttl:
            return self.vendor_error(404, "Chunk has expired.")
        self._note("chunk", export_uuid, chunk)
        content = self.chunk_file(export_uuid, chunk)
        with self._state_lock:
            garble = self.garbled_chunks > 0
            self.garbled_chunks -= garble
        if garble:  # a 200 whose JSON stops short, with a length that matches it
            cut = content.read_all()[: max(1, content.size // 2)]
            return Response(200, {"Content-Type": CONTENT_TYPES[kind]}, cut)
        resp = Response.file(req, content, content_type=CONTENT_TYPES[kind], ranges=self.ranges)
        if not self.content_length and resp.status == 200:
            resp.length = None  # sent with chunked transfer coding, as the vendor's gateway may
        return resp


def _too_many(retry_after: str) -> Response:
    return Response(429, {"Content-Type": "text/html", "Retry-After": retry_after}, TOO_MANY)


def check_body(kind: str, body: Any) -> dict[str, Any]:
    """The vendor's checks on an export request; returns the request as it is kept (what
    two requests must share to be duplicates). Raises ValueError for a 400."""
    if not isinstance(body, dict):
        raise ValueError("The request body must be a JSON object.")
    filters = body.get("filters", {})
    if not isinstance(filters, dict):
        raise ValueError("filters must be an object.")
    if kind == "vulns":
        unknown = set(body) - {
            "num_assets",
            "include_unlicensed",
            "include_software_vulns",
            "filters",
        }
        if unknown:
            raise ValueError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
        low, high = NUM_ASSETS
        num = body.get("num_assets", low)
        if type(num) is not int:
            raise ValueError("num_assets must be an integer.")
        body = {**body, "num_assets": min(high, max(low, num))}  # the vendor clamps
        if "since" in filters and any(f in filters for f in NOT_WITH_SINCE):
            raise ValueError("since cannot be used with first_found, last_found or last_fixed.")
        return body
    unknown = set(body) - {"chunk_size", "include_open_ports", "include_resource_tags", "filters"}
    if unknown:
        raise ValueError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    size = body.get("chunk_size")
    low, high = CHUNK_SIZE
    if type(size) is not int or not low <= size <= high:
        raise ValueError(f"chunk_size is required and must be between {low} and {high}.")
    if body.get("include_resource_tags") and size > RESOURCE_TAGS_CHUNK_SIZE:
        raise ValueError("chunk_size must be 1000 or less with include_resource_tags.")
    return body
