"""Hostile servers: what a malicious or broken vendor (or whoever a redirect points to)
could send, for tests of any provider plugin.

A :class:`HostileServer` listens on a loopback address other than the simulators'
(127.0.0.2 by default: another origin, as an attacker's host would be), records every
byte it receives, and answers every request with one :class:`Answer`:

- :func:`redirect` — a 3xx to a URL of your choice;
- :func:`endless_json` — a chunked JSON body that never ends;
- :func:`trickle` — an answer sent one byte at a time (status line and headers too);
- :func:`gzip_bomb` — a small gzip body that inflates to gigabytes;
- :func:`deep_json` — JSON nested far deeper than any parser's recursion allows;
- the default, a plain 404: a place to send requests that must never arrive.

```python
from reportbridge.testing import hostile

with hostile.HostileServer() as trap:                        # http://127.0.0.2:PORT
    sim.faults.add(Fault(path=poll_path, status=302, headers={"Location": trap.url("/x")}))
    ...                                                      # drive the provider
    assert trap.leaks(sim.secrets()) == []                   # no credential arrived
```

The body makers (:func:`endless_json_body`, :func:`gzip_bomb_body`,
:func:`trickled`...) also plug into a simulator's :class:`~reportbridge.testing.Fault`
(``stream=``), so a provider's own paths can misbehave the same way.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import attrs

Body = bytes | Callable[[], Iterable[bytes]]
T = TypeVar("T")


@attrs.frozen
class Answer:
    """One hostile answer. ``body`` is bytes, or a factory of chunks (sent chunked);
    ``every`` > 0 sends the whole answer one byte at a time, ``every`` seconds apart."""

    status: int = 404
    headers: dict[str, str] = attrs.field(factory=dict)
    body: Body = b""
    every: float = 0.0


@attrs.frozen
class Received:
    """One request as it arrived (``raw`` holds its exact bytes)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    raw: bytes


# -- bodies --------------------------------------------------------------------------------
def endless_json_body() -> Iterator[bytes]:
    """``{"items": [{"id": 0}, {"id": 1}, ...`` for ever, 64 KiB at a time."""
    yield b'{"items": ['
    row = b'{"id": 0, "status": "RUNNING"},' * 2048
    while True:
        yield row


