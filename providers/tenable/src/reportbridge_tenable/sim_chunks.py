"""Chunks the simulator serves: JSON arrays of findings or assets, about any size.

Content is a pure function of the seed (the export uuid and chunk id), so a test knows
what was served. Every record is padded with spaces to one width, so any byte range is
computed without building the chunk (what Range requests need).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator

from reportbridge.testing import SyntheticFile

SEVERITIES = ("info", "low", "medium", "high", "critical")
STATES = ("OPEN", "REOPENED", "FIXED")
FAMILIES = ("Windows", "General", "Web Servers", "Ubuntu Local Security Checks")
SOURCES = ("NESSUS_SCAN", "NESSUS_AGENT", "AWS")
_CYCLE = 60  # every combination of the choices above comes round within this many records


def _address(n: int) -> str:
    """An IPv4 address whose octets all have three digits, so every record has one length."""
    return f"10.{100 + n // 22500 % 150}.{100 + n // 150 % 150}.{100 + n % 150}"


def seeded_uuid(*parts: object) -> str:
    """A UUID derived from ``parts`` (the same parts give the same UUID)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class ChunkFile(SyntheticFile):
    """About ``size`` bytes (never less than one record) of a ``kind`` export chunk;
    ``empty`` makes it ``[]`` (Tenable counts such chunks in ``empty_chunks_count``)."""

    def __init__(self, size: int, *, seed: str, kind: str, empty: bool = False) -> None:
        super().__init__(0, seed=seed)
        self.kind = kind
        self.count = 0
        self._width = 0
        if not empty:
            self._width = max(len(self._raw(n)) for n in range(_CYCLE))
            self.count = max(1, (size - 3) // (self._width + 1))
        body = self.count * self._width + max(0, self.count - 1)
        self.size = 1 + body + 2  # "[" records "]\n"

    def _raw(self, n: int) -> bytes:
        if self.kind == "assets":
            record: dict[str, object] = {
                "id": seeded_uuid(self.seed, n),
                "has_agent": n % 2 == 0,
                "created_at": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00.000Z",
                "ipv4s": [_address(n)],
                "fqdns": [f"host-{n:08d}.example.internal"],
                "operating_systems": ["Linux"] if n % 3 else ["Microsoft Windows Server 2022"],
                "sources": [{"name": SOURCES[n % len(SOURCES)]}],
            }
        else:
            record = {
                "asset": {
                    "uuid": seeded_uuid(self.seed, "asset", n // 4),
                    "hostname": f"host-{n // 4:08d}",
                    "ipv4": _address(n // 4),
                },
                "plugin": {
                    "id": 100000 + (n * 7919) % 90000,
                    "family": FAMILIES[n % len(FAMILIES)],
                },
                "port": {"port": 443, "protocol": "TCP"},
                "severity": SEVERITIES[n % len(SEVERITIES)],
                "state": STATES[n % len(STATES)],
                "first_found": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00.000Z",
                "finding_id": seeded_uuid(self.seed, "finding", n),
            }
        return json.dumps(record, separators=(",", ":")).encode()

    def _record(self, n: int) -> bytes:
        raw = self._raw(n)
        if len(raw) > self._width:  # the layout would shift: never serve broken JSON
            raise AssertionError(f"record {n} is {len(raw)} bytes, wider than {self._width}")
        return raw + b" " * (self._width - len(raw))

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
        """The bytes from ``pos`` to the end of the piece (bracket, record...) holding it."""
        if pos == 0:
            return b"["
        stride = self._width + 1
        body = self.count * stride - 1 if self.count else 0
        offset = pos - 1
        if offset < body:
            n, off = divmod(offset, stride)
            record = self._record(n) + (b"," if n < self.count - 1 else b"")
            return record[off:]
        return b"]\n"[offset - body :]
