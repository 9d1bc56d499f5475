"""Profile settings of the Acme provider: a ``[profiles.NAME]`` table with ``provider = "acme"``."""

from __future__ import annotations

import re

import attrs

from reportbridge.errors import ConfigurationError, ValidationError
from reportbridge.provider import secret_field
from reportbridge.transport import check_url_allowed
from reportbridge_acme.status import PROVIDER

DEFAULT_BASE_URL = "https://api.acme.example"
_PIN = re.compile(r"[0-9]{4,12}")


@attrs.frozen
class AcmeSettings:
    """- ``api_key``: the key of an Acme API client (a secret).
    - ``pin``: the account PIN Acme asks for with every request (a secret too, though
      nothing in its name says so).
    - ``base_url``: the Acme API root (default ``https://api.acme.example``).
    - ``list_page_size``: exports asked for per listing page, 1 to 200.
    """

    api_key: str = secret_field()
    pin: str = secret_field()
    base_url: str = DEFAULT_BASE_URL
    list_page_size: int = 50


def check_settings(profile: str, s: AcmeSettings) -> AcmeSettings:
    """What the types cannot say; every message names the setting, never a secret's value."""

    def bad(text: str) -> ConfigurationError:
        return ConfigurationError(
            f"profile {profile!r} (provider {PROVIDER!r}): {text}", provider=PROVIDER
        )

    if not _PIN.fullmatch(s.pin):
        raise bad("pin must be the account PIN: 4 to 12 digits")
    if not s.api_key.strip():
        raise bad("api_key is empty; create an API client in the Acme console")
    try:
        check_url_allowed(s.base_url, what="base_url")
    except ValidationError as exc:
        raise bad(exc.message) from None
    if not 1 <= s.list_page_size <= 200:
        raise bad(f"list_page_size must be between 1 and 200; got {s.list_page_size}")
    return attrs.evolve(s, base_url=s.base_url.rstrip("/"))