def gzip_bomb_body(inflated: int = 3 << 30, *, block: int = 64 << 10) -> Iterator[bytes]:
    """A valid gzip stream of ``inflated`` zero bytes (a few bytes on the wire per KiB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(block)
    first = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)
    # after a full flush the compressor starts afresh: the next blocks encode alike
    again = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)
    count = max(2, inflated // block)
    yield first
    crc = zlib.crc32(zeros)
    for _ in range(count - 1):
        crc = zlib.crc32(zeros, crc)
        yield again
    end = z.flush()
    yield end[:-8] + struct.pack("<II", crc & 0xFFFFFFFF, (count * block) & 0xFFFFFFFF)


def deep_json(depth: int = 100_000) -> bytes:
    """``[[[[...]]]]`` nested ``depth`` times (the standard parser recurses per level)."""
    return b"[" * depth + b"]" * depth


def trickled(data: bytes, every: float) -> Callable[[], Iterator[bytes]]:
    """A body factory sending ``data`` one byte at a time, ``every`` seconds apart."""

    def chunks() -> Iterator[bytes]:
        for i in range(len(data)):
            if i:
                time.sleep(every)
            yield data[i : i + 1]

    return chunks


# -- answers -------------------------------------------------------------------------------
def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status, {"Location": location, "Content-Length": "0"})


def endless_json() -> Answer:
    return Answer(200, {"Content-Type": "application/json"}, endless_json_body)


def trickle(body: bytes = b'{"status": "RUNNING"}', every: float = 0.5) -> Answer:
    return Answer(200, {"Content-Type": "application/json"}, body, every=every)


def gzip_bomb(inflated: int = 3 << 30) -> Answer:
    return Answer(
        200,
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        lambda: gzip_bomb_body(inflated),
    )


def deep_json_answer(depth: int = 100_000) -> Answer:
    return Answer(200, {"Content-Type": "application/json"}, deep_json(depth))


# -- the server ----------------------------------------------------------------------------
class HostileServer:
    """A recording HTTP/1.1 server on ``host`` (default 127.0.0.2) answering with ``answer``
    (an :class:`Answer`, or a function of the :class:`Received` request)."""

    def __init__(
        self,
        answer: Answer | Callable[[Received], Answer] = Answer(),
        *,
        host: str = "127.0.0.2",
    ) -> None:
        self.answer = answer
        self.host = host
        self.requests: list[Received] = []
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._sock = socket.create_server((self.host, 0))
        self._sock.settimeout(0.1)
        threading.Thread(target=self._accept, name="rb-hostile", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._sock is not None, "start the server first"
        return f"http://{self.host}:{self._sock.getsockname()[1]}"

    def url(self, path: str = "/") -> str:
        return self.origin + (path if path.startswith("/") else "/" + path)

    # -- what arrived ------------------------------------------------------------------
    @property
    def received(self) -> bytes:
        """Every byte any client sent, in arrival order."""
        with self._lock:
            return bytes(self._raw)

    def leaks(self, secrets: Iterable[str]) -> list[str]:
        """Which credentials arrived: each secret as is, percent-encoded, base64-encoded or
        inside Basic credentials, and any Authorization, Proxy-Authorization or Cookie
        header at all. Empty when nothing leaked. Never lists the secret values."""
        raw = self.received
        found = []
        basics = [_basic(v) for r in self.requests for k, v in r.headers.items()]
        for n, secret in enumerate(s for s in secrets if s):
            forms = {
                "as is": secret,
                "percent-encoded": quote(secret, safe=""),
                "form-encoded": quote_plus(secret),
                "base64": base64.b64encode(secret.encode()).decode(),
            }
            for form, text in forms.items():
                if text.encode() in raw:
                    found.append(f"secret #{n} ({form})")
            if any(secret in b for b in basics):
                found.append(f"secret #{n} (in Basic credentials)")
        for r in self.requests:
            for k in r.headers:
                if k.lower() in ("authorization", "proxy-authorization", "cookie"):
                    found.append(f"a {k} header in {r.method} {r.target.split('?')[0]}")
        return found

    # -- serving -----------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5)
            request = self._read_request(conn)
            if request is None:
                return
            answer = self.answer(request) if callable(self.answer) else self.answer
            self._send(conn, answer)

    def _read_request(self, conn: socket.socket) -> Received | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            self._record(chunk)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, *_ = [*lines[0].split(" "), "", ""]
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        headers = {k.strip(): v.strip() for k, v in headers.items()}
        length = int(headers.get("Content-Length", headers.get("content-length", "0")) or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            self._record(chunk)
            if not chunk:
                break
            body += chunk
        received = Received(method, target, headers, body, head + b"\r\n\r\n" + body)
        with self._lock:
            self.requests.append(received)
        return received

    def _record(self, chunk: bytes) -> None:
        with self._lock:
            self._raw += chunk

    def _send(self, conn: socket.socket, answer: Answer) -> None:
        headers = {"Connection": "close", **answer.headers}
        streamed = callable(answer.body)
        if streamed:
            headers["Transfer-Encoding"] = "chunked"
        elif not any(k.lower() == "content-length" for k in headers):
            assert isinstance(answer.body, bytes)
            headers["Content-Length"] = str(len(answer.body))
        head = f"HTTP/1.1 {answer.status} Hostile\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        self._write(conn, head.encode("latin-1") + b"\r\n", answer.every)
        if callable(answer.body):
            for chunk in answer.body():
                if self._stop.is_set():
                    return
                if chunk:
                    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                    self._write(conn, framed, answer.every)
            self._write(conn, b"0\r\n\r\n", answer.every)
        else:
            self._write(conn, answer.body, answer.every)

    def _write(self, conn: socket.socket, data: bytes, every: float) -> None:
        if not every:
            conn.sendall(data)
            return
        for i in range(len(data)):
            if self._stop.wait(every):
                return
            conn.sendall(data[i : i + 1])


def call_bounded(fn: Callable[[], T], *, limit: float) -> T:
    """``fn()``, run on a thread that must end within ``limit`` seconds.

    A guard against a hang, not a timing assertion: give a generous ``limit`` (several
    times the deadline under test). Returns what ``fn`` returns and raises what it
    raises; an ``AssertionError`` if it is still running after ``limit``.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="rb-bounded-call", daemon=True)
    thread.start()
    thread.join(limit)
    if not outcome:
        raise AssertionError(f"the call did not return within {limit:g} s (a hang)")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _basic(value: str) -> str:
    """The decoded text of ``Basic <base64>`` credentials (empty for anything else)."""
    if not value.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(value[6:].strip()).decode("utf-8", "replace")
    except ValueError:
        return ""


__all__ = [
    "Answer",
    "HostileServer",
    "Received",
    "call_bounded",
    "deep_json",
    "deep_json_answer",
    "endless_json",
    "endless_json_body",
    "gzip_bomb",
    "gzip_bomb_body",
    "redirect",
    "trickle",
    "trickled",
]
