"""The HTTP client every provider uses: one urllib3 pool per profile.

Retries follow one rule: a request is sent again only when that is safe. Reads
(GET, HEAD, DELETE, PUT...) are retried on connection errors, timeouts and
429/5xx. A request that may start work (POST) is re-sent only when the vendor
surely did not act: the connection was never made, the vendor answered 429, or the
caller named the status as safe (``resend_on``).

Redirects are followed here, not by urllib3: every hop's URL is checked with the
parser that connects (:mod:`~reportbridge.transport.urls`); credentials are attached
only on the API's own origin; a hop to another origin carries only the harmless
headers of :data:`~reportbridge.transport.headers.PORTABLE` and never a request body.

Time is bounded twice: each exchange (connect, headers, and a non-streamed body) ends
within ``request_timeout``, and every exchange, retry and wait ends by the deadline
of :mod:`~reportbridge.transport.deadline` when the caller set one.
"""

from __future__ import annotations

import json as jsonlib
import re
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

import reportbridge.transport.deadline as deadline
from reportbridge.errors import (
    DeadlineExceededError,
    SubmissionUncertainError,
    TransportError,
    ValidationError,
)
from reportbridge.logging import get_logger, redact_text
from reportbridge.transport.auth import NoAuth, TokenSource
from reportbridge.transport.headers import check_headers, portable
from reportbridge.transport.options import TransportOptions
from reportbridge.transport.ratelimit import RateLimiter, shared_limiter
from reportbridge.transport.response import HttpResponse
from reportbridge.transport.retry import parse_retry_after
from reportbridge.transport.tls import make_ssl_context
from reportbridge.transport.urls import Origin, check_text, check_url_allowed, parse_origin
from reportbridge.transport.watchdog import GUARDED_POOLS, ExchangeGuard, guarding, sock_of

