"""Which proxy a request takes: NO_PROXY's grammar, the environment's precedence, the
profile's proxy, and proxy credentials that never show."""

from __future__ import annotations

import pytest

from reportbridge import ConfigurationError, ValidationError
from reportbridge.logging import redact_text
from reportbridge.transport import TransportOptions
from reportbridge.transport.proxy import NoProxy, parse_proxy, proxy_rules
from reportbridge.transport.urls import parse_origin


def origin(url: str):  # type: ignore[no-untyped-def]
    return parse_origin(url)


@pytest.mark.parametrize(
    ("entries", "url", "bypassed"),
    [
        ("example.com", "https://example.com/x", True),
        ("example.com", "https://api.example.com/x", True),
        (".example.com", "https://example.com/x", True),
        (".example.com", "https://a.b.example.com/x", True),
        ("*.example.com", "https://a.example.com/x", True),
        ("example.com", "https://badexample.com/x", False),
        ("example.com", "https://example.com.evil.net/x", False),
        ("EXAMPLE.com.", "https://Api.Example.COM/x", True),
        ("10.0.0.0/8", "https://10.20.30.40/x", True),
        ("10.0.0.0/8", "https://11.0.0.1/x", False),
        ("10.0.0.0/8", "https://ten.example.com/x", False),
        ("192.168.1.5", "https://192.168.1.5:8443/x", True),
        ("0.1", "https://127.0.0.1/x", False),  # an address is never a "subdomain"
        ("fd00::/8", "https://[fd12::1]/x", True),
        ("::1", "https://[::1]/x", True),
        ("[::1]:8443", "https://[::1]:8443/x", True),
        ("[::1]:8443", "https://[::1]:9443/x", False),
        ("example.com:8443", "https://api.example.com:8443/x", True),
        ("example.com:8443", "https://api.example.com/x", False),
        ("*", "https://anything.example/x", True),
        ("a.com, b.com  c.com", "https://c.com/x", True),
        ("", "https://example.com/x", False),
    ],
)
def test_no_proxy_grammar(entries: str, url: str, bypassed: bool) -> None:
    assert NoProxy.parse(entries, source="NO_PROXY").matches(origin(url)) is bypassed


@pytest.mark.parametrize("entry", ["exa mple/com", "host:99999", "*.*", "a/b/c"])
def test_a_bad_no_proxy_entry_is_named(entry: str) -> None:
    with pytest.raises(ConfigurationError, match=r"transport\.no_proxy"):
        proxy_rules("http://proxy.example:3128", [entry], env={})


def test_lower_case_variables_win_and_http_proxy_is_not_used() -> None:
    env = {
        "https_proxy": "http://lower.example:3128",
        "HTTPS_PROXY": "http://upper.example:3128",
        "HTTP_PROXY": "http://plain.example:3128",
    }
    chosen = proxy_rules(None, None, env).for_origin(origin("https://api.vendor.com/"))
    assert chosen is not None and chosen.host == "lower.example"
    assert chosen.source == "$https_proxy"
    only_http = proxy_rules(None, None, {"HTTP_PROXY": "http://plain.example:3128"})
    assert only_http.for_origin(origin("https://api.vendor.com/")) is None


def test_all_proxy_is_the_fallback() -> None:
    rules = proxy_rules(None, None, {"ALL_PROXY": "http://all.example:8080"})
    chosen = rules.for_origin(origin("https://api.vendor.com/"))
    assert chosen is not None and chosen.url == "http://all.example:8080"


def test_no_proxy_from_the_environment_lower_case_first() -> None:
    env = {
        "HTTPS_PROXY": "http://proxy.example:3128",
        "no_proxy": "vendor.com",
        "NO_PROXY": "other.com",
    }
    rules = proxy_rules(None, None, env)
    assert rules.for_origin(origin("https://api.vendor.com/")) is None
    assert rules.for_origin(origin("https://api.other.com/")) is not None


def test_the_profile_proxy_wins_over_the_environment() -> None:
    env = {"HTTPS_PROXY": "http://env.example:3128", "NO_PROXY": "vendor.com"}
    rules = proxy_rules("http://profile.example:8080", None, env)
    chosen = rules.for_origin(origin("https://api.vendor.com/"))
    assert chosen is not None and chosen.host == "profile.example"  # NO_PROXY ignored
    assert proxy_rules("none", None, env).for_origin(origin("https://api.x.com/")) is None
    assert proxy_rules("NONE", None, env).proxy is None
    own = proxy_rules("http://profile.example:8080", ["vendor.com"], env)
    assert own.for_origin(origin("https://api.vendor.com/")) is None


def test_plain_http_never_goes_through_a_proxy() -> None:
    env = {"HTTPS_PROXY": "http://p.example:3128", "ALL_PROXY": "http://p.example:3128"}
    assert proxy_rules(None, None, env).for_origin(origin("http://127.0.0.1:8080/")) is None
    with pytest.raises(ValidationError, match="in clear") as info:
        proxy_rules("http://p.example:3128", None, {}).for_origin(origin("http://127.0.0.1:8/"))
    assert info.value.field == "proxy"
    listed = proxy_rules("http://p.example:3128", ["127.0.0.1"], {})
    assert listed.for_origin(origin("http://127.0.0.1:8/")) is None


def test_proxy_credentials_are_decoded_sent_only_as_a_header_and_redacted() -> None:
    spec = parse_proxy("http://alice:p%40ss-w0rd-91@proxy.example:3128", source="transport.proxy")
    assert (spec.username, spec.password) == ("alice", "p@ss-w0rd-91")
    assert spec.url == "http://proxy.example:3128"
    assert "p@ss" not in repr(spec) and "p@ss" not in spec.shown()
    header = spec.headers()["Proxy-Authorization"]
    assert header.startswith("Basic ")
    text = f"connect failed with {header} and p@ss-w0rd-91"
    assert "p@ss-w0rd-91" not in redact_text(text)
    assert header.split()[1] not in redact_text(text)
    options = TransportOptions(proxy="http://alice:p%40ss-w0rd-91@proxy.example:3128")
    assert "p%40ss" not in repr(options) and "proxy.example:3128" in repr(options)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("socks5://proxy.example:1080", "scheme 'socks5'"),
        ("http://proxy.example:3128/path", "path"),
        ("http://:secret-pass-1@proxy.example:3128", "without a user name"),
        ("http://proxy.example:99999", "URL"),
        ("", "empty"),
    ],
)
def test_a_bad_proxy_is_named_without_its_password(value: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as info:
        TransportOptions(proxy=value)
    assert "transport.proxy" in str(info.value)
    assert "secret-pass-1" not in str(info.value)


def test_a_bare_host_and_port_is_an_http_proxy() -> None:
    spec = parse_proxy("proxy.example:3128", source="$HTTPS_PROXY")
    assert spec.url == "http://proxy.example:3128"
