"""OpenTelemetry traces and metrics for reportbridge report jobs."""
