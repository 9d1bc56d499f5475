"""The simulator's exports: how one moves from QUEUED to its end, chunk by chunk.

An export spends ``queued`` seconds QUEUED, then PROCESSING, where its chunks complete
one at a time (in a seeded shuffled order when the vendor's out-of-order completion is
switched on) until the last one; then it is FINISHED (or ERROR). A failed chunk makes
the chunks after it in completion order "cancelled", as Tenable documents.
"""

from __future__ import annotations

import json
import random
from typing import Any

import attrs

ACTIVE = ("QUEUED", "PROCESSING")
PARTIAL_REASON = (
    "{n} of {m} chunks failed to process. The remaining chunks are available for download."
)
ERROR_REASON = "The export request timed out. Try again."


@attrs.frozen
class Timeline:
    """When each chunk of an export completes, and how the export ends."""

    queued: float
    finish: float
    order: tuple[int, ...]  # chunk ids in completion order
    done_at: dict[int, float]  # seconds after creation
    failed: frozenset[int]
    cancelled: frozenset[int]  # the chunks a failure stopped
    outcome: str  # "FINISHED" or "ERROR"
    empty: frozenset[int] = frozenset()  # chunks that hold no record

    @classmethod
    def plan(
        cls,
        *,
        job_seconds: float,
        chunks: int,
        queued_share: float,
        out_of_order: bool,
        failed: frozenset[int],
        cancel_after_failure: bool,
        outcome: str,
        seed: str,
        empty: frozenset[int] = frozenset(),
    ) -> Timeline:
        order = list(range(1, chunks + 1))
        if out_of_order:
            random.Random(seed).shuffle(order)
        queued = job_seconds * queued_share
        step = (job_seconds - queued) / (chunks + 1)
        done_at = {c: queued + step * (k + 1) for k, c in enumerate(order)}
        stopped: set[int] = set()
        hit = [c for c in order if c in failed]
        if hit and cancel_after_failure:
            stopped = set(order[order.index(hit[0]) + 1 :]) - set(failed)
        return cls(
            queued,
            job_seconds,
            tuple(order),
            done_at,
            frozenset(failed),
            frozenset(stopped),
            outcome,
            frozenset(empty),
        )


@attrs.define
class SimExport:
    uuid: str
    kind: str
    body: dict[str, Any]
    created: float  # monotonic
    created_ms: int  # wall clock, as the vendor shows it
    timeline: Timeline
    seq: int
    cancelled_at: float | None = None

    def age(self, now: float) -> float:
        return now - self.created

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "CANCELLED"
        age = self.age(now)
        if age < self.timeline.queued:
            return "QUEUED"
        if age < self.timeline.finish:
            return "PROCESSING"
        return self.timeline.outcome

    def chunk_lists(self, now: float) -> tuple[list[int], list[int], list[int]]:
        """(available, failed, cancelled) chunk ids at ``now``, in completion order."""
        t = self.timeline
        until = self.age(now)
        if self.cancelled_at is not None:
            # Tenable finishes the chunk that is processing when a cancel arrives.
            until = self.cancelled_at - self.created
            running = [c for c in t.order if t.done_at[c] > until and c not in t.cancelled]
            if running and until >= t.queued:
                until = t.done_at[running[0]]
        done = [c for c in t.order if t.done_at[c] <= until and c not in t.cancelled]
        available = [c for c in done if c not in t.failed]
        failed = [c for c in done if c in t.failed]
        if self.status(now) in ("CANCELLED", "ERROR"):
            cancelled = [c for c in t.order if c not in done]
        else:  # a failure cancels the chunks queued after it at once
            cancelled = [c for c in t.order if c in t.cancelled] if failed else []
        return available, failed, cancelled

    def chunk_done_at(self, chunk: int) -> float | None:
        """Monotonic time the chunk became downloadable (None if it never does)."""
        t = self.timeline
        if chunk not in t.done_at or chunk in t.failed or chunk in t.cancelled:
            return None
        return self.created + t.done_at[chunk]

    def view(self, now: float, *, minimal: bool = False) -> dict[str, Any]:
        status = self.status(now)
        available, failed, cancelled = self.chunk_lists(now)
        body: dict[str, Any] = {"status": status, "chunks_available": available}
        if failed and status != "ERROR":
            body["reason"] = PARTIAL_REASON.format(n=len(failed), m=len(self.timeline.order))
        if status == "ERROR":
            body["reason"] = ERROR_REASON
        if minimal:
            return body
        return {
            "uuid": self.uuid,
            **body,
            "chunks_failed": failed,
            "chunks_cancelled": cancelled,
            **self.summary(now),
        }

    def summary(self, now: float) -> dict[str, Any]:
        """What a listing shows of the export."""
        available, failed, _ = self.chunk_lists(now)
        per_chunk = (
            self.body.get("num_assets", 50) if self.kind == "vulns" else self.body.get("chunk_size")
        )
        filters = self.body.get("filters", {})
        return {
            "uuid": self.uuid,
            "status": self.status(now),
            "total_chunks": len(self.timeline.order),
            "chunks_available_count": len(available),
            "empty_chunks_count": sum(1 for c in available if c in self.timeline.empty),
            "finished_chunks": len(available) + len(failed),
            # the vendor's examples show vulns filters as an object, assets filters as text
            "filters": filters if self.kind == "vulns" else _compact(filters),
            "num_assets_per_chunk": per_chunk,
            "created": self.created_ms,
        }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
