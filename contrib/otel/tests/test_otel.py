"""The OpenTelemetry plugin over a real demo audit against every installed simulator.

Spans and metrics are read from the SDK's in-memory exporters; vendor requests are read
from the simulators' own records (where the traceparent header went).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from reportbridge.audit import run_audit
from reportbridge.cli.simulate import demo_plan, started_simulators
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge.testing import Fault
from reportbridge_otel.plugin import OtelObserver


class Telemetry:
    def __init__(self, *, propagate: bool = True) -> None:
        self.spans_out = InMemorySpanExporter()
        tracer = TracerProvider()
        tracer.add_span_processor(SimpleSpanProcessor(self.spans_out))
        self.reader = InMemoryMetricReader()
        self.observer = OtelObserver(
            tracer_provider=tracer,
            meter_provider=MeterProvider(metric_readers=[self.reader]),
            propagate=propagate,
        )

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        found = self.spans_out.get_finished_spans()
        return [s for s in found if name is None or s.name == name]

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        return [
            point
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == metric
            for point in m.data.data_points
        ]

    def total(self, metric: str, **labels: Any) -> float:
        wanted = {f"reportbridge.{k}": v for k, v in labels.items()}
        return sum(
            p.value
            for p in self.points(metric)
            if all(p.attributes.get(k) == v for k, v in wanted.items())
        )

    def every_value(self) -> str:
        """Every attribute value of every span, span event and metric point, as text."""
        values: list[Any] = []
        for span in self.spans():
            values += [span.name, *span.attributes.values(), span.status.description]
            for event in span.events:
                values += [event.name, *event.attributes.values()]
        data = json.loads(self.reader.get_metrics_data().to_json())
        values.append(json.dumps(data))
        return "\n".join(str(v) for v in values)


def registry_with(observer: OtelObserver) -> PluginRegistry:
    registry = PluginRegistry()
    registry.pm.unregister(name="otel")  # the entry point's plugin reports to the globals
    registry.register(observer, name="otel-test")
    return registry


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One demo audit, observed; a 429 is injected on one poll of each vendor."""
    telemetry = Telemetry()
    registry = registry_with(telemetry.observer)
    out = tmp_path_factory.mktemp("otel") / "bundle"
    with started_simulators(None, job_seconds=0.5, file_size=32 * 1024) as sims:
        for sim in sims.values():
            method, path, _ = sim.fault_paths["poll"]
            sim.faults.add(
                Fault(path=path, method=method, status=429, retry_after="0", label="429")
            )
        profiles, plan = demo_plan(sims, registry)
        with Reports.from_profiles(profiles, registry=registry) as reports:
            result = run_audit(reports, plan, out)
        yield {
            # vendors polled through a listing (poll_many) may never meet the fault
            "429s": sum(sim.faults.injected.get("429", 0) for sim in sims.values()),
            "telemetry": telemetry,
            "sims": sims,
            "plan": plan,
            "result": result,
            "manifest": result.manifest,
        }


def test_the_audit_itself_succeeds(demo: dict[str, Any]) -> None:
    assert demo["result"].exit_code == 0, demo["manifest"]["summary"]


def test_one_job_span_per_job_with_submit_poll_and_fetch_children(demo: dict[str, Any]) -> None:
    telemetry: Telemetry = demo["telemetry"]
    jobs = telemetry.spans("reportbridge.job")
    planned = demo["plan"].jobs
    assert len(jobs) == len(planned)
    files = sum(len(job.get("files", [])) for job in demo["manifest"]["jobs"])
    fetches = telemetry.spans("reportbridge.fetch")
    assert len(fetches) == files
    for job in jobs:
        assert job.attributes["reportbridge.status"] == "succeeded"
        assert job.attributes["reportbridge.provider"] in demo["sims"]
        children = [
            s
            for s in telemetry.spans()
            if s.parent is not None and s.parent.span_id == job.context.span_id
        ]
        kinds = [c.name for c in children]
        assert kinds.count("reportbridge.submit") == 1
        assert "reportbridge.poll" in kinds
        assert "reportbridge.fetch" in kinds
        assert all(c.context.trace_id == job.context.trace_id for c in children)
    # each fetch span is one part, with what was verified
    for span in fetches:
        assert span.attributes["reportbridge.file.size"] > 0
        assert len(span.attributes["reportbridge.file.sha256"]) == 64


