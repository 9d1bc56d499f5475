"""An offline Acme Audit Cloud: the exports API on 127.0.0.1, for tests, the demo and you.

Start it with ``reportbridge simulate`` or ``with AcmeSimulator() as sim:``; its
``profile_settings()`` is a profile that reaches it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import threading
import time
from typing import Any

from reportbridge import ReportStatus
from reportbridge.testing import Request, Response, Simulator, route
from reportbridge_acme.reports import FORMATS, REPORT_TYPES
from reportbridge_acme.sim_exports import ACTIVE, ChunkBody, SimExport, chunk_body
from reportbridge_acme.status import VOCABULARY

_ID = r"(?P<export_id>[^/]+)"
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
#: about how long a row is: ``file_size`` bytes of chunk hold this many fewer rows
ROW_BYTES = 80


class AcmeSimulator(Simulator):
    """An Acme account. Options:

    - ``job_seconds``: how long an export builds (its chunks appear one by one);
    - ``file_size``: about how many bytes each chunk holds;
    - ``chunks``: chunks per export; ``failed_chunks``: the numbers that fail (the export
      then ends ``ready_with_errors``); ``outcome``: ``"ready"`` or ``"failed"``;
    - ``max_active``: unfinished exports allowed; one more is a 429 with Retry-After;
    - ``api_key`` and ``pin``: the credentials it accepts.
    """

    name = "acme"

    def __init__(
        self,
        *,
        job_seconds: float = 1.0,
        file_size: int = 8192,
        chunks: int = 3,
        failed_chunks: tuple[int, ...] = (),
        outcome: str = "ready",
        max_active: int = 3,
        api_key: str = "ak_live_7f3e9c2a51d84b06",
        pin: str = "48217093",
        seed: str = "acme-sim",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if outcome not in ("ready", "failed"):
            raise ValueError("outcome must be ready or failed")
        if chunks < 1 or not set(failed_chunks) <= set(range(1, chunks + 1)):
            raise ValueError("chunks must be >= 1 and failed_chunks among 1..chunks")
        self.job_seconds = job_seconds
        self.file_size = file_size
        self.chunks = chunks
        self.failed_chunks = frozenset(failed_chunks)
        self.outcome = outcome
        self.max_active = max_active
        self.api_key = api_key
        self.pin = pin
        self.seed = seed
        self.exports: dict[str, SimExport] = {}
        self._seq = itertools.count()
        self._bodies: dict[tuple[str, int, str], ChunkBody] = {}
        self._state_lock = threading.Lock()

    # -- what tests, the contract and `reportbridge simulate` ask of a simulator -------------
    def profile_settings(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_key": self.api_key, "pin": self.pin}

    fault_paths = {
        "submit": ("POST", r"^/v2/exports$", "api"),
        "poll": ("GET", r"^/v2/exports/[^/]+$", "api"),
        "cancel": ("POST", r"^/v2/exports/[^/]+/cancel$", "api"),
        "download": ("GET", r"^/v2/exports/[^/]+/chunks/", "api"),
    }

    def jobs_created(self) -> int:
        return len(self.exports)

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        if part is None and self.chunks != 1:
            raise ValueError(f"export {job_id} has {self.chunks} chunks: name the part")
        return self.body(job_id, int(part or "1"), format).sha256

    def job_state(self, job_id: str) -> ReportStatus:
        return VOCABULARY[self.exports[job_id].state(time.monotonic())]

    def secrets(self) -> list[str]:
        return [self.api_key, self.pin]

    def unknown_status_body(self) -> bytes:
        export = {"id": "exp_0000000000000000", "report": "users", "state": "archived"}
        return json.dumps({"export": {**export, "chunks": []}}).encode()

    def body(self, export_id: str, n: int, fmt: str) -> ChunkBody:
        key = (export_id, n, fmt)
        with self._state_lock:
            if key not in self._bodies:
                self._bodies[key] = chunk_body(self.exports[export_id], n, fmt)
            return self._bodies[key]

    def error(self, status: int, message: str, request: Request) -> Response:
        return self.vendor_error(status, "not_found" if status == 404 else "invalid", message)

    @staticmethod
    def vendor_error(
        status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        return Response.json({"error": {"code": code, "message": message}}, status, headers)

    # -- the API -------------------------------------------------------------------------------
    def _refused(self, req: Request) -> Response | None:
        if req.header("X-Acme-Key") != self.api_key or req.header("X-Acme-Pin") != self.pin:
            return self.vendor_error(401, "unauthorized", "API key or PIN refused")
        return None

    @route("POST", r"/v2/exports")
    def create(self, req: Request) -> Response:
        if (refused := self._refused(req)) is not None:
            return refused
        try:
            report, filters = _checked(req.json())
        except ValueError as exc:
            return self.vendor_error(400, "invalid_request", str(exc))
        now = time.monotonic()
        with self._state_lock:
            active = sum(1 for e in self.exports.values() if e.state(now) in ACTIVE)
            if active >= self.max_active:
                return self.vendor_error(
                    429,
                    "too_many_exports",
                    f"{self.max_active} exports are unfinished; wait for one",
                    {"Retry-After": "5"},
                )
            seq = next(self._seq)
            export_id = "exp_" + hashlib.sha256(f"{self.seed}:{seq}".encode()).hexdigest()[:16]
            self.exports[export_id] = SimExport(
                id=export_id,
                report=report,
                filters=filters,
                seq=seq,
                created=now,
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                job_seconds=self.job_seconds,
                chunks=self.chunks,
                failed=self.failed_chunks,
                outcome=self.outcome,
                rows=max(1, self.file_size // ROW_BYTES),
            )
            view = self.exports[export_id].view(now)
        return Response.json({"export": view}, 201)

    @route("GET", r"/v2/exports")
    def listing(self, req: Request) -> Response:
        if (refused := self._refused(req)) is not None:
            return refused
        try:
            limit = int(req.arg("limit", "50") or 50)
            offset = int((req.arg("cursor") or "c0").removeprefix("c"))
        except ValueError:
            return self.vendor_error(400, "invalid_request", "limit and cursor are numbers")
        now = time.monotonic()
        state, report = req.arg("state"), req.arg("report")
        with self._state_lock:
            found = [
                e
                for e in sorted(self.exports.values(), key=lambda e: -e.seq)
                if (state is None or e.state(now) == state) and report in (None, e.report)
            ]
            page = [e.view(now, chunks=False) for e in found[offset : offset + limit]]
        more = offset + limit < len(found)
        return Response.json(
            {"exports": page, "next_cursor": f"c{offset + limit}" if more else None}
        )

    @route("GET", rf"/v2/exports/{_ID}")
    def status(self, req: Request, export_id: str) -> Response:
        if (refused := self._refused(req)) is not None:
            return refused
        export = self.exports.get(export_id)
        if export is None:
            return self.vendor_error(404, "not_found", f"no export {export_id[:40]}")
        return Response.json({"export": export.view(time.monotonic())})

    @route("POST", rf"/v2/exports/{_ID}/cancel")
    def cancel(self, req: Request, export_id: str) -> Response:
        if (refused := self._refused(req)) is not None:
            return refused
        now = time.monotonic()
        with self._state_lock:
            export = self.exports.get(export_id)
            if export is None:
                return self.vendor_error(404, "not_found", f"no export {export_id[:40]}")
            if export.state(now) not in ACTIVE and export.state(now) != "cancelled":
                return self.vendor_error(409, "export_finished", "the export has finished")
            if export.cancelled_at is None:
                export.cancelled_at = now
            view = export.view(now)
        return Response.json({"export": view})

    @route("GET", rf"/v2/exports/{_ID}/chunks/(?P<n>[0-9]+)\.(?P<fmt>[a-z]+)")
    def chunk(self, req: Request, export_id: str, n: str, fmt: str) -> Response:
        if (refused := self._refused(req)) is not None:
            return refused
        export = self.exports.get(export_id)
        if fmt not in FORMATS:
            return self.vendor_error(400, "invalid_request", f"no format {fmt}")
        if export is None or int(n) not in export.made(time.monotonic()):
            return self.vendor_error(404, "not_found", f"chunk {n} is not ready")
        if int(n) in export.failed:
            return self.vendor_error(404, "not_found", f"chunk {n} failed")
        body = self.body(export_id, int(n), fmt)
        return Response.file(req, body, content_type=CONTENT_TYPES[fmt])


def _checked(body: Any) -> tuple[str, dict[str, Any]]:
    """Acme's own checks on an export request (a ValueError is its 400)."""
    if not isinstance(body, dict) or not isinstance(body.get("filters", {}), dict):
        raise ValueError("the body must be an object with a filters object")
    known = {t.name: {p.name for p in t.params} for t in REPORT_TYPES}
    report = body.get("report")
    if report not in known:
        raise ValueError(f"report must be one of {', '.join(sorted(known))}")
    filters = body.get("filters", {})
    unknown = set(filters) - known[report]
    if unknown:
        raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
    rows = body.get("rows_per_chunk", 10_000)
    if type(rows) is not int or not 100 <= rows <= 50_000:
        raise ValueError("rows_per_chunk must be an integer from 100 to 50000")
    return report, filters
