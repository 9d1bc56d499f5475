"""Per-profile transport settings, kept apart from the HTTP client so that reading a
config does not import urllib3 and ssl (they load when the first client is built)."""

from __future__ import annotations

import attrs

from reportbridge._version import __version__
from reportbridge.transport.ratelimit import RateLimit
from reportbridge.transport.retry import RetryPolicy


@attrs.frozen
class TransportOptions:
    """Per-profile transport settings (the ``[profiles.NAME.transport]`` table)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    ca_bundle: str | None = None
    pool_maxsize: int = 10
    max_redirects: int = 5
    rate_limit: RateLimit | None = None
    user_agent: str = f"reportbridge/{__version__}"


__all__ = ["TransportOptions"]
