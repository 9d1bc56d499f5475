"""Hostile servers against the transport: no credential or body crosses an origin, no
answer exhausts memory, no header carries a secret into an error."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge import (
    AuthenticationError,
    ConfigurationError,
    ProviderProtocolError,
    ResponseTooLargeError,
    TransportError,
    ValidationError,
)
from reportbridge.download import write_stream
from reportbridge.provider import FileStream
from reportbridge.testing import Fault, Request, Response, hostile, route
from reportbridge.testing.hostile import HostileServer, call_bounded
from reportbridge.transport import (
    HttpClient,
    OAuth2ClientCredentials,
    StaticBearerToken,
    TransportOptions,
)
from tests.toy import ToySimulator

CAP = 256 * 1024


@pytest.fixture
def trap() -> Iterator[HostileServer]:
    with HostileServer() as server:  # 127.0.0.2: another origin than the simulators'
        yield server


def client(sim: ToySimulator, **opts: Any) -> tuple[HttpClient, OAuth2ClientCredentials]:
    auth = OAuth2ClientCredentials(f"{sim.base_url}/oauth/token", sim.client_id, sim.client_secret)
    http = HttpClient(
        sim.base_url, auth=auth, options=TransportOptions(**opts), sleep=lambda s: None
    )
    return http, auth


def secrets_of(sim: ToySimulator) -> list[str]:
    return [sim.client_secret, *sim.tokens]


# -- credentials and bodies stay home ------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_token_requests_follow_no_redirect(
    toy_sim: ToySimulator, trap: HostileServer, status: int
) -> None:
    toy_sim.faults.add(
        Fault(path="^/oauth/token$", status=status, headers={"Location": trap.url("/token")})
    )
    http, _ = client(toy_sim)
    with pytest.raises(AuthenticationError) as info:
        http.request("GET", "jobs")
    message = str(info.value)
    assert f"{toy_sim.base_url}/oauth/token" in message and "redirect" in message
    assert toy_sim.client_secret not in message
    assert trap.received == b""  # the foreign origin got nothing at all
    assert toy_sim.count("GET", "^/jobs$") == 0


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("shape", ["absolute", "scheme-relative", "second hop"])
def test_a_request_body_never_crosses_an_origin(
    toy_sim: ToySimulator, trap: HostileServer, status: int, shape: str
) -> None:
    target = {
        "absolute": trap.url("/jobs"),
        "scheme-relative": "//" + trap.origin.split("//", 1)[1] + "/jobs",
        "second hop": f"{toy_sim.base_url}/jobs?hop=2",
    }[shape]
    toy_sim.faults.add(
        Fault(path="^/jobs$", method="POST", status=status, headers={"Location": target})
    )
    if shape == "second hop":  # the first hop stays home, the second leaves
        toy_sim.faults.add(
            Fault(
                path="^/jobs$", method="POST", status=status, headers={"Location": trap.url("/x")}
            )
        )
    http, _ = client(toy_sim)
    with pytest.raises(TransportError, match="request body never leaves"):
        http.request("POST", "jobs", json={"type": "USERS", "secret_field": toy_sim.client_secret})
    assert trap.received == b""
    assert toy_sim.jobs == {}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_credential_reaches_another_origin(
    toy_sim: ToySimulator, trap: HostileServer, status: int
) -> None:
    toy_sim.faults.add(Fault(path="^/jobs$", status=status, headers={"Location": trap.url("/s")}))
    http, auth = client(toy_sim)
    extra = {
        "Cookie": "session=cookie-secret-1",
        "Proxy-Authorization": "Basic cHJveHk6cHJveHktc2VjcmV0",
        "X-ApiKeys": "accessKey=ak-secret-2;secretKey=sk-secret-3",
        "X-Custom-Token": "custom-secret-4",
        "Accept": "application/json",
    }
    resp = http.request("GET", "jobs", headers=extra)
    assert resp.status == 404  # the trap's answer, reached without anything of ours
    secrets = [
        *secrets_of(toy_sim),
        "cookie-secret-1",
        "proxy-secret",
        "sk-secret-3",
        "custom-secret-4",
    ]
    assert trap.leaks(secrets) == []
    assert len(trap.requests) == 1
    assert set(trap.requests[0].headers) <= {"Host", "Accept", "Accept-Encoding", "User-Agent"}
    assert auth.tokens_issued == 1  # the home origin did get its credentials


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}\\@127.0.0.1:{home}/x",  # the parsers disagree on the host
        "http://127.0.0.2:{port}\\@127.0.0.1:{home}/jobs",
        "/x\\@127.0.0.2:{port}/",
        "http://user@127.0.0.2:{port}/x",
        "http://127.0.0.2:{port}/x y",
        "http://127.0.0.2\t:{port}/x",
        "http://evil.example\\@127.0.0.1:{home}/x",  # plain http "to loopback"
    ],
)
def test_redirects_the_parsers_read_differently_are_refused(
    toy_sim: ToySimulator, trap: HostileServer, location: str
) -> None:
    home = toy_sim.base_url.rsplit(":", 1)[1]
    port = trap.origin.rsplit(":", 1)[1]
    # every hop is checked: the first stays home, the second is the crafted one
    toy_sim.faults.add(
        Fault(path="^/jobs$", status=302, headers={"Location": "/jobs/j1"}),
    )
    crafted = location.format(port=port, home=home)
    toy_sim.faults.add(Fault(path="^/jobs/j1$", status=307, headers={"Location": crafted}))
    http, _ = client(toy_sim)
    with pytest.raises(ValidationError, match=r"redirect target|redirect Location") as info:
        http.request("GET", "jobs")
    assert crafted not in str(info.value)
    assert trap.received == b""
    assert toy_sim.count("GET", "^/jobs/j1$") == 1  # the first hop was followed


@pytest.mark.parametrize("location", ["http://[::1", "http://[::1/x", "https://[v7.evil/"])
def test_a_malformed_location_is_a_transport_error(toy_sim: ToySimulator, location: str) -> None:
    toy_sim.faults.add(Fault(path="^/jobs$", status=302, headers={"Location": location}))
    http, _ = client(toy_sim)
    with pytest.raises(TransportError, match="Location that is not a URL") as info:
        http.request("GET", "jobs")
    assert location not in str(info.value)


def test_a_download_redirected_away_goes_bare(toy_sim: ToySimulator, trap: HostileServer) -> None:
    toy_sim.faults.add(Fault(path="/file$", status=302, headers={"Location": trap.url("/blob")}))
    http, _ = client(toy_sim)
    with http.request("GET", "jobs/j1/file", stream=True) as resp:
        assert resp.status == 404
    assert trap.leaks(secrets_of(toy_sim)) == []
    assert len(trap.requests) == 1


# -- memory: API answers are capped on what they decode to ---------------------------------
class Hostile(ToySimulator):
    """The toy vendor whose ``/evil/<kind>`` answers are hostile bodies."""

    @route("GET", "/evil/(?P<kind>[^/]+)")
    def evil(self, req: Request, kind: str) -> Response:
        json_type = {"Content-Type": "application/json"}
        small = b'{"ok": true, "pad": "' + b"x" * 1000 + b'"}'
        answers = {
            "endless": Response(200, json_type, hostile.endless_json_body()),
            "gzip-bomb": Response(
                200, {**json_type, "Content-Encoding": "gzip"}, hostile.gzip_bomb_body(3 << 30)
            ),
            "deflate-bomb": Response(
                200, {**json_type, "Content-Encoding": "deflate"}, _deflate_zeros(1 << 30)
            ),
            "gzip-small": Response(
                200, {**json_type, "Content-Encoding": "gzip"}, gzip.compress(small)
            ),
            "x-gzip-small": Response(
                200, {**json_type, "Content-Encoding": "x-gzip"}, gzip.compress(small)
            ),
            "br": Response(200, {**json_type, "Content-Encoding": "br"}, b"\x0b\x02\x80{}\x03"),
            "stacked": Response(200, {**json_type, "Content-Encoding": "gzip, gzip"}, b""),
            "gzip-cut": Response(
                200, {**json_type, "Content-Encoding": "gzip"}, gzip.compress(small)[:-12]
            ),
            "big": Response(200, json_type, b" " * (CAP + 1)),
            "exact": Response(200, json_type, b"[" + b" " * (CAP - 2) + b"]"),
            "deep": Response(200, json_type, hostile.deep_json(50_000)),
            "error-endless": Response(500, json_type, hostile.endless_json_body()),
        }
        return answers[kind]


def _deflate_zeros(total: int) -> Iterator[bytes]:
    z = zlib.compressobj(9)
    block = bytes(1 << 20)
    for _ in range(total // len(block)):
        yield z.compress(block)
    yield z.flush()


@pytest.fixture
def evil(start_simulator: Any) -> Hostile:
    sim = start_simulator(Hostile())
    assert isinstance(sim, Hostile)
    return sim


@pytest.mark.parametrize("kind", ["endless", "gzip-bomb", "deflate-bomb", "big"])
def test_api_answers_are_capped_with_bounded_memory(evil: Hostile, kind: str) -> None:
    http, _ = client(evil, max_body_bytes=CAP, retry=_no_retry())
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError) as info:
            call_bounded(lambda: http.request("GET", f"evil/{kind}"), limit=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.limit == CAP
    assert str(CAP) in str(info.value) and "max_body_bytes" in str(info.value)
    assert peak < 16 * CAP, f"{peak} bytes held for a cap of {CAP}"


def test_error_bodies_are_capped_too(evil: Hostile) -> None:
    http, _ = client(evil, max_body_bytes=CAP, retry=_no_retry())
    with pytest.raises(ResponseTooLargeError):
        call_bounded(lambda: http.request("GET", "evil/error-endless"), limit=60)


def test_an_answer_of_exactly_the_cap_is_read(evil: Hostile) -> None:
    http, _ = client(evil, max_body_bytes=CAP)
    assert http.request("GET", "evil/exact").json() == []


@pytest.mark.parametrize("kind", ["gzip-small", "x-gzip-small"])
def test_compressed_answers_are_decoded_under_the_cap(evil: Hostile, kind: str) -> None:
    http, _ = client(evil, max_body_bytes=CAP)
    assert http.request("GET", f"evil/{kind}").json()["ok"] is True


@pytest.mark.parametrize("kind", ["br", "stacked", "gzip-cut"])
def test_encodings_not_understood_are_refused(evil: Hostile, kind: str) -> None:
    http, _ = client(evil, max_body_bytes=CAP)
    with pytest.raises(ProviderProtocolError, match=r"Content-Encoding|gzip body") as info:
        http.request("GET", f"evil/{kind}")
    assert not isinstance(info.value, ResponseTooLargeError)


def test_the_client_asks_for_identity(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim)
    http.request("GET", "jobs")
    assert toy_sim.requests[-1].headers.get("Accept-Encoding") == "identity"


def test_deeply_nested_json_is_a_protocol_error(evil: Hostile) -> None:
    http, _ = client(evil)
    resp = http.request("GET", "evil/deep")
    with pytest.raises(ProviderProtocolError, match="nests"):
        resp.json(what="poll")


# -- downloads: any size, stored as their content, never as their compressed form ---------
class Storage(ToySimulator):
    @route("GET", "/dl/(?P<encoding>[^/]+)")
    def dl(self, req: Request, encoding: str) -> Response:
        headers = {"Content-Type": "text/csv", "Content-Encoding": encoding}
        data = self.content
        blob = {
            "gzip": gzip.compress(data),
            "deflate": zlib.compress(data),
            "identity": data,
            "br": b"\x1b\x00",
            "compress": b"\x1f\x9d",
        }[encoding]
        return Response(200, headers, blob)

    content = b"id,name\n" + b"".join(b"%d,user-%d\n" % (i, i) for i in range(200_000))


def store(start_simulator: Any, tmp_path: Path, encoding: str) -> Any:
    """Download a file the server sends in ``encoding`` into ``tmp_path``."""
    http, _ = client(start_simulator(Storage()))
    with FileStream(http.request("GET", f"dl/{encoding}", stream=True), format="csv") as stream:
        return write_stream(stream, tmp_path, "report.csv")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
def test_compressed_downloads_are_stored_decoded(
    start_simulator: Any, tmp_path: Path, encoding: str
) -> None:
    import hashlib

    fetched = store(start_simulator, tmp_path, encoding)
    assert fetched.path.read_bytes() == Storage.content
    assert fetched.sha256 == hashlib.sha256(Storage.content).hexdigest()
    assert fetched.size == len(Storage.content)


@pytest.mark.parametrize("encoding", ["br", "compress"])
def test_downloads_in_other_encodings_are_refused(
    start_simulator: Any, tmp_path: Path, encoding: str
) -> None:
    with pytest.raises(ProviderProtocolError, match=encoding):
        store(start_simulator, tmp_path, encoding)
    assert list(tmp_path.iterdir()) == []  # nothing kept


# -- header values are checked before sending; errors never hold the value ----------------
@pytest.mark.parametrize("token", ["abc\ndef-secret", "abc\r\nX-Evil: 1", "nul\x00secret", "é€"])
def test_a_token_from_the_endpoint_that_cannot_be_sent(start_simulator: Any, token: str) -> None:
    class BadTokens(ToySimulator):
        @route("POST", "/oauth/token")
        def token(self, req: Request) -> Response:
            return Response.json({"access_token": token, "expires_in": 600})

    sim = start_simulator(BadTokens())
    http, _ = client(sim)
    with pytest.raises(ProviderProtocolError) as info:
        http.request("GET", "jobs")
    assert token not in str(info.value) and repr(token)[1:-1] not in str(info.value)
    assert sim.count("GET", "^/jobs$") == 0


@pytest.mark.parametrize("token", ["tok\nen-secret", "tok\ren-secret", "tok\x7fen-secret"])
def test_a_configured_token_that_cannot_be_sent(token: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        StaticBearerToken(token)
    assert "token" in str(info.value) and "en-secret" not in str(info.value)


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b", "a\x1bb"])
def test_any_header_value_is_checked_before_sending(toy_sim: ToySimulator, value: str) -> None:
    http, _ = client(toy_sim)
    before = len(toy_sim.requests)
    with pytest.raises(ValidationError) as info:
        http.request("GET", "jobs", headers={"X-Trace": value})
    assert "X-Trace" in str(info.value) and value not in str(info.value)
    assert len(toy_sim.requests) == before


@pytest.mark.parametrize("agent", ["rb/1\r\nX-Evil: 1", "rb/1\n", "rb\x00"])
def test_a_user_agent_that_cannot_be_sent_is_a_configuration_error(agent: str) -> None:
    from reportbridge.config import parse_profile

    with pytest.raises(ConfigurationError, match="user_agent"):
        parse_profile("p", {"provider": "toy", "transport": {"user_agent": agent}}, env={})


def _no_retry() -> Any:
    from reportbridge.transport.retry import RetryPolicy

    return RetryPolicy(max_attempts=1)


def test_the_recorder_sees_everything(trap: HostileServer) -> None:
    """The kit itself: every byte is recorded, credentials in any form are found."""
    http = HttpClient(trap.origin)
    http.request(
        "POST",
        "x",
        data=b"client_secret=s%2Fcr%2Bt",
        headers={"Authorization": "Basic " + "aWQ6cy9jcit0"},  # base64 of id:s/cr+t
    )
    leaks = trap.leaks(["s/cr+t"])
    assert "secret #0 (percent-encoded)" in leaks
    assert "secret #0 (in Basic credentials)" in leaks
    assert any("Authorization header" in leak for leak in leaks)
    assert b"POST /x HTTP/1.1" in trap.received
