"""A fault-injection run: many jobs through the façade while simulators misbehave.

Each simulator describes its own request paths and credentials (the fault surface of
:class:`~reportbridge.testing.Simulator`); this module turns that into a mix of faults,
drives every job to its end, resumes what a fault interrupted (fetching only the parts
not written yet), and checks that nothing was lost: right final states, every file of
every result part identical to what was served, no job created twice, no credential
sent to a storage origin or written to a log.
"""

from __future__ import annotations

import io
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from reportbridge.engine import JobOutcome, JobRequest
from reportbridge.errors import ReportBridgeError, UnknownStatusError
from reportbridge.model import FetchedFile
from reportbridge.status import ReportStatus
from reportbridge.testing.faults import Fault
from reportbridge.testing.server import Simulator


@attrs.define
class Target:
    """One profile on one simulator, the jobs to run there and the state they must reach."""

    profile: str
    sim: Simulator
    expect: ReportStatus
    requests: list[JobRequest]


@attrs.define
class FaultRunReport:
    jobs: int = 0
    final_states: Counter[str] = attrs.field(factory=Counter)
    faults: Counter[str] = attrs.field(factory=Counter)
    files_verified: int = 0
    sha_mismatches: list[str] = attrs.field(factory=list)
    wrong_states: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    duplicates: int = 0
    storage_auth_leaks: int = 0
    secret_leaks: int = 0
    unknown_status_refused: int = 0
    resumed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (
            self.sha_mismatches
            or self.wrong_states
            or self.errors
            or self.duplicates
            or self.storage_auth_leaks
            or self.secret_leaks
        )


