"""Profile settings of a SpaceONE (Cloudforet) deployment."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any

import attrs

from reportbridge.errors import ConfigurationError, accepted
from reportbridge_spaceone.status import PROVIDER

API_STYLES = ("rest", "gateway")
VERB = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
#: SpaceONE's report ids: ``report-`` and 12 hex digits (its id generator's shape)
REPORT_ID = re.compile(r"report-[0-9a-f]{12}")
EXAMPLE_REPORT_ID = "report-4f2a9c1d7b30"
MAX_PAGE_SIZE = 1000


@attrs.frozen
class SpaceoneSettings:
    """``[profiles.NAME]`` keys for ``provider = "spaceone"``.

    - ``base_url``: the deployment's REST endpoint (self-hosted or SaaS).
    - ``token``: a pre-issued JWT (API key or app secret), sent as a Bearer token.
    - ``domain_id``: sent with every request; read from the token's ``did`` claim
      when omitted.
    - ``api_style``: ``"rest"`` (the protobuf HTTP bindings, ``/report/v1/...``) or
      ``"gateway"`` (the console API gateway, ``POST /report/report/{verb}``).
    - ``gateway_download_verb``: the gateway verb of ``get_download_url``.
    - ``list_page_size``: reports asked for per page when listing.
    - ``strict_ids``: report ids must be ``report-`` and 12 hex digits; false accepts any
      id that can be one path segment (percent-encoded), for deployments that differ.
    """

    base_url: str
    token: str = attrs.field(repr=False)
    domain_id: str | None = None
    api_style: str = "rest"
    gateway_download_verb: str = "get-download-url"
    list_page_size: int = 100
    strict_ids: bool = True


def id_shape(settings: SpaceoneSettings) -> dict[str, Any]:
    """How report ids are checked: the keyword arguments of ``path_segment``/``vendor_id``."""
    return {
        "pattern": REPORT_ID if settings.strict_ids else None,
        "example": EXAMPLE_REPORT_ID,
    }


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without verifying it (the server verifies); {} if not a JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return {}
    body = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def complete_settings(profile: str, settings: SpaceoneSettings) -> SpaceoneSettings:
    """Check the values and fill ``domain_id`` from the token when the profile omits it."""

    def bad(message: str) -> ConfigurationError:
        return ConfigurationError(
            f"profile {profile!r} (provider {PROVIDER!r}): {message}", provider=PROVIDER
        )

    if not settings.token.strip():
        raise bad("token is empty; set the API key (a JWT) issued by the SpaceONE console")
    if settings.api_style not in API_STYLES:
        raise bad(f"api_style {settings.api_style!r} is unknown; accepted: {accepted(API_STYLES)}")
    if not VERB.fullmatch(settings.gateway_download_verb):
        raise bad(
            f"gateway_download_verb {settings.gateway_download_verb!r} must be one path segment "
            "of letters, digits, '-' or '_' (default get-download-url)"
        )
    if not 1 <= settings.list_page_size <= MAX_PAGE_SIZE:
        raise bad(f"list_page_size must be between 1 and {MAX_PAGE_SIZE}")
    domain = (settings.domain_id or "").strip()
    if not domain:
        claim = token_claims(settings.token).get("did")
        domain = claim.strip() if isinstance(claim, str) else ""
    if not domain:
        raise bad(
            "domain_id is missing and the token carries no 'did' claim; set domain_id "
            "(e.g. domain-58eb06a4dcd7)"
        )
    return attrs.evolve(settings, domain_id=domain)


def token_expiry_hint(token: str) -> str:
    """A phrase for authentication errors when the token's ``exp`` claim is in the past."""
    exp = token_claims(token).get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and exp < time.time():
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
        return f"; the token expired at {when}, issue a new API key"
    return ""
