"""Declared report parameters and the values they accept.

A plugin describes each parameter of a report type with a :class:`ParamSpec` (type,
choices, bounds, default) and related date-time parameters with a :class:`DateWindow`.
Declarations are checked when they are made, so an inconsistent one (a default outside
its own bounds, a bound on a string) fails when the plugin is imported, with a
:class:`~reportbridge.errors.PluginSpecError`. Values are checked by :func:`coerce`,
which raises only :class:`~reportbridge.errors.ValidationError`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from reportbridge.errors import PluginSpecError, ValidationError
from reportbridge.paramvalues import (
    CLOCK_SKEW,
    NOW,
    Refuse,
    TimeBound,
    bound_words,
    instant,
    is_finite,
    is_int,
    listing,
    read_boolean,
    read_datetime,
    read_number,
    read_object,
    read_string_list,
    shown,
)

#: The types a parameter can declare.
PARAM_TYPES = ("string", "boolean", "integer", "number", "object", "list", "datetime")
#: Relative date-time bounds reach at most this far from now.
MAX_RELATIVE_BOUND = dt.timedelta(days=36525)


def _as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


@attrs.frozen
class ParamSpec:
    """One parameter of a report type, as the vendor accepts it.

    Attributes:
        name: the parameter's name, as callers pass it and the session receives it.
        type: one of ``string``, ``boolean``, ``integer``, ``number``, ``object``,
            ``list`` (of strings) or ``datetime``.
        required: the caller must give it (a required parameter has no default).
        description: one line shown by ``reportbridge providers`` and in errors.
        choices: the accepted values: strings for ``string`` and for the items of a
            ``list``; integers for ``integer``; finite numbers for ``number``.
        default: sent to the vendor when the caller leaves the parameter out (or passes
            None); it must satisfy the parameter's own rules.
        max_length: ``string`` only: the longest accepted value, in characters.
        minimum: ``integer``/``number`` only: the smallest accepted value (inclusive).
        maximum: ``integer``/``number`` only: the largest accepted value (inclusive).
        not_before: ``datetime`` only: the earliest accepted instant: ``"now"``, a
            ``timedelta`` from now (``-timedelta(days=90)``) or a fixed aware datetime.
            Bounds relative to now allow 60 s of clock skew.
        not_after: ``datetime`` only: the latest accepted instant, in the same forms.
        naive_zone: ``datetime`` only: the IANA zone a value without a UTC offset is read
            in; such values are then passed on with that zone attached. Without it, values
            are passed on as given (for vendors that apply their own zone to wall-clock
            times), and a value without offset is refused where a bound needs an instant.

    Raises:
        PluginSpecError: the declaration contradicts itself.
    """

    name: str
    type: str = "string"
    required: bool = False
    description: str = ""
    choices: tuple[Any, ...] = attrs.field(default=(), converter=_as_tuple)
    default: Any = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    not_before: TimeBound | None = None
    not_after: TimeBound | None = None
    naive_zone: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_spec(self)

    def accepts(self) -> str:
        """What the parameter accepts, in words (used in error messages)."""
        return _expectation(self)


@attrs.frozen
class DateWindow:
    """Two ``datetime`` parameters of one report type that bound a time range.

    When both are given, ``end`` must be later than ``start``, both must carry a UTC
    offset or neither (a mix cannot be compared), and the range may not exceed
    ``max_span``. Declared on :attr:`ReportTypeSpec.windows
    <reportbridge.model.ReportTypeSpec.windows>`.

    Raises:
        PluginSpecError: the names are empty or equal, or ``max_span`` is not positive.
    """

    start: str
    end: str
    max_span: dt.timedelta | None = None

    def __attrs_post_init__(self) -> None:
        if not self.start or not self.end or self.start == self.end:
            raise PluginSpecError(
                f"DateWindow needs two different parameter names; got {self.start!r} and "
                f"{self.end!r}"
            )
        if self.max_span is not None and (
            not isinstance(self.max_span, dt.timedelta) or self.max_span <= dt.timedelta(0)
        ):
            raise PluginSpecError(
                f"DateWindow {self.start!r}..{self.end!r}: max_span must be a positive "
                f"timedelta; got {self.max_span!r}"
            )


def check_report_params(
    report_type: str, params: Sequence[ParamSpec], windows: Sequence[DateWindow]
) -> None:
    """Consistency of a report type's declarations: unique names, windows on datetimes."""
    names = [p.name for p in params]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise PluginSpecError(
            f"report type {report_type!r} declares parameter(s) {', '.join(doubled)} twice"
        )
    types = {p.name: p.type for p in params}
    for window in windows:
        for name in (window.start, window.end):
            if types.get(name) != "datetime":
                raise PluginSpecError(
                    f"report type {report_type!r}: DateWindow names {name!r}, which is not a "
                    "datetime parameter of it"
                )


