"""Report types, their parameters, and the vendor's timespan rules checked client-side."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from reportbridge import DateWindow, ParamSpec, ReportTypeSpec, ValidationError
from reportbridge_explore.settings import FORMATS
from reportbridge_explore.status import PROVIDER

#: Path segments the vendor's public material confirms.
REPORT_TYPES = {
    "calls": "calls handled by the account",
    "explore_calls": "calls as shown in Explore dashboards",
    "contacts": "contacts (interactions) across channels",
    "user_status": "agent status changes",
    "ring_attempts": "ring attempts to agents",
    "studio_flow_execution": "Studio flow executions",
}
MAX_SPAN = dt.timedelta(days=31)
CLOCK_SKEW = dt.timedelta(seconds=60)
MAX_NAME = 256
_TZ_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")

PARAMS = (
    ParamSpec("from", "datetime", required=True, description="inclusive start (ISO date-time)"),
    ParamSpec("to", "datetime", required=True, description="exclusive end, not in the future"),
    ParamSpec("timezone", "string", description="IANA name applied to from/to", default="UTC"),
    ParamSpec("format", "string", choices=FORMATS, description="file format of the report"),
    ParamSpec("name", "string", max_length=MAX_NAME, description="a label for the job"),
)


def report_type_spec(name: str, description: str = "") -> ReportTypeSpec:
    return ReportTypeSpec(
        name,
        description,
        params=PARAMS,
        formats=FORMATS,
        windows=(DateWindow("from", "to", max_span=MAX_SPAN),),
    )


def _bad(report_type: str, field: str, text: str) -> ValidationError:
    return ValidationError(
        f"{PROVIDER} report {report_type!r}: {text}", provider=PROVIDER, field=field
    )


def zone(report_type: str, name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone called ``name``, or a ValidationError saying what is accepted."""
    try:
        if _TZ_NAME.fullmatch(name):
            return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    raise _bad(
        report_type,
        "timezone",
        f"timezone {name[:60]!r} is not a known IANA time zone; accepted: names such as UTC, "
        "Europe/Lisbon or America/New_York",
    )


def _local(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Wall-clock time in ``tz`` (the vendor applies ``timezone`` to naive times)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(tz).replace(tzinfo=None)


def _instant(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def check_timespan(
    report_type: str, params: Mapping[str, Any], *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Apply the vendor's rules to validated parameters; returns what is sent.

    ``from``/``to`` become naive wall-clock times in ``timezone`` (aware inputs are
    converted), so an offset is never mixed with a non-UTC zone.
    """
    tz_name = params.get("timezone") or "UTC"
    tz = zone(report_type, tz_name)
    start = _local(params["from"], tz)
    end = _local(params["to"], tz)
    if not start < end:
        raise _bad(
            report_type,
            "to",
            f"'to' ({end.isoformat()}) must be later than 'from' ({start.isoformat()})",
        )
    # Exact elapsed time: a DST change inside the range counts for what it is.
    span = _instant(end, tz) - _instant(start, tz)
    if span > MAX_SPAN:
        raise _bad(
            report_type,
            "to",
            f"the timespan is {span}; it may be at most 31 days (31 x 24 h) from 'from' to 'to'",
        )
    now = now or dt.datetime.now(dt.UTC)
    if _instant(end, tz) > now + CLOCK_SKEW:
        raise _bad(
            report_type,
            "to",
            f"'to' ({end.isoformat()} {tz_name}) is in the future; it must be at most the "
            "current time (60 s of clock skew allowed)",
        )
    out: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": tz_name,
    }
    for key in ("format", "name"):
        if params.get(key) is not None:
            out[key] = params[key]
    return out
