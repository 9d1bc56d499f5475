"""Checking report parameters against a report type's declared parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reportbridge.errors import ValidationError, accepted
from reportbridge.model import Capabilities, ReportTypeSpec
from reportbridge.paramspec import DateWindow, ParamSpec, coerce
from reportbridge.paramvalues import shown, span_words


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
    provider: str,
    spec: ReportTypeSpec,
    params: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Check and coerce ``params``; what is returned is what the session sends.

    Unknown, missing, mistyped or out-of-range parameters raise :class:`ValidationError`
    naming the parameter and what it accepts. A parameter left out (or None) that declares
    a default gets its default: the vendor is sent the value the spec documents rather than
    relying on the vendor's own default. Strings are coerced for non-string parameters so
    that command-line values (``-p correlatedOnly=true``) work (see :func:`coerce`).
    Date-time windows of the report type are checked once both ends are known.
    """
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValidationError(
            f"{provider} report {spec.name!r} does not take parameter(s) "
            f"{', '.join(shown(u) for u in unknown[:10])}; "
            f"accepted: {accepted(known) if known else '(no parameters)'}",
            provider=provider,
            field=unknown[0],
        )
    now = now or dt.datetime.now(dt.UTC)
    out: dict[str, Any] = {}
    for p in spec.params:
        value = params.get(p.name)
        if value is None and p.default is not None:
            value = p.default
        if value is None:
            if p.required:
                raise ValidationError(
                    f"{provider} report {spec.name!r} needs parameter {p.name!r} "
                    f"({p.accepts()}{': ' + p.description if p.description else ''})",
                    provider=provider,
                    field=p.name,
                )
            continue
        out[p.name] = coerce(provider, spec.name, p, value, now=now)
    for window in spec.windows:
        check_window(provider, spec.name, window, out)
    return out


def check_window(provider: str, report: str, window: DateWindow, params: Mapping[str, Any]) -> None:
    """``window``'s rules over validated ``params``; nothing to check unless both ends are set."""
    start, end = params.get(window.start), params.get(window.end)
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        return

    def bad(text: str) -> ValidationError:
        return ValidationError(
            f"{provider} report {report!r}: {text}", provider=provider, field=window.end
        )

    first, last = repr(window.start), repr(window.end)
    if (start.utcoffset() is None) != (end.utcoffset() is None):
        raise bad(
            f"{first} ({start.isoformat()}) and {last} ({end.isoformat()}) must both carry a "
            "UTC offset (such as Z or +02:00) or both leave it out"
        )
    if not end > start:
        raise bad(f"{last} ({end.isoformat()}) must be later than {first} ({start.isoformat()})")
    if window.max_span is not None and end - start > window.max_span:
        raise bad(
            f"the range from {first} to {last} is {end - start}; it may be at most "
            f"{span_words(window.max_span)}"
        )


__all__ = ["check_window", "coerce", "resolve_report_type", "validate_params"]
