"""Profile settings of the tenable provider."""

from __future__ import annotations

import attrs

from reportbridge.errors import ConfigurationError, ValidationError, accepted
from reportbridge.transport.tls import check_url_allowed
from reportbridge_tenable.status import PROVIDER

DEFAULT_BASE_URL = "https://cloud.tenable.com"
#: the export kinds this provider runs (path prefixes: ``/vulns/export``, ``/assets/export``)
KINDS = ("vulns", "assets")
DUPLICATE_POLICIES = ("adopt", "error")
#: characters that would break the ``accessKey=...;secretKey=...;`` syntax
_KEY_BREAKERS = frozenset(";= \t\r\n")


@attrs.frozen
class TenableSettings:
    """A ``[profiles.NAME]`` table with ``provider = "tenable"``.

    - ``access_key``, ``secret_key``: the API key pair of a Tenable user (both are secrets).
    - ``base_url``: the Tenable Vulnerability Management API (default cloud.tenable.com).
    - ``export_kinds``: the exports this profile may run and list (``vulns``, ``assets``);
      narrow it when the keys' user lacks one of the export permissions.
    - ``on_duplicate``: what a 409 (an identical export is already running) means:
      ``"adopt"`` follows the running export (the job says so in its warnings), ``"error"``
      raises.
    """

    access_key: str = attrs.field(repr=False)
    secret_key: str = attrs.field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    export_kinds: list[str] = attrs.field(factory=lambda: list(KINDS))
    on_duplicate: str = "adopt"

    @property
    def api_keys(self) -> str:
        """The value of the ``X-ApiKeys`` header."""
        return f"accessKey={self.access_key};secretKey={self.secret_key};"


def check_settings(profile: str, s: TenableSettings) -> TenableSettings:
    """Refuse settings that cannot reach the vendor, naming what is accepted (never a key)."""

    def bad(text: str) -> ConfigurationError:
        return ConfigurationError(
            f"profile {profile!r} (provider {PROVIDER!r}): {text}", provider=PROVIDER
        )

    for name in ("access_key", "secret_key"):
        value = getattr(s, name)
        if not value.strip():
            raise bad(f"{name} is empty; set the API key pair generated for a Tenable user")
        if any(c in _KEY_BREAKERS or not c.isprintable() or not c.isascii() for c in value):
            raise bad(
                f"{name} holds a space, ';', '=', a line break or a non-ASCII character; "
                "Tenable keys are 64 hexadecimal characters"
            )
    try:
        check_url_allowed(s.base_url, what="base_url")
    except ValidationError as exc:
        raise bad(exc.message) from None
    kinds = [k.strip().lower() for k in s.export_kinds]
    wrong = [k for k in kinds if k not in KINDS]
    if not kinds or wrong:
        raise bad(f"export_kinds {s.export_kinds!r} is not a list drawn from {accepted(KINDS)}")
    if s.on_duplicate not in DUPLICATE_POLICIES:
        raise bad(
            f"on_duplicate {s.on_duplicate!r} is unknown; accepted: {accepted(DUPLICATE_POLICIES)}"
        )
    return attrs.evolve(s, export_kinds=list(dict.fromkeys(kinds)), base_url=s.base_url.rstrip("/"))
