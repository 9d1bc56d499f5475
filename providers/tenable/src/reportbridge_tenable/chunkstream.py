"""A chunk download that must be one whole JSON array, checked while it streams.

Tenable has answered 200 with a chunk that is not valid JSON (pyTenable retries such a
chunk). A length check cannot see that when the vendor's own length is wrong, or when
no length is sent, so the bytes are followed as they pass: the body must start with
``[``, its brackets must close exactly once, and nothing but whitespace may follow. A
chunk that fails is a :class:`TransportError`: nothing is kept and the core downloads
that chunk again, never the others.

This is a structural check (strings, escapes and nesting), not a full JSON parse: it
runs in constant memory whatever the chunk's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reportbridge.errors import TransportError
from reportbridge.provider import FileStream
from reportbridge.transport import HttpResponse
from reportbridge_tenable.status import PROVIDER

_SPACE = frozenset(b" \t\r\n")


class ArrayFrame:
    """Follows the structure of a JSON array fed in pieces; :meth:`problem` says what is
    wrong (None while it may still be fine, and at the end when it is whole)."""

    def __init__(self) -> None:
        self.depth = 0
        self.started = False
        self.closed = False
        self.in_string = False
        self.escaped = False
        self.error: str | None = None

    def feed(self, data: bytes) -> None:
        if self.error is not None:
            return
        for i, byte in enumerate(data):
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif byte == 0x5C:  # backslash
                    self.escaped = True
                elif byte == 0x22:  # quote
                    self.in_string = False
                continue
            if byte in _SPACE:
                continue
            if self.closed:
                self.error = f"bytes follow the end of the array (offset {i} of a piece)"
                return
            if not self.started:
                if byte != 0x5B:  # [
                    self.error = "the chunk is not a JSON array (it does not start with '[')"
                    return
                self.started = True
                self.depth = 1
                continue
            if byte == 0x22:
                self.in_string = True
            elif byte in (0x5B, 0x7B):  # [ {
                self.depth += 1
            elif byte in (0x5D, 0x7D):  # ] }
                self.depth -= 1
                if self.depth == 0:
                    self.closed = True

    def problem(self, *, at_end: bool) -> str | None:
        if self.error is not None:
            return self.error
        if at_end and not self.closed:
            return "the chunk ends before its JSON array does (cut or garbled)"
        return None


class ChunkStream(FileStream):
    """A :class:`FileStream` whose bytes must form one JSON array."""

    def __init__(self, response: HttpResponse, *, what: str, **kw: Any) -> None:
        super().__init__(response, **kw)
        self.what = what

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        frame = ArrayFrame()
        for piece in super().chunks(size):
            frame.feed(piece)
            if (problem := frame.problem(at_end=False)) is not None:
                raise TransportError(f"{PROVIDER} {self.what}: {problem}", provider=PROVIDER)
            yield piece
        if (problem := frame.problem(at_end=True)) is not None:
            raise TransportError(f"{PROVIDER} {self.what}: {problem}", provider=PROVIDER)
