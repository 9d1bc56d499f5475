"""When and how long to wait before trying a request again."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import attrs

from reportbridge.transport.limits import check_number, check_whole


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with full jitter, bounded attempts, bounded server waits.

    ``max_retry_after`` caps how long a Retry-After is honoured; a longer ask is
    surfaced as an error rather than silently blocking for hours.
    """

    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 1200.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def __attrs_post_init__(self) -> None:
        check_whole("transport.max_attempts", self.max_attempts, 1)
        for name in ("backoff_initial", "backoff_max", "max_retry_after"):
            check_number(f"transport.{name}", getattr(self, name), 0, inclusive=True)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based), with full jitter."""
        ceiling = min(self.backoff_max, self.backoff_initial * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)
