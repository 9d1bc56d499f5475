"""One attempt of a request as observers see it (:class:`~reportbridge.events.HttpExchange`).

The HTTP client makes an :class:`Attempt` per request sent and reports it once its fate
is known: answered, sent again (and why), redirected, or failed. What is reported never
holds a secret: the origin and the path (redacted), never the query string, a header
or a body.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from reportbridge.events import HttpExchange, current_operation
from reportbridge.logging import get_logger, redact_text
from reportbridge.transport.proxy import ProxySpec
from reportbridge.transport.urls import Origin

if TYPE_CHECKING:
    from urllib3.exceptions import ProxyError

    from reportbridge.transport.response import HttpResponse

log = get_logger("reportbridge.http")
#: what an observer of exchanges is given (see :mod:`reportbridge.events`)
ExchangeObserver = Callable[[HttpExchange], None]
_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")


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


__all__ = ["Attempt", "ExchangeObserver", "request_id", "tunnel_status"]
