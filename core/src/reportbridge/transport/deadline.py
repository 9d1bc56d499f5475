"""Hard deadlines for whole operations (``Reports.wait``, ``Reports.fetch``).

A deadline is a point in ``time.monotonic()`` set for a block of code with
:func:`deadline_after`. It is held in a :mod:`contextvars` variable, so each thread
(and each asyncio task) has its own: two threads waiting on two jobs never share or
overwrite a deadline. Inside the block, the HTTP client of every provider

- sends nothing once the deadline has passed (:class:`DeadlineExceededError`);
- caps connect and read timeouts, and the total time of each exchange, at the
  deadline (a watchdog ends a read that is still blocked when it comes);
- never sleeps for a retry, a Retry-After or the rate limit past it: a retry that
  cannot happen in time is given up and the last answer or error is returned.

Nested blocks keep the earlier of the two deadlines.

```python
from reportbridge.transport.deadline import deadline_after

with deadline_after(30):            # every request in here ends within 30 s from now
    job = session.refresh(job)
```
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Iterator

from reportbridge.errors import DeadlineExceededError, ValidationError

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "reportbridge_deadline", default=None
)


def check_timeout(value: object, *, field: str = "timeout") -> float | None:
    """``value`` as a number of seconds (None: no limit); NaN, infinite, negative or a
    non-number is a :class:`ValidationError` naming ``field``."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValidationError(
            f"{field} must be a finite number of seconds >= 0, or None for no limit; got {value!r}",
            field=field,
        )
    return float(value)


@contextlib.contextmanager
def deadline_after(seconds: float | None) -> Iterator[float | None]:
    """Within the block, the deadline is ``seconds`` from now (or an earlier one already
    set); ``None`` keeps whatever deadline is set. Yields the deadline in force."""
    seconds = check_timeout(seconds)
    if seconds is None:
        yield _deadline.get()
        return
    at = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(at if outer is None else min(at, outer))
    try:
        yield _deadline.get()
    finally:
        _deadline.reset(token)


def current() -> float | None:
    """The deadline in force (``time.monotonic()`` value), or None."""
    return _deadline.get()


def remaining() -> float | None:
    """Seconds left before the deadline (<= 0 once passed), or None without a deadline."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()


def expired() -> bool:
    left = remaining()
    return left is not None and left <= 0


def check(what: str) -> None:
    """Raise :class:`DeadlineExceededError` naming ``what`` once the deadline has passed."""
    if expired():
        raise DeadlineExceededError(f"{what}: the deadline passed before it could be sent")


def fits(delay: float) -> bool:
    """True when waiting ``delay`` seconds still ends before the deadline."""
    left = remaining()
    return left is None or delay < left


__all__ = ["check", "check_timeout", "current", "deadline_after", "expired", "fits", "remaining"]
