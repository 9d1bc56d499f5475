"""One exchange of the HTTP client: sending it (:func:`send_once`) and reporting it to
observers (:class:`Attempt`, an :class:`~reportbridge.events.HttpExchange` each).

The client makes an :class:`Attempt` per request sent and reports it once its fate is
known: answered, sent again (and why), redirected, or failed. What is reported never
holds a secret: the origin and the path (redacted), never the query string, a header
or a body.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import urllib3

import reportbridge.transport.deadline as deadline
from reportbridge.events import HttpExchange, current_operation
from reportbridge.logging import get_logger, redact_text
from reportbridge.transport.options import TransportOptions
from reportbridge.transport.proxy import ProxySpec
from reportbridge.transport.response import HttpResponse
from reportbridge.transport.urls import Origin
from reportbridge.transport.watchdog import ExchangeGuard, guarding, sock_of

if TYPE_CHECKING:
    from urllib3.exceptions import ProxyError

log = get_logger("reportbridge.http")
#: what an observer of exchanges is given (see :mod:`reportbridge.events`)
ExchangeObserver = Callable[[HttpExchange], None]
_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")


def send_once(
    manager: urllib3.PoolManager,
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    options: TransportOptions,
    provider: str | None,
    stream: bool,
    guard: ExchangeGuard,
    what: str,
) -> HttpResponse:
    """One request and its answer (a non-streamed body read whole, capped)."""
    left = deadline.remaining()
    timeout = urllib3.Timeout(
        connect=options.connect_timeout
        if left is None
        else max(min(options.connect_timeout, left), 0.001),
        read=options.read_timeout if left is None else max(min(options.read_timeout, left), 0.001),
    )
    with guarding(guard):
        raw = manager.request(
            method,
            url,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            timeout=timeout,
        )
        resp = HttpResponse(
            raw,
            url,
            provider,
            max_body_bytes=options.max_body_bytes,
            stall_timeout=options.stall_timeout,
            guard=guard,
            what=what,
        )
        if stream:
            # the body is read later, by the caller: no byte for stall_timeout fails
            # it, and the deadline (if any) still ends it
            guard.rearm(deadline.current())
            sock = sock_of(raw)
            if sock is not None:
                sock.settimeout(options.stall_timeout)
            return resp
        try:
            resp.preload()
        finally:
            guard.release()  # the body is read (or refused): the exchange is over
        return resp


class Attempt:
    """One attempt of a request, reported to the client's observer once its fate is known."""

    def __init__(
        self,
        observer: ExchangeObserver | None,
        provider: str | None,
        method: str,
        url: str,
        here: Origin,
        attempt: int,
        what: str,
        same: bool,
        proxy: ProxySpec | None,
    ) -> None:
        self.observer = observer
        self.provider = provider
        self.method = method
        self.url = url
        self.here = here
        self.attempt = attempt
        self.what = what
        self.same = same
        self.proxy = proxy
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def report(
        self,
        status: int | None,
        resp: HttpResponse | None = None,
        *,
        retry: str | None = None,
        redirected: bool = False,
    ) -> None:
        observer = self.observer
        if observer is None:
            return
        try:
            path = urlsplit(self.url).path or "/"
        except ValueError:
            path = "/"
        exchange = HttpExchange(
            method=self.method,
            origin=str(self.here),
            path=redact_text(path),  # never the query: signed URLs carry signatures there
            status=status,
            attempt=self.attempt,
            elapsed=self.elapsed(),
            what=self.what,
            provider=self.provider,
            api=self.same,
            proxied=self.proxy is not None,
            retry=retry,
            redirected=redirected,
            request_id=request_id(resp),
            operation=current_operation(),
        )
        try:
            observer(exchange)
        except Exception as exc:  # an observer must never break a request
            log.warning("exchange observer failed", error=f"{type(exc).__name__}: {exc}")


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:;=/+@-]{1,200}")


def request_id(resp: HttpResponse | None) -> str | None:
    """The vendor's request id, when it sent one as a plain token."""
    if resp is None:
        return None
    for name in ("X-Request-Id", "X-Correlation-Id", "X-Trace-Id", "X-Amzn-RequestId"):
        value = (resp.header(name) or "").strip()
        if value and _REQUEST_ID.fullmatch(value):
            return value
    return None


def tunnel_status(exc: ProxyError) -> int | None:
    """The status a proxy answered a CONNECT with, when it answered one."""
    found = _TUNNEL_STATUS.search(str(getattr(exc, "original_error", "")) + str(exc))
    return int(found.group(1)) if found else None


__all__ = ["Attempt", "ExchangeObserver", "request_id", "send_once", "tunnel_status"]
