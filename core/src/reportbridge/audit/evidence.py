"""What an audit run records as evidence: custody events as things happen, and at the
end the format 2 manifest (row counts, windows, lifetimes, the custody head).

The runner calls :class:`EvidenceRecorder` at a few points; everything recorded comes
from what the run observed, never from what was asked alone.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportbridge._version import __version__
from reportbridge.audit.custody import CUSTODY, CustodyLog
from reportbridge.audit.expand import Expansion
from reportbridge.audit.plan import AuditPlan
from reportbridge.audit.rows import RowCount, count_rows
from reportbridge.audit.timewindow import parse_duration
from reportbridge.audit.verification import FORMAT_2
from reportbridge.download import sha256_of
from reportbridge.hookspecs import hookimpl
from reportbridge.model import FetchedFile, ReportJob

if TYPE_CHECKING:
    from reportbridge.engine import JobEvent
    from reportbridge.facade import Reports
    from reportbridge.transport.observe import SentRequest


def environment(reports: Reports, plan: AuditPlan) -> dict[str, Any]:
    """Who ran this, where, with which versions (never a secret)."""
    from reportbridge.plugins import distribution_of

    providers: dict[str, Any] = {}
    for name in sorted({reports.profile(pj.profile).provider for pj in plan.jobs}):
        dist = distribution_of(reports.registry.provider(name))
        providers[name] = {
            "distribution": dist.name if dist else None,
            "version": dist.version if dist else None,
        }
    return {
        "operator": _operator(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "tool": {"name": "reportbridge", "version": __version__},
        "providers": providers,
    }


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


class _SubmitWatcher:
    """Keeps the requests each submit made (from the ``job_submitted`` hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[SentRequest, ...]] = {}

    @hookimpl
    def job_submitted(self, job: ReportJob, requests: tuple[SentRequest, ...]) -> None:
        with self._lock:
            self._seen[(job.profile, job.job_id)] = requests

    def take(self, job: ReportJob) -> tuple[SentRequest, ...]:
        with self._lock:
            return self._seen.pop((job.profile, job.job_id), ())


