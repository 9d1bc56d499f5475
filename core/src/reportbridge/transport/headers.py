"""Request headers: checked before anything is sent, and pared down for other origins.

A header value holding a line break would split the request (or make the HTTP library
raise an error that quotes the value: a token in clear). Every value is checked
first; the error names the header, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reportbridge.errors import ValidationError

_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# RFC 9110 field values: visible characters, spaces and tabs, no other control character
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

#: headers that may follow a redirect to another origin; everything else (credentials,
#: cookies, API keys, anything a provider or an auth source added) stays behind
PORTABLE = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "range",
        "user-agent",
    }
)


def header_problem(name: object, value: object) -> str | None:
    """Why ``name: value`` cannot be sent, or None when it can (never quotes the value)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return "its name is not a valid header name"
    if not isinstance(value, str):
        return f"its value is a {type(value).__name__}, not a string"
    if _BAD_VALUE.search(value):
        return "its value holds a line break or another control character"
    if not value.isascii() and not _latin1(value):
        return "its value holds characters outside Latin-1"
    return None


def check_headers(headers: Mapping[str, str], *, what: str) -> None:
    """Raise :class:`ValidationError` naming the first header that cannot be sent."""
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None:
            shown = name if isinstance(name, str) and _NAME.fullmatch(name) else repr(name)[:40]
            raise ValidationError(
                f"{what}: header {shown} cannot be sent: {problem}; nothing was sent",
                field=shown,
            )


def portable(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers that may go to an origin other than the one the caller addressed."""
    return {k: v for k, v in headers.items() if k.lower() in PORTABLE}


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


__all__ = ["PORTABLE", "check_headers", "header_problem", "portable"]
