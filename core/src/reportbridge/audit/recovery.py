"""A bundle whose journal is missing (or empty) is recovered from its manifest.

The manifest lists each job's reference: those jobs are taken into a new journal and
only polled, never submitted again; files whose size and SHA-256 still match are kept.
A manifest that cannot be read, or that a different plan wrote, stops the run with a
message saying how to proceed.
"""

from __future__ import annotations

from pathlib import Path

from reportbridge.audit.bundle import file_is_intact
from reportbridge.audit.journal import Journal
from reportbridge.audit.manifest import MANIFEST, read_manifest
from reportbridge.audit.plan import AuditPlan, plan_digest
from reportbridge.errors import BundleError, ConfigurationError
from reportbridge.logging import get_logger

log = get_logger("reportbridge.audit")


def recover_from_manifest(
    journal: Journal, bundle: Path, plan: AuditPlan, providers: dict[str, str]
) -> int:
    """Fill a journal that knows nothing from the bundle's manifest; returns the jobs
    recovered with a reference (0 when there is no manifest)."""
    try:
        manifest = read_manifest(bundle)
    except BundleError as exc:
        raise BundleError(
            f"{exc.message}. The journal is missing or empty, so reportbridge cannot tell "
            f"which jobs were already submitted. Restore the journal or {MANIFEST}, or move "
            f"{MANIFEST} aside to start over (its jobs may be submitted again), or choose a "
            "new --out folder",
            path=exc.path,
        ) from None
    if manifest is None:
        return 0
    if not isinstance(manifest.get("plan"), dict):
        raise BundleError(
            f"{str(bundle / MANIFEST)!r} is not an audit manifest: plan must be an object",
            path=bundle / MANIFEST,
        )
    if plan_digest(manifest["plan"]) != plan.digest():
        raise ConfigurationError(
            f"bundle {str(bundle)!r} was made by a different plan (its {MANIFEST} says so); "
            "resume only with the same plan, or choose a new --out folder"
        )
    listed = {job["key"]: job for job in manifest["jobs"]}
    recovered = 0
    for pj in plan.jobs:
        rec = listed.get(pj.key)
        if rec is None:
            continue
        journal.plan_job(pj.key, pj.profile, providers[pj.key], pj.report_type, pj.params)
        journal.recover_job(pj.key, rec)
        recovered += bool(rec.get("ref"))
        for f in rec.get("files", []):
            if file_is_intact(bundle, f["path"], f["size"], f["sha256"]):
                journal.recover_file(pj.key, f)
    if recovered:
        log.warning(
            "journal recovered from the manifest; these jobs are polled, not submitted again",
            bundle=str(bundle),
            jobs=recovered,
        )
    return recovered


__all__ = ["recover_from_manifest"]
