"""Checking report parameters against a report type's declared parameters."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from reportbridge.errors import ValidationError, accepted
from reportbridge.model import Capabilities, ParamSpec, ReportTypeSpec

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def resolve_report_type(provider: str, caps: Capabilities, report_type: str) -> ReportTypeSpec:
    """The spec of ``report_type``, or a :class:`ValidationError` listing the known types."""
    if not isinstance(report_type, str) or not report_type.strip():
        raise ValidationError(
            f"report type must be a non-empty string; {provider} accepts: "
            f"{accepted(t.name for t in caps.report_types)}",
            provider=provider,
            field="report_type",
        )
    spec = caps.report_type(report_type)
    if spec is None and caps.open_report_types:
        return ReportTypeSpec(name=report_type, params=_union_params(caps))
    if spec is None:
        raise ValidationError(
            f"unknown report type {report_type!r} for provider {provider!r}; accepted: "
            f"{accepted(t.name for t in caps.report_types)}",
            provider=provider,
            field="report_type",
        )
    return spec


def _union_params(caps: Capabilities) -> tuple[ParamSpec, ...]:
    seen: dict[str, ParamSpec] = {}
    for t in caps.report_types:
        for p in t.params:
            seen.setdefault(p.name, p)
    return tuple(seen.values())


def validate_params(
    provider: str, spec: ReportTypeSpec, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Check and coerce ``params``; unknown, missing or mistyped ones raise ValidationError.

    Strings are coerced for non-string parameters so that command-line values
    (``-p correlatedOnly=true``) work: booleans from true/false/1/0, numbers,
    lists from JSON arrays or comma-separated text, objects from JSON.
    """
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValidationError(
            f"{provider} report {spec.name!r} does not take parameter(s) {', '.join(unknown)}; "
            f"accepted: {accepted(known) if known else '(no parameters)'}",
            provider=provider,
            field=unknown[0],
        )
    out: dict[str, Any] = {}
    for p in spec.params:
        if p.name not in params or params[p.name] is None:
            if p.required:
                raise ValidationError(
                    f"{provider} report {spec.name!r} needs parameter {p.name!r} "
                    f"({p.type}{': ' + p.description if p.description else ''})",
                    provider=provider,
                    field=p.name,
                )
            continue
        out[p.name] = coerce(provider, spec.name, p, params[p.name])
    return out


def coerce(provider: str, report: str, p: ParamSpec, value: Any) -> Any:
    def bad(expect: str) -> ValidationError:
        shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
        return ValidationError(
            f"{provider} report {report!r}: parameter {p.name!r} must be {expect}; got {shown}",
            provider=provider,
            field=p.name,
        )

    t = p.type
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad("a boolean (true or false)")
    if t in ("integer", "number"):
        if isinstance(value, bool):
            raise bad(f"an {t}")
        if isinstance(value, int) or (t == "number" and isinstance(value, float)):
            return value
        if isinstance(value, str):
            try:
                return int(value) if t == "integer" else float(value)
            except ValueError:
                pass
        raise bad(f"an {t}")
    if t == "list":
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise bad("a list (JSON array or comma-separated text)") from None
            else:
                value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if p.choices:
            wrong = [v for v in value if v not in p.choices]
            if wrong:
                raise bad(f"a list drawn from {accepted(p.choices)}")
        return list(value)
    if t == "object":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad("a JSON object") from None
        if not isinstance(value, dict):
            raise bad("an object (a TOML table or JSON object)")
        return value
    if t == "datetime":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                pass
        raise bad("an ISO 8601 date-time such as 2025-01-31T00:00:00Z")
    # string
    if not isinstance(value, str):
        raise bad("a string")
    if p.choices and value not in p.choices:
        raise bad(f"one of {accepted(p.choices)}")
    if p.max_length is not None and len(value) > p.max_length:
        raise bad(f"at most {p.max_length} characters")
    return value


__all__ = ["coerce", "resolve_report_type", "validate_params"]
