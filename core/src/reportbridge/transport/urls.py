"""What a URL's origin is, decided by the parser that connects (urllib3's).

Deciding "same origin?" or "loopback?" with one parser and connecting with another
lets a crafted URL pass a check for one host and reach another: in
``http://127.0.0.2:9\\@127.0.0.1:8/x`` the standard library reads host 127.0.0.1 and
urllib3 connects to 127.0.0.2. So a URL is accepted only when

- it is an absolute ``http``/``https`` URL without user information (``user@``),
  backslashes, whitespace or control characters anywhere;
- its host is ASCII (write international names in their ``xn--`` form): letters,
  digits, dots and hyphens, or a bracketed IPv6 address; its port is 1-65535;
- ``urllib.parse`` and urllib3 read the same scheme, host and port.

Anything else is a :class:`~reportbridge.errors.ValidationError` that names what was
wrong and never repeats the URL (its query string may be a signature).

>>> parse_origin("https://Tenant.Example.com/v3/reports")
Origin(scheme='https', host='tenant.example.com', port=443)
>>> same_origin("http://127.0.0.2:9\\\\@127.0.0.1:8/x", "http://127.0.0.1:8/")
False
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

from reportbridge.errors import ValidationError

DEFAULT_PORTS = {"http": 80, "https": 443}
# C0 and C1 controls, DEL, any Unicode space, and the backslash some parsers take for "/"
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\]|\s")
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")


class Origin(NamedTuple):
    """Scheme, host (lower case; IPv6 in brackets) and port (the default filled in)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_origin(url: str, *, what: str = "URL") -> Origin:
    """The origin urllib3 would connect to for ``url``; refuses ambiguous URLs."""
    if not isinstance(url, str):
        raise _refused(what, f"it must be a string, not {type(url).__name__}")
    check_text(url, what=what)
    try:
        split = urlsplit(url)
        std_port = split.port
    except ValueError:
        raise _refused(what, "it cannot be parsed as a URL") from None
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _refused(
            what,
            f"it must be an absolute https URL (http for loopback only); got scheme "
            f"{scheme or '(none)'!r}",
        )
    if "@" in split.netloc:
        raise _refused(what, "it carries user information (user@ or user:password@)")
    if not split.netloc.isascii():
        raise _refused(what, "its host is not ASCII; write an international name in its xn-- form")
    connects = _urllib3_origin(url, what)
    host = (split.hostname or "").lower()
    std = Origin(
        scheme,
        f"[{host}]" if ":" in host else host,
        DEFAULT_PORTS[scheme] if std_port is None else std_port,
    )
    if connects != std:
        raise _refused(what, "its scheme, host or port read differently to different URL parsers")
    if not (_HOST_NAME.fullmatch(connects.host) or _is_ipv6(connects.host)):
        raise _refused(what, "its host must be letters, digits, dots and hyphens, or [IPv6]")
    if not 0 < connects.port < 65536:
        raise _refused(what, "its port must be 1-65535")
    return connects


def check_text(text: str, *, what: str = "URL") -> None:
    """Refuse a URL or URL reference (a Location) holding whitespace, controls or ``\\``."""
    if _FORBIDDEN.search(text):
        raise _refused(what, "it contains whitespace, a control character or a backslash")


def _refused(what: str, problem: str) -> ValidationError:
    return ValidationError(f"{what} is refused: {problem}", field="url")


def _urllib3_origin(url: str, what: str) -> Origin:
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise _refused(what, "it cannot be parsed as a URL") from None
    if parsed.auth is not None:
        raise _refused(what, "it carries user information (user@ or user:password@)")
    scheme = (parsed.scheme or "").lower()
    host = (parsed.host or "").lower()
    if not host:
        raise _refused(what, "it names no host")
    port = DEFAULT_PORTS.get(scheme, 0) if parsed.port is None else parsed.port
    return Origin(scheme, host, port)


def _is_ipv6(host: str) -> bool:
    if not _IPV6.fullmatch(host):
        return False
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return False
    return True


def same_origin(a: str, b: str) -> bool:
    """True when both URLs are accepted and reach the same scheme, host and port."""
    try:
        return parse_origin(a) == parse_origin(b)
    except ValidationError:
        return False


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1, localhost and ``*.localhost`` (in the form urllib3 gives)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url_allowed(url: str, *, what: str = "URL") -> Origin:
    """Accept https anywhere and plain http only to loopback; returns the origin."""
    origin = parse_origin(url, what=what)
    if origin.scheme == "http" and not is_loopback_host(origin.host):
        raise ValidationError(
            f"{what} http://{origin.host}... uses plain http; only https is accepted, except "
            "for loopback addresses (127.0.0.0/8, ::1, localhost)",
            field="url",
        )
    return origin


__all__ = [
    "DEFAULT_PORTS",
    "Origin",
    "check_text",
    "check_url_allowed",
    "is_loopback_host",
    "parse_origin",
    "same_origin",
]
