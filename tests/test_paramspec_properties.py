"""Properties of declared parameters: any value either comes back as the declared type
within the declared rules, or raises ValidationError naming the parameter — never another
exception, never a huge echo. Any declaration either holds together or is refused."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reportbridge import DateWindow, ParamSpec, PluginSpecError, ReportTypeSpec, ValidationError
from reportbridge.params import validate_params
from reportbridge.paramspec import CLOCK_SKEW, PARAM_TYPES, coerce

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
SMALL_INTS = st.integers(-(10**6), 10**6)
FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
AWARE = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1), timezones=st.timezones()
)
TIME_BOUNDS = (
    st.none()
    | st.just("now")
    | AWARE
    | st.timedeltas(min_value=dt.timedelta(days=-3650), max_value=dt.timedelta(days=3650))
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**5000)
    | st.floats()
    | st.text(max_size=40)
    | st.from_regex(r"\s*-?[0-9]{1,8}(\.[0-9]{1,4})?(e-?[0-9]{1,3})?\s*", fullmatch=True)
    | st.sampled_from(["nan", "inf", "-inf", "true", "no", "[]", '["a"]', "{}", "a,b", "1e999"])
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.datetimes().map(lambda d: d.isoformat())
    | AWARE.map(lambda d: d.isoformat().replace("+00:00", "Z"))
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@st.composite
def specs(draw: st.DrawFn, kinds: tuple[str, ...] = PARAM_TYPES) -> ParamSpec:
    kind = draw(st.sampled_from(kinds))
    kw: dict[str, Any] = {}
    if kind in ("integer", "number"):
        numbers = SMALL_INTS if kind == "integer" else (SMALL_INTS | FINITE)
        kw["minimum"] = draw(st.none() | numbers)
        kw["maximum"] = draw(st.none() | numbers)
        kw["choices"] = draw(st.just(()) | st.lists(numbers, min_size=1, max_size=4))
    elif kind in ("string", "list"):
        kw["choices"] = draw(st.lists(st.text(max_size=6), max_size=4))
        if kind == "string":
            kw["max_length"] = draw(st.none() | st.integers(0, 20))
    elif kind == "datetime":
        kw["not_before"] = draw(TIME_BOUNDS)
        kw["not_after"] = draw(TIME_BOUNDS)
        kw["naive_zone"] = draw(st.sampled_from([None, "UTC", "Europe/Lisbon", "Asia/Tokyo"]))
    kw["default"] = draw(st.none() | values)
    try:
        return ParamSpec("p", kind, **kw)
    except PluginSpecError:
        assume(False)
        raise


def _within_time_bounds(p: ParamSpec, when: dt.datetime) -> bool:
    for bound, upper in ((p.not_before, False), (p.not_after, True)):
        if bound is None:
            continue
        if isinstance(bound, dt.datetime):
            limit, leeway = bound, dt.timedelta(0)
        else:
            limit = NOW + (bound if isinstance(bound, dt.timedelta) else dt.timedelta(0))
            leeway = CLOCK_SKEW
        if (when > limit + leeway) if upper else (when < limit - leeway):
            return False
    return True


def _holds(p: ParamSpec, out: Any) -> bool:
    t = p.type
    if t == "boolean":
        return isinstance(out, bool)
    if t in ("integer", "number"):
        kinds = (int,) if t == "integer" else (int, float)
        return (
            isinstance(out, kinds)
            and not isinstance(out, bool)
            and (not isinstance(out, float) or math.isfinite(out))
            and (p.minimum is None or out >= p.minimum)
            and (p.maximum is None or out <= p.maximum)
            and (not p.choices or out in p.choices)
        )
    if t == "string":
        return (
            isinstance(out, str)
            and (not p.choices or out in p.choices)
            and (p.max_length is None or len(out) <= p.max_length)
        )
    if t == "list":
        return (
            isinstance(out, list)
            and all(isinstance(v, str) for v in out)
            and (not p.choices or all(v in p.choices for v in out))
        )
    if t == "object":
        return isinstance(out, dict)
    assert t == "datetime"
    if not isinstance(out, dt.datetime):
        return False
    if p.naive_zone is not None and out.utcoffset() is None:
        return False
    if p.not_before is None and p.not_after is None:
        return True
    return out.utcoffset() is not None and _within_time_bounds(p, out)


def _accepted_or_refused_by_name(p: ParamSpec, value: Any) -> None:
    try:
        out = coerce("acme", "R", p, value, now=NOW)
    except ValidationError as exc:
        assert exc.field == "p" and exc.provider == "acme"
        assert len(exc.message) < 600
        return
    assert _holds(p, out), (p, value, out)


RELAXED = settings(
    max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
numeric_values = (
    st.integers(-(10**6) - 10, 10**6 + 10)
    | st.floats()
    | st.sampled_from([math.nan, math.inf, -math.inf, "nan", "-inf", "1e400"])
    | st.integers(min_value=10**300, max_value=10**5000)
    | st.integers(-(10**6), 10**6).map(str)
    | st.floats().map(str)
    | values
)
time_values = (
    st.datetimes(timezones=st.none() | st.timezones())
    | st.datetimes(min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2035, 1, 1))
    | AWARE
    | st.datetimes().map(lambda d: d.isoformat())
    | AWARE.map(lambda d: d.isoformat())
    | values
)


@RELAXED
@given(specs(), values)
def test_a_value_is_accepted_within_its_rules_or_refused_by_name(p: ParamSpec, value: Any) -> None:
    _accepted_or_refused_by_name(p, value)


@RELAXED
@given(specs(("integer", "number")), numeric_values)
def test_a_number_is_within_its_bounds_or_refused(p: ParamSpec, value: Any) -> None:
    _accepted_or_refused_by_name(p, value)


@RELAXED
@given(specs(("datetime",)), time_values)
def test_a_date_time_is_within_its_bounds_or_refused(p: ParamSpec, value: Any) -> None:
    _accepted_or_refused_by_name(p, value)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(specs())
def test_a_declaration_that_is_made_accepts_its_own_default(p: ParamSpec) -> None:
    if p.default is None:
        return
    clean = validate_params("acme", ReportTypeSpec("R", params=(p,)), {})
    assert _holds(p, clean["p"])


WINDOWED = ReportTypeSpec(
    "R",
    params=(ParamSpec("from", "datetime"), ParamSpec("to", "datetime")),
    windows=(DateWindow("from", "to", max_span=dt.timedelta(days=31)),),
)
ends = st.none() | st.datetimes(timezones=st.none() | st.timezones()) | values


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(ends, ends)
def test_a_window_is_ordered_short_and_unmixed_or_refused(start: Any, end: Any) -> None:
    try:
        clean = validate_params("acme", WINDOWED, {"from": start, "to": end})
    except ValidationError as exc:
        assert exc.field in ("from", "to")
        return
    if "from" in clean and "to" in clean:
        first, last = clean["from"], clean["to"]
        assert (first.utcoffset() is None) == (last.utcoffset() is None)
        assert first < last <= first + dt.timedelta(days=31)
