"""The simulated exports: how one moves through its states, and the chunks it produces.

An export is queued for the first tenth of ``job_seconds``, then builds its chunks one
after another until ``job_seconds``; a cancel freezes it (chunks made before stay
downloadable). Chunk content is a pure function of the export id, the chunk number and
the format, so a test knows what was served.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from typing import Any

import attrs

from reportbridge.testing import SyntheticFile

QUEUED_SHARE = 0.1
ACTIVE = ("queued", "building")
HEADERS = {
    "audit_events": ("time", "actor", "action", "severity"),
    "users": ("id", "email", "status", "groups"),
}
_ACTIONS = ("login", "logout", "role.grant", "role.revoke", "export.create", "key.rotate")
_SEVERITIES = ("info", "notice", "warning", "critical")


@attrs.define
class SimExport:
    id: str
    report: str
    filters: dict[str, Any]
    seq: int
    created: float  # monotonic
    created_at: str  # wall clock, as the vendor shows it
    job_seconds: float
    chunks: int
    failed: frozenset[int]
    outcome: str  # "ready" or "failed"
    rows: int  # in each chunk
    cancelled_at: float | None = None

    def _at(self, n: int) -> float:
        queued = self.job_seconds * QUEUED_SHARE
        return self.created + queued + (self.job_seconds - queued) * n / self.chunks

    def state(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        age = now - self.created
        if age < self.job_seconds * QUEUED_SHARE:
            return "queued"
        if age < self.job_seconds:
            return "building"
        if self.outcome == "failed":
            return "failed"
        return "ready_with_errors" if self.failed else "ready"

    def made(self, now: float) -> list[int]:
        """The chunks made by ``now`` (or by the cancel), in order."""
        if self.outcome == "failed":
            return []
        until = min(now, self.cancelled_at) if self.cancelled_at is not None else now
        return [n for n in range(1, self.chunks + 1) if self._at(n) <= until]

    def view(self, now: float, *, chunks: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "report": self.report,
            "state": self.state(now),
            "created_at": self.created_at,
            "chunks_total": self.chunks,
        }
        if self.state(now) == "failed":
            body["error"] = "the export could not be built; start it again"
        if chunks:
            body["chunks"] = [self._chunk(n) for n in self.made(now)]
        return body

    def _chunk(self, n: int) -> dict[str, Any]:
        if n in self.failed:
            return {"n": n, "state": "failed", "error": f"chunk {n} failed to build"}
        return {"n": n, "state": "ready", "rows": self.rows}


class ChunkBody(SyntheticFile):
    """The bytes of one chunk in one format, held whole (chunks are small), served with
    Range support by ``Response.file``."""

    def __init__(self, data: bytes) -> None:
        super().__init__(0)
        self.data = data
        self.size = len(data)

    def iter_range(
        self, start: int = 0, end: int | None = None, chunk: int = 64 * 1024
    ) -> Iterator[bytes]:
        end = self.size if end is None else min(end, self.size)
        for pos in range(start, end, chunk):
            yield self.data[pos : min(end, pos + chunk)]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def chunk_body(export: SimExport, n: int, fmt: str) -> ChunkBody:
    """Chunk ``n`` of ``export`` in ``fmt`` (csv with a header line, or JSON lines)."""
    rng = random.Random(f"{export.id}:{n}")
    lines = [",".join(HEADERS[export.report])] if fmt == "csv" else []
    for k in range(export.rows):
        row = _row(export.report, rng, n * 100_000 + k)
        if fmt == "csv":
            lines.append(
                ",".join("|".join(v) if isinstance(v, list) else str(v) for v in row.values())
            )
        else:
            lines.append(json.dumps(row, separators=(",", ":")))
    return ChunkBody(("\n".join(lines) + "\n").encode())


def _row(report: str, rng: random.Random, k: int) -> dict[str, Any]:
    if report == "users":
        return {
            "id": f"u{k:08d}",
            "email": f"user{k}@acme.example",
            "status": rng.choice(("active", "active", "suspended")),
            "groups": sorted(rng.sample(("admins", "audit", "dev", "ops", "sales"), 2)),
        }
    return {
        "time": f"2025-{1 + k % 12:02d}-{1 + k % 28:02d}T{k % 24:02d}:{k % 60:02d}:00Z",
        "actor": f"user{rng.randrange(500)}@acme.example",
        "action": rng.choice(_ACTIONS),
        "severity": rng.choice(_SEVERITIES),
    }
