"""Profile settings: regions, accounts, explicit URLs, and clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from reportbridge.errors import ConfigurationError, ValidationError
from reportbridge.plugins import PluginRegistry
from reportbridge_explore import ExploreProvider, ExploreSettings

CREDS = {"client_id": "cid", "client_secret": "s3cret-value-xyz"}


def parse(**raw: Any) -> ExploreSettings:
    settings = ExploreProvider().parse_settings("prof", {**CREDS, **raw})
    assert isinstance(settings, ExploreSettings)
    return settings


@pytest.mark.parametrize(
    ("region", "api", "token"),
    [
        ("us", "https://api.talkdeskapp.com", "https://acme.talkdeskid.com/oauth/token"),
        ("EU", "https://api.talkdeskapp.eu", "https://acme.talkdeskid.eu/oauth/token"),
        ("ca", "https://api.talkdeskappca.com", "https://acme.talkdeskidca.com/oauth/token"),
    ],
)
def test_region_and_account_give_both_hosts(region: str, api: str, token: str) -> None:
    s = parse(region=region, account="Acme")
    assert (s.api_base, s.token_endpoint) == (api, token)
    assert s.scope == "data-reports:read data-reports:write"


def test_explicit_urls_win_and_au_needs_a_base_url() -> None:
    s = parse(base_url="https://gw.example.com/td", token_url="https://id.example.com/t")
    assert (s.api_base, s.token_endpoint) == (
        "https://gw.example.com/td",
        "https://id.example.com/t",
    )
    au = parse(region="au", account="acme", base_url="https://api.example.au")
    assert au.token_endpoint == "https://acme.talkdeskid.au/oauth/token"
    with pytest.raises(ConfigurationError, match="no published API host; set base_url"):
        parse(region="au", account="acme")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"account": "acme"}, "set region (ca, eu, us) or base_url"),
        ({"region": "us"}, "set account (with region)"),
        ({"base_url": "https://x.example"}, "or set token_url"),
        ({"region": "mars", "account": "a"}, "region 'mars' is unknown; accepted: au, ca, eu, us"),
        ({"region": "us", "account": "a.evil.com/x"}, "account must be the account's subdomain"),
        ({"region": "us", "account": "a", "scopes": []}, "scopes must be a non-empty list"),
        (
            {"region": "us", "account": "a", "default_format": "xml"},
            "accepted: csv, json, json_bulk",
        ),
        ({"region": "us", "account": "a", "extra_report_types": ["../x"]}, "path segments"),
        ({"region": "us", "account": "a", "list_page_size": 0}, "list_page_size"),
        ({"region": "us", "account": "a", "colour": "blue"}, "unknown setting(s) colour"),
    ],
)
def test_bad_settings_are_refused_clearly(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse(**raw)
    assert message in str(info.value)
    assert "prof" in str(info.value)
    assert CREDS["client_secret"] not in str(info.value)


def test_missing_credentials_are_named() -> None:
    with pytest.raises(ConfigurationError, match="client_secret"):
        ExploreProvider().parse_settings("p", {"client_id": "c", "region": "us", "account": "a"})


def test_secret_stays_out_of_repr() -> None:
    assert CREDS["client_secret"] not in repr(parse(region="us", account="a"))


def test_plain_http_is_refused_off_loopback(make_reports: Any) -> None:
    reports = make_reports(
        {
            "p": {
                "provider": "explore",
                **CREDS,
                "base_url": "http://api.example.com",
                "token_url": "https://id.example.com/oauth/token",
            }
        }
    )
    with pytest.raises(ValidationError, match="only https is accepted"):
        reports.session("p")


def test_extra_report_types_extend_the_known_list() -> None:
    provider = ExploreProvider()
    assert provider.capabilities().report_type("audit_logs") is None
    provider.parse_settings(
        "p", {**CREDS, "region": "us", "account": "a", "extra_report_types": ["audit_logs"]}
    )
    spec = provider.capabilities().report_type("audit_logs")
    assert spec is not None and spec.formats == ("csv", "json", "json_bulk")


def test_registered_through_the_entry_point() -> None:
    provider = PluginRegistry().provider("explore")
    assert provider.display_name == "Talkdesk Explore"
    assert provider.default_max_active_jobs == 15
    caps = provider.capabilities()
    assert [t.name for t in caps.report_types] == [
        "calls",
        "explore_calls",
        "contacts",
        "user_status",
        "ring_attempts",
        "studio_flow_execution",
    ]
    assert caps.cancel and caps.list


def test_space_separated_strings_are_lists() -> None:
    s = parse(region="us", account="a", scopes="data-reports:read", extra_report_types="x_y, z")
    assert s.scopes == ["data-reports:read"]
    assert s.extra_report_types == ["x_y", "z"]
