"""Per-profile transport settings, kept apart from the HTTP client so that reading a
config does not import urllib3 and ssl (they load when the first client is built).

Every limit is checked when the options are made: a timeout of 0, NaN or infinity, or a
user agent that would split a header line, is a :class:`ConfigurationError` naming
the setting and what is accepted.
"""

from __future__ import annotations

import attrs

from reportbridge._version import __version__
from reportbridge.errors import ConfigurationError
from reportbridge.transport.headers import header_problem
from reportbridge.transport.limits import check_number, check_whole
from reportbridge.transport.ratelimit import RateLimit
from reportbridge.transport.retry import RetryPolicy

#: 8 MiB: ten times the largest answer the built-in vendors send (a 1,000-job listing
#: page is under 1 MiB), small enough that a full pool of hostile answers stays bounded
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024

#: setting -> (smallest accepted, whether that bound itself is accepted)
SECONDS = {
    "connect_timeout": (0.0, False),
    "read_timeout": (0.0, False),
    "request_timeout": (0.0, False),
    "stall_timeout": (0.0, False),
}


@attrs.frozen
class TransportOptions:
    """Per-profile transport settings (the ``[profiles.NAME.transport]`` table).

    - ``connect_timeout``, ``read_timeout``: seconds for a connection, and for each read
      from the socket.
    - ``request_timeout``: seconds for one whole exchange (connect, send, the answer's
      headers and, unless streamed, its body). A server trickling a byte at a time is
      cut off here, however short each read is.
    - ``stall_timeout``: a streamed download that receives no byte for this many seconds
      fails (and is resumed or started again; nothing partial is kept).
    - ``max_body_bytes``: the largest API answer read (after decoding gzip/deflate);
      larger is :class:`~reportbridge.errors.ResponseTooLargeError`. Downloads have no cap.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    ca_bundle: str | None = None
    pool_maxsize: int = 10
    max_redirects: int = 5
    rate_limit: RateLimit | None = None
    user_agent: str = f"reportbridge/{__version__}"
    request_timeout: float = 120.0
    stall_timeout: float = 60.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __attrs_post_init__(self) -> None:
        for name, (low, inclusive) in SECONDS.items():
            check_number(f"transport.{name}", getattr(self, name), low, inclusive=inclusive)
        check_whole("transport.max_body_bytes", self.max_body_bytes, 1)
        check_whole("transport.pool_maxsize", self.pool_maxsize, 1)
        check_whole("transport.max_redirects", self.max_redirects, 0)
        problem = header_problem("User-Agent", self.user_agent)
        if problem is not None:
            raise ConfigurationError(f"transport.user_agent cannot be sent: {problem}")


__all__ = ["DEFAULT_MAX_BODY_BYTES", "SECONDS", "TransportOptions"]
