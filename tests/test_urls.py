"""One URL reading: origins and loopback are decided as urllib3 connects, and URLs the
parsers read differently are refused (tests/test_hostile_transport.py drives requests)."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from urllib3.util import parse_url

from reportbridge import ValidationError
from reportbridge.transport import HttpClient
from reportbridge.transport.tls import check_url_allowed as tls_check_url_allowed
from reportbridge.transport.urls import (
    check_url_allowed,
    is_loopback_host,
    parse_origin,
    same_origin,
)

AMBIGUOUS = [
    "http://127.0.0.2:9\\@127.0.0.1:8/x",  # urllib.parse: 127.0.0.1; urllib3: 127.0.0.2
    "http://127.0.0.2\\@127.0.0.1/x",
    "https://evil.example\\@api.example.com/",
    "http://user@127.0.0.1/x",  # user information
    "http://user:pass@127.0.0.1:8/x",
    "http://127.0.0.1:8@127.0.0.2:9/x",
    "http://127.0.0.1 :8/x",  # whitespace
    "http://127.0.0.1\t:8/x",
    "http://127.0.0.1\n/x",
    "http://127.0.0.1/x\r\nHost: evil",
    "http://127.0.0.1\x00.evil/x",
    "http://127.0.0.1/\u2028x",  # a Unicode line separator
    "http://127.0.0.1%2f@evil/x",
    "http://[::1/x",  # unclosed bracket
    "http://127.0.0.1:65536/x",
    "http://127.0.0.1:0/x",
    "http://127.0.0.1:8x/x",
    "http://ex\u0430mple.com/",  # a Cyrillic a
    "http:///x",
    "//127.0.0.1/x",
    "javascript:alert(1)",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_ambiguous_urls_are_refused_without_echo(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_origin(url, what="redirect target")
    assert "redirect target" in str(info.value)
    assert url not in str(info.value)  # never repeated: a query may be a signature
    assert not same_origin(url, "http://127.0.0.1:8/")
    with pytest.raises(ValidationError):
        HttpClient(url)


def test_the_reported_vector_reads_as_urllib3_connects() -> None:
    url = "http://127.0.0.2:9\\@127.0.0.1:8/x"
    assert urlsplit(url).hostname == "127.0.0.1"  # what the old check believed
    assert parse_url(url).host == "127.0.0.2"  # where urllib3 would connect
    assert not HttpClient("http://127.0.0.1:8").same_origin(url)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Tenant.Example.com/v3", ("https", "tenant.example.com", 443)),
        ("HTTPS://tenant.example.com:443/", ("https", "tenant.example.com", 443)),
        ("http://127.0.0.1:8080/a?b=c#d", ("http", "127.0.0.1", 8080)),
        ("http://[::1]:9/x", ("http", "[::1]", 9)),
        ("http://localhost/x", ("http", "localhost", 80)),
        ("https://a.example.com.:8443", ("https", "a.example.com.", 8443)),
        ("https://xn--bcher-kva.example/", ("https", "xn--bcher-kva.example", 443)),
    ],
)
def test_plain_urls_keep_working(url: str, origin: tuple[str, str, int]) -> None:
    assert parse_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:9\\@127.0.0.1:8/",  # http to loopback... as urllib.parse reads it
        "http://evil.example\\@127.0.0.1/",
        "http://127.0.0.1@evil.example/",
        "http://evil.example#@127.0.0.1/",
        "http://evil.example?@127.0.0.1/",
    ],
)
def test_plain_http_cannot_pass_as_loopback(url: str) -> None:
    with pytest.raises(ValidationError):
        check_url_allowed(url)
    with pytest.raises(ValidationError):
        tls_check_url_allowed(url)  # the old import path checks the same way


def test_loopback_is_decided_on_the_connected_host() -> None:
    assert is_loopback_host("[::1]") and is_loopback_host("127.9.9.9")
    assert is_loopback_host("app.localhost.")
    assert not is_loopback_host("127.0.0.1.evil.example")
    assert not is_loopback_host("localhost.evil.example")


# -- properties: any authority the two parsers read differently is refused -----------------
_PIECES = st.sampled_from(
    ["127.0.0.1", "127.0.0.2", "evil.example", "api.example.com", "[::1]", ":", ":8", ":9",
     "@", "\\", "/", "?", "#", "%2f", "%40", " ", "\t", "\n", ".", "..", "[", "]", "user",
     "pass", "\u3002", "\uff0e", "%00", "0x7f.1", "127.1"]
)  # fmt: skip


@given(st.lists(_PIECES, min_size=1, max_size=7), st.sampled_from(["http", "https", "HTTP"]))
def test_accepted_urls_read_alike_in_both_parsers(pieces: list[str], scheme: str) -> None:
    url = f"{scheme}://{''.join(pieces)}/path?q=1"
    try:
        origin = parse_origin(url)
    except ValidationError:
        return  # refused: nothing is ever sent there
    connects = parse_url(url)
    std = urlsplit(url)
    assert origin.host == (connects.host or "").lower()
    assert origin.host.strip("[]") == (std.hostname or "").lower()
    assert origin.port == (connects.port or {"http": 80, "https": 443}[origin.scheme])
    assert origin.port == (std.port or {"http": 80, "https": 443}[origin.scheme])
    assert "@" not in std.netloc and "\\" not in url


@given(st.text(max_size=40))
def test_any_text_is_accepted_or_a_validation_error(text: str) -> None:
    for url in (text, f"https://{text}", f"http://127.0.0.1/{text}"):
        with contextlib.suppress(ValidationError):
            parse_origin(url)
