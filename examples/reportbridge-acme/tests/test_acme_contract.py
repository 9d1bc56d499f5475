"""The shared provider contract, against the Acme simulator."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from reportbridge.testing.contract import ProviderContract


class TestAcmeContract(ProviderContract):
    provider_name = "acme"
    report_type = "users"
    params: ClassVar[dict[str, Any]] = {"status": "active"}
    fetch_format = "csv"
    bad_params: ClassVar[dict[str, Any]] = {"status": "retired"}


class TestAcmeContractOneChunk(ProviderContract):
    """Audit events in a single chunk, fetched as JSON lines."""

    provider_name = "acme"
    report_type = "audit_events"
    params: ClassVar[dict[str, Any]] = {"since": dt.datetime.now(dt.UTC) - dt.timedelta(days=3)}
    fetch_format = "jsonl"
    bad_params: ClassVar[dict[str, Any]] = {"rows_per_chunk": 10}
    simulator_options: ClassVar[dict[str, Any]] = {
        "job_seconds": 0.3,
        "file_size": 4096,
        "chunks": 1,
    }
