"""What simulator handlers take and give: requests, responses and the ``route`` marker."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import attrs

from reportbridge.testing.files import SyntheticFile

Handler = Callable[..., "Response"]


def route(method: str, pattern: str, *, origin: str = "api") -> Callable[[Handler], Handler]:
    """Mark a simulator method as the handler of ``method`` + ``pattern`` (a full-match regex).

    Named groups in the pattern are passed to the handler as keyword arguments.
    """

    def mark(fn: Handler) -> Handler:
        routes = list(getattr(fn, "_sim_routes", []))
        routes.append((method.upper(), re.compile(pattern), origin))
        fn._sim_routes = routes  # type: ignore[attr-defined]
        return fn

    return mark


@attrs.define
class Request:
    """What a simulator handler sees."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes
    origin: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def bearer(self) -> str | None:
        value = self.header("Authorization") or ""
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def json(self) -> Any:
        """The body as JSON; raises ValueError on bad JSON (handlers turn it into a 400)."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@attrs.define
class Response:
    """A simulator answer. ``body`` is bytes or an iterable of byte chunks."""

    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        data = json.dumps(obj).encode()
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, data)

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> Response:
        return cls(status, dict(headers or {}), b"")

    @classmethod
    def redirect(cls, location: str, status: int = 302, body: Any = None) -> Response:
        if body is None:
            return cls(status, {"Location": location}, b"")
        resp = cls.json(body, status)
        resp.headers["Location"] = location
        return resp

    @classmethod
    def file(
        cls,
        request: Request,
        content: SyntheticFile,
        *,
        content_type: str,
        filename: str | None = None,
        ranges: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Stream ``content``; honours a single ``Range: bytes=N-`` or ``N-M`` when ``ranges``."""
        hdrs = {"Content-Type": content_type, **(headers or {})}
        if filename is not None:
            hdrs["Content-Disposition"] = f'attachment; filename="{filename}"'
        if ranges:
            hdrs["Accept-Ranges"] = "bytes"
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", request.header("Range") or "")
            if m:
                start = int(m.group(1))
                end = int(m.group(2)) + 1 if m.group(2) else content.size
                if start >= content.size:
                    hdrs["Content-Range"] = f"bytes */{content.size}"
                    return cls(416, hdrs, b"")
                end = min(end, content.size)
                hdrs["Content-Range"] = f"bytes {start}-{end - 1}/{content.size}"
                return cls(206, hdrs, content.iter_range(start, end), end - start)
        return cls(200, hdrs, content.iter_range(), content.size)


@attrs.frozen
class RecordedRequest:
    """One request as the simulator saw it (for assertions in tests)."""

    method: str
    path: str
    origin: str
    status: int
    headers: dict[str, str]
    at: float


def http_date(offset_seconds: float) -> str:
    """An HTTP date ``offset_seconds`` from now (for Retry-After tests)."""
    return email.utils.formatdate(time.time() + offset_seconds, usegmt=True)


__all__ = ["Handler", "RecordedRequest", "Request", "Response", "http_date", "route"]
