"""pluggy hook specifications (project name ``reportbridge``).

Provider plugins implement :func:`register_providers`; a plugin may add secret
stores with :func:`register_secret_resolvers`. Any plugin may observe the
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
    from reportbridge.events import HttpExchange, Operation, OperationOutcome
    from reportbridge.model import FetchedFile, ReportJob
    from reportbridge.provider import Provider
    from reportbridge.status import ReportStatus
    from reportbridge.transport.observe import SentRequest

PROJECT = "reportbridge"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers(register: Callable[[Provider], None]) -> None:
    """Call ``register(provider)`` for each provider this plugin offers."""


@hookspec
def job_submitted(job: ReportJob, requests: tuple[SentRequest, ...]) -> None:
    """A job was accepted by its vendor; ``requests`` are the HTTP requests the submit
    made (method, origin, path, status, vendor request id; never a secret). An
    implementation may leave ``requests`` out of its signature."""


@hookspec
def job_status_changed(job: ReportJob, previous: ReportStatus) -> None:
    """A poll moved ``job`` to a new neutral status (``job.status``)."""


@hookspec
def file_fetched(job: ReportJob, file: FetchedFile) -> None:
    """A report file was downloaded, verified and renamed into place."""


@hookspec
def register_secret_resolvers(register: Callable[[str, Callable[[str], str]], None]) -> None:
    """Call ``register(scheme, resolver)`` for each secret store this plugin offers.

    A profile value ``${scheme:name}`` is then ``resolver(name)``: the secret as text.
    The resolver raises (any exception) when it cannot give it; the error is reported
    with the setting and the reference, never a value. Schemes are lower-case and
    cannot replace the built-in ``env``, ``file`` and ``keyring``
    (see :mod:`reportbridge.secrets`).
    """


@hookspec
def operation_started(operation: Operation) -> None:
    """A job operation (submit, poll, poll_many, cancel, the fetch of one part) begins.

    An observer may put W3C trace-context headers in ``operation.trace_headers``: they
    go with the operation's requests to the vendor's API origin and nowhere else
    (see :mod:`reportbridge.events`)."""


@hookspec
def operation_finished(operation: Operation, outcome: OperationOutcome) -> None:
    """A job operation ended (``outcome.error`` names its error type when it failed)."""


@hookspec
def http_exchange(exchange: HttpExchange) -> None:
    """A request was sent and its fate is known: answered, sent again (``retry`` says
    why), redirected, or failed. Called for every attempt, token requests and downloads
    included; never carries a query string, header or body."""
