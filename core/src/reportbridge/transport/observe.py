"""Which HTTP requests an operation made, for the record (custody logs, hooks).

:func:`recording` collects, on the current thread, a :class:`SentRequest` for each
request :class:`~reportbridge.transport.http.HttpClient` completes inside it. A record
holds the method, origin, path, status and the vendor's request id: never a query
string (signed URLs carry signatures there), a header value we sent, or a body.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from reportbridge.transport.urls import parse_origin

#: Response headers vendors use for a request or trace id, in order of preference.
REQUEST_ID_HEADERS = (
    "X-Request-Id",
    "X-Correlation-Id",
    "X-Trace-Id",
    "X-Amzn-RequestId",
    "X-Amzn-Trace-Id",
    "X-B3-TraceId",
    "Traceparent",
)
_SAFE_ID = re.compile(r"[A-Za-z0-9._:;=/+@-]{1,200}")
_local = threading.local()


@attrs.frozen
class SentRequest:
    """One request as the vendor answered it (never a secret)."""

    method: str
    origin: str
    path: str
    status: int
    request_id: str | None = None
    what: str = "request"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def request_id(headers: Mapping[str, Any]) -> str | None:
    """The vendor's request/trace id from response headers, if it is a plain token."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value is not None and _SAFE_ID.fullmatch(str(value).strip()):
            return str(value).strip()
    return None


@contextlib.contextmanager
def recording() -> Iterator[list[SentRequest]]:
    """Collect the requests completed on this thread until the block ends."""
    previous = getattr(_local, "sink", None)
    sink: list[SentRequest] = []
    _local.sink = sink
    try:
        yield sink
    finally:
        _local.sink = previous


def note(method: str, url: str, status: int, headers: Mapping[str, Any], what: str) -> None:
    """Called by the HTTP client for each answered request; cheap when nobody records."""
    sink = getattr(_local, "sink", None)
    if sink is None:
        return
    sink.append(
        SentRequest(
            method=method,
            origin=str(parse_origin(url)),  # the client already accepted this URL
            path=urlsplit(url).path or "/",
            status=status,
            request_id=request_id(headers),
            what=what,
        )
    )


__all__ = ["REQUEST_ID_HEADERS", "SentRequest", "note", "recording", "request_id"]
