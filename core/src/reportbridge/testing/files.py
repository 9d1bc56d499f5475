"""Deterministic file bodies of any size, generated on the fly (never held in memory)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

BLOCK = 64 * 1024


class SyntheticFile:
    """``size`` bytes made by repeating a block derived from ``seed``.

    With ``header`` (e.g. a CSV header line) the body starts with it and continues
    with CSV-like rows, so small files look like real reports. Any byte range can be
    produced, which is what HTTP Range support needs.
    """

    def __init__(self, size: int, seed: str = "", header: bytes = b"") -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.size = size
        self.seed = seed
        self.header = header[:size]
        self._block = _make_block(seed)
        self._sha: str | None = None

    def iter_range(
        self, start: int = 0, end: int | None = None, chunk: int = BLOCK
    ) -> Iterator[bytes]:
        """Bytes ``start`` .. ``end`` (exclusive), in chunks of at most ``chunk``."""
        end = self.size if end is None else min(end, self.size)
        pos = start
        hlen = len(self.header)
        while pos < end:
            if pos < hlen:
                piece = self.header[pos : min(hlen, end, pos + chunk)]
            else:
                off = (pos - hlen) % BLOCK
                n = min(chunk, end - pos, BLOCK - off)
                piece = self._block[off : off + n]
            yield piece
            pos += len(piece)

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_range()

    @property
    def sha256(self) -> str:
        """The digest of the whole body (computed once, streaming)."""
        if self._sha is None:
            h = hashlib.sha256()
            for piece in self.iter_range(chunk=1 << 20):
                h.update(piece)
            self._sha = h.hexdigest()
        return self._sha

    @property
    def rows(self) -> int:
        """Lines after the first (the header), as a CSV reader counts this body's records."""
        body = self.size - len(self.header)
        full, rest = divmod(body, BLOCK)
        newlines = self.header.count(b"\n") + full * self._block.count(b"\n")
        newlines += self._block[:rest].count(b"\n")
        last = (
            self._block[(body - 1) % BLOCK : (body - 1) % BLOCK + 1] if body else self.header[-1:]
        )
        lines = newlines + (1 if last not in (b"", b"\n") else 0)
        return max(0, lines - 1)

    def read_all(self) -> bytes:
        return b"".join(self.iter_range())


def _make_block(seed: str) -> bytes:
    rows = []
    n = 0
    size = 0
    digest = hashlib.sha256(seed.encode()).hexdigest()
    while size < BLOCK:
        row = (
            f"{n},{digest[n % 48 : n % 48 + 16]},user{n % 997}@example.com,{(n * 7919) % 100000}\n"
        )
        rows.append(row)
        size += len(row)
        n += 1
    return "".join(rows).encode()[:BLOCK]
