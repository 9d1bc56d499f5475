"""An HTTP answer as providers read it: status, headers, a capped body or a stream."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

import reportbridge.transport.body as bodies
from reportbridge import jsonsafe
from reportbridge.errors import (
    DeadlineExceededError,
    ProviderProtocolError,
    ResponseTooLargeError,
    TransportError,
)
from reportbridge.logging import redact_text
from reportbridge.transport.watchdog import ExchangeGuard


class HttpResponse:
    """A response; ``stream=True`` responses must be closed (use ``with``).

    ``data``, ``text()`` and ``json()`` read at most ``max_body_bytes`` (decoded);
    :meth:`iter_chunks` and :meth:`readinto` stream a body of any size, decoded from gzip
    or deflate. Use one of them per response, not both.
    """

    def __init__(
        self,
        raw: urllib3.BaseHTTPResponse,
        url: str,
        provider: str | None,
        *,
        body: bytes | None = None,
        max_body_bytes: int = 8 << 20,
        stall_timeout: float | None = None,
        guard: ExchangeGuard | None = None,
        what: str = "answer",
    ) -> None:
        self.raw = raw
        self.url = url
        self.status = raw.status
        self.headers = raw.headers
        self._provider = provider
        self._body = body
        self._cap = max_body_bytes
        self._stall = stall_timeout
        self._guard = guard
        self._what = what
        self._streamed = False
        self._refill: bodies.Refill | None = None
        self._direct: Any = None  # http.client's response, once readinto reads from it
        self._got = 0

    def __enter__(self) -> HttpResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "?"

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def encoded(self) -> bool:
        """True when the body is sent compressed (Content-Encoding other than identity)."""
        return (self.header("Content-Encoding") or "identity").strip().lower() != "identity"

    @property
    def content_length(self) -> int | None:
        """The body's length as sent, when it is also the length of the content."""
        value = self.header("Content-Length")
        if value is None or self.encoded:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    def preload(self) -> None:
        """Read the whole body now (capped); errors of the connection propagate as urllib3
        raises them, so the client can decide whether to try again."""
        try:
            self._body = bodies.read_capped(self.raw, self._cap)
        except bodies.TooLarge:
            self.close()
            raise too_large(self, self._cap) from None
        except bodies.EncodingError as exc:
            self.close()
            raise unreadable(self, exc) from None
        if self._fired():
            raise ProtocolError("the exchange ran past its time limit")

    @property
    def data(self) -> bytes:
        """The whole body (decoded), at most ``max_body_bytes``."""
        if self._body is None:
            try:
                self.preload()
            except HTTPError as exc:
                self.close()
                raise self._cut(exc, "answer") from None
            finally:
                self._release()
        assert self._body is not None
        return self._body

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def json(self, *, what: str = "response") -> Any:
        """The body as JSON; anything else is a :class:`ProviderProtocolError`."""
        try:
            return jsonsafe.loads(self.data or b"null", what=f"{what} from {self.host}")
        except jsonsafe.JsonTooDeepError as exc:
            raise ProviderProtocolError(exc.message, provider=self._provider) from None
        except ValueError:
            snippet = redact_text(self.text()[:120])
            raise ProviderProtocolError(
                f"{what} from {self.host} (HTTP {self.status}) is not valid JSON: {snippet!r}",
                provider=self._provider,
            ) from None

    def iter_chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The body as stored content: decoded from gzip/deflate, any size."""
        self._streamed = True
        try:
            yield from bodies.decoded_chunks(self.raw, size)
            if self._fired():
                # a body without a length ends "cleanly" when the watchdog shuts its socket
                raise self._deadline("download")
        except ReadTimeoutError:
            raise self._stalled() from None
        except HTTPError as exc:
            raise self._cut(exc, "download") from None
        except bodies.EncodingError as exc:
            raise unreadable(self, exc, download=True) from None
        finally:
            self._release()

    def readinto(self, buf: memoryview) -> int:
        """The next bytes of the stored content into ``buf``; 0 at the end of the body.

        An uncompressed body is read from the socket straight into ``buf`` (through
        urllib3's underlying ``http.client`` response): no new bytes object per chunk and
        no copy in Python. A compressed one is decoded as :meth:`iter_chunks` does, then
        copied.
        Errors are those of :meth:`iter_chunks`.
        """
        if self._direct is None and self._refill is None:
            fp = getattr(self.raw, "_fp", None)
            if not self.encoded and not self._streamed and isinstance(fp, http.client.HTTPResponse):
                self._direct = fp
            else:
                self._refill = bodies.Refill(self.iter_chunks(len(buf)))
        if self._refill is not None:
            return self._refill.readinto(buf)
        try:
            n: int = self._direct.readinto(buf)
        except TimeoutError:
            self._release()
            raise self._stalled() from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self._release()
            raise self._cut(exc, "download") from None
        self._got += n
        if n == 0:
            self._release()
            if self._fired():
                raise self._deadline("download")
            expected = self.content_length
            if expected is not None and self._got < expected:
                raise self._cut(http.client.IncompleteRead(b"", expected - self._got), "download")
        return n

    def drain(self) -> None:
        """Discard a small unwanted body (a redirect's, a retried error's); keeps the
        connection when that is cheap, else closes it."""
        if self._body is not None:
            self._release()
            return
        kept = False
        with contextlib.suppress(HTTPError, OSError):
            kept = bodies.drain(self.raw)
        self._release()
        if kept:
            self.raw.release_conn()
        else:
            self.close()

    def close(self) -> None:
        self._release()
        self.raw.close()
        self.raw.release_conn()

    # -- helpers ------------------------------------------------------------------------
    def _release(self) -> None:
        if self._guard is not None:
            self._guard.release()

    def _fired(self) -> bool:
        return self._guard is not None and self._guard.fired

    def _stalled(self) -> TransportError:
        if self._fired():
            return self._deadline("download")
        return TransportError(
            f"download from {self.host} stalled: no byte for {self._stall:g} s "
            "(transport.stall_timeout)",
            provider=self._provider,
        )

    def _deadline(self, what: str) -> DeadlineExceededError:
        self.close()
        return DeadlineExceededError(
            f"{what} from {self.host} did not finish before the deadline; it was abandoned",
            provider=self._provider,
        )

    def _cut(self, exc: BaseException, what: str) -> TransportError:
        if self._fired():
            return self._deadline(what)
        return TransportError(
            f"{what} from {self.host} (HTTP {self.status}) was cut off: {type(exc).__name__}",
            provider=self._provider,
        )


def too_large(resp: HttpResponse, cap: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{resp._what} from {resp.host} (HTTP {resp.status}) is larger than {cap} bytes, the "
        "profile's transport.max_body_bytes; it was not read further",
        limit=cap,
        provider=resp._provider,
    )


def unreadable(
    resp: HttpResponse, exc: bodies.EncodingError, *, download: bool = False
) -> ProviderProtocolError:
    what = "download" if download else resp._what
    return ProviderProtocolError(
        f"{what} from {resp.host} (HTTP {resp.status}) cannot be read: {exc}; nothing was "
        "kept"
        + (" (the file is never stored in a form other than its content)" if download else ""),
        provider=resp._provider,
    )


__all__ = ["HttpResponse"]
