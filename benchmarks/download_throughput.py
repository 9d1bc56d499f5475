"""Download throughput and peak memory: reportbridge fetch vs raw urllib3 vs curl.

    uv run --group bench python benchmarks/download_throughput.py [--sizes-mib 10,100,1024]
        [--repeat 3] [--link-mbps 1000,10000] [--write-docs]

One simulator (a child process) serves every file; each client runs in its own
process so peak RSS is its own. Every run writes the body to disk. Every size is run
unthrottled ("loopback": as fast as the simulator and client can move bytes on this
machine) and, for each --link-mbps rate, with the simulator pacing the body at that
many Mbit/s (decimal), as a network link of that rate would deliver it. Results print
as JSON lines; --write-docs updates docs/performance-download.md and the PNG plot.
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


LOOPBACK = "loopback"


def parse_links(text: str) -> list[float]:
    """``--link-mbps``: a comma list of positive rates in Mbit/s ("" = none)."""
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not all(0 < r < float("inf") for r in rates):
        raise argparse.ArgumentTypeError(f"link rates must be positive numbers: {text!r}")
    return rates


def link_label(mbps: float | None) -> str:
    return LOOPBACK if mbps is None else f"{mbps:g} Mbit/s"


def link_mib_per_s(mbps: float) -> float:
    """What a link of ``mbps`` (decimal megabits per second) carries, in MiB/s."""
    return mbps * 1e6 / 8 / 2**20


def command(args: argparse.Namespace, write_docs: bool) -> str:
    """The command line that reproduces this run."""
    return (
        "uv run --group bench python benchmarks/download_throughput.py "
        f"--sizes-mib {args.sizes_mib} --repeat {args.repeat}"
        + (f" --link-mbps {','.join(f'{r:g}' for r in args.link_mbps)}" if args.link_mbps else "")
        + (" --write-docs" if write_docs else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mib", default="10,100,1024")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--link-mbps",
        type=parse_links,
        default=[],
        help="comma list of link rates (Mbit/s, decimal) to pace the simulator at, "
        "each run in addition to unthrottled loopback (default: loopback only)",
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "URL", "TOKEN", "SIZE"))
    args = parser.parse_args()
    if args.worker:
        method, url, token, size = args.worker
        print(json.dumps(worker(method, url, token, int(size))))
        return 0
    print(f"command: {command(args, args.write_docs)}")
    sizes = [int(s) * 1024 * 1024 for s in args.sizes_mib.split(",")]
    links: list[float | None] = [None, *args.link_mbps]
    results: list[dict[str, Any]] = []
    from benchmarks.simfiles import FileServer

    with simulator_process(functools.partial(FileServer, sizes)) as settings:
        for size in sizes:
            for mbps in links:
                url = f"{settings['base_url']}/files/{size}"
                if mbps is not None:
                    url += f"?mbps={mbps:g}"
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
                        rec = {
                            "size_mib": size // 2**20,
                            "link": link_label(mbps),
                            **json.loads(proc.stdout),
                        }
                        results.append(rec)
                        emit(rec)
    summary = summarise(results, links)
    for row in summary:
        emit({"summary": row})
    if args.write_docs:
        write_docs(summary, links, args)
    return 0 if all(r["ok"] for r in results) else 1


def summarise(results: list[dict[str, Any]], links: list[float | None]) -> list[dict[str, Any]]:
    """Medians per link, size and client: loopback first, then each link rate as given."""
    rows = []
    for mbps in links:
        link = link_label(mbps)
        for size in sorted({r["size_mib"] for r in results}):
            med = {}
            for m in METHODS:
                runs = [
                    r
                    for r in results
                    if r["link"] == link and r["size_mib"] == size and r["method"] == m
                ]
                med[m] = {
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "rss": max(r["peak_rss_mib"] for r in runs),
                }
            for m in METHODS:
                mib_per_s = size / med[m]["seconds"]
                rows.append(
                    {
                        "link": link,
                        "size_mib": size,
                        "method": m,
                        "median_s": round(med[m]["seconds"], 3),
                        "mib_per_s": round(mib_per_s, 1),
                        # share of what the link carries (None on unthrottled loopback)
                        "of_link": None
                        if mbps is None
                        else round(mib_per_s / link_mib_per_s(mbps), 3),
                        "vs_urllib3": round(med["urllib3"]["seconds"] / med[m]["seconds"], 3),
                        "vs_urllib3_fsync": round(
                            med["urllib3+fsync"]["seconds"] / med[m]["seconds"], 3
                        ),
                        "peak_rss_mib": round(med[m]["rss"], 1),
                    }
                )
    return rows


def write_docs(
    rows: list[dict[str, Any]], links: list[float | None], args: argparse.Namespace
) -> None:
    docs = ROOT / "docs"
    table = md_table(
        [
            "link",
            "size",
            "client",
            "median s",
            "MiB/s",
            "of link",
            "vs raw urllib3",
            "vs urllib3+fsync",
            "peak RSS MiB",
        ],
        [
            [
                r["link"],
                f"{r['size_mib']} MiB",
                r["method"],
                r["median_s"],
                r["mib_per_s"],
                "-" if r["of_link"] is None else f"{r['of_link']:.0%}",
                f"{r['vs_urllib3']}x",
                f"{r['vs_urllib3_fsync']}x",
                r["peak_rss_mib"],
            ]
            for r in rows
        ],
    )
    paced = [m for m in links if m is not None]
    link_note = (
        "Link `loopback`: the simulator sends as fast as it can over 127.0.0.1, sharing "
        "this machine's cores with the client."
        + (
            " Link `N Mbit/s`: the simulator paces the body at N megabits per second "
            "(decimal; "
            + ", ".join(f"{m:g} Mbit/s = {link_mib_per_s(m):.1f} MiB/s" for m in paced)
            + "), as a network link of that rate would deliver it; `of link` is the "
            "client's throughput as a share of that rate.\n\n"
            if paced
            else "\n\n"
        )
    )
    (docs / "performance-download.md").write_text(
        "# Download throughput (generated)\n\n"
        f"Command: `{command(args, write_docs=True)}`\n\nMedian of {args.repeat} interleaved "
        "runs per client; each client in its own process writing the body to disk; one "
        "simulator serves all.\n\n" + link_note + table + "\n",
        encoding="utf-8",
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    # one panel per link (each on its own y scale), one line per client
    fig, axes = plt.subplots(
        1, len(links), figsize=(max(6.0, 4.5 * len(links)), 4.6), sharex=True, squeeze=False
    )
    for ax, mbps in zip(axes[0], links, strict=True):
        link = link_label(mbps)
        top = 0.0
        for m in METHODS:
            pts = [
                (r["size_mib"], r["mib_per_s"])
                for r in rows
                if r["link"] == link and r["method"] == m
            ]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
            top = max([top, *(p[1] for p in pts)])
        if mbps is not None:
            rate = link_mib_per_s(mbps)
            ax.axhline(rate, color="grey", linestyle="--", linewidth=1, label="link rate")
            top = max(top, rate)
        ax.set_xscale("log")
        ax.set_ylim(0, top * 1.1)
        ax.set_xlabel("file size (MiB)")
        ax.set_title(
            "loopback (unthrottled)"
            if mbps is None
            else f"{link} link ({link_mib_per_s(mbps):.0f} MiB/s)"
        )
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("throughput (MiB/s)")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    ncol = len(labels) if len(links) > 1 else 3
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize="small")
    fig.suptitle("Download throughput, same simulator, same run")
    fig.tight_layout(rect=(0, 0.07 * -(-len(labels) // ncol), 1, 1))
    fig.savefig(docs / "download-throughput.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