def test_http_exchanges_are_events_of_their_operation(demo: dict[str, Any]) -> None:
    telemetry: Telemetry = demo["telemetry"]
    submit = telemetry.spans("reportbridge.submit")[0]
    events = [e for e in submit.events if e.name == "http.exchange"]
    assert events
    assert {e.attributes["http.request.method"] for e in events} >= {"POST"}
    retried = [
        (s.name, e)
        for s in telemetry.spans()
        for e in s.events
        if e.attributes.get("reportbridge.retry") == "HTTP 429"
    ]
    assert demo["429s"] >= 1
    assert len(retried) == demo["429s"], "each injected 429 shows on the poll that met it"
    assert {name for name, _ in retried} <= {"reportbridge.poll", "reportbridge.poll_many"}


def test_the_documented_metrics(demo: dict[str, Any]) -> None:
    telemetry: Telemetry = demo["telemetry"]
    planned = len(demo["plan"].jobs)
    assert telemetry.total("reportbridge.jobs.submitted") == planned
    assert telemetry.total("reportbridge.jobs.finished", status="succeeded") == planned
    durations = telemetry.points("reportbridge.job.duration")
    assert sum(p.count for p in durations) == planned
    # each job is polled, alone or in a listing for many (which one depends on timing)
    for name in demo["sims"]:
        polls = sum(
            telemetry.total("reportbridge.operations", operation=kind, provider=name)
            for kind in ("poll", "poll_many")
        )
        assert polls >= 1, name
    assert telemetry.total("reportbridge.operations", operation="submit") == planned
    fetched = sum(f["size"] for job in demo["manifest"]["jobs"] for f in job.get("files", []))
    assert telemetry.total("reportbridge.fetch.bytes") == fetched
    assert telemetry.total("reportbridge.http.rate_limited") == demo["429s"]
    assert telemetry.total("reportbridge.http.retries", reason="HTTP 429") == demo["429s"]
    assert telemetry.total("reportbridge.http.requests") > planned * 3
    for name in demo["sims"]:
        assert telemetry.total("reportbridge.jobs.submitted", provider=name) >= 1


def test_no_secret_or_signed_url_in_any_attribute(demo: dict[str, Any]) -> None:
    telemetry: Telemetry = demo["telemetry"]
    text = telemetry.every_value()
    secrets = {s for sim in demo["sims"].values() for s in sim.secrets()}
    sent = {
        v
        for sim in demo["sims"].values()
        for r in sim.requests
        for k, v in r.headers.items()
        if k.lower() in ("authorization", "x-apikeys")
    }
    assert secrets and sent
    leaked = [s for s in secrets | sent if s in text]
    assert leaked == []
    for marker in ("Signature", "X-Amz-", "Bearer", "?"):
        assert marker not in text, marker


def test_trace_context_goes_to_vendor_apis_only(demo: dict[str, Any]) -> None:
    telemetry: Telemetry = demo["telemetry"]
    traces = {format(s.context.trace_id, "032x") for s in telemetry.spans()}
    carried = 0
    for sim in demo["sims"].values():
        for r in sim.requests:
            header = {k.lower(): v for k, v in r.headers.items()}.get("traceparent")
            if r.origin != "api":  # token hosts and file storage: never
                assert header is None, (sim.name, r.origin, r.path)
                continue
            if header is not None:
                carried += 1
                assert header.split("-")[1] in traces
    assert carried > 0


def test_no_trace_context_when_propagation_is_off(tmp_path: Path) -> None:
    telemetry = Telemetry(propagate=False)
    _one_tenable_job(telemetry, tmp_path, {})
    assert telemetry.spans("reportbridge.job")


def test_a_profile_can_refuse_trace_context(tmp_path: Path) -> None:
    telemetry = Telemetry()
    _one_tenable_job(telemetry, tmp_path, {"transport": {"trace_context": False}})
    assert telemetry.spans("reportbridge.poll")


def _one_tenable_job(telemetry: Telemetry, tmp_path: Path, extra: dict[str, Any]) -> None:
    registry = registry_with(telemetry.observer)
    with started_simulators(["tenable"], job_seconds=0.2, file_size=4096) as sims:
        sim = sims["tenable"]
        profile = {"provider": "tenable", **sim.profile_settings(), **extra}
        with Reports.from_profiles({"t": profile}, registry=registry) as reports:
            job = reports.run("t", "vulns", since="2025-01-01T00:00:00Z")
            done = reports.wait(job, timeout=30)
            reports.fetch(done, tmp_path)
        assert sim.requests
        assert all("traceparent" not in {k.lower() for k in r.headers} for r in sim.requests)
