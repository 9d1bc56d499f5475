"""Keeping failures where they belong during an audit run.

- :class:`GuardedOperations`: an exception nobody expected (a plugin's bug, a
  RecursionError on a vendor answer...) in one job becomes that job's
  :class:`~reportbridge.errors.UnexpectedError`; the other jobs go on.
- :class:`JournalGuard`: a journal that cannot record (full or read-only disk) stops the
  whole run at its first failure, since jobs it cannot record could be submitted again
  by a re-run; that first failure is the one reported, with the reference of every job
  the vendor accepted but the journal could not record.
- :func:`notify`: the caller's progress display failing never stops the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from reportbridge.engine import JobEvent, JobOperations
from reportbridge.errors import LocalWriteError, ReportBridgeError, UnexpectedError
from reportbridge.errortext import one_line
from reportbridge.logging import get_logger

if TYPE_CHECKING:
    from reportbridge.config import Profile
    from reportbridge.model import FetchedFile, ReportJob, ResultPart

log = get_logger("reportbridge.audit")
T = TypeVar("T")


def unexpected(exc: BaseException) -> UnexpectedError:
    """A typed, one-line, redacted stand-in for an exception nobody expected."""
    return UnexpectedError(f"unexpected {one_line(exc)}")


def _guarded(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    try:
        return fn(*args, **kw)
    except ReportBridgeError:
        raise
    except Exception as exc:
        log.warning("unexpected error in a job", error=f"{type(exc).__name__}: {exc}")
        raise unexpected(exc) from exc


class GuardedOperations:
    """``reports`` for the batch engine, with unexpected exceptions typed per job."""

    def __init__(self, reports: JobOperations) -> None:
        self._reports = reports

    def profile(self, name: str) -> Profile:
        return self._reports.profile(name)

    def max_active_jobs(self, profile: str) -> int | None:
        return self._reports.max_active_jobs(profile)

    def job(self, ref: ReportJob | str) -> ReportJob:
        return _guarded(self._reports.job, ref)

    def run(self, profile: str, report_type: str, /, **params: Any) -> ReportJob:
        return _guarded(self._reports.run, profile, report_type, **params)

    def poll(self, job: ReportJob | str) -> ReportJob:
        return _guarded(self._reports.poll, job)

    def poll_many(
        self, profile: str, jobs: Sequence[ReportJob | str]
    ) -> dict[str, ReportJob] | None:
        return _guarded(self._reports.poll_many, profile, jobs)

    def parts(self, job: ReportJob | str, *, format: str | None = None) -> list[ResultPart]:
        return _guarded(self._reports.parts, job, format=format)

    def fetch(
        self, job: ReportJob | str, dest_dir: str | os.PathLike[str], **options: Any
    ) -> list[FetchedFile]:
        return _guarded(self._reports.fetch, job, dest_dir, **options)

    def fetch_available(
        self, job: ReportJob | str, dest_dir: str | os.PathLike[str], **options: Any
    ) -> list[FetchedFile]:
        return _guarded(self._reports.fetch_available, job, dest_dir, **options)


class JournalGuard:
    """Wraps the journal's recorder: its first failure stops the run and is kept, with
    the reference of every job the vendor accepted but the journal could not record."""

    def __init__(
        self, stop: threading.Event, recorded: Callable[[str, str], bool] | None = None
    ) -> None:
        self.stop = stop
        # whether the journal holds a job's reference after all (a failure may come after it)
        self._recorded = recorded or (lambda _key, _ref: False)
        self._first: ReportBridgeError | None = None
        self.unrecorded: list[str] = []  # references of jobs submitted but not journalled
        self._lock = threading.Lock()

    def recording(self, record: Callable[[JobEvent], None]) -> Callable[[JobEvent], None]:
        def guarded(event: JobEvent) -> None:
            try:
                record(event)
            except ReportBridgeError as exc:
                job = event.job
                if event.kind == "submitted" and job is not None and not self._holds(event):
                    with self._lock:
                        self.unrecorded.append(job.ref)
                raise self.failed(exc) from None

        return guarded

    def _holds(self, event: JobEvent) -> bool:
        assert event.job is not None
        try:
            return self._recorded(event.request.key or "", event.job.ref)
        except Exception:  # the journal cannot even be read: count it as not recorded
            return False

    def failed(self, exc: ReportBridgeError) -> ReportBridgeError:
        with self._lock:
            if self._first is None:
                self._first = exc
        self.stop.set()
        return exc

    @property
    def error(self) -> ReportBridgeError | None:
        """What stopped the run (None: the journal never failed)."""
        with self._lock:
            first, refs = self._first, list(self.unrecorded)
        if first is None or not refs:
            return first
        follow = "; ".join(f"reportbridge wait {ref}" for ref in refs)
        return LocalWriteError(
            f"{first}. The vendor accepted {len(refs)} job(s) the journal could not record; "
            f"a re-run would submit them again. Follow them with: {follow}",
            path=getattr(first, "path", None),
        )


def notify(on_event: Callable[[JobEvent], None] | None, event: JobEvent) -> None:
    """Tell the caller's display about ``event``; its failure is logged, never raised."""
    if on_event is None:
        return
    try:
        on_event(event)
    except Exception as exc:
        log.warning("progress display failed", error=f"{type(exc).__name__}: {exc}")


__all__ = ["GuardedOperations", "JournalGuard", "notify", "unexpected"]
