"""Shared helpers for benchmark scripts: simulators in a child process, RSS, tables."""

from __future__ import annotations

import collections
import contextlib
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


def _serve_with_stats(factory: Callable[[], Any], conn: Any) -> None:
    sim = factory()
    with sim:
        conn.send(sim.profile_settings())
        while (command := conn.recv()) != "stop":
            if command == "stats":
                conn.send(request_stats(sim))
            elif command == "reset":
                sim.requests.clear()
                conn.send(None)


def request_stats(sim: Any) -> dict[str, Any]:
    """What a simulator saw: requests by kind, 429s, token exchanges, jobs created."""
    seen = list(sim.requests)
    return {
        "requests": len(seen),
        "token_requests": sum(1 for r in seen if r.path.endswith("/oauth/token")),
        "status_429": sum(1 for r in seen if r.status == 429),
        "errors_5xx": sum(1 for r in seen if r.status >= 500),
        "by_method": dict(collections.Counter(r.method for r in seen)),
        "jobs_created": sim.jobs_created(),
        "first_429s": [
            {
                "at_s": round(r.at - seen[0].at, 3),
                "path": r.path,
                "answered_in_previous_10s": sum(
                    1 for p in seen[:i] if r.at - p.at < 10 and p.status != 429
                ),
                "retry_after": r.headers.get("Retry-After"),
            }
            for i, r in enumerate(seen)
            if r.status == 429
        ][:5],
    }


class ChildSimulator:
    """A simulator in a child process: its profile settings and, on demand, its stats."""

    def __init__(self, conn: Any, settings: dict[str, Any]) -> None:
        self._conn = conn
        self.settings = settings

    def stats(self) -> dict[str, Any]:
        self._conn.send("stats")
        result: dict[str, Any] = self._conn.recv()
        return result

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()


@contextmanager
def simulator_child(factory: Callable[[], Any]) -> Iterator[ChildSimulator]:
    """Like :func:`simulator_process`, and the child answers :meth:`ChildSimulator.stats`."""
    ctx = mp.get_context("spawn")
    parent, child_end = ctx.Pipe()
    child = ctx.Process(target=_serve_with_stats, args=(factory, child_end), daemon=True)
    child.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the simulator process did not start")
        yield ChildSimulator(parent, parent.recv())
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        child.join(10)
        if child.is_alive():
            child.kill()


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
