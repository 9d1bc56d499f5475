"""A small threaded HTTP server base for vendor simulators (127.0.0.1 only).

Subclass :class:`Simulator`, decorate handler methods with :func:`route`, and
return :class:`Response` objects. Bodies may be iterables of chunks so that huge
files stream without being held in memory. Routes can live on several origins
(``origin="storage"``): each origin gets its own port, as a vendor's API, token
host and file storage would.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from reportbridge.testing.faults import Fault, FaultPlan
from reportbridge.testing.messages import (
    Handler,
    RecordedRequest,
    Request,
    Response,
    http_date,
    route,
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, cut downloads, TLS refusals) are part of the tests.
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError | ssl.SSLError | ValueError):
            super().handle_error(request, client_address)

    def __init__(self, sim: Simulator, origin: str, ctx: ssl.SSLContext | None) -> None:
        super().__init__((sim.host, 0), _HandlerClass)
        self.sim = sim
        self.origin = origin
        if ctx is not None:
            self.socket = ctx.wrap_socket(self.socket, server_side=True)


class _HandlerClass(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        self.server.sim._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any


class Simulator:
    """Base class of vendor simulators. Start with ``with Sim() as sim:`` or ``start()``."""

    name = "simulator"
    origins: tuple[str, ...] = ("api",)

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        faults: FaultPlan | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.faults = faults or FaultPlan()
        self.ssl_context = ssl_context
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()  # ends trickling and endless fault bodies
        self._routes = self._collect_routes()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> Simulator:
        self._stopping.clear()
        needed = {origin for _, _, origin, _ in self._routes} | set(self.origins)
        for origin in sorted(needed):
            server = _Server(self, origin, self.ssl_context)
            self._servers[origin] = server
            t = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.name}-{origin}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_interrupted(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)

    # -- addresses -------------------------------------------------------------------
    def origin_url(self, origin: str = "api") -> str:
        server = self._servers.get(origin)
        if server is None:
            raise RuntimeError(f"simulator {self.name} is not started or has no origin {origin!r}")
        scheme = "https" if self.ssl_context is not None else "http"
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"{scheme}://{host}:{server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin_url("api")

    def profile_settings(self) -> dict[str, Any]:
        """Settings of a profile that reaches this simulator (override in subclasses)."""
        return {"base_url": self.base_url}

    # -- what a fault-injection run needs to know (override what applies) --------------
    #: kind -> (method, path regex, origin) for "submit", "poll", "download", "token"
    fault_paths: dict[str, tuple[str, str, str]] = {}

    def jobs_created(self) -> int:
        """How many jobs the vendor created (duplicate submissions show up here)."""
        raise NotImplementedError

    def served_sha256(self, job_id: str, format: str, part: str | None = None) -> str:
        """SHA-256 of the file this simulator serves for ``job_id`` in ``format``: the
        result part ``part`` of a result in several parts, else its single file."""
        raise NotImplementedError

    def expire_tokens(self) -> bool:
        """Make every issued access token invalid; False when tokens cannot expire."""
        return False

    def unknown_status_body(self) -> bytes | None:
        """A poll answer carrying a status the vendor never documented, if one can exist."""
        return None

    def secrets(self) -> list[str]:
        """Every credential this simulator issued or accepts (for leak checks)."""
        return []

    # -- inspection ------------------------------------------------------------------
    def count(
        self, method: str | None = None, path: str | None = None, origin: str | None = None
    ) -> int:
        """How many requests matched (``path`` is a regular expression searched in the path)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))
                and (origin is None or r.origin == origin)
            )

    # -- dispatch --------------------------------------------------------------------
    def _collect_routes(self) -> list[tuple[str, re.Pattern[str], str, Handler]]:
        found = []
        for klass in reversed(type(self).__mro__):
            for attr, fn in vars(klass).items():
                for method, pattern, origin in getattr(fn, "_sim_routes", []):
                    found.append((method, pattern, origin, getattr(self, attr)))
        return found

    def handle(self, request: Request) -> Response:
        """Find the route for ``request``; 404/405 when there is none."""
        allowed = []
        for method, pattern, origin, handler in self._routes:
            if origin != request.origin:
                continue
            m = pattern.fullmatch(request.path)
            if m is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            # path parameters arrive percent-decoded, as a web framework hands them over
            return handler(request, **{k: unquote(v) for k, v in m.groupdict().items()})
        if allowed:
            return self.error(405, f"method {request.method} not allowed", request)
        return self.error(404, f"no route for {request.path}", request)

    def error(self, status: int, message: str, request: Request) -> Response:
        """The vendor's error body; subclasses override to match their vendor."""
        return Response.json({"error": message}, status)

    def _serve(self, h: _HandlerClass) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        request = Request(
            method=h.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=h.headers,
            body=body,
            origin=h.server.origin,
        )
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            resp = self._fault_response(fault)
        else:
            try:
                resp = self.handle(request)
            except Exception as exc:  # a simulator bug must show, not hang the client
                resp = Response.json(
                    {"error": f"simulator error: {type(exc).__name__}: {exc}"}, 500
                )
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.path,
                    request.origin,
                    resp.status,
                    {k: str(v) for k, v in h.headers.items()},
                    time.monotonic(),
                )
            )
        self._write(
            h,
            resp,
            fault if fault is not None and fault.status is None else None,
            trickle=fault.trickle if fault is not None else None,
        )

    def _fault_response(self, fault: Fault) -> Response:
        headers = {"Content-Type": "application/json", **(fault.headers or {})}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.stream is not None:
            return Response(int(fault.status or 500), headers, self._until_stopped(fault.stream()))
        body = (
            fault.body
            if fault.body is not None
            else json.dumps({"error": f"injected fault: HTTP {fault.status}"}).encode()
        )
        return Response(int(fault.status or 500), headers, body)

    def _until_stopped(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if self._stopping.is_set():
                return
            yield chunk

    def _write(
        self, h: _HandlerClass, resp: Response, fault: Fault | None, *, trickle: float | None = None
    ) -> None:
        body = resp.body
        chunks: Iterator[bytes] = iter([body]) if isinstance(body, bytes) else iter(body)
        if trickle:
            chunks = self._trickled(chunks, trickle)
        length = len(body) if isinstance(body, bytes) else resp.length
        try:
            h.send_response(resp.status)
            for k, v in resp.headers.items():
                h.send_header(k, v)
            if fault is not None and fault.bad_length is not None and length is not None:
                h.send_header("Content-Length", str(length + fault.bad_length))
            elif length is not None:
                h.send_header("Content-Length", str(length))
            else:
                h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            if h.command == "HEAD":
                return
            sent = 0
            limit = fault.drop_after if fault is not None else None
            for chunk in chunks:
                if not chunk:
                    continue
                if limit is not None and sent + len(chunk) >= limit:
                    h.wfile.write(chunk[: max(0, limit - sent)])
                    h.wfile.flush()
                    self._cut(h)
                    return
                if length is None:
                    h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    h.wfile.write(chunk)
                sent += len(chunk)
            if length is None:
                h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
            if fault is not None and fault.bad_length is not None:
                self._cut(h)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            h.close_connection = True

    def _trickled(self, chunks: Iterator[bytes], every: float) -> Iterator[bytes]:
        for chunk in chunks:
            for i in range(len(chunk)):
                if self._stopping.wait(every):
                    return
                yield chunk[i : i + 1]

    @staticmethod
    def _cut(h: _HandlerClass) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)


__all__ = ["RecordedRequest", "Request", "Response", "Simulator", "http_date", "route"]
