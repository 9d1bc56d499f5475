"""Peak memory of a large download through the façade (foundation check).

Run from the repository root:

    uv run python benchmarks/download_memory.py --size-mib 1024

The simulator runs in a child process so that only the client's memory is
measured. The script prints one JSON line and exits non-zero when the peak RSS
of the client process exceeds --limit-mib (default 100).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def serve(size: int, queue: Any, stop: Any) -> None:
    from tests.toy import ToySimulator

    sim = ToySimulator(job_seconds=0.0, file_size=size)
    with sim:
        queue.put(sim.profile_settings())
        stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--limit-mib", type=int, default=100)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve, args=(size, queue, stop), daemon=True)
    child.start()
    settings = queue.get(timeout=30)
    try:
        from reportbridge import Reports
        from reportbridge.plugins import PluginRegistry
        from tests.toy import ToyPlugin

        registry = PluginRegistry(load_entry_points=False)
        registry.register(ToyPlugin())
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Reports.from_profiles(
            {"toy": {"provider": "toy", **settings}}, registry=registry
        ) as reports:
            job = reports.wait(reports.run("toy", "USERS"), timeout=60)
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                (fetched,) = reports.fetch(job, Path(tmp))
                elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        stop.set()
        child.join(10)
    result = {
        "benchmark": "download_memory",
        "size_mib": args.size_mib,
        "bytes": fetched.size,
        "seconds": round(elapsed, 2),
        "mib_per_s": round(fetched.size / elapsed / 2**20, 1),
        "rss_before_download_mib": round(rss_before, 1),
        "peak_rss_mib": round(peak, 1),
        "limit_mib": args.limit_mib,
        "ok": fetched.size == size and peak <= args.limit_mib,
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
