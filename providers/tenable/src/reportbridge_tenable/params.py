"""The two export kinds, their filters, and the vendor's rules checked before sending.

Parameters are flat (``-p severity=high,critical -p since=2025-01-01T00:00:00Z``); the
request body nests them as the vendor wants (``{"num_assets": 500, "filters": {...}}``).
Timestamps are unix seconds; ISO 8601 date-times are accepted and converted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from reportbridge import ParamSpec, ReportTypeSpec, ValidationError
from reportbridge_tenable.ids import EXPORT_UUID
from reportbridge_tenable.status import PROVIDER

FORMATS = ("json",)
SEVERITIES = ("info", "low", "medium", "high", "critical")
STATES = ("OPEN", "REOPENED", "FIXED")
MODIFICATIONS = ("NONE", "RECASTED", "ACCEPTED")
NUM_ASSETS = (50, 5000)
CHUNK_SIZE = (100, 10000)
DEFAULT_CHUNK_SIZE = 1000
#: the vendor limits chunks to 1000 assets when resource tags are included
RESOURCE_TAGS_CHUNK_SIZE = 1000
MAX_CVE_IDS = 200
#: unix seconds stay below this until 2286; a larger number is milliseconds
MAX_SECONDS = 10**10

_TS = "unix seconds or an ISO 8601 date-time"
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}")
_TAG_CATEGORY = re.compile(r"[^\x00-\x1f]{1,128}")

VULN_TIMESTAMPS = (
    "since",
    "first_found",
    "first_seen",
    "last_found",
    "last_seen",
    "last_fixed",
    "indexed_at",
    "resurfaced_date",
)
#: the vendor refuses ``since`` together with any of these
NOT_WITH_SINCE = ("first_found", "first_seen", "last_found", "last_seen", "last_fixed")
#: the vendor needs ``state`` with any of these
NEED_STATE = ("first_found", "last_found", "last_fixed")
ASSET_TIMESTAMPS = (
    "created_at",
    "updated_at",
    "terminated_at",
    "deleted_at",
    "first_scan_time",
    "last_authenticated_scan_time",
    "last_assessed",
)
ASSET_FLAGS = (
    "is_terminated",
    "is_deleted",
    "is_licensed",
    "has_plugin_results",
    "servicenow_sysid",
)
TAGS = ParamSpec(
    "tags", "object", description="asset tags {category: [values]}, sent as tag.<category>"
)

VULNS = ReportTypeSpec(
    "vulns",
    "vulnerability findings, chunked by asset (POST /vulns/export)",
    params=(
        ParamSpec(
            "num_assets", "integer", description="assets per chunk, 50-5000 (vendor default 50)"
        ),
        ParamSpec("include_unlicensed", "boolean", description="include unlicensed assets"),
        ParamSpec("severity", "list", choices=SEVERITIES, description="severities to export"),
        ParamSpec(
            "state", "list", choices=STATES, description="finding states (OPEN, REOPENED default)"
        ),
        *(ParamSpec(name, "integer", description=_TS) for name in VULN_TIMESTAMPS),
        ParamSpec("plugin_family", "list", description="plugin families (case-sensitive)"),
        ParamSpec("plugin_id", "list", description="plugin ids (numbers)"),
        ParamSpec("plugin_type", "string", max_length=64, description="remote, local, combined..."),
        ParamSpec("cidr_range", "string", max_length=64, description="assets in this network"),
        ParamSpec("cve_id", "list", description=f"CVE ids (at most {MAX_CVE_IDS})"),
        ParamSpec("network_id", "string", description="scanner network uuid"),
        ParamSpec("scan_uuid", "string", description="scan that last found the findings"),
        ParamSpec("source", "list", description="sources (AGENT, NESSUS, NNM...)"),
        ParamSpec("severity_modification_type", "list", choices=MODIFICATIONS),
        TAGS,
    ),
    formats=FORMATS,
)

ASSETS = ReportTypeSpec(
    "assets",
    "assets (POST /assets/export)",
    params=(
        ParamSpec(
            "chunk_size",
            "integer",
            default=DEFAULT_CHUNK_SIZE,
            description=f"assets per chunk, 100-10000 (sent as {DEFAULT_CHUNK_SIZE} when omitted)",
        ),
        ParamSpec("include_open_ports", "boolean", description="open ports from info plugins"),
        ParamSpec("include_resource_tags", "boolean", description="cloud resource tags"),
        *(ParamSpec(name, "integer", description=_TS) for name in ASSET_TIMESTAMPS),
        *(ParamSpec(name, "boolean") for name in ASSET_FLAGS),
        ParamSpec("last_scan_id", "string", max_length=128, description="scan configuration uuid"),
        ParamSpec("network_id", "string", description="scanner network uuid"),
        ParamSpec("sources", "list", description="asset sources (NESSUS_SCAN, AWS...)"),
        TAGS,
    ),
    formats=FORMATS,
)

REPORT_TYPES = (VULNS, ASSETS)
_CASE: dict[str, Callable[[str], str]] = {
    "severity": str.lower,
    "state": str.upper,
    "severity_modification_type": str.upper,
}


def _bad(kind: str, field: str, text: str) -> ValidationError:
    return ValidationError(f"{PROVIDER} report {kind!r}: {text}", provider=PROVIDER, field=field)


def _seconds(kind: str, name: str, value: Any) -> Any:
    """A timestamp as unix seconds: ISO text and datetimes are converted, the rest checked
    by the integer coercion that follows."""
    when: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _bad(kind, name, f"{name} must be {_TS}; got {value[:40]!r}") from None
    if when is None:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def prepare(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """What the declared parameter check gets: timestamps in seconds, enum values in the
    vendor's case (the vendor reads them case-insensitively; choices are exact)."""
    out = dict(params)
    for name in (*VULN_TIMESTAMPS, *ASSET_TIMESTAMPS):
        if out.get(name) is not None:
            out[name] = _seconds(kind, name, out[name])
    for name, case in _CASE.items():
        value = out.get(name)
        if isinstance(value, str):
            out[name] = case(value)
        elif isinstance(value, list | tuple):
            out[name] = [case(v) if isinstance(v, str) else v for v in value]
    return out