def inject_faults(sim: Simulator, jobs: int, rng: random.Random, slow_seconds: float) -> None:
    """Add a mix of faults scaled to ``jobs`` on the paths the simulator declares."""
    paths = sim.fault_paths
    few = max(1, jobs // 10)

    def on(kind: str, **fault: Any) -> None:
        if kind in paths:
            method, path, _origin = paths[kind]
            sim.faults.add(Fault(path=path, method=method, skip=rng.randrange(0, jobs), **fault))

    for _ in range(few):
        on("submit", status=429, retry_after="1", times=2, label="429_on_submit")
        on("poll", status=429, retry_after="1", label="429_on_poll")
        on("poll", status=rng.choice([500, 502, 503]), label="5xx_on_poll")
        on("poll", delay=slow_seconds, label="slower_than_read_timeout")
        on("poll", status=200, body=b'{"truncated": ', label="malformed_json")
        on("download", status=rng.choice([500, 502, 503]), label="5xx_on_download")
        on("download", drop_after=rng.randrange(1, 2000), label="cut_mid_download")
        on("download", bad_length=rng.randrange(1, 500), label="wrong_content_length")
    unknown = sim.unknown_status_body()
    if unknown is not None:
        for _ in range(max(1, few // 2)):
            on("poll", status=200, body=unknown, label="unknown_vendor_status")


def run_faults(
    reports: Any,
    targets: Iterable[Target],
    dest: Path,
    *,
    seed: int = 7,
    slow_seconds: float = 1.5,
    token_expiry_every: float = 3.0,
    timeout: float = 300.0,
) -> FaultRunReport:
    """Run every target's jobs under faults; see the module docstring for the checks."""
    targets = list(targets)
    rng = random.Random(seed)
    report = FaultRunReport()
    sims = {id(t.sim): t.sim for t in targets}
    for target in targets:
        inject_faults(target.sim, len(target.requests), rng, slow_seconds)
    seen_secrets: set[str] = set()
    stop = threading.Event()

    def expire_tokens() -> None:
        while not stop.wait(token_expiry_every):
            for sim in sims.values():
                seen_secrets.update(sim.secrets())
                if sim.expire_tokens():
                    report.faults["token_expired"] += 1

    log, restore = _capture_logs()
    expiry = threading.Thread(target=expire_tokens, name="rb-token-expiry", daemon=True)
    started = time.monotonic()
    expiry.start()
    by_key = {}
    try:
        requests = []
        for target in targets:
            for i, req in enumerate(target.requests):
                req = attrs.evolve(req, profile=target.profile, key=f"{target.profile}-{i:04d}")
                by_key[req.key] = target
                requests.append(req)
        report.jobs = len(requests)
        outcomes = list(
            reports.run_many(requests, dest_dir=lambda r: dest / (r.key or ""), timeout=timeout)
        )
        finals = [_finish(reports, o, dest, report) for o in outcomes]
    finally:
        stop.set()
        expiry.join()
        restore()
    report.seconds = time.monotonic() - started
    for sim in sims.values():
        seen_secrets.update(sim.secrets())
        for kind, n in sim.faults.injected.items():
            report.faults[kind] += n
    _check(report, finals, by_key, sims.values(), seen_secrets, log.getvalue())
    return report


def _finish(
    reports: Any, outcome: JobOutcome, dest: Path, report: FaultRunReport
) -> tuple[JobOutcome, list[FetchedFile]]:
    """Resume a job a fault interrupted (its reference is enough); the vendor is not asked
    twice, and parts already written are not fetched again."""
    files = list(outcome.files)
    if outcome.error is None:
        return outcome, files
    if isinstance(outcome.error, UnknownStatusError):
        report.unknown_status_refused += 1
    if outcome.job is None:
        report.errors.append(f"{outcome.request.key}: never submitted: {outcome.error}")
        return outcome, files
    report.resumed += 1
    try:
        job = reports.wait(outcome.job.ref, timeout=120)
        if job.is_fetchable:
            for fmt in outcome.request.formats or (None,):
                written = [f.part for f in files if f.part and fmt in (None, f.format)]
                folder = dest / (outcome.request.key or "")
                files += reports.fetch(job, folder, format=fmt, skip=written)
    except ReportBridgeError as exc:
        report.errors.append(f"{outcome.request.key}: {type(exc).__name__}: {exc}")
        return outcome, files
    return attrs.evolve(outcome, job=job, error=None), files


def _check(
    report: FaultRunReport,
    finals: list[tuple[JobOutcome, list[FetchedFile]]],
    by_key: dict[str | None, Target],
    sims: Iterable[Simulator],
    secrets: set[str],
    logs: str,
) -> None:
    for outcome, files in finals:
        target = by_key[outcome.request.key]
        status = outcome.job.status if outcome.job is not None else None
        report.final_states[status.value if status else "none"] += 1
        if outcome.error is None and status is not target.expect:
            report.wrong_states.append(f"{outcome.request.key}: {status} != {target.expect}")
        for f in files:
            assert outcome.job is not None
            if f.sha256 != _served(target.sim, outcome.job.job_id, f):
                report.sha_mismatches.append(f"{outcome.request.key}: {f.path.name}")
            else:
                report.files_verified += 1
    per_sim = Counter(id(t.sim) for t in by_key.values())
    for sim in sims:
        report.duplicates += max(0, sim.jobs_created() - per_sim[id(sim)])
        report.storage_auth_leaks += sum(
            1
            for r in sim.requests
            if r.origin == "storage" and any(k.lower() == "authorization" for k in r.headers)
        )
    report.secret_leaks = sum(1 for s in secrets if s and s in logs)


def _served(sim: Simulator, job_id: str, file: FetchedFile) -> str:
    # The single file of a result (its part is named after its format) is asked for as
    # before parts existed, so simulators with the two-argument signature keep working.
    if file.part in (None, file.format):
        return sim.served_sha256(job_id, file.format)
    return sim.served_sha256(job_id, file.format, part=file.part)


def _capture_logs() -> tuple[io.StringIO, Any]:
    from reportbridge.logging import configure_cli_logging

    stream = io.StringIO()
    root = logging.getLogger("reportbridge")
    level = root.level
    configure_cli_logging(json=True, level=logging.DEBUG)
    handler = next(h for h in root.handlers if h.get_name() == "reportbridge-cli")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(level)

    return stream, restore
