"""Progress of running jobs: a live table on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

import attrs

from reportbridge.cli.output import human_bytes
from reportbridge.cli.terminal import clean
from reportbridge.engine import JobEvent


@attrs.define
class Row:
    provider: str
    profile: str
    report_type: str
    status: str = "queued"
    started: float = attrs.field(factory=time.monotonic)
    ended: float | None = None
    bytes_done: int = 0
    #: bytes and count of the files (result parts) already written
    bytes_files: int = 0
    files: int = 0
    job_status: str = ""  # the job's own status, shown once per change

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class ProgressView:
    """Receives :class:`JobEvent` s; renders them live (rich) or as plain lines."""

    def __init__(self, *, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live_enabled = self.stream.isatty() if live is None else live
        self.rows: dict[str, Row] = {}
        self._lock = threading.Lock()
        self._live: Any = None

    def __enter__(self) -> ProgressView:
        if self.live_enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                get_renderable=self._table,
                console=Console(file=self.stream),
                refresh_per_second=4,
                transient=False,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.__exit__(None, None, None)
            self._live = None

    def add(self, key: str, provider: str, profile: str, report_type: str) -> None:
        with self._lock:
            self.rows.setdefault(key, Row(provider, profile, report_type))

    def event(self, event: JobEvent, provider: str = "") -> None:
        req = event.request
        key = req.key or f"{req.profile}:{req.report_type}:{id(req)}"
        with self._lock:
            row = self.rows.setdefault(key, Row(provider, req.profile, req.report_type))
            line: str | None = None
            if event.kind in ("submitting", "resumed"):
                row.status = event.kind
            elif event.kind in ("submitted", "status") and event.job is not None:
                row.provider = event.job.provider
                new = event.job.status.value
                if new != row.job_status:
                    line = f"{key}: {new} (vendor: {event.job.provider_status})"
                row.status = row.job_status = new
                if event.job.is_terminal and row.ended is None:
                    row.ended = time.monotonic()
            elif event.kind == "progress":
                row.bytes_done = row.bytes_files + event.bytes_done
                row.status = "fetching"
            elif event.kind == "fetched" and event.file is not None:
                row.bytes_files += event.file.size
                row.bytes_done, row.files = row.bytes_files, row.files + 1
                row.status = "fetched" if row.files == 1 else f"fetched {row.files} files"
                line = f"{key}: fetched {event.file.path.name} ({human_bytes(event.file.size)})"
        if line is not None and not self.live_enabled:
            self._plain(f"{row.provider}/{row.profile} {line}")

    def done(self, key: str, status: str) -> None:
        with self._lock:
            row = self.rows.get(key)
            if row is not None:
                row.status = status
                row.ended = row.ended or time.monotonic()

    def _plain(self, text: str) -> None:
        self.stream.write(clean(text) + "\n")
        self.stream.flush()

    def _table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            items = list(self.rows.items())
        shown, caption = _live_rows(items)
        table = Table(expand=False, header_style="bold", caption=caption)
        for col in ("job", "provider", "profile", "type", "status", "elapsed", "fetched"):
            table.add_column(col)
        for key, row in shown:
            cells = (
                key,
                row.provider,
                row.profile,
                row.report_type,
                row.status,
                f"{row.elapsed:5.1f}s",
                human_bytes(row.bytes_done) if row.bytes_done else "",
            )  # vendor text: no markup, no control characters
            table.add_row(*(Text(clean(cell)) for cell in cells))
        return table


#: rows the live table shows at most; a larger batch shows its unfinished jobs, longest first
LIVE_ROWS = 30


def _live_rows(items: list[tuple[str, Row]]) -> tuple[list[tuple[str, Row]], str | None]:
    """The rows to draw, and a caption counting every job when not all are drawn.

    Rendering every row four times a second cost a core at 10,000 jobs and drew far more
    than a terminal holds; above ``LIVE_ROWS`` the table keeps to what is still running.
    """
    if len(items) <= LIVE_ROWS:
        return items, None
    counts = Counter(row.status for _key, row in items)
    # rows are kept in the order they were made, so the first are those waiting longest
    open_ = [(k, r) for k, r in items if r.ended is None]
    shown = open_[:LIVE_ROWS]
    tally = ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items()))
    return shown, f"{len(items):,} jobs: {tally}; showing {len(shown)} of {len(open_):,} unfinished"