class EvidenceRecorder:
    """Custody events for one run of an audit into ``bundle``."""

    def __init__(self, bundle: Path, reports: Reports, plan: AuditPlan, expansion: Expansion):
        self.bundle = bundle
        self.plan = plan
        self.expansion = expansion
        self.log = CustodyLog.open(bundle)
        self._reports = reports
        self._watcher = _SubmitWatcher()
        self._last: dict[str, tuple[str, str | None]] = {}
        self._declared: dict[str, int] = {}
        for event in self.log.events:  # a resumed run keeps what earlier runs saw
            if event.kind == "status" and event.fields.get("rows_declared") is not None:
                self._declared[event.fields["key"]] = int(event.fields["rows_declared"])
        reports.registry.pm.register(self._watcher)

    def started(self, plan_sha256: str, resumed: dict[str, Any] | None) -> None:
        self.log.append("run-started", environment(self._reports, self.plan))
        if resumed is None:
            self.log.append(
                "plan-loaded",
                {
                    "audit": self.plan.name,
                    "plan_sha256": plan_sha256,
                    "jobs": [pj.key for pj in self.plan.jobs],
                    **self.expansion.record(),
                },
            )
        else:
            self.log.append("resumed", resumed)

    def close(self) -> None:
        self._reports.registry.pm.unregister(self._watcher)
        self.log.close()

    # -- as the run goes -----------------------------------------------------------------
    def event(self, event: JobEvent) -> None:
        key = event.request.key or ""
        job = event.job
        if event.kind == "submitting":
            req = event.request
            self.log.append(
                "submitting",
                {
                    "key": key,
                    "profile": req.profile,
                    "report_type": req.report_type,
                    "params": req.params,
                    "formats": list(req.formats),
                },
            )
        elif event.kind in ("submitted", "resumed") and job is not None:
            fields: dict[str, Any] = {"key": key, "job_id": job.job_id, "ref": job.ref}
            if event.kind == "submitted":
                fields["requests"] = [r.to_dict() for r in self._watcher.take(job)]
            self.log.append("submitted" if event.kind == "submitted" else "job-resumed", fields)
            self.observed(key, job)
        elif event.kind == "status" and job is not None:
            self.observed(key, job)
        elif event.kind == "fetched" and event.file is not None:
            self.fetched(key, event.file)

    def observed(self, key: str, job: ReportJob) -> None:
        seen = (job.status.value, job.provider_status)
        declared = job.rows
        if self._last.get(key) == seen:
            return
        self._last[key] = seen
        fields: dict[str, Any] = {
            "key": key,
            "job_id": job.job_id,
            "status": job.status.value,
            "provider_status": job.provider_status,
        }
        if isinstance(declared, int):
            fields["rows_declared"] = self._declared[key] = declared
        if job.error is not None:
            fields["error"] = job.error.message
        if job.warnings:
            fields["warnings"] = list(job.warnings)
        self.log.append("status", fields, sync=False)  # the journal has it too

    def fetched(self, key: str, file: FetchedFile) -> None:
        rel = file.path.resolve().relative_to(self.bundle.resolve()).as_posix()
        counted = count_rows(file.path, file.format)
        fields: dict[str, Any] = {
            "key": key,
            "format": file.format,
            "path": rel,
            "size": file.size,
            "sha256": file.sha256,
            "content_type": file.content_type,
            "vendor_filename": file.vendor_filename,
            "counted": counted.to_dict(),
        }
        for name, value in (
            ("part", file.part),
            ("rows_declared", file.rows),
            ("etag", file.etag),
            ("last_modified", file.last_modified),
        ):
            if value is not None:
                fields[name] = value
        self.log.append("fetched", fields)

    def failed(self, key: str, message: str) -> None:
        self.log.append("failed", {"key": key, "error": message})

    # -- at the end ----------------------------------------------------------------------
    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The format 2 manifest for ``manifest`` (one entry per run job), after
        re-checking every file and recording that as events."""
        recorded = self._recorded_files()
        problems: list[str] = []
        checked = 0
        for job in manifest["jobs"]:
            for f in job["files"]:
                checked += 1
                path = self.bundle / f["path"]
                if not path.is_file() or sha256_of(path) != f["sha256"]:
                    problems.append(f"{f['path']}: changed or missing")
                counted_rows = recorded.get((f["path"], f["sha256"], f["size"]))
                if counted_rows is None:
                    counted = (
                        count_rows(path, f["format"])
                        if path.is_file()
                        else RowCount(None, "missing")
                    )
                    counted_rows = counted.to_dict()
                    self.log.append(
                        "recovered",
                        {
                            "key": job["key"],
                            "format": f["format"],
                            "path": f["path"],
                            "size": f["size"],
                            "sha256": f["sha256"],
                            "counted": counted_rows,
                            "reason": "the journal had this file but the custody log did not "
                            "(a run stopped between the two)",
                        },
                    )
                f["counted"] = counted_rows
        self.log.append("verified", {"files": checked, "problems": problems})
        out = self._grouped(manifest)
        self.log.append("run-finished", {"summary": out["summary"]})
        out["custody"] = {"log": CUSTODY, "events": len(self.log), "head": self.log.head}
        return out

    def _recorded_files(self) -> dict[tuple[str, str, int], dict[str, Any]]:
        return {
            (e.fields["path"], e.fields["sha256"], e.fields["size"]): e.fields.get("counted") or {}
            for e in self.log.events
            if e.kind in ("fetched", "recovered")
        }

    def _grouped(self, manifest: dict[str, Any]) -> dict[str, Any]:
        units = self.expansion.units
        by_group: dict[str, list[dict[str, Any]]] = {}
        for job in manifest["jobs"]:
            job["rows_declared"] = _declared(job, self._declared.get(job["key"]))
            by_group.setdefault(units[job["key"]].group, []).append(job)
        items = []
        summary = dict.fromkeys(manifest["summary"], 0)
        summary["jobs"] = len(self.plan.jobs)
        for pj in self.plan.jobs:
            members = by_group.get(pj.key, [])
            item = _merge(pj.key, members, self.expansion.windows.get(pj.key))
            item["params"] = pj.params
            lifetime = pj.expires_after or self.plan.expires_after
            item["expires_after"] = lifetime
            item["expires_at"] = (
                parse_duration(lifetime).after(_when(item["collected_at"])).isoformat()
                if lifetime and item["collected_at"]
                else None
            )
            outcome = _outcome(members)
            summary[outcome] = summary.get(outcome, 0) + 1
            summary["files"] += len(item["files"])
            items.append(item)
        return {
            **manifest,
            "format": FORMAT_2,
            "plan": self.plan.to_dict(),
            "resolution": self.expansion.record(),
            "summary": summary,
            "jobs": items,
        }


def _when(text: str) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(text)


def _declared(job: dict[str, Any], seen: int | None) -> int | None:
    """Rows the vendor declared for a run job: for the whole result, else the sum over
    its parts (per format) when every part declared some and every format agrees."""
    if isinstance(job.get("rows"), int):
        return int(job["rows"])
    # a part offered in several formats holds the same rows in each: sum per format
    per_format: dict[str, int] = {}
    for f in job["files"]:
        rows = f.get("rows")
        if not isinstance(rows, int):
            return seen
        fmt = str(f.get("format"))
        per_format[fmt] = per_format.get(fmt, 0) + rows
    totals = set(per_format.values())
    return totals.pop() if len(totals) == 1 else seen


def _outcome(members: list[dict[str, Any]]) -> str:
    """How a plan job (maybe several run jobs) ended, for the summary."""
    outcomes = {m.get("outcome", "incomplete") for m in members} or {"incomplete"}
    for outcome in ("failed", "incomplete", "partial"):
        if outcome in outcomes:
            return outcome
    return "succeeded"


def _merge(
    key: str, members: list[dict[str, Any]], window: dict[str, Any] | None
) -> dict[str, Any]:
    """One evidence item from its run jobs (several when a wide window was split)."""
    files = [
        dict(f, segment=i) if len(members) > 1 else f
        for i, m in enumerate(members, 1)
        for f in m["files"]
    ]
    if len(members) == 1:
        item = dict(members[0], key=key)
    else:
        # the same members as a single job's entry; what differs per job is in segments
        errors = [f"{m['key']}: {m['error']}" for m in members if m.get("error")]
        item = {
            **(members[0] if members else {}),
            "key": key,
            "status": _combined_status(members),
            "ref": None,
            "job_id": None,
            "provider_status": None,
            "error": "; ".join(errors) or None,
            "warnings": [w for m in members for w in m.get("warnings") or []],
            "submit_attempts": sum(m.get("submit_attempts") or 0 for m in members),
            "segments": [
                {k: v for k, v in m.items() if k not in ("files", "params", "formats")}
                for m in members
            ],
        }
    item["files"] = files
    item["window"] = window
    declared = [m.get("rows_declared") for m in members]
    known = [d for d in declared if isinstance(d, int)]
    item["rows_declared"] = sum(known) if declared and len(known) == len(declared) else None
    item["rows_counted"] = _counted(files)
    stamps = [str(f["fetched_at"]) for f in files if f.get("fetched_at")]
    item["collected_at"] = max(stamps) if stamps else None
    return item


def _combined_status(members: list[dict[str, Any]]) -> str | None:
    statuses = [m.get("status") for m in members]
    if statuses and all(s == "succeeded" for s in statuses):
        return "succeeded"
    for bad in ("failed", "cancelled", "expired"):
        if bad in statuses:
            return bad
    return next((s for s in statuses if s != "succeeded"), None)


def _counted(files: Iterable[dict[str, Any]]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for f in files:
        rows = (f.get("counted") or {}).get("rows")
        method = (f.get("counted") or {}).get("method")
        if method in (None, "not countable"):
            continue
        fmt = f["format"]
        if fmt in out and (out[fmt] is None or rows is None):
            out[fmt] = None
        else:
            out[fmt] = (out.get(fmt) or 0) + rows if rows is not None else None
    return out


__all__ = ["EvidenceRecorder", "environment"]
