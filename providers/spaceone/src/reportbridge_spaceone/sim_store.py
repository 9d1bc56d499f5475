"""The simulator's reports: how they progress, how they look as ``ReportInfo``, queries."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import attrs

from reportbridge_spaceone.status import STATE_NAMES, STATE_NUMBERS

PDF_TEMPLATE = "template-1a2b3c4d5e6f"
CSV_TEMPLATE = "template-0c5a7e9b2d41"
#: template id -> (file format, title); the template decides what the file is
TEMPLATES: dict[str, tuple[str, str]] = {
    PDF_TEMPLATE: ("pdf", "Monthly cost summary"),
    CSV_TEMPLATE: ("csv", "Cloud inventory export"),
}
DEFAULT_STORAGE = "storage-0f9e8d7c6b5a"
STORAGE_INFO = {
    "storage_id": DEFAULT_STORAGE,
    "name": "reports",
    "storage_type_info": {
        "storage_type_id": "storage-type-aws-s3",
        "name": "AWS S3",
        "storage_type": "S3",
        "provider": "aws",
    },
}
ERRORS = {
    "FAILURE": {"code": "ERROR_TEMPLATE_RENDER", "message": "template option 'month' is invalid"},
    "TIMEOUT": {"code": "ERROR_REPORT_TIMEOUT", "message": "rendering took longer than 600 s"},
}
OUTCOMES = ("FINISHED", "FAILURE", "TIMEOUT", "CANCELED")


class QueryError(ValueError):
    """A bad query; ``code`` is the SpaceONE error code to answer with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@attrs.define
class SimReport:
    report_id: str
    domain_id: str
    template_id: str
    name: str
    template_options: dict[str, Any]
    storage_id: str
    created_by: str
    created_at: str
    started: float
    outcome: str
    forced: str | None = None
    error: dict[str, str] | None = None
    file_removed: bool = False
    url_refused: bool = False

    @property
    def format(self) -> str:
        return TEMPLATES.get(self.template_id, ("pdf", ""))[0]


class ReportStore:
    """Thread-safe reports of one simulator."""

    def __init__(
        self,
        job_seconds: float,
        outcome: str,
        outcomes: Mapping[str, str],
        *,
        forced_id: str | None = None,
    ) -> None:
        self.job_seconds = job_seconds
        self.forced_id = forced_id  # every new report gets it (tests of hostile answers)
        self.outcome = outcome
        self.outcomes = dict(outcomes)
        self.reports: dict[str, SimReport] = {}
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> SimReport:
        now = dt.datetime.now(dt.UTC)
        outcome = self.outcomes.get(fields["template_id"], self.outcome)
        report = SimReport(
            report_id=self.forced_id or f"report-{secrets.token_hex(6)}",
            created_at=now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            started=time.monotonic(),
            outcome=outcome,
            error=ERRORS.get(outcome),
            **fields,
        )
        with self._lock:
            self.reports[report.report_id] = report
        return report

    def find(self, domain_id: str, report_id: str) -> SimReport | None:
        with self._lock:
            report = self.reports.get(report_id)
        return report if report is not None and report.domain_id == domain_id else None

    def state(self, report: SimReport) -> str:
        if report.forced is not None:
            return report.forced
        age = time.monotonic() - report.started
        if age < self.job_seconds / 2:
            return "CREATED"
        if age < self.job_seconds:
            return "IN_PROGRESS"
        return report.outcome

    def force(self, report_id: str, state: str, error: dict[str, str] | None = None) -> None:
        with self._lock:
            report = self.reports[report_id]
            report.forced = state
            report.error = error if error is not None else ERRORS.get(state)

    def search(
        self, domain_id: str, conditions: list[dict[str, Any]], sort: Any, page: Any
    ) -> tuple[list[SimReport], int]:
        with self._lock:
            mine = [r for r in self.reports.values() if r.domain_id == domain_id]
        rows = [r for r in mine if all(self._match(r, c) for c in conditions)]
        for key, desc in reversed(_sort_keys(sort)):

            def order(r: SimReport, k: str = key) -> tuple[str, float]:
                # Reports made in the same millisecond keep their creation order.
                return str(self._field(r, k) or ""), r.started

            rows.sort(key=order, reverse=desc)
        start, limit = _page(page)
        chosen = rows[start - 1 : start - 1 + limit] if limit else rows[start - 1 :]
        return chosen, len(rows)

    def _field(self, report: SimReport, key: str) -> Any:
        if key == "state":
            return self.state(report)
        if key == "storage_info.storage_id":
            return report.storage_id
        return getattr(report, key, None)

    def _match(self, report: SimReport, cond: Mapping[str, Any]) -> bool:
        key = cond.get("k", cond.get("key"))
        value = cond.get("v", cond.get("value"))
        op = cond.get("o", cond.get("operator", "eq"))
        if not isinstance(key, str) or not key:
            raise QueryError(
                "ERROR_REQUIRED_PARAMETER", "Required parameter. (key = query.filter.k)"
            )
        if key == "state":  # names or enum numbers, like the API
            value = [_state(v) for v in value] if isinstance(value, list) else _state(value)
        return _compare(op, self._field(report, key), value)


def _state(value: Any) -> Any:
    return STATE_NAMES.get(value, value) if isinstance(value, int) else value


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: Any, have: Any, want: Any) -> bool:
    if op == "eq":
        return bool(_fold(have) == _fold(want))
    if op == "not":
        return bool(_fold(have) != _fold(want))
    if op in ("in", "not_in"):
        if not isinstance(want, list):
            raise QueryError("ERROR_INVALID_PARAMETER_TYPE", f"Operator '{op}' needs a list.")
        found = _fold(have) in [_fold(v) for v in want]
        return found if op == "in" else not found
    if op in ("contain", "not_contain"):
        found = str(_fold(want)) in str(_fold(have) or "")
        return found if op == "contain" else not found
    if op in (
        "lt",
        "lte",
        "gt",
        "gte",
        "datetime_lt",
        "datetime_lte",
        "datetime_gt",
        "datetime_gte",
    ):
        base = op.removeprefix("datetime_")
        a, b = str(have or ""), str(want)
        return {"lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[base]
    if op == "exists":
        return (have not in (None, "")) == bool(want)
    raise QueryError("ERROR_INVALID_PARAMETER", f"Invalid parameter. (query.filter.o = {op})")


def _sort_keys(sort: Any) -> list[tuple[str, bool]]:
    if not sort:
        return [("created_at", True)]
    if isinstance(sort, Mapping) and isinstance(sort.get("keys"), list):
        return [(str(k.get("key")), bool(k.get("desc"))) for k in sort["keys"]]
    if isinstance(sort, Mapping) and sort.get("key"):
        return [(str(sort["key"]), bool(sort.get("desc")))]
    raise QueryError("ERROR_INVALID_PARAMETER_TYPE", "Invalid parameter type. (query.sort)")


def _page(page: Any) -> tuple[int, int]:
    if not page:
        return 1, 0
    if not isinstance(page, Mapping):
        raise QueryError("ERROR_INVALID_PARAMETER_TYPE", "Invalid parameter type. (query.page)")
    start, limit = page.get("start", 1), page.get("limit", 0)
    if not isinstance(start, int) or start < 1:
        raise QueryError("ERROR_INVALID_PARAMETER", "Invalid parameter. (query.page.start >= 1)")
    if not isinstance(limit, int) or limit < 0:
        raise QueryError("ERROR_INVALID_PARAMETER", "Invalid parameter. (query.page.limit > 0)")
    return start, limit


def state_value(name: str, numeric: bool) -> str | int:
    return STATE_NUMBERS[name] if numeric else name
