"""From a plan to the jobs a run sends: relative times resolved, wide windows split.

Resolution happens once per bundle (at ``resolved_at``, kept in the journal), so a
resumed run sends exactly what the first one planned. A window wider than the report
type's time window allows (the ``max_span`` of its first ``DateWindow``) becomes several
jobs (``KEY.w01``, ``KEY.w02``...) that the manifest shows as one evidence item with
several segments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from reportbridge.audit.plan import AuditPlan, PlannedJob
from reportbridge.audit.timewindow import (
    is_relative,
    resolve_time,
    resolve_window,
    split_window,
    zone,
)
from reportbridge.errors import ConfigurationError
from reportbridge.model import ReportTypeSpec

#: Naive times are wall-clock times in a zone only the vendor applies; pieces of them
#: are kept this much shorter than the limit so that a DST change cannot overrun it.
NAIVE_MARGIN = dt.timedelta(hours=2)


@attrs.frozen
class Unit:
    """One job a run sends, and the plan job (``group``) it belongs to."""

    key: str
    group: str
    segment: int | None = None
    start: str | None = None
    end: str | None = None


@attrs.frozen
class Expansion:
    plan: AuditPlan
    units: dict[str, Unit]
    resolved_at: str
    windows: dict[str, dict[str, Any]]

    def record(self) -> dict[str, Any]:
        """What was resolved, for the custody log and the manifest."""
        return {
            "resolved_at": self.resolved_at,
            "timezone": self.plan.timezone or "UTC",
            "windows": self.windows,
        }


SpecLookup = Callable[[PlannedJob], ReportTypeSpec | None]


def expand_plan(plan: AuditPlan, spec_of: SpecLookup, now: dt.datetime) -> Expansion:
    tz = zone(plan.timezone or "UTC")
    taken = {pj.key for pj in plan.jobs}
    jobs: list[PlannedJob] = []
    units: dict[str, Unit] = {}
    windows: dict[str, dict[str, Any]] = {}
    for pj in plan.jobs:
        spec = spec_of(pj)
        params, record = _resolve(pj, spec, now, tz)
        pieces = _pieces(pj, spec, params)
        if pieces is None:
            jobs.append(attrs.evolve(pj, params=params))
            units[pj.key] = Unit(pj.key, pj.key, start=record.get("from"), end=record.get("to"))
        else:
            names = _window_of(spec)
            assert names is not None and spec is not None
            start_name, end_name = names
            segments = []
            for n, (start, end) in enumerate(pieces, 1):
                key = f"{pj.key}.w{n:02d}"
                if key in taken:
                    raise ConfigurationError(
                        f"plan job {pj.key!r} is split into {key!r}, which another job is "
                        "named; rename that job"
                    )
                taken.add(key)
                piece = {**params, start_name: _text(start), end_name: _text(end)}
                jobs.append(attrs.evolve(pj, key=key, params=piece))
                units[key] = Unit(key, pj.key, n, _text(start), _text(end))
                segments.append({"key": key, "from": _text(start), "to": _text(end)})
            record["segments"] = segments
            record["max_span"] = str(spec.windows[0].max_span)
        if record:
            windows[pj.key] = record
    expanded = attrs.evolve(plan, jobs=tuple(jobs))
    return Expansion(expanded, units, now.isoformat(), windows)


def _resolve(
    pj: PlannedJob, spec: ReportTypeSpec | None, now: dt.datetime, tz: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    params = dict(pj.params)
    record: dict[str, Any] = {}
    where = f"plan job {pj.key!r}"
    relative = {}
    for p in spec.params if spec else ():
        if p.type == "datetime" and is_relative(params.get(p.name)):
            relative[p.name] = params[p.name]
            try:
                params[p.name] = _text(resolve_time(params[p.name], now, tz))
            except ConfigurationError as exc:
                raise ConfigurationError(f"{where}: params.{p.name}: {exc}") from None
    if relative:
        record["relative"] = relative
    names = _window_of(spec)
    if pj.window is not None:
        if names is None:
            raise ConfigurationError(
                f"{where}: window needs a report type with a time window; "
                f"{pj.report_type!r} declares none (give its parameters instead)"
            )
        clash = [name for name in names if name in pj.params]
        if clash:
            raise ConfigurationError(
                f"{where}: window and params.{clash[0]} both set the time window; keep one"
            )
        start, end = resolve_window(pj.window, now, tz)
        params[names[0]], params[names[1]] = _text(start), _text(end)
        record["window"] = pj.window
    if names is not None and record:
        first, last = (params.get(name) for name in names)
        record.update({"from": _text(first), "to": _text(last)})
    return params, record


def _pieces(
    pj: PlannedJob, spec: ReportTypeSpec | None, params: dict[str, Any]
) -> list[tuple[dt.datetime, dt.datetime]] | None:
    names = _window_of(spec)
    if spec is None or names is None or spec.windows[0].max_span is None:
        return None
    most = spec.windows[0].max_span
    start, end = (_instant(params.get(name)) for name in names)
    if start is None or end is None or end <= start:
        return None  # the provider's own validation names what is wrong
    naive = start.tzinfo is None or end.tzinfo is None
    longest = most - (NAIVE_MARGIN if naive else dt.timedelta(0))
    if naive:
        start, end = start.replace(tzinfo=dt.UTC), end.replace(tzinfo=dt.UTC)
        if end - start <= most:
            return None
    elif end - start <= longest:
        return None
    pieces = split_window(start, end, longest)
    if naive:
        pieces = [(a.replace(tzinfo=None), b.replace(tzinfo=None)) for a, b in pieces]
    return pieces


def _window_of(spec: ReportTypeSpec | None) -> tuple[str, str] | None:
    """The report's time window: the start and end parameters of its first DateWindow."""
    if spec is None or not spec.windows:
        return None
    return spec.windows[0].start, spec.windows[0].end


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    return value


__all__ = ["Expansion", "Unit", "expand_plan"]
