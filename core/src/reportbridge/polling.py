"""How often to ask a vendor whether a job is done."""

from __future__ import annotations

import math
import random

import attrs

from reportbridge.errors import ConfigurationError


@attrs.frozen
class PollPolicy:
    """Start at ``initial`` seconds, multiply by ``backoff`` each poll, never above ``cap``.

    A server hint (Retry-After on a poll, a vendor's suggested interval) replaces the
    computed delay, bounded by ``cap`` and ``max_hint``. ``jitter`` spreads many jobs
    so they do not poll in lockstep.
    """

    initial: float = 1.0
    backoff: float = 1.5
    cap: float = 30.0
    jitter: float = 0.1
    max_hint: float = 300.0

    def __attrs_post_init__(self) -> None:
        values = (self.initial, self.backoff, self.cap, self.jitter, self.max_hint)
        if (
            not all(isinstance(v, int | float) and math.isfinite(v) for v in values)
            or self.initial <= 0
            or self.cap <= 0
            or self.backoff < 1
            or not 0 <= self.jitter < 1
            or self.max_hint < 0
        ):
            raise ConfigurationError(
                "polling needs finite numbers: initial > 0, cap > 0, backoff >= 1, "
                f"0 <= jitter < 1 and max_hint >= 0; got initial={self.initial}, "
                f"cap={self.cap}, backoff={self.backoff}, jitter={self.jitter}, "
                f"max_hint={self.max_hint}"
            )

    def delay(self, poll_number: int, hint: float | None = None) -> float:
        """Seconds to wait before poll ``poll_number`` (1 = the first poll after submit)."""
        if hint is not None and hint >= 0:
            return min(hint, self.max_hint)
        base = min(self.cap, self.initial * self.backoff ** max(0, poll_number - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))
