"""The long fault-injection run: hundreds of jobs across every provider, faults on.

    uv run python benchmarks/fault_suite.py [--jobs-per-provider 110] [--seed 7]

Prints the figures as JSON (jobs, final states, faults injected by kind, files
verified, duplicates, leaks) and exits non-zero if anything was lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts the repository on sys.path

from reportbridge.testing.faultrun import run_faults
from tests.faultmix import fault_targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs-per-provider", type=int, default=110)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--file-size", type=int, default=200_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        fault_targets(args.jobs_per_provider, file_size=args.file_size) as (reports, targets),
    ):
        report = run_faults(reports, targets, Path(tmp), seed=args.seed)
    figures = {
        "providers": sorted({t.profile.rsplit("-", 1)[0] for t in targets}),
        "jobs": report.jobs,
        "final_states": dict(report.final_states),
        "faults_injected": dict(sorted(report.faults.items())),
        "faults_total": sum(report.faults.values()),
        "unknown_status_refused_then_resumed": report.unknown_status_refused,
        "jobs_resumed_by_reference": report.resumed,
        "files_verified": report.files_verified,
        "sha_mismatches": len(report.sha_mismatches),
        "wrong_final_states": len(report.wrong_states),
        "errors": report.errors[:10],
        "duplicate_submissions": report.duplicates,
        "authorization_headers_at_storage": report.storage_auth_leaks,
        "secrets_in_logs": report.secret_leaks,
        "seconds": round(report.seconds, 1),
        "ok": report.ok,
    }
    print(json.dumps(figures, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
