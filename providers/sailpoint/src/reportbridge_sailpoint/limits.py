"""SailPoint's request budget.

SailPoint counts requests per ``client_id`` and API version, not per connection: the
session passes a ``rate_limit_key`` so that every profile (and every ``Reports``) using
the same API client and version draws on one limiter.
"""

from __future__ import annotations

from reportbridge.transport.ratelimit import RateLimit

#: 100 requests per 10 seconds per client id and API version
VENDOR_RATE_LIMIT = RateLimit(100, 10.0)

__all__ = ["VENDOR_RATE_LIMIT"]
