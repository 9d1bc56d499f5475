"""Fault injection for simulators: error statuses, delays, cut connections, and hostile
answers (redirects anywhere, endless, trickling or compressed bodies)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

import attrs


@attrs.define
class Fault:
    """One injected fault, matched on method and path (a regular expression).

    - ``status``: answer with this status instead (``retry_after`` adds the header,
      ``headers`` any others, such as ``Location`` or ``Content-Encoding``; ``body`` the
      payload, default a small JSON error; ``stream`` a factory of body chunks, sent
      chunked, such as :func:`reportbridge.testing.hostile.endless_json_body`);
    - ``trickle``: seconds between the body's bytes, sent one at a time (with or
      without ``status``: a real answer can trickle too);
    - ``delay``: seconds to sleep before answering (a slow server, read timeouts);
    - ``drop_after``: send the real headers and this many body bytes, then cut the
      connection;
    - ``times``: how many matching requests it applies to (None = all);
      ``skip``: how many matching requests pass untouched first;
    - ``label``: the name it is counted under in ``FaultPlan.injected``.
    """

    path: str = ".*"
    method: str | None = None
    status: int | None = None
    retry_after: str | None = None
    body: bytes | None = None
    headers: dict[str, str] | None = None
    stream: Callable[[], Iterable[bytes]] | None = None
    trickle: float | None = None
    delay: float = 0.0
    drop_after: int | None = None
    bad_length: int | None = None
    times: int | None = 1
    skip: int = 0
    label: str | None = None
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None


class FaultPlan:
    """The faults a simulator applies, in order; thread-safe."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults = list(faults)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def add(self, *faults: Fault) -> FaultPlan:
        with self._lock:
            self._faults.extend(faults)
        return self

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (consumes one use)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.hits += 1
                self.injected[_kind(fault)] = self.injected.get(_kind(fault), 0) + 1
                return fault
        return None


def _kind(fault: Fault) -> str:
    if fault.label:
        return fault.label
    if fault.status is not None:
        return f"status_{fault.status}"
    if fault.drop_after is not None:
        return "dropped_connection"
    if fault.bad_length is not None:
        return "wrong_content_length"
    if fault.trickle is not None:
        return "trickle"
    return "delay"
