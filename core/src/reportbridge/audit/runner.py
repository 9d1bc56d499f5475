"""Running an audit plan into a bundle, resumably."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge._version import __version__
from reportbridge.audit.bundle import FILES, JOURNAL, file_is_intact, write_manifest
from reportbridge.audit.evidence import EvidenceRecorder
from reportbridge.audit.expand import Expansion, expand_plan
from reportbridge.audit.guard import GuardedOperations, JournalGuard, notify
from reportbridge.audit.journal import Journal, next_part_of
from reportbridge.audit.opening import open_bundle
from reportbridge.audit.plan import AuditPlan, PlannedJob
from reportbridge.audit.resume import refuse_sealed, resolution_time, resume_state
from reportbridge.engine import JobEvent, JobRequest, run_many
from reportbridge.errors import ConfigurationError, ValidationError, accepted
from reportbridge.localfs import ConfinedDir
from reportbridge.logging import get_logger
from reportbridge.model import ReportJob, ReportTypeSpec, utcnow
from reportbridge.params import resolve_report_type

if TYPE_CHECKING:
    from reportbridge.facade import Reports

BUNDLE_FORMAT = "reportbridge-audit-bundle/1"  # what build_manifest writes; the recorder
# turns it into format 2 (reportbridge.audit.verification.FORMAT_2)
_FILE_FIELDS = ("format", "part", "path", "size", "sha256", "content_type", "rows", "fetched_at")
log = get_logger("reportbridge.audit")


@attrs.frozen
class AuditResult:
    bundle: Path
    manifest: dict[str, Any]

    @property
    def summary(self) -> dict[str, int]:
        return dict(self.manifest["summary"])

    @property
    def exit_code(self) -> int:
        """0 every job succeeded whole, 1 none gave files, 3 partial (some jobs did not
        succeed, or some ended with result parts failed)."""
        s = self.summary
        if s["succeeded"] == s["jobs"]:
            return 0
        return 1 if s["succeeded"] + s["partial"] == 0 else 3


def run_audit(
    reports: Reports,
    plan: AuditPlan,
    out_dir: str | os.PathLike[str],
    *,
    on_event: Callable[[JobEvent], None] | None = None,
    stop: threading.Event | None = None,
    lock_wait: float = 0.0,
    adopt: Mapping[str, ReportJob] | None = None,
) -> AuditResult:
    """Run ``plan`` into the bundle folder ``out_dir``; running it again resumes.

    ``adopt`` maps plan keys to jobs already submitted elsewhere (an orchestrator's own
    tasks): they are recorded as this bundle's jobs, under its lock, and polled, never
    submitted again. A key the plan lacks, or a job of another profile or report type,
    is a ValidationError before anything is written.

    Jobs the journal shows as submitted are polled, never submitted again; result parts
    whose file still matches the journal (size and SHA-256) are not downloaded again, and
    a paged result goes on from the page after the last one written. The bundle is
    locked for the run: another run on it raises BundleLockedError at once, or after
    waiting ``lock_wait`` seconds (``math.inf``: as long as it takes).
    """
    bundle = Path(out_dir)
    refuse_sealed(bundle)  # before the lock: a sealed bundle is not written to at all
    original = plan
    expansion = expand_plan(
        original, lambda pj: _spec(reports, pj), resolution_time(bundle / JOURNAL)
    )
    plan = expansion.plan
    providers = _check_plan(reports, plan)
    adopted = _check_adopted(plan, adopt or {})
    stop = stop or threading.Event()
    with open_bundle(bundle, plan, providers, lock_wait=lock_wait, bound=original) as journal:
        refuse_sealed(bundle)  # sealed while this run waited for the lock
        _record_adopted(journal, adopted, providers)
        evidence = _recorder(bundle, reports, journal, original, expansion)
        failures = JournalGuard(stop, lambda key, ref: (journal.job(key) or {}).get("ref") == ref)
        try:
            _run(reports, plan, bundle, journal, providers, failures, on_event, stop, evidence)
        except BaseException as exc:
            _write_manifest_after_failure(bundle, journal, plan, evidence)
            error = failures.error
            if error is not None and error is not exc:
                raise error from None  # the journal's failure explains the rest
            raise
        manifest = evidence.finish(build_manifest(journal, plan))
        evidence.close()
        write_manifest(bundle, manifest)
    return AuditResult(bundle, manifest)


def _check_adopted(
    plan: AuditPlan, adopt: Mapping[str, ReportJob]
) -> list[tuple[PlannedJob, ReportJob]]:
    by_key = {pj.key: pj for pj in plan.jobs}
    found = []
    for key, job in adopt.items():
        planned = by_key.get(key)
        if planned is None:
            raise ValidationError(
                f"adopted job key {key!r} is not in plan {plan.name!r}: adopt jobs "
                "submitted for this plan's keys (build those tasks from the same plan)",
                field="adopt",
            )
        if (job.profile, job.report_type) != (planned.profile, planned.report_type):
            raise ValidationError(
                f"the job adopted for {key!r} is {job.profile}/{job.report_type}, but the "
                f"plan runs {planned.profile}/{planned.report_type} there",
                field="adopt",
            )
        found.append((planned, job))
    return found


def _record_adopted(
    journal: Journal, adopted: list[tuple[PlannedJob, ReportJob]], providers: dict[str, str]
) -> None:
    for planned, job in adopted:
        if (journal.job(planned.key) or {}).get("ref") == job.ref:
            continue  # recorded by an earlier run
        provider = providers[planned.key]
        journal.plan_job(
            planned.key, planned.profile, provider, planned.report_type, planned.params
        )
        journal.submitting(planned.key)
        journal.submitted(planned.key, job)


def _recorder(
    bundle: Path, reports: Reports, journal: Journal, plan: AuditPlan, expansion: Expansion
) -> EvidenceRecorder:
    """The run's custody recording, after the bundle is locked and bound to ``plan``."""
    fresh = journal.meta("resolved_at") is None and not journal.jobs()
    journal.set_meta("resolved_at", expansion.resolved_at)
    evidence = EvidenceRecorder(bundle, reports, plan, expansion)
    evidence.started(plan.digest(), None if fresh else resume_state(journal))
    return evidence


