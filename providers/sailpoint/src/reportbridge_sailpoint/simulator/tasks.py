"""The simulated tenant's report tasks: creation (get-or-create), progress, payloads."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

TASK_NAMES = {
    "ACCOUNTS": "Account Export",
    "IDENTITIES_DETAILS": "Identities Details Report",
    "IDENTITIES": "Identities",
    "IDENTITY_PROFILE_IDENTITY_ERROR": "Identity Profile Identity Error",
    "ORPHAN_IDENTITIES": "Orphan Identities",
    "UNCORRELATED_ACCOUNTS": "Uncorrelated Accounts",
    "SEARCH_EXPORT": "Search Export",
}
OUTCOMES = ("SUCCESS", "WARNING", "ERROR", "TEMP_ERROR")
#: How the result endpoint names a task's completion status (it has no ERROR).
RESULT_STATUS = {
    "SUCCESS": "SUCCESS",
    "WARNING": "WARNING",
    "ERROR": "FAILURE",
    "TERMINATED": "TERMINATED",
}
DEDUPE_MODES = ("type+arguments", "type", "off")
_MESSAGES = {
    "WARNING": ("WARN", "report.rows.skipped", "Some rows could not be read and were skipped"),
    "ERROR": ("ERROR", "report.failed", "The report failed: the source is not reachable"),
    "TEMP_ERROR": ("ERROR", "report.temporary", "Temporary failure: the search service is busy"),
}


@attrs.define
class Task:
    id: str
    report_type: str
    arguments: dict[str, Any]
    outcome: str
    launcher: str
    created: float  # monotonic
    created_at: dt.datetime
    terminated: float | None = None
    purged: bool = False  # the file is gone (retention), the task record stays


@attrs.frozen
class Timing:
    job_seconds: float
    visible_after: float

    @property
    def launch_after(self) -> float:
        return self.job_seconds / 4


class TaskBook:
    """Every task of the tenant; ``start`` adopts an identical running task."""

    def __init__(
        self,
        timing: Timing,
        *,
        dedupe: str = "type+arguments",
        clock: Callable[[], float] = time.monotonic,
        forced_id: str | None = None,
    ) -> None:
        if dedupe not in DEDUPE_MODES:
            raise ValueError(f"dedupe must be one of {', '.join(DEDUPE_MODES)}")
        self.timing = timing
        self.dedupe = dedupe
        self.forced_id = forced_id  # every new task gets it (tests of hostile answers)
        self._clock = clock
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def start(
        self, report_type: str, arguments: Mapping[str, Any], outcome: str, launcher: str
    ) -> tuple[Task, bool]:
        """The new task, or the running identical one (and True when it was adopted)."""
        with self._lock:
            # with dedupe off no task is ever adopted: skip the scan of every task so far
            for task in self._tasks.values() if self.dedupe != "off" else ():
                if self._same(task, report_type, arguments) and not self.is_finished(task):
                    return task, True
            task = Task(
                id=self.forced_id or uuid.uuid4().hex,
                report_type=report_type,
                arguments=dict(arguments),
                outcome=outcome,
                launcher=launcher,
                created=self._clock(),
                created_at=dt.datetime.now(dt.UTC),
            )
            self._tasks[task.id] = task
            return task, False

    def _same(self, task: Task, report_type: str, arguments: Mapping[str, Any]) -> bool:
        if self.dedupe == "off" or task.report_type != report_type:
            return False
        return self.dedupe == "type" or _canonical(task.arguments) == _canonical(arguments)

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def age(self, task: Task) -> float:
        return self._clock() - task.created

    def is_launched(self, task: Task) -> bool:
        return task.terminated is not None or self.age(task) >= self.timing.launch_after

    def is_finished(self, task: Task) -> bool:
        return task.terminated is not None or self.age(task) >= self.timing.job_seconds

    def is_visible(self, task: Task) -> bool:
        return self.is_finished(task) or self.age(task) >= self.timing.visible_after

    def completion(self, task: Task) -> str | None:
        """The task's completionStatus, None while it runs."""
        if task.terminated is not None:
            return "TERMINATED"
        return task.outcome if self.is_finished(task) else None

    def terminate(self, task: Task) -> bool:
        """Stop a running task; False when it has finished already."""
        with self._lock:
            if self.is_finished(task):
                return False
            task.terminated = self._clock()
            return True

    def seconds_run(self, task: Task) -> float:
        end = (
            task.terminated
            if task.terminated is not None
            else task.created + self.timing.job_seconds
        )
        return end - task.created


