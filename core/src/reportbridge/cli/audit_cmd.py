"""`audit PLAN.toml --out DIR`; `audit verify|seal|show|export DIR` are in evidence_cmd."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from reportbridge.cli import evidence_cmd
from reportbridge.cli.args import seconds
from reportbridge.cli.output import emit_json, human_bytes
from reportbridge.cli.progress import ProgressView
from reportbridge.cli.terminal import clean, clean_or_empty
from reportbridge.errors import ValidationError

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_audit(args: argparse.Namespace) -> int:
    words = args.args
    if words[0] in evidence_cmd.COMMANDS:
        return evidence_cmd.dispatch(args)
    if len(words) != 1:
        raise ValidationError(
            "usage: reportbridge audit PLAN.toml --out DIR  |  reportbridge audit verify DIR",
            field="args",
        )
    if not args.out:
        raise ValidationError(
            "audit needs --out DIR: the bundle folder to write (or resume)", field="out"
        )
    from reportbridge.audit import load_plan
    from reportbridge.cli.jobs import reports_from

    plan = load_plan(words[0])
    if args.sign_key:
        from reportbridge.audit.keys import load_signing_key

        load_signing_key(args.sign_key)  # a bad key fails now, not after the run
    with reports_from(args) as reports:
        code = run_plan(reports, plan, Path(args.out), as_json=args.json, lock_wait=args.wait_lock)
    if args.sign_key:
        manifest = json.loads((Path(args.out) / "manifest.json").read_text(encoding="utf-8"))
        sealed = evidence_cmd.seal_after_run(
            Path(args.out), args.sign_key, manifest, as_json=args.json
        )
        return code or sealed
    return code


def run_plan(
    reports: Any,
    plan: Any,
    out: Path,
    *,
    as_json: bool,
    live: bool | None = None,
    lock_wait: float = 0.0,
) -> int:
    from reportbridge.audit import run_audit

    view = ProgressView(live=live)
    for pj in plan.jobs:
        view.add(pj.key, reports.profile(pj.profile).provider, pj.profile, pj.report_type)
    try:
        with view:
            result = run_audit(reports, plan, out, on_event=view.event, lock_wait=lock_wait)
            for job in result.manifest["jobs"]:
                view.done(job["key"], job["status"] or "not submitted")
    except KeyboardInterrupt:
        print(
            f"interrupted; the bundle keeps what was done. Resume with the same command "
            f"(--out {clean(out)})",
            file=sys.stderr,
        )
        raise
    summary(result.manifest, result.bundle, as_json=as_json)
    return int(result.exit_code)


def summary(manifest: dict[str, Any], bundle: Path, *, as_json: bool) -> None:
    if as_json:
        for job in manifest["jobs"]:
            emit_json({"kind": "job", **job})
        emit_json({"kind": "summary", "bundle": str(bundle), **manifest["summary"]})
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"audit {clean(manifest['audit'])!r}"), header_style="bold")
    for col in ("job", "provider", "profile", "type", "status", "vendor status", "files"):
        table.add_column(col)
    jobs, left_out = _table_rows(manifest["jobs"])
    for job in jobs:
        files = ", ".join(f"{f['format']} {human_bytes(f['size'])}" for f in job["files"][:3])
        if len(job["files"]) > 3:
            files += f" (+{len(job['files']) - 3} parts)"
        cells = (
            job["key"],
            job["provider"],
            job["profile"],
            job["report_type"],
            job["status"] or ("error" if job["error"] else "not submitted"),
            job["provider_status"],
            files,
        )
        table.add_row(*(Text(clean_or_empty(cell)) for cell in cells))
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    if left_out:
        console.print(
            f"({left_out} jobs that succeeded are not listed; "
            f"reportbridge audit show {clean(bundle)} lists every job)",
            markup=False,
        )
    s = manifest["summary"]
    console.print(
        f"{s['succeeded']}/{s['jobs']} jobs succeeded, {s['partial']} partial, "
        f"{s['failed']} failed, {s['incomplete']} incomplete; {s['files']} files"
    )
    for job in manifest["jobs"]:
        if job["error"]:
            console.print(f"  {clean(job['key'])}: {clean(job['error'])}", markup=False)
        for part in job["failed_parts"]:
            why = clean(part["error"] or "no reason given")
            console.print(
                f"  {clean(job['key'])}: part {clean(part['id'])} failed: {why}", markup=False
            )
    console.print(f"bundle: {clean(bundle.resolve())}", markup=False)


#: a plan with more jobs than this lists only those that did not succeed (at most this
#: many): a table of 10,000 rows helps nobody and takes seconds to draw
SUMMARY_ROWS = 100


def _table_rows(jobs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The jobs the summary table lists, and how many succeeded jobs it leaves out."""
    if len(jobs) <= SUMMARY_ROWS:
        return jobs, 0
    unsuccessful = [j for j in jobs if j.get("outcome") != "succeeded"]
    return unsuccessful[:SUMMARY_ROWS], len(jobs) - len(unsuccessful)


def verify(bundle: Path, *, as_json: bool, key: str | None = None) -> int:
    return evidence_cmd.verify(bundle, as_json=as_json, key=key)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="run an audit plan into a bundle (resumable); verify, seal, show or export one",
        description="reportbridge audit PLAN.toml --out DIR [--sign-key KEY] | "
        + " | ".join(evidence_cmd.USAGE.values()),
    )
    p.add_argument("args", nargs="+", metavar="PLAN.toml | verify|seal|show|export DIR")
    p.add_argument("--out", metavar="DIR", help="bundle folder (re-run the same command to resume)")
    p.add_argument("--json", action="store_true", help="one JSON object per job, then a summary")
    evidence_cmd.add_arguments(p)
    p.add_argument(
        "--wait-lock",
        nargs="?",
        type=seconds,
        const=math.inf,
        default=0.0,
        metavar="SECONDS",
        help="if another audit holds the bundle, wait for it (as long as it takes, or SECONDS) "
        "instead of exiting with 2",
    )
    p.set_defaults(func=cmd_audit)
    evidence_cmd.add_keygen_parser(sub)
