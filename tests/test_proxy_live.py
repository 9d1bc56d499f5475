"""Proxies for real: proxy.py started by the tests, https through its CONNECT tunnel with
TLS verified end to end (trustme), Basic proxy authentication, NO_PROXY bypasses, and
the proxy's own log (plus every byte it received) showing what crossed it in clear."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from reportbridge import TransportError, ValidationError
from reportbridge.transport import HttpClient, OAuth2ClientCredentials, TransportOptions
from tests.proxykit import ForwardProxy, clear_authorization, tls_server_context
from tests.toy import ToySimulator

PROXY_USER, PROXY_PASSWORD = "px-user", "px-pass-7c1e44"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    with ForwardProxy(
        tmp_path_factory.mktemp("proxy"), user=PROXY_USER, password=PROXY_PASSWORD
    ) as server:
        yield server


@pytest.fixture
def tls_sim(ca: trustme.CA) -> Iterator[ToySimulator]:
    with ToySimulator(ssl_context=tls_server_context(ca, "127.0.0.1")) as sim:
        yield sim  # type: ignore[misc]


@pytest.fixture
def other_sim(ca: trustme.CA) -> Iterator[ToySimulator]:
    """A second vendor on another loopback address (another host for NO_PROXY)."""
    with ToySimulator(host="127.0.0.3", ssl_context=tls_server_context(ca, "127.0.0.3")) as sim:
        yield sim  # type: ignore[misc]


def client(sim: ToySimulator, ca_file: str, **opts: Any) -> HttpClient:
    auth = OAuth2ClientCredentials(f"{sim.base_url}/oauth/token", sim.client_id, sim.client_secret)
    return HttpClient(
        sim.base_url,
        auth=auth,
        options=TransportOptions(ca_bundle=ca_file, **opts),
        sleep=lambda s: None,
    )


def port_of(sim: ToySimulator) -> int:
    return int(sim.base_url.rsplit(":", 1)[1])


def secrets_of(sim: ToySimulator) -> list[str]:
    return [sim.client_secret, *sim.tokens]


def test_https_goes_through_connect_with_proxy_authentication(
    proxy: ForwardProxy, tls_sim: ToySimulator, ca_file: str
) -> None:
    before = len(proxy.requests())
    http = client(tls_sim, ca_file, proxy=proxy.url)
    resp = http.request("GET", "jobs")
    assert resp.status == 200
    assert http.proxy_for(tls_sim.base_url) is not None
    seen = proxy.requests()[before:]
    # the proxy's own log: one CONNECT to the vendor (token and API share the origin)
    assert [(r["method"], r["port"]) for r in seen] == [("CONNECT", port_of(tls_sim))]
    assert seen[0]["headers"]["proxy-authorization"].startswith("Basic")
    assert all("authorization" not in r["headers"] for r in seen)
    # and every byte it received: no credential of the vendor crossed it in clear
    assert not clear_authorization(proxy.received)
    assert proxy.leaks(secrets_of(tls_sim)) == []
    assert tls_sim.count("GET", "/jobs") == 1


def test_a_refused_proxy_password_is_a_clear_error_that_never_shows_it(
    proxy: ForwardProxy, tls_sim: ToySimulator, ca_file: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = f"http://{PROXY_USER}:wrong-pass-5d2a@{proxy.address}"
    http = client(tls_sim, ca_file, proxy=wrong)
    caplog.set_level(logging.DEBUG, logger="reportbridge")
    with pytest.raises(TransportError, match="407") as info:
        http.request("GET", "jobs")
    assert "wrong-pass-5d2a" not in str(info.value)
    assert "wrong-pass-5d2a" not in caplog.text
    assert tls_sim.requests == [], "nothing reached the vendor"


def test_no_proxy_sends_its_hosts_directly(
    proxy: ForwardProxy,
    tls_sim: ToySimulator,
    other_sim: ToySimulator,
    ca_file: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost, 127.0.0.3")
    before = len(proxy.requests())
    proxied = client(tls_sim, ca_file)
    direct = client(other_sim, ca_file)
    assert proxied.request("GET", "jobs").status == 200
    assert direct.request("GET", "jobs").status == 200
    seen = proxy.requests()[before:]
    assert {(r["host"], r["port"]) for r in seen} == {("127.0.0.1", port_of(tls_sim))}
    assert other_sim.count("GET", "/jobs") == 1  # it got there, and not through the proxy


def test_one_client_keeps_direct_and_proxied_connections_apart(
    proxy: ForwardProxy, tls_sim: ToySimulator, other_sim: ToySimulator, ca_file: str
) -> None:
    """The pool key includes the proxy: the same client reaches a storage host directly
    (no_proxy) and its API through the proxy, each on its own connections."""
    http = client(tls_sim, ca_file, proxy=proxy.url, no_proxy=["127.0.0.3"])
    before = len(proxy.requests())
    for _ in range(2):
        assert http.request("GET", "jobs").status == 200
        assert http.request("GET", f"{other_sim.base_url}/jobs", authenticate=False).status in (
            200,
            401,
        )
    seen = proxy.requests()[before:]
    assert {r["port"] for r in seen} == {port_of(tls_sim)}
    assert other_sim.count("GET", "/jobs") == 2


def test_plain_http_never_goes_through_the_environment_proxy(
    proxy: ForwardProxy, toy_sim: ToySimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url)
    before = len(proxy.requests())
    http = HttpClient(toy_sim.base_url)
    assert http.request("GET", "jobs").status in (200, 401)
    assert proxy.requests()[before:] == []


def test_a_profile_proxy_refuses_plain_http_before_sending(
    proxy: ForwardProxy, toy_sim: ToySimulator
) -> None:
    before = len(proxy.requests())
    http = HttpClient(toy_sim.base_url, options=TransportOptions(proxy=proxy.url))
    with pytest.raises(ValidationError, match="in clear"):
        http.request("GET", "jobs")
    assert proxy.requests()[before:] == []
    assert toy_sim.requests == []


def test_proxy_none_ignores_the_environment(
    proxy: ForwardProxy, tls_sim: ToySimulator, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    before = len(proxy.requests())
    http = client(tls_sim, ca_file, proxy="none")
    assert http.request("GET", "jobs").status == 200
    assert proxy.requests()[before:] == []


def test_an_unreachable_proxy_is_named_without_credentials(
    tls_sim: ToySimulator, ca_file: str, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = client(tls_sim, ca_file, proxy=f"http://u:gone-pass-3344@127.0.0.1:{port}")
    with pytest.raises(TransportError, match="through the proxy") as info:
        http.request("GET", "jobs")
    assert "gone-pass-3344" not in str(info.value)
    assert f"127.0.0.1:{port}" in str(info.value)
