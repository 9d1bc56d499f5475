"""Import time of reportbridge vs the official SailPoint SDK, in fresh processes.

    uv run python benchmarks/import_time.py [--repeat 15]

Each measurement is a new interpreter running ``python -X importtime -c 'import X'``;
the figure is the cumulative microseconds of the top-level module, median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from _common import emit, md_table

TARGETS = {
    "import reportbridge": "reportbridge",
    "from reportbridge import Reports": "reportbridge.facade",
    "import reportbridge_sailpoint.plugin": "reportbridge_sailpoint.plugin",
    "import sailpoint.v3": "sailpoint.v3",
}


def measure(statement: str, module: str) -> float:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000.0
    raise RuntimeError(f"{module} not in importtime output")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rows = []
    base = None
    for statement, module in TARGETS.items():
        try:
            runs = [measure(statement, module) for _ in range(args.repeat)]
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            emit({"statement": statement, "error": str(exc)[:200]})
            continue
        ms = statistics.median(runs)
        base = base or ms
        rec = {"statement": statement, "median_ms": round(ms, 1), "min_ms": round(min(runs), 1)}
        emit(rec)
        rows.append([f"`{statement}`", rec["median_ms"], rec["min_ms"], f"{ms / base:.2f}x"])
    print()
    print(md_table(["statement", "median ms", "min ms", "vs import reportbridge"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
