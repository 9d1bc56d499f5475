"""Profile settings of the SailPoint provider and the API paths they lead to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from reportbridge.errors import ConfigurationError, accepted

PROVIDER = "sailpoint"

#: Annual versions put the version before ``/reports``; the per-service form puts it after.
ANNUAL_VERSIONS = ("v3", "v2024", "v2025", "v2026", "beta")
PER_SERVICE_VERSIONS = ("reports/v1",)
API_VERSIONS = ANNUAL_VERSIONS + PER_SERVICE_VERSIONS
DEFAULT_API_VERSION = "v3"


@attrs.frozen
class SailPointSettings:
    """A profile of a SailPoint Identity Security Cloud tenant.

    ``base_url`` is the tenant's API root (``https://{tenant}.api.identitynow.com`` or a
    vanity host), without a version: the version is ``api_version``.
    """

    base_url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    token_url: str | None = None
    auditable_downloads: bool = False
    #: task result ids must be 32 lowercase hex digits (the vendor's shape); false accepts
    #: any id that can be one path segment, percent-encoded (should the shape ever change)
    strict_ids: bool = True

    @property
    def effective_token_url(self) -> str:
        return self.token_url or f"{self.base_url}/oauth/token"

    @property
    def reports_path(self) -> str:
        """The path of the reports resource under ``base_url`` (no leading slash)."""
        return reports_path(self.api_version)


def reports_path(api_version: str) -> str:
    if api_version in PER_SERVICE_VERSIONS:
        return api_version
    return f"{api_version}/reports"


def check_raw_settings(profile: str, raw: Mapping[str, Any]) -> None:
    """What cattrs would coerce silently (it turns any string into True)."""
    for name in ("auditable_downloads", "strict_ids"):
        if name in raw and not isinstance(raw[name], bool):
            raise ConfigurationError(
                f"profile {profile!r} (provider {PROVIDER!r}): {name} must be true or false",
                provider=PROVIDER,
            )


def check_settings(profile: str, settings: SailPointSettings) -> SailPointSettings:
    """Normalise and check what cattrs cannot: the version and the shape of the URLs."""
    where = f"profile {profile!r} (provider {PROVIDER!r})"
    version = settings.api_version.strip().strip("/").lower()
    if version not in API_VERSIONS:
        raise ConfigurationError(
            f"{where}: api_version {settings.api_version!r} is not known; accepted: "
            f"{accepted(API_VERSIONS)}",
            provider=PROVIDER,
        )
    base_url = settings.base_url.strip().rstrip("/")
    _check_url(where, "base_url", base_url)
    path = urlsplit(base_url).path.rstrip("/").lower()
    if path.rsplit("/", 1)[-1] in ANNUAL_VERSIONS or path.endswith(("/reports", "/reports/v1")):
        raise ConfigurationError(
            f"{where}: base_url must be the tenant API root without a version or /reports "
            f"(such as https://acme.api.identitynow.com); put the version in api_version "
            f"(accepted: {accepted(API_VERSIONS)})",
            provider=PROVIDER,
        )
    token_url = settings.token_url.strip() if settings.token_url else None
    if token_url:
        _check_url(where, "token_url", token_url)
    return attrs.evolve(settings, api_version=version, base_url=base_url, token_url=token_url)


def _check_url(where: str, name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{where}: {name} must be an absolute https URL such as "
            "https://acme.api.identitynow.com",
            provider=PROVIDER,
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"{where}: {name} must not carry a query string or fragment", provider=PROVIDER
        )


__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "PROVIDER",
    "SailPointSettings",
    "check_raw_settings",
    "check_settings",
    "reports_path",
]
