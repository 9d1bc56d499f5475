"""The spans, events, attributes and metrics the plugin produces (what docs/guide.md lists).

Spans (instrumentation scope ``reportbridge``):

- ``reportbridge.job``: one per job, from the start of its submit to the poll that saw
  it end (its time to completion); attributes provider, profile, report type, job id,
  final status and vendor status; ``reportbridge.resumed`` when this process did not
  submit it. Events ``reportbridge.status_changed``.
- children of the job span: ``reportbridge.submit``, ``reportbridge.poll``,
  ``reportbridge.cancel`` and ``reportbridge.fetch`` (one per result part, with its
  size, format and SHA-256); a fetch after the job span ended joins the same trace.
  ``reportbridge.poll_many`` (one listing for many jobs) stands alone. Each carries an
  ``http.exchange`` event per request sent (method, host, port, path, status, attempt,
  retry reason: never a query string or header).

Metrics:

- ``reportbridge.jobs.submitted`` (counter; provider, profile, report type)
- ``reportbridge.jobs.finished`` (counter; provider, profile, report type, status)
- ``reportbridge.job.duration`` (histogram, s; submit to the end seen; same attributes)
- ``reportbridge.operations`` (counter; kind, provider, profile, outcome) and
  ``reportbridge.operation.duration`` (histogram, s): polls are ``kind = poll``
- ``reportbridge.fetch.bytes`` (counter, By; provider, profile, report type)
- ``reportbridge.http.requests`` (counter; provider, method, status code, api origin?)
  and ``reportbridge.http.duration`` (histogram, s)
- ``reportbridge.http.retries`` (counter; provider, reason: ``HTTP 429``, ``HTTP 503``...)
- ``reportbridge.http.rate_limited`` (counter of 429 answers; provider)
"""

from __future__ import annotations

from typing import Any

from reportbridge.events import HttpExchange, Operation
from reportbridge.model import FetchedFile, ReportJob

SCOPE = "reportbridge"
JOB_SPAN = "reportbridge.job"
OPERATION_SPANS = {
    "submit": "reportbridge.submit",
    "poll": "reportbridge.poll",
    "poll_many": "reportbridge.poll_many",
    "cancel": "reportbridge.cancel",
    "fetch": "reportbridge.fetch",
}


def operation_attributes(operation: Operation, *, job: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reportbridge.provider": operation.provider,
        "reportbridge.profile": operation.profile,
    }
    if not job:
        out["reportbridge.operation"] = operation.kind
    if operation.report_type:
        out["reportbridge.report_type"] = operation.report_type
    if operation.job_id:
        out["reportbridge.job_id"] = operation.job_id
    if operation.part and not job:
        out["reportbridge.part"] = operation.part
    return out


def job_attributes(job: ReportJob) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reportbridge.job_id": job.job_id,
        "reportbridge.report_type": job.report_type,
        "reportbridge.status": job.status.value,
    }
    if job.provider_status:
        out["reportbridge.vendor_status"] = str(job.provider_status)[:100]
    return out


def job_labels(job: ReportJob, *, status: bool = False) -> dict[str, Any]:
    """Metric attributes of a job (few values each: never a job id)."""
    out: dict[str, Any] = {
        "reportbridge.provider": job.provider,
        "reportbridge.profile": job.profile,
        "reportbridge.report_type": job.report_type,
    }
    if status:
        out["reportbridge.status"] = job.status.value
    return out


def file_attributes(file: FetchedFile) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reportbridge.file.size": file.size,
        "reportbridge.file.format": file.format,
        "reportbridge.file.sha256": file.sha256,
    }
    if file.part:
        out["reportbridge.part"] = file.part
    return out


def exchange_attributes(exchange: HttpExchange) -> dict[str, Any]:
    """OpenTelemetry's HTTP names where they fit; the URL as origin and path only."""
    scheme, _, hostport = exchange.origin.partition("://")
    host, _, port = hostport.rpartition(":")
    out: dict[str, Any] = {
        "http.request.method": exchange.method,
        "url.scheme": scheme,
        "server.address": host.strip("[]"),
        "server.port": int(port) if port.isdigit() else 0,
        "url.path": exchange.path,
        "reportbridge.attempt": exchange.attempt,
        "reportbridge.what": exchange.what,
        "reportbridge.api_origin": exchange.api,
        "reportbridge.proxied": exchange.proxied,
        "reportbridge.elapsed_s": round(exchange.elapsed, 6),
    }
    if exchange.status is not None:
        out["http.response.status_code"] = exchange.status
    if exchange.retry:
        out["reportbridge.retry"] = exchange.retry
    if exchange.redirected:
        out["reportbridge.redirected"] = True
    if exchange.request_id:
        out["reportbridge.vendor_request_id"] = exchange.request_id
    return out


__all__ = [
    "JOB_SPAN",
    "OPERATION_SPANS",
    "SCOPE",
    "exchange_attributes",
    "file_attributes",
    "job_attributes",
    "job_labels",
    "operation_attributes",
]
