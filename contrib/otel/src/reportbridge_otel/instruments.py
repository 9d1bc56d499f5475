"""The plugin's metric instruments (names and attributes: :mod:`reportbridge_otel.names`)."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics

from reportbridge.events import HttpExchange, Operation, OperationOutcome


class Instruments:
    def __init__(self, meter: metrics.Meter) -> None:
        self.jobs_submitted = meter.create_counter(
            "reportbridge.jobs.submitted", unit="{job}", description="jobs the vendors accepted"
        )
        self.jobs_finished = meter.create_counter(
            "reportbridge.jobs.finished",
            unit="{job}",
            description="jobs seen ending, by final status",
        )
        self.job_duration = meter.create_histogram(
            "reportbridge.job.duration",
            unit="s",
            description="from submit to the poll that saw the job end (time to completion)",
        )
        self.operations = meter.create_counter(
            "reportbridge.operations",
            unit="{operation}",
            description="job operations (submit, poll, poll_many, cancel, fetch) by outcome",
        )
        self.operation_duration = meter.create_histogram(
            "reportbridge.operation.duration", unit="s", description="how long operations take"
        )
        self.bytes_fetched = meter.create_counter(
            "reportbridge.fetch.bytes", unit="By", description="bytes of files fetched and verified"
        )
        self.requests = meter.create_counter(
            "reportbridge.http.requests", unit="{request}", description="HTTP requests sent"
        )
        self.request_duration = meter.create_histogram(
            "reportbridge.http.duration", unit="s", description="HTTP exchanges, send to answer"
        )
        self.retries = meter.create_counter(
            "reportbridge.http.retries",
            unit="{request}",
            description="requests sent again, by reason",
        )
        self.rate_limited = meter.create_counter(
            "reportbridge.http.rate_limited",
            unit="{request}",
            description="HTTP 429 answers",
        )

    def operation(
        self, operation: Operation, outcome: OperationOutcome, extra: dict[str, Any]
    ) -> None:
        labels = {
            "reportbridge.operation": operation.kind,
            "reportbridge.provider": operation.provider,
            "reportbridge.profile": operation.profile,
            **extra,
        }
        self.operations.add(1, labels)
        self.operation_duration.record(outcome.elapsed, labels)

    def exchange(self, exchange: HttpExchange) -> None:
        provider = exchange.provider or "unknown"
        labels = {
            "reportbridge.provider": provider,
            "http.request.method": exchange.method,
            "http.response.status_code": exchange.status if exchange.status is not None else 0,
            "reportbridge.api_origin": exchange.api,
        }
        self.requests.add(1, labels)
        self.request_duration.record(exchange.elapsed, labels)
        if exchange.retry:
            self.retries.add(
                1, {"reportbridge.provider": provider, "reportbridge.reason": exchange.retry}
            )
        if exchange.status == 429:
            self.rate_limited.add(1, {"reportbridge.provider": provider})


__all__ = ["Instruments"]
