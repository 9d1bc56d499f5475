"""``audit verify``: is this bundle intact, complete and fresh?

Problems are integrity failures (a file, the manifest, the custody log or the seal is
not what was recorded). Findings are about the evidence itself (rows missing against
what the vendor declared, empty, cut-off or stale evidence). Either fails verification.
Notes say what could not be judged (a file whose rows cannot be counted) and do not.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge.audit.bundle import JOURNAL, verify_bundle
from reportbridge.audit.custody import CUSTODY, read_log
from reportbridge.audit.inventory import inventory
from reportbridge.audit.lock import LOCK
from reportbridge.audit.manifest import MANIFEST
from reportbridge.audit.manifest import read_manifest as read_shaped
from reportbridge.audit.seal import SEAL, SealCheck, check_seal
from reportbridge.audit.timewindow import parse_duration
from reportbridge.errors import BundleError, ConfigurationError, EvidenceError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_1 = "reportbridge-audit-bundle/1"
FORMAT_2 = "reportbridge-audit-bundle/2"
FORMATS = (FORMAT_1, FORMAT_2)
#: SQLite's companions of the journal while a connection has it open (or after a crash).
JOURNAL_COMPANIONS = frozenset({f"{JOURNAL}-wal", f"{JOURNAL}-shm"})
#: Top-level files a bundle of each format may hold besides ``files/``.
_TOP = {
    FORMAT_1: {MANIFEST, JOURNAL, LOCK, *JOURNAL_COMPANIONS},
    FORMAT_2: {MANIFEST, JOURNAL, LOCK, CUSTODY, SEAL, *JOURNAL_COMPANIONS},
}


@attrs.frozen
class Verification:
    bundle: Path
    format: str
    files_checked: int
    problems: tuple[str, ...]
    findings: tuple[str, ...]
    seal: SealCheck
    custody_events: int | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "format": self.format,
            "ok": self.ok,
            "files_checked": self.files_checked,
            "seal": self.seal.state,
            "key_id": self.seal.key_id,
            "custody_events": self.custody_events,
            "problems": list(self.problems),
            "findings": list(self.findings),
            "notes": list(self.notes),
        }


def verify_evidence(
    bundle: str | os.PathLike[str],
    *,
    public_key: Ed25519PublicKey | None = None,
    now: dt.datetime | None = None,
    skip: frozenset[str] = frozenset(),
) -> Verification:
    """Check every file, the custody log, the seal (with ``public_key``: its signature
    too), completeness and freshness (judged at ``now``, default the current time)."""
    root = Path(bundle)
    manifest = read_manifest(root)
    try:
        files = verify_bundle(root)
    except ValidationError as exc:
        raise EvidenceError(str(exc)) from None
    fmt = str(manifest.get("format"))
    if fmt not in FORMATS:
        raise EvidenceError(
            f"{str(root)!r} has bundle format {fmt[:60]!r}; this reportbridge reads "
            f"{', '.join(FORMATS)} (a newer bundle needs a newer reportbridge)"
        )
    problems = list(files.problems)
    problems.extend(_stray(root, manifest, fmt, skip))
    seal = check_seal(root, public_key, skip=skip)
    problems.extend(seal.problems)
    events: int | None = None
    if fmt != FORMAT_1:
        events, custody_problems = _check_custody(root, manifest)
        problems.extend(custody_problems)
    findings = [*completeness_findings(manifest), *freshness_findings(manifest, now)]
    return Verification(
        root,
        fmt,
        files.files_checked,
        tuple(problems),
        tuple(findings),
        seal,
        events,
        tuple(uncounted_notes(manifest)),
    )


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest, checked for the shape the checks below rely on (a bundle may come
    from anyone: a malformed one is an error that says so, never a crash)."""
    try:
        data = read_shaped(root)
    except BundleError as exc:
        raise EvidenceError(exc.message) from None
    if data is None:
        raise EvidenceError(f"{str(root)!r} is not an audit bundle: it has no {MANIFEST}")
    wrong = _shape_problem(data)
    if wrong:
        raise EvidenceError(f"{str(root / MANIFEST)!r} is not a bundle manifest: {wrong}")
    return data


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        return "it has no list of jobs"
    if not isinstance(data.get("custody") or {}, dict):
        return "custody is not an object"
    for n, job in enumerate(data["jobs"], 1):
        if not isinstance(job, dict) or not isinstance(job.get("files", []), list):
            return f"job {n} is not an object with a list of files"
        if not isinstance(job.get("rows_counted") or {}, dict):
            return f"job {n}: rows_counted is not an object"
        for name in ("rows_declared",):
            if job.get(name) is not None and type(job.get(name)) is not int:
                return f"job {n}: {name} is not a number"
        for name in ("expires_after", "collected_at", "key"):
            if job.get(name) is not None and not isinstance(job.get(name), str):
                return f"job {n}: {name} is not text"
        counted = (job.get("rows_counted") or {}).values()
        if any(v is not None and type(v) is not int for v in counted):
            return f"job {n}: rows_counted holds something other than numbers"
        for f in job.get("files", []):
            if not (
                isinstance(f, dict)
                and isinstance(f.get("path"), str)
                and type(f.get("size")) is int
                and isinstance(f.get("sha256"), str)
                and (f.get("rows") is None or type(f.get("rows")) is int)
                and isinstance(f.get("counted") or {}, dict)
            ):
                return f"job {n} lists a file without path, size and sha256"
    return None