def _spec(reports: Reports, pj: PlannedJob) -> ReportTypeSpec | None:
    try:
        caps = reports.provider_for(pj.profile).capabilities()
    except ConfigurationError:
        return None  # _check_plan names the unknown profile
    return caps.report_type(pj.report_type)


def _run(
    reports: Reports,
    plan: AuditPlan,
    bundle: Path,
    journal: Journal,
    providers: dict[str, str],
    failures: JournalGuard,
    on_event: Callable[[JobEvent], None] | None,
    stop: threading.Event,
    evidence: EvidenceRecorder,
) -> None:
    for pj in plan.jobs:
        journal.plan_job(pj.key, pj.profile, providers[pj.key], pj.report_type, pj.params)
    requests = [r for pj in plan.jobs if (r := _request(journal, bundle, pj)) is not None]

    def dest(req: JobRequest) -> ConfinedDir:
        return ConfinedDir(bundle, (FILES, providers[req.key or ""], req.profile, req.key or "job"))

    # what each job's journal row last recorded: a listing reports every waiting job on every
    # pass, and rewriting an unchanged row cost the scheduler's thread a commit each time
    recorded: dict[str, tuple[Any, ...]] = {}

    def record(event: JobEvent) -> None:
        key = event.request.key or ""
        if event.kind == "submitting":
            journal.submitting(key)
        elif event.kind == "submitted" and event.job is not None:
            journal.submitted(key, event.job)
            recorded[key] = journal.observed_state(event.job)
        elif event.kind == "status" and event.job is not None:
            if recorded.get(key) != (seen := journal.observed_state(event.job)):
                journal.observed(key, event.job)
                recorded[key] = seen
        elif event.kind == "fetched" and event.file is not None:
            rel = event.file.path.relative_to(bundle).as_posix()
            journal.fetched(key, event.file, rel)
        evidence.event(event)
        notify(on_event, event)

    for outcome in run_many(
        GuardedOperations(reports),
        requests,
        dest_dir=dest,
        timeout=plan.timeout,
        on_event=failures.recording(record),
        stop=stop,
    ):
        key = outcome.request.key or ""
        if outcome.job is not None:
            journal.observed(key, outcome.job)
        if outcome.error is not None:
            journal.failed(key, f"{type(outcome.error).__name__}: {outcome.error}")
            evidence.failed(key, f"{type(outcome.error).__name__}: {outcome.error}")
        elif outcome.job is not None and outcome.job.is_fetchable:
            journal.completed(key)


def _write_manifest_after_failure(
    bundle: Path, journal: Journal, plan: AuditPlan, evidence: EvidenceRecorder
) -> None:
    """What the journal knows goes into the manifest; a failure here keeps the first one."""
    try:
        write_manifest(bundle, evidence.finish(build_manifest(journal, plan)))
    except Exception as exc:
        log.warning("manifest not written", error=f"{type(exc).__name__}: {exc}")
    finally:
        evidence.close()


