"""The three providers' simulators with a random duration per job (for the orchestration run).

A simulator runs every job for its ``job_seconds``. To give each job its own duration
``d`` without touching the simulators, the job is born ``job_seconds - d`` seconds "old":
its creation time is moved back when the simulator records it. Durations are drawn
from ``random.Random(seed)`` in creation order, so :func:`durations` gives the parent
process the same values (their maximum is the longest job).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from typing import Any


def durations(n: int, low: float, high: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(n)]


def _age_source(low: float, high: float, seed: int) -> Callable[[], float]:
    """Seconds to add to each new job's age: ``high - duration``."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def age() -> float:
        with lock:
            return high - rng.uniform(low, high)

    return age


def sailpoint(low: float, high: float, seed: int, **options: Any) -> Any:
    from reportbridge_sailpoint.simulator import SailPointSimulator

    sim = SailPointSimulator(job_seconds=high, dedupe="off", **options)
    age, start = _age_source(low, high, seed), sim.tasks.start

    def start_aged(*args: Any, **kw: Any) -> Any:
        task, adopted = start(*args, **kw)
        if not adopted:
            older = age()
            task.created -= older
            task.created_at -= dt.timedelta(seconds=older)  # so `completed` is the real end
        return task, adopted

    sim.tasks.start = start_aged  # type: ignore[method-assign]
    return sim


def spaceone(low: float, high: float, seed: int, **options: Any) -> Any:
    from reportbridge_spaceone.simulator import SpaceoneSimulator

    sim = SpaceoneSimulator(job_seconds=high, **options)
    age, add = _age_source(low, high, seed), sim.store.add

    def add_aged(**fields: Any) -> Any:
        report = add(**fields)
        report.started -= age()
        return report

    sim.store.add = add_aged  # type: ignore[method-assign]
    return sim


class _AgedJobs(dict[str, Any]):
    def __init__(self, age: Callable[[], float]) -> None:
        super().__init__()
        self._age = age

    def __setitem__(self, key: str, job: Any) -> None:
        if key not in self:
            job.created -= self._age()
        super().__setitem__(key, job)


def explore(low: float, high: float, seed: int, **options: Any) -> Any:
    from reportbridge_explore.simulator import ExploreSimulator

    sim = ExploreSimulator(job_seconds=high, **options)
    sim.jobs = _AgedJobs(_age_source(low, high, seed))
    return sim


FACTORIES = {"sailpoint": sailpoint, "spaceone": spaceone, "explore": explore}