def _stray(root: Path, manifest: dict[str, Any], fmt: str, skip: frozenset[str]) -> list[str]:
    listed = {f.get("path") for job in manifest["jobs"] for f in job.get("files", [])}
    found = inventory(root, skip=skip)  # links: reported by verify_bundle's tree check
    out = []
    for rel in found.files:
        top = rel.split("/", 1)[0]
        if rel in listed or rel in _TOP[fmt] or top == "files":
            continue  # files/ is checked against the manifest by verify_bundle
        out.append(f"{rel}: not part of the bundle (a stray file)")
    return out


def _check_custody(root: Path, manifest: dict[str, Any]) -> tuple[int | None, list[str]]:
    path = root / CUSTODY
    if not path.is_file():
        return None, [f"{CUSTODY}: missing (a format 2 bundle keeps a custody log)"]
    log = read_log(path)
    problems = list(log.problems)
    if log.torn_bytes:
        problems.append(
            f"{CUSTODY}: ends with an incomplete event ({len(log.torn_bytes)} bytes), left by "
            "a run that was interrupted; re-run the audit to resume and repair it"
        )
    recorded = manifest.get("custody") or {}
    if recorded.get("events") != len(log.events) or recorded.get("head") != log.head:
        problems.append(
            f"{CUSTODY}: holds {len(log.events)} events (head {log.head[:12]}), the manifest "
            f"records {recorded.get('events')} (head {str(recorded.get('head'))[:12]}): events "
            "were added, removed or changed after the manifest was written"
        )
    fetched = {
        (e.fields.get("path"), e.fields.get("sha256"), e.fields.get("size"))
        for e in log.events
        if e.kind in ("fetched", "recovered")
    }
    for job in manifest["jobs"]:
        for f in job.get("files", []):
            if (f.get("path"), f.get("sha256"), f.get("size")) not in fetched:
                problems.append(
                    f"{f.get('path')}: the custody log never recorded fetching this content "
                    "(the file and its manifest entry were changed together)"
                )
    return len(log.events), problems


def completeness_findings(manifest: dict[str, Any]) -> list[str]:
    """Rows counted against rows the vendor declared; empty evidence."""
    out: list[str] = []
    for job in manifest["jobs"]:
        key = job.get("key")
        for fmt, counted in (job.get("rows_counted") or {}).items():
            declared = job.get("rows_declared")
            if counted is None:
                continue
            if declared is not None and counted != declared:
                gap = (
                    f"{declared - counted} missing"
                    if counted < declared
                    else f"{counted - declared} more than declared"
                )
                out.append(
                    f"job {key}: {fmt} holds {counted} rows but the vendor declared {declared} "
                    f"({gap})"
                )
            if counted == 0:
                out.append(f"job {key}: {fmt} holds no rows (empty evidence)")
        for f in job.get("files", []):
            rows = f.get("counted") or {}
            if rows.get("truncated"):
                out.append(f"{f.get('path')}: the file ends early: {rows.get('problem')}")
    return out


def uncounted_notes(manifest: dict[str, Any]) -> list[str]:
    """Files whose rows could not be counted (not what their format says)."""
    return [
        f"{f.get('path')}: rows not counted: {(f.get('counted') or {}).get('problem')}"
        for job in manifest["jobs"]
        for f in job.get("files", [])
        if (f.get("counted") or {}).get("problem") and not (f.get("counted") or {}).get("truncated")
    ]


def freshness_findings(manifest: dict[str, Any], now: dt.datetime | None = None) -> list[str]:
    """Evidence past its ``expires_after`` lifetime."""
    moment = now or dt.datetime.now(dt.UTC)
    out: list[str] = []
    for job in manifest["jobs"]:
        lifetime, collected = job.get("expires_after"), job.get("collected_at")
        if not lifetime or not collected:
            continue
        try:
            when = dt.datetime.fromisoformat(collected)
            expires = parse_duration(lifetime).after(when)
        except (ValueError, ConfigurationError):
            out.append(f"job {job.get('key')}: expiry cannot be computed ({lifetime!r})")
            continue
        if expires <= moment:
            out.append(
                f"job {job.get('key')}: stale evidence: collected {when.date().isoformat()}, "
                f"expired {expires.date().isoformat()} (expires_after {lifetime})"
            )
    return out


__all__ = [
    "FORMAT_1",
    "FORMAT_2",
    "Verification",
    "completeness_findings",
    "freshness_findings",
    "read_manifest",
    "verify_evidence",
]
