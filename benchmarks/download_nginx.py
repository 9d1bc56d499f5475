"""Downloads at line rate: reportbridge vs curl, from nginx serving a pre-made file.

    sh benchmarks/setup-nginx.sh   # installs Debian's nginx once (apt-get, sudo -n if not root)
    flock /work/wt/bench.lock uv run --group bench python benchmarks/download_nginx.py \
        [--sizes-mib 64,256,1024] [--repeat 5] [--links loopback,1000,10000] [--write-docs]

nginx (started here, as its own process on 127.0.0.1 with a config generated into a
temporary folder: nothing of the system's configuration is read or changed) serves one
file of random bytes with sendfile, so it costs little CPU and the client has the
machine's cores. Paced links use nginx ``limit_rate`` (bytes per second per
connection): 1000 Mbit/s = 125,000,000 B/s, 10000 Mbit/s = 1,250,000,000 B/s.

Clients, each in its own process, interleaved, ``os.sync()`` before each run:

- ``curl``: ``curl -sf -o FILE URL`` (no hash, no fsync);
- ``curl|tee|sha256sum+fsync``: ``curl -sf URL | tee FILE | sha256sum`` then
  ``sync FILE`` (coreutils: fsync of that file) - the work reportbridge does, in C;
- ``reportbridge``: ``HttpClient.request(stream=True)`` + ``FileStream`` +
  ``write_stream``, the path ``Reports.fetch`` takes for every part (download-host check,
  stall timeout and deadline watchdog, body decoding, SHA-256, length check, confined
  temporary file, fsync, atomic rename, fsync of the folder).

Every run's SHA-256 is checked against the file's. Results print as JSON lines;
``--write-docs`` writes docs/performance-nginx.md and docs/download-nginx.png.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import ROOT, emit, md_table, peak_rss_mib

TIME = ("/usr/bin/time", "-f", "%M", "-o")  # GNU time: peak RSS in KiB into a file
METHODS = ("curl", "curl|tee|sha256sum+fsync", "reportbridge")
LOCATIONS = {"loopback": None, "1000": 125_000_000, "10000": 1_250_000_000}
CONF = """daemon off;
master_process on;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    types {{ text/csv csv; }}
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds_of_children(parent: int) -> float:
    """User + system CPU seconds used so far by the processes whose parent is ``parent``."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:  # ppid; utime and stime follow at 11, 12
                    total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def nginx(sizes: list[int]) -> Iterator[tuple[str, dict[int, str], int]]:
    """nginx on 127.0.0.1 serving one random file per size; yields (base URL, size->sha,
    the master's pid)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise SystemExit("nginx is not installed: run sh benchmarks/setup-nginx.sh")
    prefix = Path(tempfile.mkdtemp(prefix="rb-nginx-"))
    prefix.chmod(0o755)  # nginx's worker drops to "nobody" when started as root
    www = prefix / "www"
    (prefix / "tmp").mkdir()
    www.mkdir()
    hashes = {}
    for size in sizes:
        digest = hashlib.sha256()
        with open(www / f"{size}.csv", "wb") as f:
            left = size
            while left:
                block = os.urandom(min(left, 1 << 20))
                digest.update(block)
                f.write(block)
                left -= len(block)
        hashes[size] = digest.hexdigest()
    port = _free_port()
    locations = "\n".join(
        f"        location /{name}/ {{ alias {www}/;"
        + (f" limit_rate {rate};" if rate else "")
        + " }"
        for name, rate in LOCATIONS.items()
    )
    conf = prefix / "nginx.conf"
    conf.write_text(CONF.format(p=prefix, port=port, locations=locations), encoding="utf-8")
    proc = subprocess.Popen(
        [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None:
                raise SystemExit((prefix / "error.log").read_text(encoding="utf-8"))
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", hashes, proc.pid
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful stop of master and worker
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(prefix, ignore_errors=True)


def worker(method: str, url: str) -> dict[str, Any]:
    out_dir = Path(tempfile.mkdtemp(prefix="rb-bench-"))
    rss_file = Path(out_dir.parent, out_dir.name + ".rss")
    from reportbridge.download import write_stream
    from reportbridge.provider import FileStream
    from reportbridge.transport import HttpClient

    client = HttpClient(url.rsplit("/", 2)[0])  # built before the clock starts, as a session is
    try:
        own = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = own.ru_utime + own.ru_stime if method.startswith("reportbridge") else 0.0
        started = time.perf_counter()
        if method.startswith("reportbridge"):
            resp = client.request("GET", url, stream=True)
            with FileStream(resp, format="csv") as stream:
                fetched = write_stream(stream, out_dir, "file.csv")
            got, sha = fetched.size, fetched.sha256
        elif method == "curl":
            subprocess.run([*TIME, rss_file, "curl", "-sf", "-o", out_dir / "f", url], check=True)
            got, sha = (out_dir / "f").stat().st_size, ""
        else:
            script = 'set -o pipefail; curl -sf "$1" | tee "$2" | sha256sum > "$3" && sync "$2"'
            target, hashed = out_dir / "f", out_dir / "sha"
            subprocess.run(
                [*TIME, rss_file, "bash", "-c", script, "_", url, target, hashed], check=True
            )
            got, sha = target.stat().st_size, hashed.read_text(encoding="utf-8").split()[0]
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    if method.startswith("reportbridge"):
        rss = peak_rss_mib()
    else:  # RUSAGE_CHILDREN would count this process, copied by fork before the exec
        rss = int(rss_file.read_text(encoding="utf-8").split()[-1]) / 1024
        rss_file.unlink()
    usage = resource.getrusage(
        resource.RUSAGE_SELF if method.startswith("reportbridge") else resource.RUSAGE_CHILDREN
    )
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    import reportbridge

    code = str(Path(reportbridge.__file__).parent.parent)
    return {
        "method": method,
        "bytes": got,
        "sha256": sha,
        "seconds": seconds,
        "cpu_s": cpu,
        "rss": rss,
    } | ({"code": code} if method.startswith("reportbridge") else {})


def run_one(method: str, url: str, variants: dict[str, str]) -> dict[str, Any]:
    os.sync()  # no dirty pages of the previous run left to write back
    path = str(ROOT)
    if method in variants:  # the same client code path, from another copy of core/src
        path = f"{variants[method]}{os.pathsep}{path}"
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", method, url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    if proc.returncode:
        raise SystemExit(f"{method} {url} failed: {proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def command(args: argparse.Namespace) -> str:
    return (
        "sh benchmarks/setup-nginx.sh && flock /work/wt/bench.lock uv run --group bench python "
        f"benchmarks/download_nginx.py --sizes-mib {args.sizes_mib} --repeat {args.repeat} "
        f"--links {args.links}"
        + "".join(f" --variant {v}" for v in args.variant)
        + (" --write-docs" if args.write_docs else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mib", default="64,256,1024")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--links", default="loopback,1000,10000")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="also run reportbridge from DIR (another core/src, e.g. main's exported with "
        "git archive main core/src | tar -x -C /tmp/rb-main) as the client "
        "'reportbridge(NAME)', interleaved with the others; repeatable",
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "URL"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    print(f"command: {command(args)}", flush=True)
    sizes = [int(s) * 2**20 for s in args.sizes_mib.split(",")]
    links = args.links.split(",")
    variants = {f"reportbridge({n})": d for n, _, d in (v.partition("=") for v in args.variant)}
    methods = args.methods.split(",") + list(variants)
    load_before = os.getloadavg()
    results = []
    with nginx(sizes) as (base, hashes, master):
        for size in sizes:
            for link in links:
                url = f"{base}/{link}/{size}.csv"
                for rep in range(args.repeat):
                    # interleaved, each round starting one client later: drift and what
                    # the previous run left behind hit every client alike
                    for method in methods[rep % len(methods) :] + methods[: rep % len(methods)]:
                        served = cpu_seconds_of_children(master)
                        rec = {
                            "size_mib": size // 2**20,
                            "link": link,
                            **run_one(method, url, variants),
                        }
                        rec["nginx_cpu_s"] = cpu_seconds_of_children(master) - served
                        rec["ok"] = rec["bytes"] == size and rec["sha256"] in ("", hashes[size])
                        results.append(rec)
                        emit(rec)
    load = {"load_before": load_before, "load_after": os.getloadavg()}
    emit(load)
    rows = summarise(results, links, methods)
    for row in rows:
        emit({"summary": row})
    if args.write_docs:
        write_docs(rows, links, load, args)
    return 0 if all(r["ok"] for r in results) else 1


def link_label(link: str) -> str:
    return link if link == "loopback" else f"{int(link):,} Mbit/s"


def summarise(
    results: list[dict[str, Any]], links: list[str], methods: list[str]
) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        for size in sorted({r["size_mib"] for r in results}):
            med = {}
            for m in methods:
                runs = [
                    r
                    for r in results
                    if r["link"] == link and r["size_mib"] == size and r["method"] == m
                ]
                med[m] = (
                    statistics.median(r["seconds"] for r in runs),
                    max(r["rss"] for r in runs),
                    min(r["seconds"] for r in runs),
                    max(r["seconds"] for r in runs),
                    statistics.median(r["cpu_s"] for r in runs),
                    statistics.median(r["nginx_cpu_s"] for r in runs),
                )
            for m in methods:
                seconds, rss, fastest, slowest, cpu, served = med[m]
                rows.append(
                    {
                        "link": link,
                        "size_mib": size,
                        "method": m,
                        "median_s": round(seconds, 3),
                        "range_s": f"{fastest:.3f}-{slowest:.3f}",
                        "mib_per_s": round(size / seconds, 1),
                        "vs_curl": _ratio(med, "curl", seconds),
                        "vs_tee": _ratio(med, "curl|tee|sha256sum+fsync", seconds),
                        "cpu_s": round(cpu, 2),
                        "nginx_cpu_s": round(served, 2),
                        "peak_rss_mib": round(rss, 1),
                    }
                )
    return rows


def _ratio(med: dict[str, tuple[float, ...]], other: str, seconds: float) -> float | None:
    return round(med[other][0] / seconds, 3) if other in med else None


def write_docs(
    rows: list[dict[str, Any]], links: list[str], load: dict[str, Any], args: argparse.Namespace
) -> None:
    docs = ROOT / "docs"
    table = md_table(
        [
            *("link", "size", "client", "median s", "range s", "MiB/s"),
            *("vs curl -o", "vs tee+hash", "client CPU s", "nginx CPU s", "peak RSS MiB"),
        ],
        [
            [
                link_label(r["link"]),
                f"{r['size_mib']} MiB",
                "`{}`".format(r["method"].replace("|", "\\|")),
                r["median_s"],
                r["range_s"],
                r["mib_per_s"],
                f"{r['vs_curl']}x",
                f"{r['vs_tee']}x",
                r["cpu_s"],
                r["nginx_cpu_s"],
                r["peak_rss_mib"],
            ]
            for r in rows
        ],
    )
    before = " ".join(f"{v:.2f}" for v in load["load_before"])
    after = " ".join(f"{v:.2f}" for v in load["load_after"])
    (docs / "performance-nginx.md").write_text(
        "# Downloads from nginx (generated)\n\n"
        f"Command: `{command(args)}`\n\n"
        f"Median of {args.repeat} interleaved runs per client (range: fastest-slowest); "
        "ratios are throughput relative to the named client in the same link and size "
        "(above 1: the client of the row is faster). CPU: user + system seconds of the "
        "client's processes and of nginx's worker during the run (medians). Peak RSS: "
        "the whole process (reportbridge: the Python interpreter included; curl: by "
        "/usr/bin/time, the largest process of the pipeline). Load average (1, 5, 15 "
        f"min) before the run: {before}; after: {after}.\n\n" + table + "\n",
        encoding="utf-8",
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, len(links), figsize=(4.6 * len(links), 4.4), squeeze=False)
    for ax, link in zip(axes[0], links, strict=True):
        for m in methods:
            pts = [
                (r["size_mib"], r["mib_per_s"])
                for r in rows
                if (r["link"], r["method"]) == (link, m)
            ]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
        if link != "loopback":
            ax.axhline(LOCATIONS[link] / 2**20, color="grey", ls="--", lw=1, label="limit_rate")
        ax.set_xscale("log", base=2)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("file size (MiB)")
        ax.set_title(link_label(link) + ("" if link == "loopback" else " (nginx limit_rate)"))
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("throughput (MiB/s)")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize="small")
    fig.suptitle("Downloads from nginx: same file, same run")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(docs / "download-nginx.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
