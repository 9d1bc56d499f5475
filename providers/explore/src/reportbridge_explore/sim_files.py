"""Report files the simulator serves: valid csv, json and json_bulk of about any size.

Every record has the same length, so any byte range is computed without building
the file: a prefix, ``count`` records with separators, a suffix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from reportbridge.testing import SyntheticFile

CONTENT_TYPES = {"csv": "text/csv", "json": "application/json", "json_bulk": "application/json"}
_COLUMNS = ("id", "started_at", "direction", "duration", "agent")


class ReportFile(SyntheticFile):
    """About ``size`` bytes (never less than one record) of a report in ``fmt``."""

    def __init__(self, size: int, *, seed: str, fmt: str, report_type: str) -> None:
        super().__init__(0, seed=seed)
        self.fmt = fmt
        self._tag = hashlib.sha256(seed.encode()).hexdigest()[:8]
        if fmt == "csv":
            self._prefix, self._sep, self._suffix = ",".join(_COLUMNS).encode() + b"\n", b"", b""
        elif fmt == "json_bulk":
            self._prefix, self._sep, self._suffix = b"", b"", b""
        else:
            head = {"type": report_type, "version": "v1"}
            self._prefix = json.dumps(head)[:-1].encode() + b', "entries": ['
            self._sep = b", "
            self._suffix = b'], "total": '
        self._width = len(self._record(0))
        fixed = len(self._prefix) + len(self._suffix) + 12
        self.count = max(1, (size - fixed) // (self._width + len(self._sep)))
        if fmt == "json":
            self._suffix += str(self.count).encode() + b"}\n"
        self.size = (
            len(self._prefix)
            + self.count * self._width
            + (self.count - 1) * len(self._sep)
            + len(self._suffix)
        )
        self.header = self._prefix

    def _record(self, n: int) -> bytes:
        # Fixed-width values: ids and numbers keep their digit count for every n.
        values = (
            f"{self._tag}-{1_000_000_000 + n}",
            f"2025-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            ("incoming", "outgoing")[n % 2],
            str(100 + (n * 37) % 900),
            f"agent{1000 + n % 9000}",
        )
        if self.fmt == "csv":
            return (",".join(values) + "\n").encode()
        row: dict[str, str | int] = dict(zip(_COLUMNS, values, strict=True))
        row["duration"] = int(values[3])
        text = json.dumps(row)
        return (text + "\n").encode() if self.fmt == "json_bulk" else text.encode()

    def iter_range(
        self, start: int = 0, end: int | None = None, chunk: int = 64 * 1024
    ) -> Iterator[bytes]:
        end = self.size if end is None else min(end, self.size)
        pos = start
        while pos < end:
            piece = self._piece_at(pos)[: end - pos][:chunk]
            yield piece
            pos += len(piece)

    def _piece_at(self, pos: int) -> bytes:
        """The bytes from ``pos`` to the end of the part (prefix, record...) holding it."""
        if pos < len(self._prefix):
            return self._prefix[pos:]
        pos -= len(self._prefix)
        stride = self._width + len(self._sep)
        body = self.count * stride - len(self._sep)
        if pos < body:
            n, off = divmod(pos, stride)
            record = self._record(n) + (self._sep if n < self.count - 1 else b"")
            return record[off:]
        return self._suffix[pos - body :]
