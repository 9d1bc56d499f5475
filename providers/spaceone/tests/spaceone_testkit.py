"""Constants shared by the spaceone tests (a unique module name: conftest is ambiguous)."""

from __future__ import annotations

from reportbridge.polling import PollPolicy
from reportbridge_spaceone.sim_store import CSV_TEMPLATE, PDF_TEMPLATE

FAST = PollPolicy(initial=0.03, backoff=1.3, cap=0.1, jitter=0.0)
PDF = PDF_TEMPLATE
CSV = CSV_TEMPLATE
#: fast client retries so fault tests stay quick
TRANSPORT = {"backoff_initial": 0.01, "backoff_max": 0.05, "max_attempts": 3}
