"""Shared helpers for benchmark scripts: simulators in a child process, RSS, tables."""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mib(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def _serve(factory: Callable[[], Any], queue: Any, stop: Any) -> None:
    sim = factory()
    with sim:
        queue.put(sim.profile_settings())
        stop.wait()


@contextmanager
def simulator_process(factory: Callable[[], Any]) -> Iterator[dict[str, Any]]:
    """Run a simulator in a child process (so its memory is not the client's)."""
    ctx = mp.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=_serve, args=(factory, queue, stop), daemon=True)
    child.start()
    try:
        yield queue.get(timeout=60)
    finally:
        stop.set()
        child.join(10)
        if child.is_alive():
            child.kill()


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