def _check_plan(reports: Reports, plan: AuditPlan) -> dict[str, str]:
    """Validate every job before anything is sent; returns key -> provider name."""
    providers: dict[str, str] = {}
    for pj in plan.jobs:
        where = f"plan job {pj.key!r}"
        try:
            provider = reports.provider_for(pj.profile)
            provider.validate(pj.report_type, pj.params)
        except (ConfigurationError, ValidationError) as exc:
            raise type(exc)(f"{where}: {exc}", provider=exc.provider) from None
        caps = provider.capabilities()
        spec = resolve_report_type(provider.name, caps, pj.report_type)
        allowed = {f.lower() for f in (spec.formats or caps.formats)}
        wrong = [f for f in pj.formats if allowed and f not in allowed]
        if wrong:
            raise ValidationError(
                f"{where}: format(s) {', '.join(wrong)} not offered by {provider.name} for "
                f"{pj.report_type}; accepted: {accepted(allowed)}",
                provider=provider.name,
                field="formats",
            )
        providers[pj.key] = provider.name
    return providers


_FETCHABLE = ("succeeded", "partial")


def _request(journal: Journal, bundle: Path, pj: PlannedJob) -> JobRequest | None:
    verified: dict[tuple[str, str], dict[str, Any]] = {}
    for f in journal.files(pj.key):
        if file_is_intact(bundle, f["path"], f["size"], f["sha256"]) and _readable(f):
            verified[(f["format"], f["part"])] = f
        else:
            journal.forget_file(pj.key, f["format"], f["part"])
    rec = journal.job(pj.key) or {}  # read after forgetting: a damaged part reopens the job
    complete = bool(rec.get("complete")) and _has_formats(pj, verified)
    ref = rec.get("ref")
    if ref and rec.get("phase") == "finished" and (complete or rec.get("status") not in _FETCHABLE):
        return None  # nothing left to do for this job
    # pages announced by a page written, not written themselves: resume from there
    resume = [
        page
        for f in verified.values()
        if (page := next_part_of(f)) is not None and page.key not in verified
    ]
    return JobRequest(
        profile=pj.profile,
        report_type=pj.report_type,
        params=pj.params,
        formats=pj.formats,
        ref=ref,
        key=pj.key,
        done_parts=frozenset(verified),
        resume_parts=tuple(resume),
    )


def _readable(row: dict[str, Any]) -> bool:
    try:
        next_part_of(row)
    except ValueError:
        return False
    return True


def _has_formats(pj: PlannedJob, verified: Iterable[tuple[str, str]]) -> bool:
    """Every format the plan names has files (any file, when it names none)."""
    have = {fmt for fmt, _part in verified}
    return set(pj.formats) <= have if pj.formats else bool(have)


def build_manifest(journal: Journal, plan: AuditPlan) -> dict[str, Any]:
    jobs = []
    summary = {
        "jobs": len(plan.jobs),
        "succeeded": 0,
        "partial": 0,
        "failed": 0,
        "incomplete": 0,
        "files": 0,
    }
    for pj in plan.jobs:
        rec = journal.job(pj.key) or {}
        rows = journal.files(pj.key)
        files = [{k: f[k] for k in _FILE_FIELDS} for f in rows]
        summary["files"] += len(files)
        status = rec.get("status")
        whole = bool(rec.get("complete")) and _has_formats(
            pj, {(f["format"], f["part"]) for f in rows}
        )
        if status in _FETCHABLE and whole:
            outcome = str(status)
        elif status in ("failed", "cancelled", "expired") or rec.get("phase") == "error":
            outcome = "failed"
        else:
            outcome = "incomplete"
        summary[outcome] += 1
        jobs.append(
            {
                "key": pj.key,
                "profile": pj.profile,
                "provider": rec.get("provider"),
                "report_type": pj.report_type,
                "params": pj.params,
                "formats": list(pj.formats),
                "ref": rec.get("ref"),
                "job_id": rec.get("job_id"),
                "status": status,
                "outcome": outcome,
                "provider_status": rec.get("provider_status"),
                "submitted_at": rec.get("submitted_at"),
                "created_at": rec.get("created_at"),
                "finished_at": rec.get("finished_at"),
                "updated_at": rec.get("updated_at"),
                "warnings": _warnings(rec.get("warnings")),
                "error": rec.get("error"),
                "submit_attempts": rec.get("submit_attempts", 0),
                "rows": rec.get("rows"),
                "failed_parts": [
                    {k: p[k] for k in ("id", "format", "error")}
                    for p in json.loads(rec.get("parts") or "[]")
                    if p["state"] == "failed"
                ],
                "files": files,
            }
        )
    return {
        "format": BUNDLE_FORMAT,
        "audit": plan.name,
        "reportbridge_version": __version__,
        "created_at": journal.meta("created_at"),
        "generated_at": utcnow().isoformat(),
        "plan": plan.to_dict(),
        "summary": summary,
        "jobs": jobs,
    }


def _warnings(stored: Any) -> list[Any]:
    try:
        loaded = json.loads(stored) if stored else []
    except (TypeError, ValueError, RecursionError):
        return []
    return loaded if isinstance(loaded, list) else []


__all__ = ["AuditResult", "build_manifest", "run_audit"]
