"""The HTTP client every provider uses: one urllib3 pool per profile.

Retries follow one rule: a request is sent again only when that is safe. Reads
(GET, HEAD, DELETE, PUT...) are retried on connection errors, timeouts and
429/5xx. A request that may start work (POST) is re-sent only when the vendor
surely did not act: the connection was never made, the vendor answered 429, or the
caller named the status as safe (``resend_on``). Redirects are followed here, not
by urllib3, so that credentials are only ever attached on the API's own origin.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from reportbridge.errors import (
    ProviderProtocolError,
    SubmissionUncertainError,
    TransportError,
)
from reportbridge.logging import get_logger, redact_text
from reportbridge.transport.auth import NoAuth, TokenSource
from reportbridge.transport.options import TransportOptions
from reportbridge.transport.ratelimit import RateLimiter, shared_limiter
from reportbridge.transport.retry import parse_retry_after
from reportbridge.transport.tls import check_url_allowed, make_ssl_context, origin_of

log = get_logger("reportbridge.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REFRESHES = 2  # a token revoked again while a refreshed one was in flight
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class HttpResponse:
    """A response; ``stream=True`` responses must be closed (use ``with``)."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str, provider: str | None) -> None:
        self.raw = raw
        self.url = url
        self.status = raw.status
        self.headers = raw.headers
        self._provider = provider

    def __enter__(self) -> HttpResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def content_length(self) -> int | None:
        value = self.header("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    @property
    def data(self) -> bytes:
        try:
            return self.raw.data
        except HTTPError as exc:
            raise TransportError(
                f"answer from {urlsplit(self.url).hostname} (HTTP {self.status}) was cut off: "
                f"{type(exc).__name__}",
                provider=self._provider,
            ) from None

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def json(self, *, what: str = "response") -> Any:
        """The body as JSON; anything else is a :class:`ProviderProtocolError`."""
        try:
            return jsonlib.loads(self.data or b"null")
        except ValueError:
            snippet = redact_text(self.text()[:120])
            raise ProviderProtocolError(
                f"{what} from {urlsplit(self.url).hostname} (HTTP {self.status}) is not valid "
                f"JSON: {snippet!r}",
                provider=self._provider,
            ) from None

    def iter_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        try:
            yield from self.raw.stream(size, decode_content=False)
        except (ProtocolError, ReadTimeoutError, HTTPError) as exc:
            raise TransportError(
                f"download from {urlsplit(self.url).hostname} was cut off: {type(exc).__name__}",
                provider=self._provider,
            ) from None

    def drain(self) -> None:
        with contextlib.suppress(HTTPError):
            self.raw.drain_conn()
        self.raw.release_conn()

    def close(self) -> None:
        self.raw.release_conn()
        self.raw.close()


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
        self.options = options or TransportOptions()
        self.provider = provider
        self.auth: TokenSource = auth or NoAuth()
        # headers that carry credentials: never sent on after a redirect to another origin
        self._credential_headers = _CREDENTIAL_HEADERS | getattr(self.auth, "header_names", set())
        self._sleep = sleep
        self._origin = origin_of(self.base_url)
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
        self.requests_sent = 0
        self.auth.bind(self)

    def close(self) -> None:
        self.pool.clear()

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Resolve ``path`` against the base URL (absolute URLs pass through)."""
        url = urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path
        if params:
            query = urlencode([(k, _qs(v)) for k, v in params.items() if v is not None], doseq=True)
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return url

    def same_origin(self, url: str) -> bool:
        return origin_of(url) == self._origin

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
        error bodies and turns them into typed errors.
        """
        method = method.upper()
        url = self.url(path, params)
        check_url_allowed(url, what=f"{what} URL")
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        body = data
        base_headers = {"User-Agent": self.options.user_agent, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            base_headers.setdefault("Content-Type", "application/json")
        policy = self.options.retry
        attempt = 0
        redirects = 0
        refreshes = 0
        first_origin = origin_of(url)
        while True:
            attempt += 1
            same = self.same_origin(url)
            send_headers = dict(base_headers)
            if origin_of(url) != first_origin:
                # a redirect left the origin the caller addressed: its credentials stay behind
                for key in [k for k in send_headers if k.lower() in self._credential_headers]:
                    del send_headers[key]
            if same and self.limiter is not None:
                self.limiter.acquire()  # before credentials: a long wait must not stale them
            if same and authenticate:
                self.auth.apply(send_headers)
            started = time.monotonic()
            try:
                self.requests_sent += 1
                raw = self.pool.request(
                    method,
                    url,
                    body=body,
                    headers=send_headers,
                    redirect=False,
                    retries=False,
                    preload_content=not stream,
                    timeout=urllib3.Timeout(
                        connect=self.options.connect_timeout, read=self.options.read_timeout
                    ),
                )
            except SSLError as exc:
                raise TransportError(
                    f"TLS with {urlsplit(url).hostname} failed: {_reason(exc)}; the server's "
                    "certificate must be valid for its host name (set transport.ca_bundle for "
                    "a private CA) and TLS 1.2 or newer is required",
                    provider=self.provider,
                ) from None
            except (NewConnectionError, ConnectTimeoutError) as exc:
                # The request never reached the server: always safe to try again.
                if attempt < policy.max_attempts:
                    self._wait(policy.backoff(attempt), what, url, reason=type(exc).__name__)
                    continue
                raise TransportError(
                    f"{what}: cannot connect to {urlsplit(url).netloc} after {attempt} "
                    f"attempts ({type(exc).__name__})",
                    provider=self.provider,
                ) from None
            except (ReadTimeoutError, ProtocolError, HTTPError) as exc:
                if idempotent and attempt < policy.max_attempts:
                    self._wait(policy.backoff(attempt), what, url, reason=type(exc).__name__)
                    continue
                if not idempotent:
                    raise SubmissionUncertainError(
                        f"{what}: the connection to {urlsplit(url).netloc} failed after the "
                        f"request was sent ({type(exc).__name__}); the vendor may have acted, so "
                        "it was not sent again. Check the provider's job list before re-running.",
                        provider=self.provider,
                    ) from None
                raise TransportError(
                    f"{what}: {urlsplit(url).netloc} failed {attempt} times ({type(exc).__name__})",
                    provider=self.provider,
                ) from None
            finally:
                if same and self.limiter is not None:
                    self.limiter.settle()  # the vendor counted it before its answer came
            resp = HttpResponse(raw, url, self.provider)
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
                location = urljoin(url, resp.header("Location") or "")
                check_url_allowed(location, what="redirect target")
                resp.drain()
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                    base_headers.pop("Content-Type", None)
                url = location
                attempt -= 1
                continue
            retry_after = parse_retry_after(resp.header("Retry-After"))
            safe = idempotent or status == 429 or status in resend_on
            if status in policy.retry_statuses and safe and attempt < policy.max_attempts:
                delay = retry_after if retry_after is not None else policy.backoff(attempt)
                if delay <= policy.max_retry_after:
                    resp.drain()
                    if status == 429 and same and self.limiter is not None:
                        self.limiter.penalise(delay)
                    self._wait(delay, what, url, reason=f"HTTP {status}")
                    continue
            return resp

    def _wait(self, delay: float, what: str, url: str, *, reason: str) -> None:
        log.info("retrying", what=what, host=urlsplit(url).hostname, reason=reason, wait_s=delay)
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
