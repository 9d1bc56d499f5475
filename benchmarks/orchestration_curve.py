"""The orchestration cost curve: benchmarks/orchestration.py at several sizes, one process each.

    uv run --group bench python benchmarks/orchestration_curve.py --results curve.jsonl \
        [--sizes 1000,10000,100000] [--variants after,no-learn,before] [--before-src DIR]
    uv run --group bench python benchmarks/orchestration_curve.py --results curve.jsonl --plot-only

Each (size, variant) runs ``orchestration.py`` in a fresh interpreter, so its peak RSS and
thread count are that run's alone; the result lines are appended to ``--results`` and the
tables and plots are drawn from that file. Variants: ``after`` (this tree), ``no-learn``
(this tree with ``learn_durations=False``) and ``before`` (the code under ``--before-src``,
e.g. ``git archive main core/src | tar -x -C /tmp/rb_main``, put first on PYTHONPATH).

Sizes of 100,000 and more run in the light mode ``LIGHT`` below (longer jobs, 1 KiB files,
a larger SailPoint quota): a Python client and three Python simulators on 2 cores cannot
send ~500,000 requests within 5-40 s jobs. What changed is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import md_table

HERE = Path(__file__).resolve().parent
#: the light mode for the largest sizes: what changes against the default run
LIGHT = {
    "--min-s": "240",
    "--max-s": "480",
    "--file-size": "1024",
    "--sailpoint-quota": "5000",
}
LIGHT_FROM = 100_000


def run_args(size: int) -> list[str]:
    """Explore's simultaneous-report quota lets all its jobs run at once at every size (as
    the default 400 does at 1,000 jobs); SailPoint's request quota stays 1,000 / 10 s up to
    10,000 jobs, so there it paces the run and the ideal says so."""
    args = ["--jobs", str(size), "--explore-quota", str(max(400, size // 3 + 1))]
    if size >= LIGHT_FROM:
        args += [x for kv in LIGHT.items() for x in kv]
    return args


def run_one(
    size: int, variant: str, before_src: str | None, after_src: str | None
) -> dict[str, Any]:
    args = run_args(size) + (["--no-learn"] if variant == "no-learn" else [])
    env = dict(os.environ)
    src = before_src if variant == "before" else after_src
    if variant == "before" and not src:
        raise SystemExit("--before-src is needed for the before variant")
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, str(HERE / "orchestration.py"), *args]
    where = f"  (PYTHONPATH={src})" if src else ""
    print("$ python " + " ".join(cmd[1:]) + where, flush=True)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    result: dict[str, Any] | None = None
    for line in done.stdout.splitlines():
        if line.startswith("{") and '"wall_s"' in line:
            result = json.loads(line)
    if result is None:
        raise SystemExit(f"no result from {cmd}: {done.stderr[-2000:]}")
    result.update(variant=variant, args=" ".join(args), load_after=os.getloadavg()[0])
    return result


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        [
            f"{r['jobs']:,}",
            r["variant"],
            r["wall_s"],
            r["ideal_s"],
            f"{r['wall_vs_ideal']:.3f}x",
            f"{r['requests']:,}",
            f"{r['min_requests']:,}",
            f"{r['requests_vs_min']:.3f}x",
            r["per_provider"]["sailpoint"]["requests"],
            r["status_429"],
            r["cpu_ms_per_job"],
            r["peak_rss_mib"],
            r["peak_threads"],
            r["last_submitted_at_s"],
            f"{r['load_before']:.1f}/{r['load_after']:.1f}",
        ]
        for r in results
    ]
    headers = [
        "jobs",
        "variant",
        "wall s",
        "ideal s",
        "wall/ideal",
        "requests",
        "minimum",
        "req/min",
        "SailPoint req",
        "429s",
        "CPU ms/job",
        "peak RSS MiB",
        "threads",
        "last submit s",
        "load 1 min before/after",
    ]
    return md_table(headers, rows)


def plot(results: list[dict[str, Any]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [
        ("wall_vs_ideal", "wall / ideal", 1.10),
        ("requests_vs_min", "requests / minimum", 1.2),
        ("cpu_ms_per_job", "CPU ms per job", None),
        ("peak_rss_mib", "peak RSS MiB", None),
        ("peak_threads", "peak threads", None),
    ]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.6))
    for ax, (key, label, target) in zip(axes, metrics, strict=True):
        for variant in sorted({r["variant"] for r in results}):
            rows = sorted((r for r in results if r["variant"] == variant), key=lambda r: r["jobs"])
            ax.plot([r["jobs"] for r in rows], [r[key] for r in rows], marker="o", label=variant)
        if target is not None:
            ax.axhline(target, color="grey", linestyle="--", linewidth=1, label="target")
        if target is None:
            ax.set_ylim(bottom=0)
        ax.set_xscale("log")
        ax.set_xlabel("jobs")
        ax.set_title(label)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"run_many cost curve ({LIGHT_FROM:,}+ jobs in the light mode: longer jobs)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--variants", default="after")
    parser.add_argument("--before-src")
    parser.add_argument("--after-src", help="a snapshot of this tree's core/src (optional)")
    parser.add_argument("--plot", type=Path, default=None, help="PNG to write")
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()
    if not args.plot_only:
        print("light mode from", LIGHT_FROM, "jobs:", LIGHT)
        for size in (int(s) for s in args.sizes.split(",")):
            for variant in args.variants.split(","):
                load = os.getloadavg()[0]
                result = run_one(size, variant, args.before_src, args.after_src)
                result["load_before"] = load
                with args.results.open("a") as f:
                    f.write(json.dumps(result) + "\n")
                print(table([result]).splitlines()[-1], flush=True)
    results = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    print(table(results))
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