def check_request(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The vendor's rules on checked parameters; returns the parameters the job keeps."""
    clean = dict(params)
    for name, value in clean.items():
        if isinstance(value, list) and not value:
            raise _bad(kind, name, f"{name} is an empty list; leave it out or give values")
    for name in (*VULN_TIMESTAMPS, *ASSET_TIMESTAMPS):
        value = clean.get(name)
        if value is not None and not 0 <= value < MAX_SECONDS:
            hint = " (it looks like milliseconds: give seconds)" if value >= MAX_SECONDS else ""
            raise _bad(kind, name, f"{name} must be unix seconds from 0 to {MAX_SECONDS - 1}{hint}")
    for name in ("network_id", "scan_uuid"):
        value = clean.get(name)
        if value is not None and not EXPORT_UUID.fullmatch(value):
            raise _bad(
                kind, name, f"{name} must be a uuid such as 00000000-0000-0000-0000-000000000000"
            )
    if clean.get("tags") is not None:
        clean["tags"] = _tags(kind, clean["tags"])
    if kind == "vulns":
        _vuln_rules(clean)
    else:
        _asset_rules(clean)
    return clean


def _vuln_rules(p: dict[str, Any]) -> None:
    low, high = NUM_ASSETS
    if p.get("num_assets") is not None and not low <= p["num_assets"] <= high:
        raise _bad("vulns", "num_assets", f"num_assets must be from {low} to {high}")
    clash = [n for n in NOT_WITH_SINCE if p.get(n) is not None]
    if p.get("since") is not None and clash:
        raise _bad(
            "vulns",
            "since",
            f"since cannot be combined with {', '.join(clash)}; use one or the other",
        )
    needs = [n for n in NEED_STATE if p.get(n) is not None]
    if needs and not p.get("state"):
        raise _bad(
            "vulns", "state", f"{', '.join(needs)} needs state too (OPEN, REOPENED and/or FIXED)"
        )
    if p.get("plugin_id") is not None:
        wrong = [v for v in p["plugin_id"] if not v.isdigit() or len(v) > 10]
        if wrong:
            raise _bad("vulns", "plugin_id", f"plugin_id must hold numbers; got {wrong[:3]}")
        p["plugin_id"] = [int(v) for v in p["plugin_id"]]
    cves = p.get("cve_id")
    if cves is not None:
        wrong = [v for v in cves if not _CVE.fullmatch(v)]
        if wrong or len(cves) > MAX_CVE_IDS:
            raise _bad(
                "vulns",
                "cve_id",
                f"cve_id must be at most {MAX_CVE_IDS} ids such as CVE-2024-3094"
                + (f"; not {wrong[0][:40]!r}" if wrong else ""),
            )
    if p.get("cidr_range") is not None:
        try:
            p["cidr_range"] = str(ipaddress.ip_network(p["cidr_range"], strict=False))
        except ValueError:
            raise _bad(
                "vulns", "cidr_range", "cidr_range must be a network such as 192.0.2.0/24"
            ) from None


def _asset_rules(p: dict[str, Any]) -> None:
    low, high = CHUNK_SIZE
    size = p.setdefault("chunk_size", DEFAULT_CHUNK_SIZE)
    if not low <= size <= high:
        raise _bad("assets", "chunk_size", f"chunk_size must be from {low} to {high}")
    if p.get("include_resource_tags") and size > RESOURCE_TAGS_CHUNK_SIZE:
        raise _bad(
            "assets",
            "chunk_size",
            f"with include_resource_tags, chunk_size must be at most {RESOURCE_TAGS_CHUNK_SIZE}",
        )


def _tags(kind: str, tags: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for category, values in tags.items():
        if isinstance(values, str):
            values = [values]
        if (
            not isinstance(category, str)
            or not _TAG_CATEGORY.fullmatch(category)
            or not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise _bad(
                kind,
                "tags",
                "tags must map a tag category to a value or a list of values, e.g. "
                '{"Location": ["Dallas", "Lisbon"]}',
            )
        out[category] = list(values)
    return out


def request_body(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The export request for checked parameters (:func:`check_request`)."""
    top = (
        ("num_assets", "include_unlicensed")
        if kind == "vulns"
        else (
            "chunk_size",
            "include_open_ports",
            "include_resource_tags",
        )
    )
    body: dict[str, Any] = {k: params[k] for k in top if params.get(k) is not None}
    filters: dict[str, Any] = {}
    for name, value in params.items():
        if name in top or value is None:
            continue
        if name == "tags":
            filters.update({f"tag.{c}": v for c, v in value.items()})
        else:
            filters[name] = value
    if filters:
        body["filters"] = filters
    return body


def time_filtered(kind: str, params: Mapping[str, Any]) -> bool:
    """Whether a vulns export names a time filter (without one the vendor exports only the
    findings of the last 30 days)."""
    return kind != "vulns" or any(params.get(n) is not None for n in VULN_TIMESTAMPS)
