"""Import time of reportbridge vs the official SailPoint SDK, in fresh processes.

    uv run python benchmarks/import_time.py [--repeat 15]

Each measurement is a new interpreter timing the statement with perf_counter
(interpreter start-up excluded); the figure is the median of the runs. Bytecode is
written by a first, untimed import, as an installed package has it: with
PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every import would compile from
source and the figures would mostly measure the compiler.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from _common import emit, md_table

TARGETS = [
    "import reportbridge",
    "from reportbridge import Reports",
    "import reportbridge_sailpoint.plugin",
    "from reportbridge.transport import HttpClient",  # what the first HTTP client loads
    "import sailpoint.v3",
]


def measure(statement: str) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print((time.perf_counter() - t) * 1000)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    )
    return float(proc.stdout.strip())


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--src", help="import reportbridge from this folder instead (an older checkout's core/src)"
    )
    args = parser.parse_args()
    if args.src:
        ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [args.src, ENV.get("PYTHONPATH")]))
    src = f" --src {args.src}" if args.src else ""
    print(f"command: uv run python benchmarks/import_time.py --repeat {args.repeat}{src}")
    rows = []
    base = None
    for statement in TARGETS:
        try:
            measure(statement)  # writes the bytecode caches; not counted
            runs = [measure(statement) for _ in range(args.repeat)]
        except (subprocess.CalledProcessError, ValueError) as exc:
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
