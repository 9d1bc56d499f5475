"""HTTP transport shared by every provider: pools, TLS, retries, rate limits, auth.

Names load on first use: ``reportbridge.transport.ratelimit`` (or a config read) does not
pull in urllib3 and ssl, which only an HTTP client needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportbridge.transport.auth import (
        NoAuth,
        OAuth2ClientCredentials,
        StaticBearerToken,
        StaticHeaders,
        TokenSource,
    )
    from reportbridge.transport.deadline import deadline_after
    from reportbridge.transport.http import HttpClient, HttpResponse
    from reportbridge.transport.options import TransportOptions
    from reportbridge.transport.ratelimit import RateLimit, RateLimiter
    from reportbridge.transport.retry import RetryPolicy, parse_retry_after
    from reportbridge.transport.urls import Origin, check_url_allowed, parse_origin, same_origin

_WHERE = {
    "HttpClient": "http",
    "Origin": "urls",
    "check_url_allowed": "urls",
    "deadline_after": "deadline",
    "parse_origin": "urls",
    "same_origin": "urls",
    "HttpResponse": "http",
    "NoAuth": "auth",
    "OAuth2ClientCredentials": "auth",
    "RateLimit": "ratelimit",
    "RateLimiter": "ratelimit",
    "RetryPolicy": "retry",
    "StaticBearerToken": "auth",
    "StaticHeaders": "auth",
    "TokenSource": "auth",
    "TransportOptions": "options",
    "parse_retry_after": "retry",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'reportbridge.transport' has no attribute {name!r}")
    return getattr(importlib.import_module(f"reportbridge.transport.{module}"), name)


__all__ = [
    "HttpClient",
    "HttpResponse",
    "NoAuth",
    "OAuth2ClientCredentials",
    "Origin",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "StaticBearerToken",
    "StaticHeaders",
    "TokenSource",
    "TransportOptions",
    "check_url_allowed",
    "deadline_after",
    "parse_origin",
    "parse_retry_after",
    "same_origin",
]