# -- declarations ----------------------------------------------------------------------
_Bug = Callable[[str], PluginSpecError]


def _check_spec(p: ParamSpec) -> None:
    def bug(text: str) -> PluginSpecError:
        return PluginSpecError(f"ParamSpec {p.name!r}: {text}")

    if not isinstance(p.name, str) or not p.name:
        raise PluginSpecError(f"ParamSpec needs a non-empty name; got {p.name!r}")
    if p.type not in PARAM_TYPES:
        raise bug(f"type {p.type!r} is unknown; accepted: {', '.join(PARAM_TYPES)}")
    if p.required and p.default is not None:
        raise bug("a required parameter takes no default")
    _check_choices(p, bug)
    if p.max_length is not None and (
        p.type != "string" or not is_int(p.max_length) or p.max_length < 0
    ):
        raise bug("max_length is a non-negative integer, for string parameters only")
    _check_numeric_bounds(p, bug)
    _check_time_rules(p, bug)
    if p.default is not None:
        try:
            coerce("", "", p, p.default)
        except ValidationError as exc:
            raise bug(f"its default is not accepted by its own rules: {exc.message}") from None


def _check_choices(p: ParamSpec, bug: _Bug) -> None:
    if not p.choices:
        return
    if p.type in ("string", "list"):
        good = all(isinstance(c, str) for c in p.choices)
    elif p.type == "integer":
        good = all(is_int(c) for c in p.choices)
    elif p.type == "number":
        good = all(is_finite(c) for c in p.choices)
    else:
        raise bug(f"choices apply to string, list, integer and number parameters, not {p.type}")
    if not good:
        raise bug(f"every choice of a {p.type} parameter must be a valid {p.type}")


def _check_numeric_bounds(p: ParamSpec, bug: _Bug) -> None:
    bounds = [b for b in (p.minimum, p.maximum) if b is not None]
    if not bounds:
        return
    if p.type not in ("integer", "number"):
        raise bug("minimum and maximum apply to integer and number parameters only")
    valid = is_int if p.type == "integer" else is_finite
    if not all(valid(b) for b in bounds):
        raise bug(f"minimum and maximum of a {p.type} parameter must be finite {p.type}s")
    if p.minimum is not None and p.maximum is not None and p.minimum > p.maximum:
        raise bug(f"minimum {p.minimum} is greater than maximum {p.maximum}")


