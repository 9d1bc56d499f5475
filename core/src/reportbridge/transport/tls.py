"""TLS settings: verification always on, TLS 1.2 at least, optional CA bundle."""

from __future__ import annotations

import ssl
from pathlib import Path

from reportbridge.errors import ConfigurationError

# URL checks live in urls.py; these names stay importable from here for plugins.
from reportbridge.transport.urls import check_url_allowed, is_loopback_host
from reportbridge.transport.urls import parse_origin as origin_of


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


__all__ = ["check_url_allowed", "is_loopback_host", "make_ssl_context", "origin_of"]
