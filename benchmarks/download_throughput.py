"""Download throughput and peak memory: reportbridge fetch vs raw urllib3 vs curl.

    uv run --group bench python benchmarks/download_throughput.py [--sizes-mib 10,100,1024]
        [--repeat 3] [--write-docs]

One simulator (a child process) serves every file; each client runs in its own
process so peak RSS is its own. Every run writes the body to disk. Results print as
JSON lines; --write-docs updates docs/performance-download.md and the PNG plot.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, emit, md_table, peak_rss_mib, simulator_process


def worker(method: str, url: str, token: str, size: int) -> dict[str, Any]:
    out_dir = Path(tempfile.mkdtemp(prefix="rb-bench-"))
    import urllib3

    from reportbridge.download import write_stream
    from reportbridge.provider import FileStream
    from reportbridge.transport import HttpClient, StaticBearerToken

    # Clients are built before the clock starts (a session outlives one download; building
    # reportbridge's loads the CA bundle for TLS). Imports are not part of a download either.
    client = HttpClient(url.rsplit("/files/", 1)[0], auth=StaticBearerToken(token))
    pool = urllib3.PoolManager()
    try:
        started = time.perf_counter()
        if method == "reportbridge":
            resp = client.request("GET", url, stream=True)
            with FileStream(resp, format="csv") as stream:
                got = write_stream(stream, out_dir, "file.csv").size
        elif method.startswith("urllib3"):
            resp = pool.request(
                "GET", url, headers={"Authorization": f"Bearer {token}"}, preload_content=False
            )
            got = 0
            digest = hashlib.sha256()
            with open(out_dir / "file.csv", "wb") as f:
                for chunk in resp.stream(1 << 20):
                    if "sha256" in method:
                        digest.update(chunk)
                    f.write(chunk)
                    got += len(chunk)
                if "fsync" in method:
                    f.flush()
                    os.fsync(f.fileno())
            resp.release_conn()
        else:  # curl
            subprocess.run(
                [
                    "curl",
                    "-sf",
                    "-H",
                    f"Authorization: Bearer {token}",
                    "-o",
                    str(out_dir / "f"),
                    url,
                ],
                check=True,
            )
            got = (out_dir / "f").stat().st_size
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    rss = peak_rss_mib(children=method == "curl")
    return {
        "method": method,
        "bytes": got,
        "ok": got == size,
        "seconds": seconds,
        "peak_rss_mib": rss,
    }


#: the raw loops: as fast as Python gets; with fsync: as durable as reportbridge; with
#: sha256 and fsync: the same work as reportbridge (hash, durable write) and nothing else
METHODS = ("reportbridge", "urllib3", "urllib3+fsync", "urllib3+sha256+fsync", "curl")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mib", default="10,100,1024")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "URL", "TOKEN", "SIZE"))
    args = parser.parse_args()
    if args.worker:
        method, url, token, size = args.worker
        print(json.dumps(worker(method, url, token, int(size))))
        return 0
    print(
        "command: uv run --group bench python benchmarks/download_throughput.py "
        f"--sizes-mib {args.sizes_mib} --repeat {args.repeat}"
        + (" --write-docs" if args.write_docs else "")
    )
    sizes = [int(s) * 1024 * 1024 for s in args.sizes_mib.split(",")]
    results: list[dict[str, Any]] = []
    from benchmarks.simfiles import FileServer

    with simulator_process(functools.partial(FileServer, sizes)) as settings:
        for size in sizes:
            url = f"{settings['base_url']}/files/{size}"
            for _ in range(args.repeat):
                for method in METHODS:  # interleaved, so drift hits every method alike
                    os.sync()  # start each run with no dirty pages left by the previous one
                    proc = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--worker",
                            method,
                            url,
                            settings["token"],
                            str(size),
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ, "PYTHONPATH": str(ROOT)},
                    )
                    rec = {"size_mib": size // 2**20, **json.loads(proc.stdout)}
                    results.append(rec)
                    emit(rec)
    summary = summarise(results)
    for row in summary:
        emit({"summary": row})
    if args.write_docs:
        write_docs(summary, args)
    return 0 if all(r["ok"] for r in results) else 1


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for size in sorted({r["size_mib"] for r in results}):
        med = {}
        for m in METHODS:
            runs = [r for r in results if r["size_mib"] == size and r["method"] == m]
            med[m] = {
                "seconds": statistics.median(r["seconds"] for r in runs),
                "rss": max(r["peak_rss_mib"] for r in runs),
            }
        for m in METHODS:
            rows.append(
                {
                    "size_mib": size,
                    "method": m,
                    "median_s": round(med[m]["seconds"], 3),
                    "mib_per_s": round(size / med[m]["seconds"], 1),
                    "vs_urllib3": round(med["urllib3"]["seconds"] / med[m]["seconds"], 3),
                    "vs_urllib3_fsync": round(
                        med["urllib3+fsync"]["seconds"] / med[m]["seconds"], 3
                    ),
                    "peak_rss_mib": round(med[m]["rss"], 1),
                }
            )
    return rows


def write_docs(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    docs = ROOT / "docs"
    table = md_table(
        [
            "size",
            "client",
            "median s",
            "MiB/s",
            "vs raw urllib3",
            "vs urllib3+fsync",
            "peak RSS MiB",
        ],
        [
            [
                f"{r['size_mib']} MiB",
                r["method"],
                r["median_s"],
                r["mib_per_s"],
                f"{r['vs_urllib3']}x",
                f"{r['vs_urllib3_fsync']}x",
                r["peak_rss_mib"],
            ]
            for r in rows
        ],
    )
    cmd = (
        "uv run --group bench python benchmarks/download_throughput.py "
        f"--sizes-mib {args.sizes_mib} --repeat {args.repeat} --write-docs"
    )
    (docs / "performance-download.md").write_text(
        "# Download throughput (generated)\n\n"
        f"Command: `{cmd}`\n\nMedian of {args.repeat} interleaved runs per client; each "
        "client in its own process writing the body to disk; one simulator serves all.\n\n"
        + table
        + "\n",
        encoding="utf-8",
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in METHODS:
        pts = [(r["size_mib"], r["mib_per_s"]) for r in rows if r["method"] == m]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xlabel("file size (MiB)")
    ax.set_ylabel("throughput (MiB/s)")
    ax.set_title("Download throughput, same simulator, same run")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(docs / "download-throughput.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
