"""What observer plugins see: operations and the HTTP exchanges inside them.

The façade runs each job operation (submit, poll, cancel, the fetch of one result part)
inside :func:`operation_scope`: observers hear ``operation_started`` and
``operation_finished`` (see :mod:`reportbridge.hookspecs`), and every HTTP exchange the
profile's clients make is reported as an :class:`HttpExchange` (``http_exchange``),
tagged with the operation it belongs to.

Nothing here ever holds a secret: an exchange names the origin and path of a request
(never its query string, where signed URLs carry their signatures), its status and
timing, never a header or body.

Trace context: an observer may put W3C trace-context headers (``traceparent``,
``tracestate``) in :attr:`Operation.trace_headers` when it hears ``operation_started``.
The HTTP client adds them to that operation's requests that carry the API's
credentials — the vendor's own API origin — and to no other request: never to a token
host, a signed storage URL, a redirect elsewhere, or when the profile sets
``transport.trace_context = false``.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from reportbridge.model import FetchedFile, ReportJob

#: the headers an observer may ask the client to send (W3C Trace Context)
TRACE_HEADERS = frozenset({"traceparent", "tracestate"})
_ids = itertools.count(1)
_current: contextvars.ContextVar[Operation | None] = contextvars.ContextVar(
    "reportbridge_operation", default=None
)


@attrs.frozen
class Operation:
    """One job operation as the façade runs it.

    ``kind`` is ``submit``, ``poll``, ``poll_many``, ``cancel`` or ``fetch`` (one result
    part). ``job_id`` is None for a submit (the vendor has not named the job yet) and
    for ``poll_many``, whose ``job_ids`` are the jobs it asks about. ``started_at`` is
    wall-clock time (seconds since the epoch).
    """

    kind: str
    profile: str
    provider: str
    job_id: str | None = None
    report_type: str | None = None
    part: str | None = None
    job_ids: tuple[str, ...] = ()
    started_at: float = attrs.field(factory=time.time)
    id: int = attrs.field(factory=lambda: next(_ids))
    #: W3C trace-context headers for this operation's API requests (observers set them)
    trace_headers: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)


@attrs.frozen
class OperationOutcome:
    """How an operation ended: the job as it stands after it (the new job of a submit),
    the jobs a ``poll_many`` was answered for, the file of a fetch, or the error (its
    type name and redacted one-line message)."""

    elapsed: float
    job: ReportJob | None = None
    jobs: tuple[ReportJob, ...] = ()
    file: FetchedFile | None = None
    error: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen
class HttpExchange:
    """One request sent and what came of it.

    ``status`` is None when no answer came (connection refused, timed out, cut).
    ``retry`` says why the client sends the request again (``HTTP 429``, ``HTTP 503``,
    ``ConnectTimeoutError``, ``HTTP 401 (new token)``...) and is None when it does not;
    a redirect that is followed has ``redirected`` set. ``origin`` is
    ``scheme://host:port`` and ``path`` never carries a query string. ``api`` is True
    on the API's own origin (False: a token host, file storage, a redirect elsewhere).
    """

    method: str
    origin: str
    path: str
    status: int | None
    attempt: int
    elapsed: float
    what: str
    provider: str | None
    api: bool
    proxied: bool = False
    retry: str | None = None
    redirected: bool = False
    request_id: str | None = None
    operation: Operation | None = None


def current_operation() -> Operation | None:
    """The operation the calling code runs in, if any."""
    return _current.get()


@attrs.define
class OperationRun:
    """What the façade fills in while an operation runs (see :func:`operation_scope`)."""

    operation: Operation
    job: ReportJob | None = None
    jobs: tuple[ReportJob, ...] = ()
    file: FetchedFile | None = None


@contextlib.contextmanager
def operation_scope(operation: Operation, hooks: Any) -> Iterator[OperationRun]:
    """Run the block as ``operation``: observers hear it start and finish (with the
    outcome the block leaves in the yielded :class:`OperationRun`, or its error)."""
    from reportbridge.errortext import one_line

    run = OperationRun(operation)
    hooks.operation_started(operation=operation)
    started = time.monotonic()
    token = _current.set(operation)
    error: BaseException | None = None
    try:
        yield run
    except BaseException as exc:
        error = exc
        raise
    finally:
        _current.reset(token)
        outcome = OperationOutcome(
            elapsed=time.monotonic() - started,
            job=run.job,
            jobs=run.jobs,
            file=run.file,
            error=None if error is None else type(error).__name__,
            message=None if error is None else one_line(error),
        )
        hooks.operation_finished(operation=operation, outcome=outcome)


__all__ = [
    "TRACE_HEADERS",
    "HttpExchange",
    "Operation",
    "OperationOutcome",
    "OperationRun",
    "current_operation",
    "operation_scope",
]
