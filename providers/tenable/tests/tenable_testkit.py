"""Shared values for the tenable provider tests (a uniquely named module, not conftest)."""

from __future__ import annotations

from reportbridge.polling import PollPolicy

FAST = PollPolicy(initial=0.03, backoff=1.3, cap=0.15, jitter=0.0)
FAST_PROFILE = {
    "polling": {"initial": 0.03, "backoff": 1.3, "cap": 0.15, "jitter": 0.0},
    "transport": {"backoff_initial": 0.02, "backoff_max": 0.1, "max_attempts": 3},
}
#: 2025-01-01T00:00:00Z
NEW_YEAR = 1_735_689_600
