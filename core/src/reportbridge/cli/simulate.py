"""`simulate` (serve the installed simulators) and `demo` (a cross-vendor audit against them)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reportbridge.cli.args import non_negative_int, seconds
from reportbridge.errors import ConfigurationError, accepted

EXIT_OK = 0


@contextlib.contextmanager
def started_simulators(names: list[str] | None, **options: Any) -> Iterator[dict[str, Any]]:
    """Start the simulators of ``names`` (default: every installed provider that has one)."""
    from reportbridge.plugins import default_registry

    providers = default_registry().providers()
    unknown = sorted(set(names or ()) - set(providers))
    if unknown:
        raise ConfigurationError(
            f"no provider named {', '.join(unknown)}; installed: {accepted(providers)}"
        )
    sims: dict[str, Any] = {}
    try:
        for name in names or sorted(providers):
            sim = providers[name].simulator(**options)
            if sim is None:
                continue
            sims[name] = sim.start()
        yield sims
    finally:
        for sim in sims.values():
            sim.stop()


def profile_toml(name: str, table: dict[str, Any]) -> str:
    lines = [f"[profiles.{name}]"]
    for key, value in table.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        return _simulate(args)
    except KeyboardInterrupt:  # Ctrl-C is how a user stops the simulators: not an error
        return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"job_seconds": args.job_seconds}
    if args.file_size is not None:
        options["file_size"] = args.file_size
    with started_simulators(args.providers or None, **options) as sims:
        if not sims:
            print("no installed provider ships a simulator", file=sys.stderr)
            return 2
        for name, sim in sims.items():
            profile = {"provider": name, **sim.profile_settings()}
            print(
                json.dumps(
                    {
                        "provider": name,
                        "base_url": sim.base_url,
                        "profile": profile,
                        "toml": profile_toml(f"{name}-sim", profile),
                    }
                ),
                flush=True,
            )
        print("serving; press Ctrl-C to stop", file=sys.stderr, flush=True)
        next(iter(sims.values())).serve_until_interrupted()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from reportbridge.audit import AuditPlan, PlannedJob
    from reportbridge.cli.audit_cmd import run_plan
    from reportbridge.facade import Reports
    from reportbridge.plugins import default_registry

    registry = default_registry()
    out = (
        Path(args.out)
        if args.out
        else Path(f"reportbridge-demo-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}")
    )
    with started_simulators(None, job_seconds=args.job_seconds, file_size=args.file_size) as sims:
        if not sims:
            print("no provider with a simulator is installed; install e.g. reportbridge-sailpoint")
            return 2
        profiles: dict[str, dict[str, Any]] = {}
        jobs: list[PlannedJob] = []
        for name, sim in sims.items():
            profile = f"{name}-demo"
            profiles[profile] = {
                "provider": name,
                **sim.profile_settings(),
                "polling": {"initial": 0.3, "backoff": 1.3, "cap": 1.0},
            }
            for i, (report_type, params, formats) in enumerate(registry.provider(name).demo_jobs()):
                jobs.append(
                    PlannedJob(
                        f"{name}-{i + 1}", profile, report_type, dict(params), tuple(formats)
                    )
                )
        plan = AuditPlan(name="reportbridge demo", jobs=tuple(jobs), timeout=120.0)
        print(
            f"demo: {len(jobs)} jobs on {len(sims)} simulated vendors "
            f"({', '.join(sims)}) into {out}",
            file=sys.stderr,
        )
        with Reports.from_profiles(profiles, registry=registry) as reports:
            code = run_plan(reports, plan, out, as_json=args.json)
    from reportbridge.cli.audit_cmd import verify

    print("verifying the bundle...", file=sys.stderr)
    verified = verify(out, as_json=args.json)
    return code or verified


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("simulate", help="serve the installed providers' simulators on 127.0.0.1")
    p.add_argument("providers", nargs="*", metavar="PROVIDER")
    p.add_argument("--job-seconds", type=seconds, default=5.0, help="how long each job runs (5)")
    p.add_argument("--file-size", type=non_negative_int, help="bytes per report file")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("demo", help="a cross-vendor audit against built-in simulators (no config)")
    p.add_argument("--out", metavar="DIR", help="bundle folder (default ./reportbridge-demo-TIME)")
    p.add_argument("--job-seconds", type=seconds, default=3.0, help="how long each job runs (3)")
    p.add_argument(
        "--file-size", type=non_negative_int, default=256 * 1024, help="bytes per file (256 KiB)"
    )
    p.add_argument("--json", action="store_true", help="machine output")
    p.set_defaults(func=cmd_demo)
