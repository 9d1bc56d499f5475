"""HTTP transport shared by every provider: pools, TLS, retries, rate limits, auth."""

from reportbridge.transport.auth import (
    NoAuth,
    OAuth2ClientCredentials,
    StaticBearerToken,
    TokenSource,
)
from reportbridge.transport.http import HttpClient, HttpResponse, TransportOptions
from reportbridge.transport.ratelimit import RateLimit, RateLimiter
from reportbridge.transport.retry import RetryPolicy, parse_retry_after

__all__ = [
    "HttpClient",
    "HttpResponse",
    "NoAuth",
    "OAuth2ClientCredentials",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "StaticBearerToken",
    "TokenSource",
    "TransportOptions",
    "parse_retry_after",
]
