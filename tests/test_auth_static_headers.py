"""StaticHeaders: fixed API-key headers (Tenable's X-ApiKeys) that stay on the API's origin."""

from __future__ import annotations

import logging

import pytest

from reportbridge.errors import AuthenticationError, ConfigurationError
from reportbridge.logging import REDACTED, get_logger, redact_text
from reportbridge.testing import Request, Response, Simulator, route
from reportbridge.transport import HttpClient, StaticHeaders

ACCESS = "a" * 60 + "c0de"
SECRET = "5" * 60 + "beef"
KEYS = f"accessKey={ACCESS};secretKey={SECRET};"


class TwoOrigins(Simulator):
    """An API that answers, and redirects to a second origin (storage)."""

    name = "two-origins"
    origins = ("api", "storage")

    @route("GET", "/data")
    def data(self, req: Request) -> Response:
        if req.header("X-ApiKeys") != KEYS:
            return Response.json({"statusCode": 401, "error": "Unauthorized"}, 401)
        return Response.json({"ok": True})

    @route("GET", "/away")
    def away(self, req: Request) -> Response:
        return Response.redirect(self.origin_url("storage") + "/blob", 302)

    @route("GET", "/home")
    def home(self, req: Request) -> Response:
        return Response.redirect("/data", 302)

    @route("GET", "/blob", origin="storage")
    def blob(self, req: Request) -> Response:
        return Response.json({"blob": True})


@pytest.fixture
def sim(start_simulator: object) -> TwoOrigins:
    sim = TwoOrigins()
    start_simulator(sim)  # type: ignore[operator]
    return sim


def keys() -> StaticHeaders:
    return StaticHeaders({"X-ApiKeys": KEYS}, secrets=(ACCESS, SECRET))


def _sent(sim: TwoOrigins, origin: str) -> list[dict[str, str]]:
    return [r.headers for r in sim.requests if r.origin == origin]


def test_headers_are_sent_to_the_api_and_followed_to_its_own_paths(sim: TwoOrigins) -> None:
    http = HttpClient(sim.base_url, auth=keys())
    assert http.request("GET", "data").json() == {"ok": True}
    assert http.request("GET", "home").json() == {"ok": True}  # same-origin redirect
    assert all(h.get("X-ApiKeys") == KEYS for h in _sent(sim, "api"))


def test_headers_never_reach_another_origin(sim: TwoOrigins) -> None:
    http = HttpClient(sim.base_url, auth=keys())
    assert http.request("GET", "away").json() == {"blob": True}
    http.request("GET", sim.origin_url("storage") + "/blob")  # addressed directly, too
    storage = _sent(sim, "storage")
    assert len(storage) == 2
    assert not any(k.lower() == "x-apikeys" for h in storage for k in h)


def test_a_copy_the_caller_adds_is_dropped_on_a_redirect_elsewhere(sim: TwoOrigins) -> None:
    """The client knows the header carries credentials, whoever put it on the request."""
    http = HttpClient(sim.base_url, auth=keys())
    http.request("GET", "away", headers={"x-apikeys": KEYS}, authenticate=False)
    (storage,) = _sent(sim, "storage")
    assert not any(k.lower() == "x-apikeys" for k in storage)


def test_a_refused_key_is_not_retried(sim: TwoOrigins) -> None:
    http = HttpClient(sim.base_url, auth=StaticHeaders({"X-ApiKeys": "accessKey=x;secretKey=y;"}))
    assert http.request("GET", "data").status == 401
    assert sim.count("GET", "^/data$") == 1
    assert keys().invalidate("anything") is False


@pytest.mark.parametrize(
    "value",
    [
        "accessKey=a;secretKey=b;\r\nX-Evil: 1",
        "accessKey=a\n;secretKey=b;",
        "accessKey=a;\x00secretKey=b;",
        "accessKey=\u00e9;secretKey=b;",
        "",
        " accessKey=a;secretKey=b;",
    ],
)
def test_values_that_could_split_or_bend_a_header_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        StaticHeaders({"X-ApiKeys": value}, provider="tenable")
    assert "X-ApiKeys" in str(info.value)
    if value.strip():
        assert value not in str(info.value)
    assert info.value.provider == "tenable"


@pytest.mark.parametrize("name", ["X ApiKeys", "X-ApiKeys\r\n", "", "Ключ"])
def test_bad_header_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigurationError):
        StaticHeaders({name: KEYS})


def test_no_header_at_all_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        StaticHeaders({})


def test_values_and_their_parts_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    source = keys()
    assert ACCESS not in repr(source) and SECRET not in repr(source)
    assert "X-ApiKeys" in repr(source)
    assert redact_text(f"sent {KEYS}") == f"sent {REDACTED}"
    assert redact_text(f"the secret {SECRET} alone") == f"the secret {REDACTED} alone"
    caplog.set_level(logging.DEBUG, logger="reportbridge")
    get_logger("reportbridge.test").warning("oops", detail=f"key={ACCESS}")
    assert ACCESS not in caplog.text
    error = AuthenticationError(redact_text(f"refused {KEYS}"))
    assert SECRET not in str(error)
