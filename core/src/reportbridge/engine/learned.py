"""Learned durations: polls of a job are not sent before similar jobs were ever seen to end.

Jobs of one batch with the same profile and report type tend to take similar times. Once
``MIN_SAMPLES`` of them have succeeded, the shortest time any of them was *certainly still
running* (the age at its last observation before the one that saw it end) is a floor: a
new job of that kind is not polled before it has waited that long. The rule only ever
removes polls; it never waits longer than the policy's ``cap`` between two looks at a job
(so a job that ends earlier than any before it is still seen within ``cap`` of its end),
never past the job's deadline, and never against a vendor's hint (the driver applies it
only when there is none).

It is on by default and off with ``run_many(..., learn_durations=False)``.
"""

from __future__ import annotations

#: jobs of a kind that must have succeeded before their durations are used
MIN_SAMPLES = 5


def polls_by(age: float, initial: float, backoff: float, cap: float) -> int:
    """How many polls the policy (no jitter) has sent by ``age`` seconds: after a skip to
    the learned floor, the schedule goes on from there, not from its first, short delays."""
    polls, at = 0, 0.0
    while True:
        at += min(cap, initial * backoff**polls)
        if at > age or polls >= 10_000:
            return polls
        polls += 1


class LearnedDurations:
    """Per (profile, report type): how many jobs succeeded, and the floor they set."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._samples: dict[tuple[str, str], int] = {}
        self._floor: dict[tuple[str, str], float] = {}

    def ended(self, kind: tuple[str, str], ran_at_least: float) -> None:
        """A job of ``kind`` succeeded; it was last seen running ``ran_at_least`` s after
        it started waiting."""
        if not self.enabled:
            return
        self._samples[kind] = self._samples.get(kind, 0) + 1
        self._floor[kind] = min(self._floor.get(kind, ran_at_least), ran_at_least)

    def floor(self, kind: tuple[str, str]) -> float | None:
        """Seconds after its start a job of ``kind`` need not be polled before, or None."""
        if not self.enabled or self._samples.get(kind, 0) < MIN_SAMPLES:
            return None
        return self._floor[kind]

    def next_poll(
        self, kind: tuple[str, str], started: float, now: float, due: float, cap: float
    ) -> float:
        """When to poll a job of ``kind`` that started waiting at ``started`` and was last
        seen ``now``: ``due`` (the policy's time) moved to the learned floor when that is
        later, but never more than ``cap`` after ``now``."""
        floor = self.floor(kind)
        if floor is None or started + floor <= due:
            return due
        return max(due, min(started + floor, now + cap))