def _check_time_rules(p: ParamSpec, bug: _Bug) -> None:
    rules = (p.not_before, p.not_after, p.naive_zone)
    if any(r is not None for r in rules) and p.type != "datetime":
        raise bug("not_before, not_after and naive_zone apply to datetime parameters only")
    for which, bound in (("not_before", p.not_before), ("not_after", p.not_after)):
        if bound is None or bound == NOW:
            continue
        if isinstance(bound, dt.timedelta):
            if abs(bound) > MAX_RELATIVE_BOUND:
                raise bug(f"{which} reaches more than {MAX_RELATIVE_BOUND.days} days from now")
        elif not isinstance(bound, dt.datetime) or bound.utcoffset() is None:
            raise bug(f"{which} is 'now', a timedelta from now, or a datetime with a UTC offset")
    now = dt.datetime.now(dt.UTC)
    lower, upper = p.not_before, p.not_after
    if lower is not None and upper is not None and instant(lower, now) > instant(upper, now):
        raise bug("not_before is later than not_after")
    if p.naive_zone is not None:
        try:
            zoneinfo.ZoneInfo(p.naive_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise bug(f"naive_zone {p.naive_zone!r} is not a known IANA time zone") from None


# -- values ----------------------------------------------------------------------------
def coerce(
    provider: str, report: str, p: ParamSpec, value: Any, *, now: dt.datetime | None = None
) -> Any:
    """``value`` as parameter ``p`` accepts it, or a :class:`ValidationError`.

    Strings are converted for non-string parameters so that command-line values work:
    booleans from true/false/1/0, numbers, lists from JSON arrays or comma-separated
    text, objects from JSON, date-times from ISO 8601. ``now`` (default: the current
    time) is the moment date-time bounds relative to now are measured from.
    """

    def bad(expect: str | None = None) -> ValidationError:
        where = f"{provider} report {report!r}: " if provider else ""
        return ValidationError(
            f"{where}parameter {p.name!r} must be {expect or p.accepts()}; got {shown(value)}",
            provider=provider or None,
            field=p.name,
        )

    t = p.type
    if t == "boolean":
        return read_boolean(value, bad)
    if t in ("integer", "number"):
        number = read_number(t, value, bad)
        _check_range(p, number, bad)
        return number
    if t == "list":
        items = read_string_list(value, bad)
        if p.choices and any(v not in p.choices for v in items):
            raise bad()
        return items
    if t == "object":
        return read_object(value, bad)
    if t == "datetime":
        return _datetime(p, value, bad, now)
    if not isinstance(value, str):
        raise bad("a string")
    if p.choices and value not in p.choices:
        raise bad()
    if p.max_length is not None and len(value) > p.max_length:
        raise bad()
    return value


def _check_range(p: ParamSpec, number: int | float, bad: Refuse) -> None:
    if p.minimum is not None and number < p.minimum:
        raise bad()
    if p.maximum is not None and number > p.maximum:
        raise bad()
    if p.choices and number not in p.choices:
        raise bad()


def _datetime(p: ParamSpec, value: Any, bad: Refuse, now: dt.datetime | None) -> dt.datetime:
    when = read_datetime(value, bad)
    if when.utcoffset() is None and p.naive_zone is not None:
        when = when.replace(tzinfo=zoneinfo.ZoneInfo(p.naive_zone))
    bounds = [
        (b, upper) for b, upper in ((p.not_before, False), (p.not_after, True)) if b is not None
    ]
    if not bounds:
        return when
    if when.utcoffset() is None:
        raise bad(f"a date-time with a UTC offset (such as Z or +02:00); {p.accepts()}")
    moment = now or dt.datetime.now(dt.UTC)
    for bound, is_upper in bounds:
        limit = instant(bound, moment)
        leeway = dt.timedelta(0) if isinstance(bound, dt.datetime) else CLOCK_SKEW
        if (when > limit + leeway) if is_upper else (when < limit - leeway):
            raise bad()
    return when


# -- words -----------------------------------------------------------------------------
def _expectation(p: ParamSpec) -> str:
    t = p.type
    if t == "boolean":
        return "a boolean (true or false)"
    if t in ("integer", "number"):
        noun = "an integer" if t == "integer" else "a finite number"
        if p.choices:
            return f"one of {listing(p.choices)}"
        if p.minimum is not None and p.maximum is not None:
            return f"{noun} from {p.minimum} to {p.maximum}"
        if p.minimum is not None:
            return f"{noun} of at least {p.minimum}"
        if p.maximum is not None:
            return f"{noun} of at most {p.maximum}"
        return noun
    if t == "list":
        return f"a list drawn from {listing(p.choices)}" if p.choices else "a list of strings"
    if t == "object":
        return "an object (a TOML table or JSON object)"
    if t == "datetime":
        limits = [
            f"{word} {bound_words(b)}"
            for word, b in (("not before", p.not_before), ("not after", p.not_after))
            if b is not None
        ]
        return "an ISO 8601 date-time" + (f" {' and '.join(limits)}" if limits else "")
    if p.choices:
        return f"one of {listing(p.choices)}"
    if p.max_length is not None:
        return f"a string of at most {p.max_length} characters"
    return "a string"


__all__ = [
    "CLOCK_SKEW",
    "NOW",
    "PARAM_TYPES",
    "DateWindow",
    "ParamSpec",
    "check_report_params",
    "coerce",
]
