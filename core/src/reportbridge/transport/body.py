"""Reading answer bodies without trusting their size or their encoding.

The client asks for ``Accept-Encoding: identity``; a server may still compress. Only
``gzip`` (also ``x-gzip``) and ``deflate`` are understood, decoded here a bounded piece
at a time, so a small compressed body that inflates to gigabytes is met piece by piece
and never held whole. Any other encoding is refused.

- API answers (:func:`read_capped`) stop at ``cap`` decoded bytes (and at ``cap``
  bytes on the wire) with :class:`~reportbridge.errors.ResponseTooLargeError`.
- Downloads (:func:`decoded_chunks`) may be any size; they are decoded while
  streaming, so the file stored (and hashed) is the content, never its compressed form.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

READ_PIECE = 64 * 1024
#: what ``drain`` reads of an unwanted body to keep the connection; more closes it
DRAIN_LIMIT = 64 * 1024
DECODABLE = ("gzip", "x-gzip", "deflate", "identity")


class EncodingError(ValueError):
    """A Content-Encoding that is not understood, or a body that does not decode."""


class Decoder:
    """Decodes one body's Content-Encoding a bounded piece at a time."""

    def __init__(self, encoding: str | None) -> None:
        name = (encoding or "identity").strip().lower()
        if "," in name:
            raise EncodingError(f"stacked Content-Encoding {name!r} is not accepted")
        if name not in DECODABLE:
            raise EncodingError(
                f"Content-Encoding {name!r} is not accepted (accepted: gzip, deflate, identity)"
            )
        self.name = "identity" if name == "identity" else name
        self._z: Any = None
        self._gzip = name in ("gzip", "x-gzip")
        self._head = b""  # deflate's first bytes, until they tell zlib from raw deflate

    @property
    def identity(self) -> bool:
        return self.name == "identity"

    def feed(self, data: bytes, size: int) -> Iterator[bytes]:
        """The decoded form of ``data``, in pieces of at most ``size`` bytes."""
        if self.identity:
            for start in range(0, len(data), size):
                yield data[start : start + size]
            return
        if self._z is None and not self._gzip and len(self._head + data) < 2:
            self._head += data
            return
        data, self._head = self._head + data, b""
        full = False
        while data or full:
            if self._z is None or (self._z.eof and data):
                if self._z is not None and not self._gzip:
                    raise EncodingError("data follows the end of the deflate stream")
                # a gzip body may hold several members, one after the other
                self._z = zlib.decompressobj(self._wbits(data))
            try:
                piece = self._z.decompress(data, size)
            except zlib.error as exc:
                raise EncodingError(f"the {self.name} body does not decode ({exc})") from None
            if piece:
                yield piece
            # output held back by the size bound comes with the next call, even on no input
            full = len(piece) == size and not self._z.eof
            data = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")

    def finish(self) -> None:
        """Raise if the body ended inside a compressed stream (a cut body)."""
        if not self.identity and (self._z is None or not self._z.eof):
            raise EncodingError(f"the {self.name} body ended before its end marker")

    def _wbits(self, data: bytes) -> int:
        if self._gzip:
            return 16 + zlib.MAX_WBITS
        # "deflate" is meant as zlib-wrapped; some servers send raw deflate instead
        zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


class TooLarge(Exception):
    """The body passed the cap (the caller turns it into its typed error)."""


def read_capped(raw: Any, cap: int) -> bytes:
    """The whole decoded body of ``raw`` (a urllib3 response), at most ``cap`` bytes.

    Raises :class:`TooLarge` past the cap, :class:`EncodingError` for a body that is
    not decodable; errors of the connection propagate as urllib3 raises them.
    """
    decoder = Decoder(raw.headers.get("Content-Encoding"))
    declared = raw.headers.get("Content-Length")
    announced = declared.strip() if declared is not None else ""
    if decoder.identity and announced.isdigit() and int(announced) > cap:
        raise TooLarge
    out = bytearray()
    wire = 0
    while True:
        data = raw.read1(READ_PIECE, decode_content=False)
        if not data:
            break
        wire += len(data)
        if wire > cap:
            raise TooLarge
        for piece in decoder.feed(data, cap + 1 - len(out)):
            out += piece
            if len(out) > cap:
                raise TooLarge
    decoder.finish()
    return bytes(out)


def decoded_chunks(raw: Any, size: int) -> Iterator[bytes]:
    """The body of a streamed response, decoded, in chunks of at most ``size`` bytes."""
    decoder = Decoder(raw.headers.get("Content-Encoding"))
    for data in raw.stream(size, decode_content=False):
        yield from decoder.feed(data, size)
    decoder.finish()


class Refill:
    """Copies pieces of an iterator of bytes into the caller's buffers (``readinto``)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._left = memoryview(b"")

    def readinto(self, buf: memoryview) -> int:
        """Up to ``len(buf)`` next bytes into ``buf``; 0 when the pieces are done."""
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = memoryview(piece)
        n = min(len(buf), len(self._left))
        buf[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def drain(raw: Any) -> bool:
    """Read what is left of a small unwanted body; False when it was too long to wait for."""
    read = 0
    while read <= DRAIN_LIMIT:
        data = raw.read1(READ_PIECE, decode_content=False)
        if not data:
            return True
        read += len(data)
    return False


__all__ = [
    "DECODABLE",
    "Decoder",
    "EncodingError",
    "Refill",
    "TooLarge",
    "decoded_chunks",
    "read_capped",
]
