"""The transport's watchdog thread: alarms fire at their time, in any order of arming."""

from __future__ import annotations

import threading
import time

from reportbridge.transport.watchdog import _Watchdog


def test_an_earlier_alarm_armed_after_a_later_one_still_fires() -> None:
    """The dog is woken only for a new earliest alarm: one armed behind a far alarm must
    still wake it, and alarms behind the earliest fire in their turn."""
    dog = _Watchdog()
    fired: list[str] = []
    done = threading.Event()

    def note(name: str) -> None:
        fired.append(name)
        if len(fired) == 3:
            done.set()

    now = time.monotonic()
    dog.call_at(now + 3600, lambda: note("far"))  # the dog sleeps for an hour
    dog.call_at(now + 0.05, lambda: note("soon"))  # a new earliest: wakes it
    dog.call_at(now + 0.10, lambda: note("next"))  # behind it: no wake needed
    cancelled = dog.call_at(now + 0.08, lambda: note("cancelled"))
    dog.cancel(cancelled)
    dog.call_at(now + 0.15, lambda: note("last"))
    assert done.wait(30)
    assert fired == ["soon", "next", "last"]
