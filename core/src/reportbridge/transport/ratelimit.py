"""Client-side request rate limit, one per profile."""

from __future__ import annotations

import collections
import re
import threading
import time
import weakref
from collections.abc import Callable

import attrs

from reportbridge.errors import ConfigurationError, DeadlineExceededError


@attrs.frozen
class RateLimit:
    """At most ``requests`` in any window of ``per_seconds``."""

    requests: int
    per_seconds: float

    @property
    def unlimited(self) -> bool:
        return self.requests <= 0

    @classmethod
    def parse(cls, value: object) -> RateLimit | None:
        """Accept ``"100/10s"``, ``"5/s"``, ``{requests=.., per_seconds=..}``, or "off".

        "off" (or false) gives :data:`UNLIMITED`, which also switches off a provider's
        default limit; None means "not set".
        """
        if value is None:
            return None
        if value is False or value in ("none", "off", ""):
            return UNLIMITED
        if isinstance(value, RateLimit):
            return value
        if isinstance(value, dict):
            try:
                return cls(int(value["requests"]), float(value["per_seconds"]))
            except (KeyError, TypeError, ValueError):
                pass
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*(?:\.\d+)?)\s*(s|sec|m|min)?\s*", value)
            if m:
                span = float(m.group(2) or 1) * (60 if (m.group(3) or "s")[0] == "m" else 1)
                if int(m.group(1)) > 0 and span > 0:
                    return cls(int(m.group(1)), span)
        raise ConfigurationError(
            f"rate_limit {value!r} is not understood; accepted: 'N/Ss' such as '100/10s', "
            "'5/s', a table {requests = N, per_seconds = S}, or 'off'"
        )


UNLIMITED = RateLimit(0, 1.0)


class RateLimiter:
    """A sliding-window limiter: blocks until a request may go out.

    A request is counted from when it is sent; once its answer arrives (:meth:`settle`)
    it is counted from then instead. The vendor counted it somewhere in between, so the
    window the client keeps is never shorter than the one the vendor sees, however
    uneven the network and thread scheduling are: no 429 when the limits match.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        # when this thread's requests in flight were counted: a stack, since a request may
        # fetch a token (another request) between its slot and its sending
        self._mine = threading.local()

    def acquire(self, *, until: float | None = None) -> float:
        """Wait for a slot; returns the seconds waited.

        ``until`` (a ``time.monotonic()`` deadline) ends the wait early with
        :class:`DeadlineExceededError` when no slot frees up before it.
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.limit.per_seconds:
                    self._sent.popleft()
                if len(self._sent) < self.limit.requests:
                    self._sent.append(now)
                    stack = self._mine.__dict__.setdefault("stack", [])
                    stack.append(now)
                    del stack[:-8]  # slots taken by requests that were never sent
                    return waited
                delay = self.limit.per_seconds - (now - self._sent[0])
            delay = max(delay, 0.001)
            if until is not None and time.monotonic() + delay >= until:
                raise DeadlineExceededError(
                    f"the client-side rate limit ({self.limit.requests} per "
                    f"{self.limit.per_seconds:g} s) has no free slot before the deadline"
                )
            self._sleep(delay)
            waited += delay

    def settle(self) -> None:
        """This thread's request was answered: count it from now, not from when it left."""
        stack = self._mine.__dict__.get("stack")
        if not stack:
            return
        sent_at = stack.pop()
        with self._lock:
            now = self._clock()
            if now <= sent_at:
                return
            # the deque is in time order and this entry is among the latest: look for it
            # from the right (a scan from the left costs the whole window, 5,000 entries
            # at a quota of 5,000 / 10 s, on every request)
            sent = self._sent
            for back, when in enumerate(reversed(sent)):
                if when == sent_at:
                    del sent[len(sent) - 1 - back]
                    sent.append(now)  # the latest entry: the deque stays in time order
                    return
                if when < sent_at:
                    return  # gone already: penalised, or aged out

    def penalise(self, seconds: float) -> None:
        """After a 429, hold everyone back: the window is treated as full for ``seconds``."""
        with self._lock:
            until = self._clock() + seconds - self.limit.per_seconds
            self._sent.clear()
            self._sent.extend([until] * self.limit.requests)


_shared: weakref.WeakValueDictionary[tuple[str, RateLimit], RateLimiter] = (
    weakref.WeakValueDictionary()
)
_shared_lock = threading.Lock()


def shared_limiter(key: str, limit: RateLimit) -> RateLimiter:
    """One limiter per ``key`` and limit, for vendors that count requests per credential
    rather than per connection (several profiles or processes' façades share it)."""
    with _shared_lock:
        limiter = _shared.get((key, limit))
        if limiter is None:
            limiter = RateLimiter(limit)
            _shared[(key, limit)] = limiter
        return limiter
