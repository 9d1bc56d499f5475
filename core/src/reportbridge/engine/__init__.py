"""The batch engine: many jobs driven to completion by a few threads.

It sits below the façade: it drives jobs through :class:`~reportbridge.engine.ops.JobOperations`
(which :class:`~reportbridge.facade.Reports` implements) and the neutral model, and never
imports the façade. :mod:`reportbridge.batch` is its public face.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from reportbridge.engine.ops import JobOperations
from reportbridge.engine.records import JobEvent, JobOutcome, JobRequest


def run_many(
    reports: JobOperations,
    requests: Iterable[JobRequest],
    *,
    dest_dir: Path | str | Callable[[JobRequest], os.PathLike[str]] | None = None,
    timeout: float | None = None,
    on_event: Callable[[JobEvent], None] | None = None,
    stop: threading.Event | None = None,
    max_poll_errors: int = 5,
    learn_durations: bool = True,
) -> Iterator[JobOutcome]:
    """Submit (or resume), wait for and optionally fetch each request.

    Each profile runs at most ``min(concurrency, max_active_jobs)`` jobs at once;
    profiles run side by side. Outcomes are yielded as jobs complete. Errors are
    reported per request in the outcome, never raised; polls ride out up to
    ``max_poll_errors`` transient failures in a row, as in ``Reports.wait``. A waiting
    job holds no thread, and where the provider can answer for many jobs in one
    request, one such request polls them all (see ``reportbridge.engine.driver``).

    ``on_event`` is called from worker threads as well as the caller's: keep it quick
    and thread-safe. Setting ``stop`` ends the batch (the loop raises KeyboardInterrupt),
    as does leaving the loop early: no new job is submitted, downloads in progress are
    abandoned (nothing partial is kept) and jobs already submitted keep running at the
    vendor; their references were in the ``submitted`` events.

    A job just submitted is first polled after the policy's ``initial`` delay (the
    submit answer is its first status). With ``learn_durations`` (the default), a job is
    not polled before the shortest time jobs of its profile and report type in this
    batch were seen running, once five of them have succeeded — never waiting more
    than the policy's ``cap`` between two polls, nor past the timeout
    (``reportbridge.engine.learned``).
    """
    from reportbridge.engine.driver import BatchDriver

    yield from BatchDriver(
        reports,
        requests,
        dest_dir=dest_dir,
        timeout=timeout,
        emit=on_event or (lambda _e: None),
        stop=stop or threading.Event(),
        max_poll_errors=max_poll_errors,
        learn_durations=learn_durations,
    )


__all__ = ["JobEvent", "JobOperations", "JobOutcome", "JobRequest", "run_many"]
