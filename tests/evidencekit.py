"""Helpers for evidence tests: run small audits against the vendor simulators."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportbridge.audit import AuditPlan, PlannedJob, run_audit
from reportbridge.audit.custody import CUSTODY, read_log
from reportbridge.testing import Simulator

FAST = {"initial": 0.05, "backoff": 1.3, "cap": 0.3, "jitter": 0.0}


def reports_for(make_reports: Callable[..., Any], sims: dict[str, Simulator]) -> Any:
    return make_reports(sims, polling=FAST)


def plan(*jobs: PlannedJob, **kw: Any) -> AuditPlan:
    return AuditPlan(name=kw.pop("name", "evidence test"), jobs=tuple(jobs), timeout=60, **kw)


def sailpoint_jobs(profile: str = "sp") -> list[PlannedJob]:
    return [
        PlannedJob(
            "accounts",
            profile,
            "ACCOUNTS",
            {"application": "2c9180897e7742b2017e781782f705b9", "sourceName": "AD"},
            ("csv", "pdf"),
        ),
        PlannedJob("search", profile, "SEARCH_EXPORT", {"query": "name:a*"}, ("zip",)),
    ]


def run(reports: Any, the_plan: AuditPlan, bundle: Path) -> dict[str, Any]:
    result = run_audit(reports, the_plan, bundle)
    return result.manifest


def manifest(bundle: Path) -> dict[str, Any]:
    return json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))


def kinds(bundle: Path) -> list[str]:
    return [e.kind for e in read_log(bundle / CUSTODY).events]


def events(bundle: Path, kind: str) -> list[dict[str, Any]]:
    return [e.fields for e in read_log(bundle / CUSTODY).events if e.kind == kind]


def rewrite_lines(path: Path, change: Callable[[list[bytes]], Sequence[bytes]]) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(change(lines)))
