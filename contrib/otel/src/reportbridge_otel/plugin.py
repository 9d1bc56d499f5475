"""The observer plugin: reportbridge's job lifecycle as OpenTelemetry spans and metrics.

Installed, it registers itself through the ``reportbridge`` entry point (:data:`PLUGIN`)
and reports to the global tracer and meter providers, which the application (or
``opentelemetry-instrument``) configures; with none configured, the OpenTelemetry API
does nothing. Build an :class:`OtelObserver` with providers of your own to report
elsewhere (tests use the SDK's in-memory exporters).

What it produces is listed in :mod:`reportbridge_otel.names`. No attribute ever holds a
secret, a query string or a signed URL: exchanges carry origin and path only (see
:class:`reportbridge.events.HttpExchange`), and error messages are redacted by the core.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import threading

import attrs
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from reportbridge.events import TRACE_HEADERS, HttpExchange, Operation, OperationOutcome
from reportbridge.hookspecs import hookimpl
from reportbridge.model import FetchedFile, ReportJob
from reportbridge.status import ReportStatus
from reportbridge_otel import names
from reportbridge_otel.instruments import Instruments

#: "0", "false", "no" or "off" turn trace-context propagation off for the entry-point plugin
PROPAGATE_ENV = "REPORTBRIDGE_OTEL_PROPAGATE"
_W3C = TraceContextTextMapPropagator()


@attrs.define
class _JobSpan:
    span: Span
    open_operations: int = 0
    finished: bool = False


@attrs.define
class _OperationSpan:
    span: Span
    job: tuple[str, str] | None
    token: object | None = None


class OtelObserver:
    """Spans and metrics for every job, operation and HTTP exchange reportbridge runs.

    - ``tracer_provider``, ``meter_provider``: where to report (default: the global ones);
    - ``propagate``: send W3C trace context (``traceparent``) with the vendor API requests
      of each operation (the core sends it to the API's own origin only: never to a
      token host, signed storage URL or other origin; a profile may turn it off with
      ``transport.trace_context = false``);
    - ``max_open_jobs``: job spans kept open at most (the oldest is ended beyond it).
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        propagate: bool = True,
        max_open_jobs: int = 10_000,
    ) -> None:
        from reportbridge import __version__

        self._tracer = trace.get_tracer(names.SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(names.SCOPE, __version__, meter_provider=meter_provider)
        self.metrics = Instruments(meter)
        self.propagate = propagate
        self.max_open_jobs = max_open_jobs
        self._jobs: collections.OrderedDict[tuple[str, str], _JobSpan] = collections.OrderedDict()
        self._pending: dict[int, _JobSpan] = {}  # submit operation id -> its job's span
        self._operations: dict[int, _OperationSpan] = {}
        #: jobs whose span ended (terminal), for the fetches that follow
        self._done: collections.OrderedDict[tuple[str, str], trace.SpanContext] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    # -- operations ----------------------------------------------------------------------
    @hookimpl
    def operation_started(self, operation: Operation) -> None:
        job = self._job_span_for(operation)
        parent = None
        if job is not None:
            parent = trace.set_span_in_context(job.span)
        elif operation.job_id is not None:
            done = self._done.get((operation.profile, operation.job_id))
            if done is not None:  # a fetch after the job's span ended: same trace
                parent = trace.set_span_in_context(trace.NonRecordingSpan(done))
        span = self._tracer.start_span(
            names.OPERATION_SPANS.get(operation.kind, f"reportbridge.{operation.kind}"),
            context=parent,
            kind=trace.SpanKind.CLIENT,
            attributes=names.operation_attributes(operation),
        )
        key = (operation.profile, operation.job_id) if operation.job_id else None
        entry = _OperationSpan(span, key)
        if self.propagate:
            carrier: dict[str, str] = {}
            _W3C.inject(carrier, context=trace.set_span_in_context(span))
            operation.trace_headers.update(
                {k: v for k, v in carrier.items() if k.lower() in TRACE_HEADERS}
            )
        # the operation's span is current while it runs: spans the application or other
        # instrumentation starts inside it (in this thread) nest under it
        entry.token = otel_context.attach(trace.set_span_in_context(span))
        with self._lock:
            self._operations[operation.id] = entry
            if job is not None:
                job.open_operations += 1
            for job_id in operation.job_ids:  # a poll_many: each job's span waits for it
                asked = self._jobs.get((operation.profile, job_id))
                if asked is not None:
                    asked.open_operations += 1

    @hookimpl
    def operation_finished(self, operation: Operation, outcome: OperationOutcome) -> None:
        with self._lock:
            entry = self._operations.pop(operation.id, None)
            pending = self._pending.pop(operation.id, None)
        if entry is None:
            return
        if entry.token is not None:
            otel_context.detach(entry.token)  # type: ignore[arg-type]
        span = entry.span
        attrs_ = {"reportbridge.outcome": "ok" if outcome.ok else "error"}
        if outcome.job is not None:
            span.set_attributes(names.job_attributes(outcome.job))
        if outcome.file is not None:
            span.set_attributes(names.file_attributes(outcome.file))
        if not outcome.ok:
            _failed(span, outcome)
        span.end()
        self.metrics.operation(operation, outcome, attrs_)
        if operation.kind == "poll_many":
            self._batched_polls(operation, outcome, span)
        job_key = entry.job
        if operation.kind == "submit":
            job_key = self._submitted(operation, outcome, pending)
        if job_key is not None:
            self._operation_done(job_key)

    def _submitted(
        self, operation: Operation, outcome: OperationOutcome, pending: _JobSpan | None
    ) -> tuple[str, str] | None:
        if pending is None:
            return None
        if outcome.job is None:  # the vendor did not take the job: its span ends here
            _failed(pending.span, outcome)
            pending.span.end()
            return None
        key = (operation.profile, outcome.job.job_id)
        pending.span.set_attributes(names.job_attributes(outcome.job))
        with self._lock:
            self._jobs[key] = pending
            evicted = self._evict()
        self.metrics.jobs_submitted.add(1, names.job_labels(outcome.job))
        for old in evicted:
            old.span.set_attribute("reportbridge.evicted", True)
            old.span.end()
        return key

    def _batched_polls(self, operation: Operation, outcome: OperationOutcome, batch: Span) -> None:
        """A ``reportbridge.poll`` span under each job a listing answered for (linked to
        the ``poll_many`` span that made the request), then the jobs' spans may end."""
        start = int(operation.started_at * 1e9)
        for job in outcome.jobs:
            with self._lock:
                entry = self._jobs.get((operation.profile, job.job_id))
            if entry is None:
                continue
            poll = self._tracer.start_span(
                names.OPERATION_SPANS["poll"],
                context=trace.set_span_in_context(entry.span),
                kind=trace.SpanKind.CLIENT,
                attributes={
                    **names.operation_attributes(operation),
                    **names.job_attributes(job),
                    "reportbridge.operation": "poll",
                    "reportbridge.batched": True,
                },
                links=[trace.Link(batch.get_span_context())],
                start_time=start,
            )
            poll.end()
        for job_id in operation.job_ids:
            self._operation_done((operation.profile, job_id))

    def _operation_done(self, key: tuple[str, str]) -> None:
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                return
            job.open_operations = max(0, job.open_operations - 1)
            ended = job.finished and job.open_operations == 0
            if ended:
                self._end_job(key)
        if ended:
            job.span.end()

    def _end_job(self, key: tuple[str, str]) -> None:
        """Forget an open job (under the lock), keeping its span's context for fetches."""
        job = self._jobs.pop(key)
        self._done[key] = job.span.get_span_context()
        while len(self._done) > self.max_open_jobs:
            self._done.popitem(last=False)

    def _job_span_for(self, operation: Operation) -> _JobSpan | None:
        """The span of the operation's job, started now for a submit (or for a job this
        process did not submit: resumed from a reference)."""
        if operation.kind == "submit":
            span = self._tracer.start_span(
                names.JOB_SPAN, attributes=names.operation_attributes(operation, job=True)
            )
            job = _JobSpan(span)
            with self._lock:
                self._pending[operation.id] = job
            return job
        if operation.job_id is None:
            return None
        key = (operation.profile, operation.job_id)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self._jobs.move_to_end(key)
                return job
            if key in self._done:
                return None
        attributes = {
            **names.operation_attributes(operation, job=True),
            "reportbridge.resumed": True,
        }
        job = _JobSpan(self._tracer.start_span(names.JOB_SPAN, attributes=attributes))
        with self._lock:
            job = self._jobs.setdefault(key, job)
            evicted = self._evict()
        for old in evicted:
            old.span.set_attribute("reportbridge.evicted", True)
            old.span.end()
        return job

    def _evict(self) -> list[_JobSpan]:
        evicted = []
        while len(self._jobs) > self.max_open_jobs:
            _, old = self._jobs.popitem(last=False)
            evicted.append(old)
        return evicted

    # -- the lifecycle -------------------------------------------------------------------
    @hookimpl
    def job_status_changed(self, job: ReportJob, previous: ReportStatus) -> None:
        key = (job.profile, job.job_id)
        with self._lock:
            entry = self._jobs.get(key)
        if entry is not None:
            entry.span.add_event(
                "reportbridge.status_changed",
                {"reportbridge.status": job.status.value, "reportbridge.previous": previous.value},
            )
        if not job.is_terminal:
            return
        labels = names.job_labels(job, status=True)
        self.metrics.jobs_finished.add(1, labels)
        if job.submitted_at is not None:
            took = (dt.datetime.now(dt.UTC) - job.submitted_at).total_seconds()
            self.metrics.job_duration.record(max(took, 0.0), labels)
        if entry is None:
            return
        entry.span.set_attributes(names.job_attributes(job))
        if job.status in (ReportStatus.FAILED, ReportStatus.EXPIRED):
            entry.span.set_status(Status(StatusCode.ERROR, f"job {job.status.value}"))
        with self._lock:
            entry.finished = True
            ended = entry.open_operations == 0 and key in self._jobs
            if ended:
                self._end_job(key)
        if ended:
            entry.span.end()

    @hookimpl
    def file_fetched(self, job: ReportJob, file: FetchedFile) -> None:
        self.metrics.bytes_fetched.add(file.size, names.job_labels(job))

    # -- the transport -------------------------------------------------------------------
    @hookimpl
    def http_exchange(self, exchange: HttpExchange) -> None:
        self.metrics.exchange(exchange)
        operation = exchange.operation
        if operation is None:
            return
        with self._lock:
            entry = self._operations.get(operation.id)
        if entry is not None:
            entry.span.add_event("http.exchange", names.exchange_attributes(exchange))


def _failed(span: Span, outcome: OperationOutcome) -> None:
    span.set_status(Status(StatusCode.ERROR, outcome.error or "error"))
    span.set_attribute("error.type", outcome.error or "error")
    if outcome.message:
        span.set_attribute("reportbridge.error", outcome.message)


def _propagate_from_env() -> bool:
    return os.environ.get(PROPAGATE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


#: the plugin the ``reportbridge`` entry point registers (global providers)
PLUGIN = OtelObserver(propagate=_propagate_from_env())

__all__ = ["PLUGIN", "PROPAGATE_ENV", "OtelObserver"]