def available_formats(task: Task) -> list[str]:
    if task.report_type == "SEARCH_EXPORT":
        return ["CSV"]
    chosen = task.arguments.get("selectedFormats")
    return list(chosen) if chosen else ["CSV", "PDF"]


def task_details(book: TaskBook, task: Task, stamp: Callable[[dt.datetime], str]) -> dict[str, Any]:
    """``TaskResultDetails``, the run answer."""
    completion = book.completion(task)
    launched = task.created_at + dt.timedelta(seconds=book.timing.launch_after)
    finished = task.created_at + dt.timedelta(seconds=book.seconds_run(task))
    messages = []
    if completion in _MESSAGES:
        kind, key, text = _MESSAGES[completion]
        messages.append(
            {
                "type": kind,
                "error": kind == "ERROR",
                "warning": kind == "WARN",
                "key": key,
                "localizedText": text,
            }
        )
    if completion is not None:
        progress = "Completed"
    elif book.is_launched(task):
        progress = "Processing"
    else:
        progress = "Initializing..."
    return {
        "id": task.id,
        "type": "QUARTZ",
        "reportType": task.report_type,
        "description": f"{TASK_NAMES[task.report_type]} report",
        "parentName": None,
        "launcher": task.launcher,
        "created": stamp(task.created_at),
        "launched": stamp(launched) if book.is_launched(task) else None,
        "completed": stamp(finished) if completion is not None else None,
        "completionStatus": completion,
        "messages": messages,
        "returns": [],
        "attributes": {"org": "acme"},
        "progress": progress,
    }


def report_results(
    book: TaskBook,
    task: Task,
    stamp: Callable[[dt.datetime], str],
    temp_error_as: str,
    rows: Callable[[Task], int],
) -> dict[str, Any]:
    """``ReportResults``, the poll answer; no ``status`` while the task runs."""
    body: dict[str, Any] = {
        "id": task.id,
        "reportType": task.report_type,
        "taskDefName": TASK_NAMES[task.report_type],
        "created": stamp(task.created_at),
    }
    completion = book.completion(task)
    if completion is not None:
        body["status"] = RESULT_STATUS.get(completion, temp_error_as)
        body["duration"] = round(book.seconds_run(task) * 1000)
        body["rows"] = rows(task) if completion in ("SUCCESS", "WARNING") else 0
        body["availableFormats"] = available_formats(task)
    return body


def _canonical(arguments: Mapping[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, default=str)


#: Arguments each report type requires, with their JSON type.
REQUIRED: dict[str, dict[str, type]] = {
    "ACCOUNTS": {"application": str, "sourceName": str},
    "IDENTITIES_DETAILS": {"correlatedOnly": bool},
    "IDENTITY_PROFILE_IDENTITY_ERROR": {"authoritativeSource": str},
    "SEARCH_EXPORT": {"query": str},
}


def check_report_details(body: Any) -> str | None:
    """What is wrong with a run request body, or None."""
    if not isinstance(body, dict):
        return "the body must be a ReportDetails object"
    report_type = body.get("reportType")
    if report_type not in TASK_NAMES:
        return f"reportType must be one of {', '.join(TASK_NAMES)}"
    arguments = body.get("arguments") or {}
    if not isinstance(arguments, dict):
        return "arguments must be an object"
    for name, kind in REQUIRED.get(report_type, {}).items():
        if not isinstance(arguments.get(name), kind):
            return f"{report_type} needs argument {name} ({kind.__name__})"
    formats = arguments.get("selectedFormats")
    if formats is not None and (
        not isinstance(formats, list) or not set(formats) <= {"CSV", "PDF"}
    ):
        return "selectedFormats must be a list drawn from CSV, PDF"
    return None
