"""One SailPoint report file: reportbridge fetch vs the official SDK's get_report.

    uv run python benchmarks/sdk_compare.py [--sizes-mib 10,100,1024] [--repeat 3]

The SailPoint simulator (a child process) serves a CSV of each size. Each client runs
in a fresh process that starts the report and waits for it (not timed), then downloads
the file into a temporary folder (timed). Peak RSS is the process's own, with the RSS
after imports and set-up given too: the SDK (``sailpoint`` 1.4.2) reads the whole body
into memory before it writes the file.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, emit, md_table, peak_rss_mib, simulator_child

ACCOUNTS = {"application": "2c9180897e7742b2017e781782f705b9", "sourceName": "Active Directory"}
METHODS = ("reportbridge", "sailpoint-sdk")


def make_sim(size: int) -> Any:
    from reportbridge_sailpoint.simulator import SailPointSimulator

    return SailPointSimulator(job_seconds=0.2, file_size=size, dedupe="off")


def sdk_download(settings: dict[str, Any], folder: Path) -> tuple[float, int, float]:
    from sailpoint.configuration import Configuration, ConfigurationParams
    from sailpoint.v3 import ApiClient
    from sailpoint.v3.api.reports_data_extraction_api import ReportsDataExtractionApi
    from sailpoint.v3.models.report_details import ReportDetails

    params = ConfigurationParams()
    params.base_url = settings["base_url"]
    params.client_id = settings["client_id"]
    params.client_secret = settings["client_secret"]
    api = ReportsDataExtractionApi(ApiClient(Configuration(params)))
    task = api.start_report(
        ReportDetails.from_dict({"reportType": "ACCOUNTS", "arguments": ACCOUNTS})
    )
    while api.get_report_result(task.id).status is None:
        time.sleep(0.05)
    os.chdir(folder)  # the SDK saves into the working directory
    rss_ready = peak_rss_mib()
    started = time.perf_counter()
    path = Path(api.get_report(task.id, "csv"))
    return time.perf_counter() - started, path.stat().st_size, rss_ready


def reportbridge_download(settings: dict[str, Any], folder: Path) -> tuple[float, int, float]:
    from reportbridge import PollPolicy, Reports

    with Reports.from_profiles({"sp": {"provider": "sailpoint", **settings}}) as reports:
        job = reports.run("sp", "ACCOUNTS", **ACCOUNTS)
        job = reports.wait(job, policy=PollPolicy(initial=0.05, backoff=1, cap=0.05))
        rss_ready = peak_rss_mib()
        started = time.perf_counter()
        (fetched,) = reports.fetch(job, folder, format="csv")
        return time.perf_counter() - started, fetched.size, rss_ready


def worker(method: str, settings: dict[str, Any], size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rb-sdk-") as tmp:
        run = sdk_download if method == "sailpoint-sdk" else reportbridge_download
        seconds, got, rss_ready = run(settings, Path(tmp))
        os.chdir(ROOT)
    return {
        "method": method,
        "bytes": got,
        "ok": got == size,
        "seconds": seconds,
        "rss_before_download_mib": rss_ready,
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mib", default="10,100,1024")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=3, metavar=("METHOD", "SETTINGS", "SIZE"))
    args = parser.parse_args()
    if args.worker:
        method, settings, size = args.worker
        print(json.dumps(worker(method, json.loads(settings), int(size))))
        return 0
    print(
        "command: uv run python benchmarks/sdk_compare.py "
        f"--sizes-mib {args.sizes_mib} --repeat {args.repeat}"
    )
    results: list[dict[str, Any]] = []
    for size in (int(s) * 2**20 for s in args.sizes_mib.split(",")):
        with simulator_child(functools.partial(make_sim, size)) as sim:
            for _ in range(args.repeat):
                for method in METHODS:  # interleaved
                    os.sync()
                    proc = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--worker",
                            method,
                            json.dumps(sim.settings),
                            str(size),
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ, "PYTHONPATH": str(ROOT)},
                    )
                    rec = {"size_mib": size // 2**20, **json.loads(proc.stdout.splitlines()[-1])}
                    results.append(rec)
                    emit(rec)
    rows = []
    for size in sorted({r["size_mib"] for r in results}):
        med = {}
        for m in METHODS:
            runs = [r for r in results if r["size_mib"] == size and r["method"] == m]
            med[m] = statistics.median(r["seconds"] for r in runs)
            rows.append(
                [
                    f"{size} MiB",
                    m,
                    round(med[m], 3),
                    round(size / med[m], 1),
                    round(max(r["rss_before_download_mib"] for r in runs), 1),
                    round(max(r["peak_rss_mib"] for r in runs), 1),
                ]
            )
        rows[-1].append(f"{med['sailpoint-sdk'] / med['reportbridge']:.2f}x")
        rows[-2].append("")
    print()
    print(
        md_table(
            [
                "size",
                "client",
                "median s",
                "MiB/s",
                "RSS before MiB",
                "peak RSS MiB",
                "SDK time / reportbridge time",
            ],
            rows,
        )
    )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
