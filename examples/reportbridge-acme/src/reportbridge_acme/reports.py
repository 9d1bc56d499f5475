"""What Acme can export: two report types, two formats, and their parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reportbridge import DateWindow, ParamSpec, ReportTypeSpec

FORMATS = ("csv", "jsonl")
SEVERITIES = ("info", "notice", "warning", "critical")

AUDIT_EVENTS = ReportTypeSpec(
    "audit_events",
    "every audited action in a time range, newest last",
    params=(
        ParamSpec(
            "since",
            "datetime",
            required=True,
            not_before=-dt.timedelta(days=365),
            not_after="now",
            description="start of the range (Acme keeps a year of events)",
        ),
        ParamSpec("until", "datetime", not_after="now", description="end of the range"),
        ParamSpec("actor", "string", max_length=200, description="only this user's actions"),
        ParamSpec("severity", "list", choices=SEVERITIES, description="only these severities"),
        ParamSpec(
            "rows_per_chunk",
            "integer",
            minimum=100,
            maximum=50_000,
            default=10_000,
            description="rows in each chunk of the result",
        ),
    ),
    formats=FORMATS,
    windows=(DateWindow("since", "until", max_span=dt.timedelta(days=31)),),
)

USERS = ReportTypeSpec(
    "users",
    "every user of the account",
    params=(
        ParamSpec("status", "string", choices=("active", "suspended", "all"), default="all"),
        ParamSpec("include_groups", "boolean", default=False),
    ),
    formats=FORMATS,
)

REPORT_TYPES = (AUDIT_EVENTS, USERS)


def export_request(report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The body of ``POST /v2/exports`` for checked parameters (date-times as ISO 8601)."""
    filters = {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in params.items()
        if name != "rows_per_chunk"
    }
    body: dict[str, Any] = {"report": report_type, "filters": filters}
    if "rows_per_chunk" in params:
        body["rows_per_chunk"] = params["rows_per_chunk"]
    return body