log = get_logger("reportbridge.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REFRESHES = 2  # a token revoked again while a refreshed one was in flight
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class HttpClient:
    """HTTP for one profile: base URL, credentials, pool, limiter and retry rules."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: TokenSource | None = None,
        options: TransportOptions | None = None,
        provider: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limit_key: str | None = None,
    ) -> None:
        check_url_allowed(base_url, what="base_url")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._origin: Origin = parse_origin(self.base_url)
        self.options = options or TransportOptions()
        self.provider = provider
        self.auth: TokenSource = auth or NoAuth()
        self._sleep = sleep
        limit = self.options.rate_limit
        self.limiter: RateLimiter | None = None
        if limit is not None and not limit.unlimited:
            self.limiter = (
                shared_limiter(rate_limit_key, limit) if rate_limit_key else RateLimiter(limit)
            )
        self.pool = urllib3.PoolManager(
            num_pools=8,
            maxsize=self.options.pool_maxsize,
            block=False,
            ssl_context=make_ssl_context(self.options.ca_bundle),
            retries=False,
        )
        # connections report their socket to the exchange's watchdog guard
        self.pool.pool_classes_by_scheme = GUARDED_POOLS
        self.requests_sent = 0
        self.auth.bind(self)

    def close(self) -> None:
        self.pool.clear()

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Resolve ``path`` against the base URL (absolute URLs pass through)."""
        url = path if _ABSOLUTE.match(path) else urljoin(self.base_url, path.lstrip("/"))
        if params:
            query = urlencode([(k, _qs(v)) for k, v in params.items() if v is not None], doseq=True)
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return url

    @property
    def origin(self) -> Origin:
        """The API's own origin: the only one credentials are sent to."""
        return self._origin

    def same_origin(self, url: str) -> bool:
        """True when ``url`` is accepted and reaches the API's own origin (as urllib3
        connects: see :mod:`reportbridge.transport.urls`); False for a refused URL."""
        try:
            return parse_origin(url) == self._origin
        except ValidationError:
            return False

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
        follow_redirects: bool = True,
        stream: bool = False,
        resend_on: Collection[int] = (),
        what: str = "request",
    ) -> HttpResponse:
        """Send a request, retrying only where safe; returns the final response.

        Error statuses are returned, not raised: the provider knows its vendor's
        error bodies and turns them into typed errors. The body of a response that is
        not streamed is read here, at most ``transport.max_body_bytes``.
        """
        method = method.upper()
        url = self.url(path, params)
        check_url_allowed(url, what=f"{what} URL")
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        body = data
        base_headers = {
            "User-Agent": self.options.user_agent,
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            base_headers.setdefault("Content-Type", "application/json")
        check_headers(base_headers, what=what)
        policy = self.options.retry
        attempt = redirects = refreshes = 0
        first = parse_origin(url)
        while True:
            attempt += 1
            deadline.check(what)
            here = parse_origin(url)
            same = here == self._origin
            # a hop to another origin keeps only harmless headers: no credential of any kind
            send_headers = dict(base_headers) if here == first else portable(base_headers)
            if same and self.limiter is not None:
                # before credentials: a long wait must not stale them
                self.limiter.acquire(until=deadline.current())
            if same and authenticate:
                self.auth.apply(send_headers)
            check_headers(send_headers, what=what)
            guard = ExchangeGuard(self._exchange_end())
            started = time.monotonic()
            try:
                self.requests_sent += 1
                resp = self._exchange(method, url, body, send_headers, stream, guard, what)
            except SSLError as exc:
                guard.release()
                raise TransportError(
                    f"TLS with {here.host} failed: {_reason(exc)}; the server's "
                    "certificate must be valid for its host name (set transport.ca_bundle for "
                    "a private CA) and TLS 1.2 or newer is required",
                    provider=self.provider,
                ) from None
            except (NewConnectionError, ConnectTimeoutError) as exc:
                guard.release()
                self._check_deadline(what, here)
                # The request never reached the server: always safe to try again.
                if attempt < policy.max_attempts:
                    self._wait(policy.backoff(attempt), what, here, reason=type(exc).__name__)
                    continue
                raise TransportError(
                    f"{what}: cannot connect to {here.host}:{here.port} after {attempt} "
                    f"attempt(s) ({type(exc).__name__})",
                    provider=self.provider,
                ) from None
            except (ReadTimeoutError, ProtocolError, HTTPError) as exc:
                guard.release()
                self._check_deadline(what, here)
                reason = type(exc).__name__
                if guard.fired:
                    reason = f"no complete answer within {self.options.request_timeout:g} s"
                if idempotent and attempt < policy.max_attempts:
                    self._wait(policy.backoff(attempt), what, here, reason=reason)
                    continue
                if not idempotent:
                    raise SubmissionUncertainError(
                        f"{what}: the connection to {here.host}:{here.port} failed after the "
                        f"request was sent ({reason}); the vendor may have acted, so it was "
                        "not sent again. Check the provider's job list before re-running.",
                        provider=self.provider,
                    ) from None
                raise TransportError(
                    f"{what}: {here.host}:{here.port} failed {attempt} times ({reason})",
                    provider=self.provider,
                ) from None
            finally:
                if same and self.limiter is not None:
                    self.limiter.settle()  # the vendor counted it before its answer came
            log.debug(
                "http",
                method=method,
                url=url,
                status=resp.status,
                attempt=attempt,
                ms=round((time.monotonic() - started) * 1000, 1),
            )
            status = resp.status
            if status == 401 and authenticate and same and refreshes < MAX_REFRESHES:
                # The vendor refused the credentials, so it did not act: safe for any method.
                refreshes += 1
                if self.auth.invalidate(send_headers.get("Authorization")):
                    resp.drain()
                    attempt -= 1
                    continue
            if status in REDIRECTS and follow_redirects and resp.header("Location"):
                redirects += 1
                if redirects > self.options.max_redirects:
                    resp.drain()
                    raise TransportError(
                        f"{what}: more than {self.options.max_redirects} redirects",
                        provider=self.provider,
                    )
                target = self._redirect_target(resp, what)
                resp.drain()
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = ("HEAD" if method == "HEAD" else "GET"), None
                    base_headers = {
                        k: v for k, v in base_headers.items() if k.lower() != "content-type"
                    }
                elsewhere = parse_origin(target)
                if body is not None and elsewhere != first:
                    raise TransportError(
                        f"{what}: {here.host}:{here.port} answered HTTP {status} to another "
                        f"origin ({elsewhere.host}:{elsewhere.port}); a request body never "
                        "leaves the origin it was meant for, so it was not sent there",
                        provider=self.provider,
                    )
                url = target
                attempt -= 1
                continue
            retry_after = parse_retry_after(resp.header("Retry-After"))
            safe = idempotent or status == 429 or status in resend_on
            if status in policy.retry_statuses and safe and attempt < policy.max_attempts:
                delay = retry_after if retry_after is not None else policy.backoff(attempt)
                # a longer ask than max_retry_after goes back to the caller as an answer
                if delay <= policy.max_retry_after:
                    resp.drain()
                    if status == 429 and same and self.limiter is not None:
                        self.limiter.penalise(delay)
                    self._wait(delay, what, here, reason=f"HTTP {status}")
                    continue
            return resp

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        stream: bool,
        guard: ExchangeGuard,
        what: str,
    ) -> HttpResponse:
        """One request and its answer (a non-streamed body read whole, capped)."""
        opts = self.options
        left = deadline.remaining()
        timeout = urllib3.Timeout(
            connect=opts.connect_timeout
            if left is None
            else max(min(opts.connect_timeout, left), 0.001),
            read=opts.read_timeout if left is None else max(min(opts.read_timeout, left), 0.001),
        )
        with guarding(guard):
            raw = self.pool.request(
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
                self.provider,
                max_body_bytes=opts.max_body_bytes,
                stall_timeout=opts.stall_timeout,
                guard=guard,
                what=what,
            )
            if stream:
                # the body is read later, by the caller: no byte for stall_timeout fails
                # it, and the deadline (if any) still ends it
                guard.rearm(deadline.current())
                sock = sock_of(raw)
                if sock is not None:
                    sock.settimeout(opts.stall_timeout)
                return resp
            try:
                resp.preload()
            finally:
                guard.release()  # the body is read (or refused): the exchange is over
            return resp

    def _exchange_end(self) -> float:
        end = time.monotonic() + self.options.request_timeout
        at = deadline.current()
        return end if at is None else min(end, at)

    def _check_deadline(self, what: str, here: Origin) -> None:
        if deadline.expired():
            raise DeadlineExceededError(
                f"{what}: no answer from {here.host}:{here.port} before the deadline",
                provider=self.provider,
            )

    def _redirect_target(self, resp: HttpResponse, what: str) -> str:
        location = resp.header("Location") or ""
        try:
            check_text(location, what=f"{what} redirect Location")
            target = urljoin(resp.url, location)
        except ValueError:  # urljoin refuses some malformed URLs (an unclosed "[")
            resp.close()
            raise TransportError(
                f"{what}: {resp.host} answered HTTP {resp.status} with a Location that is not "
                "a URL",
                provider=self.provider,
            ) from None
        except ValidationError:
            resp.close()
            raise
        try:
            check_url_allowed(target, what=f"{what} redirect target")
        except ValidationError:
            resp.close()
            raise
        return target

    def _wait(self, delay: float, what: str, here: Origin, *, reason: str) -> None:
        """Sleep ``delay`` before trying again, unless the deadline comes first."""
        if not deadline.fits(delay):
            raise DeadlineExceededError(
                f"{what}: trying {here.host}:{here.port} again needs a wait of {delay:g} s "
                f"({reason}), past the deadline",
                provider=self.provider,
            )
        log.info("retrying", what=what, host=here.host, reason=reason, wait_s=delay)
        self._sleep(delay)


def _qs(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION", "UNSUPPORTED_PROTOCOL"):
        if marker in text:
            return marker.lower().replace("_", " ")
    if "hostname" in text.lower() or "match" in text.lower():
        return "host name mismatch"
    return redact_text(text)[:200]


__all__ = ["HttpClient", "HttpResponse"]
