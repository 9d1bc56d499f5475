"""TLS settings: verification always on, TLS 1.2 at least, optional CA bundle."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from reportbridge.errors import ConfigurationError, ValidationError


def make_ssl_context(ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """A client context that verifies certificates and host names, TLS >= 1.2."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if ca_bundle is not None:
        path = Path(ca_bundle).expanduser()
        if not path.is_file():
            raise ConfigurationError(
                f"ca_bundle {str(path)!r} is not a readable file; give the path of a PEM file "
                "with the CA certificates to trust"
            )
        try:
            ctx.load_verify_locations(cafile=str(path))
        except ssl.SSLError as exc:
            raise ConfigurationError(
                f"ca_bundle {str(path)!r} holds no usable PEM certificate ({exc.reason})"
            ) from None
    return ctx


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url_allowed(url: str, *, what: str = "URL") -> None:
    """Accept https anywhere and http only to loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return
    if parts.scheme == "http":
        raise ValidationError(
            f"{what} {parts.scheme}://{parts.hostname}... uses plain http; only https is "
            "accepted, except for loopback addresses (127.0.0.0/8, ::1, localhost)",
            field="url",
        )
    raise ValidationError(
        f"{what} must be an absolute https URL (http is accepted for loopback only); got "
        f"scheme {parts.scheme or '(none)'!r}",
        field="url",
    )


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)
