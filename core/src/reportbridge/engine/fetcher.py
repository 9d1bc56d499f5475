"""What ``run_many`` downloads: parts already available while a job runs, the rest when it ends.

The driver (:mod:`reportbridge.engine.driver`) decides when; this module decides what,
on the driver's worker threads. A request's parts already fetched are in its
:class:`~reportbridge.engine.state.RunState` (``done``, ``files``), so nothing is fetched
twice, and a resumed request starts from what its ``done_parts`` and ``resume_parts`` say.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path

from reportbridge.download import FileNames
from reportbridge.engine.ops import JobOperations
from reportbridge.engine.records import JobEvent, JobRequest
from reportbridge.engine.state import RunState
from reportbridge.errors import ReportBridgeError
from reportbridge.model import FetchedFile, ReportJob, ResultPart

_Progress = Callable[[int, int | None], None]


class Fetcher:
    """Downloads for one batch into ``dest_dir`` (a folder, or a function of the request)."""

    def __init__(
        self,
        reports: JobOperations,
        dest_dir: Path | str | Callable[[JobRequest], os.PathLike[str]] | None,
        emit: Callable[[JobEvent], None],
        stop: threading.Event,
    ) -> None:
        self.reports = reports
        self.dest_dir = dest_dir
        self.emit = emit
        self.stop = stop
        self._names = FileNames()

    @property
    def enabled(self) -> bool:
        return self.dest_dir is not None

    def early_due(self, run: RunState) -> bool:
        """Whether a running job has parts available that are not fetched yet.

        Asked on the loop's thread after each observation; it sends no request (a
        single-file result has none available before its job ends, so it costs nothing).
        """
        job = run.job
        if not self.enabled or job is None or job.is_terminal or run.fetching:
            return False
        try:
            return any(self._todo(run, job, fmt)[1] for fmt in run.request.formats or (None,))
        except ReportBridgeError:
            return False  # a format the job does not offer: the final fetch says so

    def early(self, run: RunState, job: ReportJob) -> None:
        """Fetch what is available now of a job that still runs."""
        for fmt in run.request.formats or (None,):
            resolved, todo = self._todo(run, job, fmt)
            if todo:
                naming, progress, landed = self._callbacks(run, job, fmt)
                self.reports.fetch_available(
                    job,
                    self._folder(run),
                    format=resolved,
                    skip=self._skip(run, resolved),
                    filename=naming,
                    on_progress=progress,
                    on_file=landed,
                )

    def final(self, run: RunState, job: ReportJob) -> None:
        """Fetch every part not fetched yet of a finished job, and the pages to resume."""
        for fmt in run.request.formats or (None,):
            resolved, todo = self._todo(run, job, fmt)
            todo += [
                p
                for p in run.request.resume_parts
                if p.format == resolved and p.key not in run.done
            ]
            if todo:
                naming, progress, landed = self._callbacks(run, job, fmt)
                self.reports.fetch(
                    job,
                    self._folder(run),
                    format=resolved,
                    parts=todo,
                    skip=self._skip(run, resolved),
                    filename=naming,
                    on_progress=progress,
                    on_file=landed,
                )

    # -- helpers ------------------------------------------------------------------------
    def _todo(self, run: RunState, job: ReportJob, fmt: str | None) -> tuple[str, list[ResultPart]]:
        known = self.reports.parts(job, format=fmt)
        resolved = known[0].format if known else (fmt or "")
        return resolved, [p for p in known if p.state == "available" and p.key not in run.done]

    @staticmethod
    def _skip(run: RunState, fmt: str) -> list[str]:
        return [part for (f, part) in run.done if f == fmt]

    def _folder(self, run: RunState) -> os.PathLike[str]:
        dest = self.dest_dir
        assert dest is not None
        return dest(run.request) if callable(dest) else Path(dest)

    def _callbacks(
        self, run: RunState, job: ReportJob, fmt: str | None
    ) -> tuple[
        Callable[[str], str], Callable[[int, int | None], None], Callable[[FetchedFile], None]
    ]:
        """How a fetch names files (unique in the batch), reports progress and each file."""
        req = run.request
        folder = self._folder(run)

        def progress(done: int, total: int | None) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt  # a long download ends with the batch; nothing is kept
            self.emit(JobEvent("progress", req, job, bytes_done=done, bytes_total=total))

        def landed(file: FetchedFile) -> None:
            run.part_done((file.format, file.part or file.format))
            run.files.append(file)
            self.emit(JobEvent("fetched", req, job, file=file))

        return functools.partial(self._names.claim, folder, job=job, format=fmt), progress, landed


__all__ = ["Fetcher"]
