"""pluggy hook specifications (project name ``reportbridge``).

Provider plugins implement :func:`register_providers`. Any plugin may observe the
lifecycle by implementing the other hooks; they are called after the fact and
their return values are ignored. Each plugin's implementation is called on its own:
an exception in an observer is logged (one line, redacted) and the other observers
and the job go on. Observers should be quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from reportbridge.model import FetchedFile, ReportJob
    from reportbridge.provider import Provider
    from reportbridge.status import ReportStatus

PROJECT = "reportbridge"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers(register: Callable[[Provider], None]) -> None:
    """Call ``register(provider)`` for each provider this plugin offers."""


@hookspec
def job_submitted(job: ReportJob) -> None:
    """A job was accepted by its vendor."""


@hookspec
def job_status_changed(job: ReportJob, previous: ReportStatus) -> None:
    """A poll moved ``job`` to a new neutral status (``job.status``)."""


@hookspec
def file_fetched(job: ReportJob, file: FetchedFile) -> None:
    """A report file was downloaded, verified and renamed into place."""
