"""Profile settings of the explore provider and the URLs they lead to."""

from __future__ import annotations

import re

import attrs

from reportbridge.errors import ConfigurationError, accepted
from reportbridge_explore.status import PROVIDER

#: API hosts per region (AU has a token host but no published API host).
API_HOSTS = {
    "us": "https://api.talkdeskapp.com",
    "eu": "https://api.talkdeskapp.eu",
    "ca": "https://api.talkdeskappca.com",
}
#: Token hosts per region; ``{account}`` is the account's subdomain.
TOKEN_HOSTS = {
    "us": "https://{account}.talkdeskid.com",
    "eu": "https://{account}.talkdeskid.eu",
    "ca": "https://{account}.talkdeskidca.com",
    "au": "https://{account}.talkdeskid.au",
}
DEFAULT_SCOPES = ("data-reports:read", "data-reports:write")
FORMATS = ("csv", "json", "json_bulk")

_ACCOUNT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
REPORT_TYPE_SHAPE = re.compile(r"[a-z][a-z0-9_]{0,63}")


@attrs.frozen
class ExploreSettings:
    """A ``[profiles.NAME]`` table with ``provider = "explore"``."""

    client_id: str
    client_secret: str = attrs.field(repr=False)
    region: str | None = None
    base_url: str | None = None
    account: str | None = None
    token_url: str | None = None
    scopes: list[str] = attrs.field(factory=lambda: list(DEFAULT_SCOPES))
    extra_report_types: list[str] = attrs.field(factory=list)
    default_format: str = "csv"
    list_page_size: int = 50
    #: How many times fetch asks again when the files endpoint says "not ready yet".
    file_not_ready_retries: int = 3

    @property
    def api_base(self) -> str:
        if self.base_url:
            return self.base_url
        assert self.region is not None  # checked by check_settings
        return API_HOSTS[self.region]

    @property
    def token_endpoint(self) -> str:
        if self.token_url:
            return self.token_url
        assert self.region is not None and self.account is not None
        return TOKEN_HOSTS[self.region].format(account=self.account.lower()) + "/oauth/token"

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def check_settings(profile: str, s: ExploreSettings) -> ExploreSettings:
    """Refuse combinations that cannot reach the vendor, naming what is accepted."""

    def bad(text: str) -> ConfigurationError:
        return ConfigurationError(f"profile {profile!r} (provider {PROVIDER!r}): {text}")

    region = s.region.strip().lower() if s.region else None
    if region is not None and region not in TOKEN_HOSTS:
        raise bad(f"region {s.region!r} is unknown; accepted: {accepted(TOKEN_HOSTS)}")
    if not s.base_url and region is None:
        raise bad(f"set region ({accepted(API_HOSTS)}) or base_url to say which API to use")
    if not s.base_url and region not in API_HOSTS:
        raise bad(f"region {region!r} has no published API host; set base_url as well")
    if not s.token_url and (region is None or not s.account):
        raise bad(
            "set account (with region) to build https://ACCOUNT.talkdeskid.com/oauth/token, "
            "or set token_url"
        )
    if s.account and not _ACCOUNT.fullmatch(s.account):
        raise bad("account must be the account's subdomain: letters, digits and hyphens")
    if not s.scopes or not all(isinstance(x, str) and x.strip() for x in s.scopes):
        raise bad(f"scopes must be a non-empty list such as {list(DEFAULT_SCOPES)}")
    wrong = [t for t in s.extra_report_types if not REPORT_TYPE_SHAPE.fullmatch(t)]
    if wrong:
        raise bad(
            f"extra_report_types {wrong} are not report path segments; use lowercase "
            "letters, digits and underscores (e.g. audit_logs)"
        )
    if s.default_format not in FORMATS:
        raise bad(f"default_format {s.default_format!r} is unknown; accepted: {accepted(FORMATS)}")
    if not 1 <= s.list_page_size <= 1000:
        raise bad("list_page_size must be between 1 and 1000")
    if not 0 <= s.file_not_ready_retries <= 20:
        raise bad("file_not_ready_retries must be between 0 and 20")
    return attrs.evolve(s, region=region)


def is_report_type_name(name: str) -> bool:
    return bool(REPORT_TYPE_SHAPE.fullmatch(name))
