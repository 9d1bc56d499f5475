"""Ending a blocked exchange at its deadline.

urllib3's read timeout bounds each read from the socket, not the exchange: a server
that sends one byte a second never trips it, in the headers or in the body. So each
exchange gets an :class:`ExchangeGuard`: the connection registers its socket with the
guard of the thread that uses it when it starts waiting for the answer, and one
watchdog thread shuts that socket down if the guard's time comes first. The blocked
read then fails at once, and the guard says it fired, so the client reports a timeout
rather than a vendor that hung up (or, for a body without a length, a short body
taken as complete).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class _Watchdog:
    """One daemon thread calling functions at given ``time.monotonic()`` points."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def call_at(self, at: float, fn: Callable[[], None]) -> int:
        with self._cond:
            alarm = next(self._ids)
            heapq.heappush(self._heap, (at, alarm, fn))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rb-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][1] == alarm:
                # the dog sleeps until the earliest alarm: wake it only when that is this
                # one (every exchange arms one; waking it each time makes every request
                # queue for this lock behind it)
                self._cond.notify()
            return alarm

    def cancel(self, alarm: int) -> None:
        with self._cond:
            self._cancelled.add(alarm)
            # most alarms are cancelled long before their time: drop them in batches, so
            # the heap holds about as many entries as there are exchanges in flight
            if len(self._cancelled) > 256 and 2 * len(self._cancelled) > len(self._heap):
                self._heap = [e for e in self._heap if e[1] not in self._cancelled]
                heapq.heapify(self._heap)
                self._cancelled.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._cond.wait()
                    continue
                at, _alarm, fn = self._heap[0]
                left = at - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
            with contextlib.suppress(Exception):  # a failing callback must not stop the dog
                fn()


WATCHDOG = _Watchdog()


class ExchangeGuard:
    """Shuts the socket of one exchange down at ``at`` (None: never) unless released."""

    def __init__(self, at: float | None) -> None:
        self.at = at
        self.fired = False
        self._sock: socket.socket | None = None
        self._alarm: int | None = None
        self._done = False
        self._lock = threading.Lock()

    def watch(self, sock: Any) -> None:
        """Called by the connection once the request is sent and the answer awaited."""
        with self._lock:
            self._sock = sock if isinstance(sock, socket.socket) else None
            self._arm()

    def rearm(self, at: float | None) -> None:
        """Keep watching with a new time (a streamed body outlives its exchange's limit)."""
        with self._lock:
            self.at = at
            self._arm()

    def release(self) -> None:
        with self._lock:
            self._done = True
            self._disarm()

    def _arm(self) -> None:
        self._disarm()
        if self.at is not None and self._sock is not None and not self._done:
            self._alarm = WATCHDOG.call_at(self.at, self._fire)

    def _disarm(self) -> None:
        if self._alarm is not None:
            WATCHDOG.cancel(self._alarm)
            self._alarm = None

    def _fire(self) -> None:
        with self._lock:
            if self._done or self._sock is None:
                return
            self.fired = True
            sock = self._sock
        # the plain socket's shutdown, also under TLS: the blocked read returns at once
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


@contextlib.contextmanager
def guarding(guard: ExchangeGuard) -> Iterator[ExchangeGuard]:
    """Connections used by this thread within the block report their socket to ``guard``."""
    outer = getattr(_local, "guard", None)
    _local.guard = guard
    try:
        yield guard
    finally:
        _local.guard = outer


def _watch(conn: HTTPConnection) -> None:
    guard: ExchangeGuard | None = getattr(_local, "guard", None)
    if guard is not None:
        guard.watch(conn.sock)


class _GuardedHTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        _watch(self)
        return super().getresponse()


class _GuardedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _watch(self)
        return super().getresponse()


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


#: for ``PoolManager.pool_classes_by_scheme``
GUARDED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _GuardedHTTPPool,
    "https": _GuardedHTTPSPool,
}


def sock_of(raw: Any) -> socket.socket | None:
    """The socket a urllib3 response reads from, if it still holds one."""
    conn = getattr(raw, "connection", None)
    sock = getattr(conn, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


__all__ = ["GUARDED_POOLS", "WATCHDOG", "ExchangeGuard", "guarding", "sock_of"]
