"""ISO 8601 durations, relative times and windows, and window splitting."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge.audit.timewindow import (
    add_months,
    is_relative,
    parse_duration,
    resolve_time,
    resolve_window,
    split_window,
    zone,
)
from reportbridge.errors import ConfigurationError

UTC = zone("UTC")
LISBON = zone("Europe/Lisbon")
NOW = dt.datetime(2026, 3, 31, 10, 30, tzinfo=dt.UTC)  # a Tuesday, DST starts on 29 March


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "months", "days", "seconds"),
    [
        ("P90D", 0, 90, 0),
        ("P1Y2M", 14, 0, 0),
        ("P2W", 0, 14, 0),
        ("PT12H30M5S", 0, 0, 45005),
        ("P1DT1H", 0, 1, 3600),
    ],
)
def test_durations(text: str, months: int, days: int, seconds: int) -> None:
    d = parse_duration(text)
    assert (d.months, d.days, d.seconds) == (months, days, seconds)


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "90D", "P1.5D", "p1d", "P1H", "P-1D", 90, "P999999Y"]
)
def test_bad_durations_name_the_form(text: object) -> None:
    with pytest.raises(ConfigurationError, match=r"ISO 8601 duration|longer than 100 years"):
        parse_duration(text)


def test_months_clamp_to_the_last_day() -> None:
    assert add_months(_t("2026-01-31T00:00"), 1) == _t("2026-02-28T00:00")
    assert add_months(_t("2024-03-31T00:00"), -1) == _t("2024-02-29T00:00")
    assert parse_duration("P3M").after(_t("2026-11-30T00:00")) == _t("2027-02-28T00:00")


def test_relative_times() -> None:
    assert resolve_time("now", NOW, UTC) == NOW
    assert resolve_time("-P1D", NOW, UTC) == _t("2026-03-30T10:30+00:00")
    assert resolve_time("today", NOW, UTC) == _t("2026-03-31T00:00+00:00")
    assert resolve_time("today-P7D", NOW, UTC) == _t("2026-03-24T00:00+00:00")
    assert resolve_time("this-week", NOW, UTC) == _t("2026-03-30T00:00+00:00")
    assert resolve_time("this-month+P1D", NOW, UTC) == _t("2026-03-02T00:00+00:00")
    assert resolve_time("this-quarter", NOW, UTC) == _t("2026-01-01T00:00+00:00")
    assert resolve_time("this-year", NOW, UTC) == _t("2026-01-01T00:00+00:00")
    # in Lisbon, 1 March was still winter time (+00:00); today is summer time (+01:00)
    assert resolve_time("today", NOW, LISBON) == _t("2026-03-31T00:00+01:00")
    assert resolve_time("this-month", NOW, LISBON) == _t("2026-03-01T00:00+00:00")


@pytest.mark.parametrize("text", ["yesterday", "now-", "-1D", "today+P1X", "next-month"])
def test_bad_relative_times(text: str) -> None:
    assert not is_relative(text) or text == "today+P1X"
    with pytest.raises(ConfigurationError, match=r"not understood|ISO 8601"):
        resolve_time(text, NOW, UTC)


def test_is_relative_only_for_the_grammar() -> None:
    assert is_relative("-P1D") and is_relative("today") and is_relative("this-month-P1M")
    assert not is_relative("2026-01-01T00:00:00") and not is_relative("hello")
    assert not is_relative(5)


def test_windows() -> None:
    assert resolve_window("previous-month", NOW, UTC) == (
        _t("2026-02-01T00:00+00:00"),
        _t("2026-03-01T00:00+00:00"),
    )
    assert resolve_window("previous-day", NOW, UTC) == (
        _t("2026-03-30T00:00+00:00"),
        _t("2026-03-31T00:00+00:00"),
    )
    assert resolve_window("previous-week", NOW, UTC) == (
        _t("2026-03-23T00:00+00:00"),
        _t("2026-03-30T00:00+00:00"),
    )
    assert resolve_window("previous-quarter", NOW, UTC) == (
        _t("2025-10-01T00:00+00:00"),
        _t("2026-01-01T00:00+00:00"),
    )
    assert resolve_window("previous-year", NOW, UTC)[0] == _t("2025-01-01T00:00+00:00")
    assert resolve_window("this-month", NOW, UTC) == (_t("2026-03-01T00:00+00:00"), NOW)
    assert resolve_window("-P30D", NOW, UTC) == (_t("2026-03-01T10:30+00:00"), NOW)
    start, end = resolve_window("previous-week", NOW, LISBON)
    assert start.utcoffset() == dt.timedelta(0) and end.utcoffset() == dt.timedelta(hours=1)


def test_bad_window_lists_what_is_accepted() -> None:
    with pytest.raises(ConfigurationError, match="previous-month"):
        resolve_window("last-month", NOW, UTC)


def test_bad_zone() -> None:
    with pytest.raises(ConfigurationError, match="IANA"):
        zone("Mars/Olympus")
    with pytest.raises(ConfigurationError, match="IANA"):
        zone("../etc/passwd")


def test_quarter_split_into_31_day_pieces() -> None:
    start, end = resolve_window("previous-quarter", NOW, UTC)
    pieces = split_window(start, end, dt.timedelta(days=31))
    assert len(pieces) == 3
    assert pieces[0] == (_t("2025-10-01T00:00+00:00"), _t("2025-11-01T00:00+00:00"))
    assert pieces[-1][1] == end


@given(
    start=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    length=st.timedeltas(min_value=dt.timedelta(seconds=1), max_value=dt.timedelta(days=800)),
    longest=st.timedeltas(min_value=dt.timedelta(hours=1), max_value=dt.timedelta(days=60)),
)
def test_split_covers_the_window_without_gaps(
    start: dt.datetime, length: dt.timedelta, longest: dt.timedelta
) -> None:
    pieces = split_window(start, start + length, longest)
    assert pieces[0][0] == start and pieces[-1][1] == start + length
    for (_, a_end), (b_start, _) in itertools.pairwise(pieces):
        assert a_end == b_start
    assert all(dt.timedelta(0) < b - a <= longest for a, b in pieces)
