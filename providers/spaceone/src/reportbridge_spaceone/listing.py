"""Listing existing reports: façade filters turned into a SpaceONE ``ReportQuery``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reportbridge import ReportStatus
from reportbridge.errors import UnknownStatusError, ValidationError, accepted
from reportbridge.provider import check_list_filters
from reportbridge_spaceone.status import NEUTRAL, PROVIDER, state_name

LIST_FILTERS = ("created_by", "state", "template_id")
#: what a ``state`` filter accepts: the vendor's names (or numbers) and the neutral statuses
STATE_FILTER_VALUES = (*NEUTRAL, *(s.value for s in ReportStatus if s in NEUTRAL.values()))


def _values(name: str, value: object) -> list[object]:
    """One value, a list, or comma-separated text (as the command line passes it)."""
    if isinstance(value, str):
        items: list[object] = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        items = [value]
    if not items:
        raise ValidationError(
            f"{PROVIDER} list filter {name!r} names no value; accepted: one value, a list, "
            "or comma-separated values",
            provider=PROVIDER,
            field=name,
        )
    return items


def states_for(value: object) -> list[str]:
    """Vendor states named by a ``state`` filter: vendor names or numbers, or neutral statuses."""
    found: list[str] = []
    for item in _values("state", value):
        neutral = str(item).strip().lower()
        matches = [s for s, status in NEUTRAL.items() if status.value == neutral]
        if not matches:
            try:
                matches = [state_name(item)]
            except UnknownStatusError:
                raise ValidationError(
                    f"{PROVIDER} cannot filter reports by state {item!r}; accepted: "
                    f"{accepted(STATE_FILTER_VALUES)}",
                    provider=PROVIDER,
                    field="state",
                ) from None
        found.extend(m for m in matches if m not in found)
    return found


def build_query(filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``query.filter`` conditions for the façade's filters (unknown ones refused)."""
    check_list_filters(PROVIDER, filters, LIST_FILTERS, items="reports")
    conditions: list[dict[str, Any]] = []
    for key in LIST_FILTERS:
        if filters.get(key) in (None, "", [], ()):
            continue
        if key == "state":
            values: list[Any] = states_for(filters[key])
        else:
            values = [str(v) for v in _values(key, filters[key])]
        if len(values) == 1:
            conditions.append({"k": key, "v": values[0], "o": "eq"})
        else:
            conditions.append({"k": key, "v": values, "o": "in"})
    return conditions


def pages(
    search: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    conditions: list[dict[str, Any]],
    *,
    page_size: int,
    limit: int | None,
) -> Iterator[Mapping[str, Any]]:
    """``ReportInfo`` objects, newest first, page by page (``page.start`` is 1-based)."""
    if limit is not None and limit <= 0:
        return
    start, given = 1, 0
    seen: set[object] = set()
    while True:
        size = page_size if limit is None else min(page_size, limit - given)
        body = search(
            {
                "query": {
                    "filter": conditions,
                    "sort": {"key": "created_at", "desc": True},
                    "page": {"start": start, "limit": size},
                }
            }
        )
        results = body.get("results") or []
        fresh = [r for r in results if isinstance(r, Mapping) and r.get("report_id") not in seen]
        for info in fresh:
            seen.add(info.get("report_id"))
            yield info
            given += 1
            if limit is not None and given >= limit:
                return
        total = body.get("total_count")
        start += len(results)
        # Stop at the end, or when a server ignoring the page keeps sending the same reports.
        if not fresh or (isinstance(total, int) and start > total):
            return
