"""Durations and relative time windows for recurring audits.

Durations are ISO 8601: ``P90D``, ``P1Y2M``, ``PT12H``, ``P2W`` (whole numbers).

A relative time (the value of a date-time parameter) is ``ANCHOR``, ``ANCHOR±DURATION``
or ``±DURATION`` (from ``now``). Anchors: ``now``; ``today``, ``this-week`` (Monday),
``this-month``, ``this-quarter``, ``this-year`` — each the start of that period.

A window (a job's ``window``) sets the report's start and end parameters:
``previous-day|week|month|quarter|year`` (the last complete period),
``this-day|week|month|quarter|year`` (the period so far, up to now), or ``-DURATION``
(that long, up to now). Calendar periods are taken in the plan's time zone (UTC unless
``[audit] timezone`` names another); starts are inclusive and ends exclusive.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo

import attrs

from reportbridge.errors import ConfigurationError

_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?!$)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
PERIODS = ("day", "week", "month", "quarter", "year")
ANCHORS = ("now", "today", *(f"this-{p}" for p in PERIODS[1:]))
_RELATIVE = re.compile(r"(?P<anchor>[a-z-]+)?(?:(?P<sign>[+-])(?P<duration>P[0-9A-Z]+))?")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
#: Keeps date arithmetic in range (and plans sane): at most 100 years.
_MAX_DAYS = 36_600


@attrs.frozen
class Duration:
    """An ISO 8601 duration: calendar months and years, and exact days and seconds."""

    text: str
    months: int = 0
    days: int = 0
    seconds: int = 0

    def after(self, when: dt.datetime) -> dt.datetime:
        return add_months(when, self.months) + dt.timedelta(days=self.days, seconds=self.seconds)

    def before(self, when: dt.datetime) -> dt.datetime:
        return add_months(when, -self.months) - dt.timedelta(days=self.days, seconds=self.seconds)


def parse_duration(text: object, *, what: str = "duration") -> Duration:
    """``P90D`` and friends, or a ConfigurationError that shows the accepted form."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or not any(match.groupdict().values()):
        raise ConfigurationError(
            f"{what} {str(text)[:40]!r} is not an ISO 8601 duration; accepted: e.g. P90D, "
            "P1Y, P3M, P2W, PT12H (PnYnMnWnDTnHnMnS, whole numbers)"
        )
    n = {k: int(v or 0) for k, v in match.groupdict().items()}
    duration = Duration(
        str(text),
        months=n["years"] * 12 + n["months"],
        days=n["weeks"] * 7 + n["days"],
        seconds=n["hours"] * 3600 + n["minutes"] * 60 + n["seconds"],
    )
    if duration.months > 1200 or duration.days + duration.seconds // 86400 > _MAX_DAYS:
        raise ConfigurationError(f"{what} {text!r} is longer than 100 years")
    return duration


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later (or earlier); the day is clamped to the month's last day."""
    if not months:
        return when
    index = when.year * 12 + when.month - 1 + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def zone(name: object) -> zoneinfo.ZoneInfo:
    if isinstance(name, str) and _ZONE_NAME.fullmatch(name):
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigurationError(
        f"time zone {str(name)[:60]!r} is not a known IANA name; accepted: e.g. UTC, "
        "Europe/Lisbon, America/New_York"
    )


def period_start(period: str, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The start of the ``period`` holding ``now``, in ``tz``."""
    local = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        local -= dt.timedelta(days=local.weekday())
    elif period == "month":
        local = local.replace(day=1)
    elif period == "quarter":
        local = local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1)
    elif period == "year":
        local = local.replace(month=1, day=1)
    return _wall(local, tz)


def _wall(local: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    # Re-attach the zone so the offset fits that wall-clock date (DST differs by date).
    return local.replace(tzinfo=None).replace(tzinfo=tz)


def _step(period: str, start: dt.datetime, tz: zoneinfo.ZoneInfo, n: int) -> dt.datetime:
    local = start.astimezone(tz).replace(tzinfo=None)
    if period == "day":
        local += dt.timedelta(days=n)
    elif period == "week":
        local += dt.timedelta(weeks=n)
    else:
        local = add_months(local, n * {"month": 1, "quarter": 3, "year": 12}[period])
    return local.replace(tzinfo=tz)


def is_relative(value: object) -> bool:
    """Whether a parameter value is written in the relative-time grammar."""
    if not isinstance(value, str):
        return False
    match = _RELATIVE.fullmatch(value.strip())
    if match is None or not (match["anchor"] or match["sign"]):
        return False
    return match["anchor"] in (None, *ANCHORS)


def resolve_time(value: str, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A relative time as an instant (aware, in ``tz``)."""
    match = _RELATIVE.fullmatch(value.strip())
    anchor = match["anchor"] if match else None
    if match is None or not (anchor or match["sign"]) or anchor not in (None, *ANCHORS):
        raise ConfigurationError(
            f"relative time {value[:40]!r} is not understood; accepted: now, today, "
            "this-week, this-month, this-quarter, this-year, optionally followed by +/- an "
            "ISO 8601 duration (today-P7D), or a bare -P1D (from now)"
        )
    if anchor in (None, "now"):
        base = now.astimezone(tz)
    else:
        base = period_start("day" if anchor == "today" else anchor.removeprefix("this-"), now, tz)
    if not match["sign"]:
        return base
    duration = parse_duration(match["duration"], what=f"offset in {value!r}")
    shifted = duration.after(base) if match["sign"] == "+" else duration.before(base)
    return shifted if anchor in (None, "now") else _wall(shifted.replace(tzinfo=None), tz)


def resolve_window(
    name: str, now: dt.datetime, tz: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """A named window as (start, end): start inclusive, end exclusive."""
    text = name.strip() if isinstance(name, str) else ""
    kind, _, period = text.partition("-")
    if kind in ("previous", "this") and period in PERIODS:
        current = period_start(period, now, tz)
        if kind == "this":
            return current, now.astimezone(tz)
        return _step(period, current, tz, -1), current
    if text.startswith("-P"):
        duration = parse_duration(text[1:], what=f"window {text!r}")
        end = now.astimezone(tz)
        return duration.before(end), end
    raise ConfigurationError(
        f"window {str(name)[:40]!r} is not understood; accepted: previous-day, previous-week, "
        "previous-month, previous-quarter, previous-year, this-day ... this-year (so far), or "
        "-DURATION such as -P30D (the last 30 days)"
    )


def split_window(
    start: dt.datetime, end: dt.datetime, longest: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, end)`` cut into consecutive pieces no longer than ``longest`` of
    elapsed time (pieces are in UTC, so a DST change inside one counts for what it is)."""
    if longest <= dt.timedelta(0):
        raise ValueError("longest must be positive")
    pieces = []
    cursor, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    while cursor < end:
        stop = min(end, cursor + longest)
        pieces.append((cursor, stop))
        cursor = stop
    return pieces


__all__ = [
    "ANCHORS",
    "PERIODS",
    "Duration",
    "add_months",
    "is_relative",
    "parse_duration",
    "period_start",
    "resolve_time",
    "resolve_window",
    "split_window",
    "zone",
]
