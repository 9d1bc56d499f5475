"""The client-side cap on a profile's unfinished jobs (``max_active_jobs``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from reportbridge.errors import QuotaExceededError, ReportBridgeError
from reportbridge.model import ReportJob


class ActiveJobs:
    """A profile's unfinished jobs as last seen, and its starts in flight.

    A start holds a slot from before its request leaves until the job is noted, so
    threads starting at once cannot pass the cap together.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, ReportJob]] = {}
        self._starting: dict[str, int] = {}

    def note(self, job: ReportJob, *, started: bool = False) -> None:
        """Where ``job`` stands now; ``started`` frees the slot its start held."""
        with self._lock:
            if started:
                self._starting[job.profile] -= 1
            jobs = self._jobs.setdefault(job.profile, {})
            if job.is_terminal:
                jobs.pop(job.job_id, None)
            else:
                jobs[job.job_id] = job

    def reserve(
        self,
        profile: str,
        limit: int | None,
        provider: str,
        refresh: Callable[[ReportJob], object],
    ) -> bool:
        """Hold a slot for a start (False: no cap). Refused with :class:`QuotaExceededError`
        when the profile is full even after ``refresh`` looked at its unfinished jobs."""
        if limit is None:
            return False
        for look_again in (True, False):
            with self._lock:
                active = self._jobs.get(profile, {})
                if len(active) + self._starting.get(profile, 0) < limit:
                    self._starting[profile] = self._starting.get(profile, 0) + 1
                    return True
                jobs = list(active.values())  # copied only when full (not per start)
            if look_again:
                for job in jobs:  # some may have finished unobserved
                    try:
                        refresh(job)
                    except ReportBridgeError:
                        continue
        raise QuotaExceededError(
            f"profile {profile!r} already has {limit} unfinished jobs, the most {provider} "
            "allows at once; wait for one to finish (or raise max_active_jobs in the profile)",
            provider=provider,
        )

    def release(self, profile: str) -> None:
        """A start that held a slot failed: nothing was created."""
        with self._lock:
            self._starting[profile] -= 1
