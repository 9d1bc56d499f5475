"""OpenTelemetry traces and metrics for reportbridge report jobs (see docs/guide.md)."""

from reportbridge_otel.plugin import PROPAGATE_ENV, OtelObserver

__all__ = ["PROPAGATE_ENV", "OtelObserver"]
