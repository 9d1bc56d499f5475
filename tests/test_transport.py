"""Transport behaviour against the toy simulator: auth, retries, redirects, limits."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reportbridge import (
    RateLimitedError,
    Reports,
    ReportStatus,
    ServiceError,
    SubmissionUncertainError,
    TransportError,
    ValidationError,
)
from reportbridge.plugins import PluginRegistry
from reportbridge.testing import Fault
from reportbridge.testing.server import http_date
from reportbridge.transport import (
    HttpClient,
    OAuth2ClientCredentials,
    RateLimit,
    RateLimiter,
    TransportOptions,
)
from reportbridge.transport.ratelimit import UNLIMITED
from reportbridge.transport.retry import RetryPolicy, parse_retry_after
from tests.toy import ToySimulator


def client(
    sim: ToySimulator, sleeps: list[float] | None = None, **opts: Any
) -> tuple[HttpClient, OAuth2ClientCredentials]:
    auth = OAuth2ClientCredentials(f"{sim.base_url}/oauth/token", sim.client_id, sim.client_secret)
    recorder = sleeps.append if sleeps is not None else (lambda _s: None)
    http = HttpClient(sim.base_url, auth=auth, options=TransportOptions(**opts), sleep=recorder)
    return http, auth


def test_token_is_reused(toy_sim: ToySimulator) -> None:
    http, auth = client(toy_sim)
    for _ in range(5):
        assert http.request("GET", "jobs").status == 200
    assert toy_sim.tokens_issued == 1 == auth.tokens_issued


def test_token_refreshed_before_expiry(toy_sim: ToySimulator) -> None:
    now = [0.0]
    auth = OAuth2ClientCredentials(
        f"{toy_sim.base_url}/oauth/token",
        toy_sim.client_id,
        toy_sim.client_secret,
        clock=lambda: now[0],
    )
    http = HttpClient(toy_sim.base_url, auth=auth)
    http.request("GET", "jobs")
    now[0] = 500.0  # lifetime 600 s, refreshed 60 s before the end
    http.request("GET", "jobs")
    assert toy_sim.tokens_issued == 1
    now[0] = 541.0
    assert http.request("GET", "jobs").status == 200
    assert toy_sim.tokens_issued == 2


def test_token_refreshed_once_on_401(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim)
    http.request("GET", "jobs")
    toy_sim.tokens.clear()  # the vendor revokes every token
    assert http.request("GET", "jobs").status == 200
    assert toy_sim.tokens_issued == 2
    assert toy_sim.count("GET", "^/jobs$") == 3  # ok, 401, ok after refresh


def test_a_stale_401_keeps_the_token_another_thread_fetched(toy_sim: ToySimulator) -> None:
    http, auth = client(toy_sim)
    http.request("GET", "jobs")
    fresh = auth.token()
    auth.invalidate("Bearer some-older-token")
    assert auth.token() == fresh
    assert toy_sim.tokens_issued == 1


def test_persistent_401_is_not_looped(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim)
    toy_sim.faults.add(Fault(path="^/jobs$", status=401, times=None))
    assert http.request("GET", "jobs").status == 401
    assert toy_sim.count("GET", "^/jobs$") == 3  # the first try and two refreshed tokens


def test_bad_credentials_are_an_authentication_error(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any
) -> None:
    from reportbridge import AuthenticationError

    reports = make_reports(
        {
            "toy": {
                **toy_sim.profile_settings(),
                "provider": "toy",
                "client_secret": "wrong-secret-xyz",
            }
        },
        registry=toy_registry,
    )
    with pytest.raises(AuthenticationError) as info:
        reports.run("toy", "USERS")
    assert "client_secret" in str(info.value)  # names the setting...
    assert "wrong-secret-xyz" not in str(info.value)  # ...never its value


@pytest.mark.parametrize("retry_after", ["1", "date"])
def test_429_retry_after_is_waited_out(toy_sim: ToySimulator, retry_after: str) -> None:
    sleeps: list[float] = []
    http, _ = client(toy_sim, sleeps)
    value = "1" if retry_after == "1" else http_date(2)
    toy_sim.faults.add(Fault(path="^/jobs$", status=429, retry_after=value, times=2))
    assert http.request("GET", "jobs").status == 200
    assert len(sleeps) == 2
    assert all(0.5 <= s <= 2.5 for s in sleeps), sleeps


def test_429_on_post_is_resent(toy_sim: ToySimulator) -> None:
    sleeps: list[float] = []
    http, _ = client(toy_sim, sleeps)
    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", status=429, retry_after="1"))
    resp = http.request("POST", "jobs", json={"type": "USERS"})
    assert resp.status == 201
    assert toy_sim.count("POST", "^/jobs$") == 2
    assert sleeps == [1.0]


def test_429_real_wait_through_facade(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    toy_sim.faults.add(Fault(path="^/jobs/", method="GET", status=429, retry_after="1"))
    job = toy_reports.run("toy", "USERS")
    assert toy_reports.wait(job, timeout=20).status is ReportStatus.SUCCEEDED


def test_too_long_retry_after_surfaces(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", status=429, retry_after="99999"))
    with pytest.raises(RateLimitedError):
        toy_reports.run("toy", "USERS")
    assert toy_sim.count("POST", "^/jobs$") == 1


def test_post_500_is_not_resent(toy_reports: Reports, toy_sim: ToySimulator) -> None:
    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", status=500))
    with pytest.raises(ServiceError):
        toy_reports.run("toy", "USERS")
    assert toy_sim.count("POST", "^/jobs$") == 1


def test_post_cut_after_sending_is_uncertain_and_not_resent(
    toy_reports: Reports, toy_sim: ToySimulator
) -> None:
    toy_sim.faults.add(Fault(path="^/jobs$", method="POST", drop_after=5))
    with pytest.raises(SubmissionUncertainError) as info:
        toy_reports.run("toy", "USERS")
    assert "not sent again" in str(info.value)
    assert toy_sim.count("POST", "^/jobs$") == 1


def test_get_5xx_is_retried(toy_sim: ToySimulator) -> None:
    sleeps: list[float] = []
    http, _ = client(toy_sim, sleeps)
    toy_sim.faults.add(
        Fault(path="^/jobs$", status=503, times=2), Fault(path="^/jobs$", status=502)
    )
    assert http.request("GET", "jobs").status == 200
    assert len(sleeps) == 3


def test_get_gives_up_after_max_attempts(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim, retry=RetryPolicy(max_attempts=3))
    toy_sim.faults.add(Fault(path="^/jobs$", status=503, times=None))
    assert http.request("GET", "jobs").status == 503
    assert toy_sim.count("GET", "^/jobs$") == 3


def test_connection_refused_is_retried_then_transport_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps: list[float] = []
    http = HttpClient(
        f"http://127.0.0.1:{port}",
        options=TransportOptions(retry=RetryPolicy(max_attempts=3)),
        sleep=sleeps.append,
    )
    with pytest.raises(TransportError, match="cannot connect"):
        http.request("POST", "jobs", json={})
    assert len(sleeps) == 2  # never reached the server: safe to try again, even a POST


def test_read_timeout_on_get_is_retried(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim, read_timeout=0.3)
    http.request("GET", "jobs")  # token first
    toy_sim.faults.add(Fault(path="^/jobs$", delay=0.6))
    assert http.request("GET", "jobs").status == 200
    deadline = time.monotonic() + 5  # the slow answer is recorded when the server finishes it
    while toy_sim.count("GET", "^/jobs$") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert toy_sim.count("GET", "^/jobs$") == 3


def test_redirect_to_other_origin_drops_authorization(
    toy_sim: ToySimulator, toy_registry: PluginRegistry, make_reports: Any, tmp_path: Any
) -> None:
    toy_sim.redirect_files = True
    reports = make_reports({"toy": toy_sim}, registry=toy_registry)
    done = reports.wait(reports.run("toy", "USERS"), timeout=10)
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.size == toy_sim.file_size
    storage = [r for r in toy_sim.requests if r.origin == "storage"]
    api = [r for r in toy_sim.requests if r.origin == "api" and r.path.endswith("/file")]
    assert storage and api
    assert all("Authorization" not in r.headers for r in storage)
    assert all(r.headers.get("Authorization", "").startswith("Bearer ") for r in api)


def test_caller_credentials_reach_the_host_they_were_meant_for(toy_sim: ToySimulator) -> None:
    http = HttpClient(toy_sim.base_url)
    storage = toy_sim.origin_url("storage")
    basic = {"authorization": "Basic dXNlcjpwYXNz"}
    http.request("GET", f"{storage}/blob/j1.csv", headers=basic)  # e.g. a separate token host
    assert toy_sim.requests[-1].headers.get("authorization") == "Basic dXNlcjpwYXNz"
    toy_sim.redirect_files = True
    toy_sim.jobs["j1"] = {
        "id": "j1",
        "type": "T",
        "params": {},
        "state": "x",
        "outcome": "done",
        "created": 0.0,
    }
    form = f"client_id={toy_sim.client_id}&client_secret={toy_sim.client_secret}".encode()
    token = http.request("POST", "oauth/token", data=form).json()["access_token"]
    headers = {"authorization": f"Bearer {token}"}  # any spelling of the header name
    assert http.request("GET", "jobs/j1/file", headers=headers).status == 200
    last = toy_sim.requests[-1]
    assert last.origin == "storage"
    assert not any(k.lower() == "authorization" for k in last.headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/api",
        "http://10.0.0.1/api",
        "ftp://127.0.0.1/x",
        "example.com",
        "https:///nohost",
    ],
)
def test_plain_http_refused_except_loopback(url: str) -> None:
    with pytest.raises(ValidationError):
        HttpClient(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://example.com"]
)
def test_allowed_base_urls(url: str) -> None:
    HttpClient(url).close()


def test_redirect_to_plain_http_elsewhere_is_refused(toy_sim: ToySimulator) -> None:
    from reportbridge.testing import Response, route

    class Sim(ToySimulator):
        @route("GET", "/away")
        def away(self, req: Any) -> Response:
            return Response.redirect("http://example.com/steal", 302)

    with Sim() as sim:
        http = HttpClient(sim.base_url)
        with pytest.raises(ValidationError, match="plain http"):
            http.request("GET", "away")


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    wait = parse_retry_after(http_date(30))
    assert wait is not None and 25 <= wait <= 31


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(RateLimit(3, 10.0), clock=lambda: now[0], sleep=sleep)
    for _ in range(7):
        limiter.acquire()
    assert now[0] >= 20.0  # 7 requests at 3 per 10 s need two full windows
    assert RateLimit.parse("100/10s") == RateLimit(100, 10.0)
    assert RateLimit.parse("5/s") == RateLimit(5, 1.0)
    assert RateLimit.parse("off") == UNLIMITED
    assert RateLimit.parse(None) is None
    from reportbridge import ConfigurationError

    with pytest.raises(ConfigurationError, match="accepted"):
        RateLimit.parse("fast")


def test_an_answered_request_is_counted_from_its_answer() -> None:
    # a slot is counted from when the request left, then, once answered, from the answer:
    # the window the client keeps is never shorter than the vendor's
    now = [0.0]
    limiter = RateLimiter(RateLimit(2, 10.0), clock=lambda: now[0], sleep=lambda s: None)
    limiter.acquire()  # this thread's request, sent at 0
    other: list[float] = []
    worker = threading.Thread(target=lambda: other.append(limiter.acquire()))
    now[0] = 1.0
    worker.start()  # another thread's, sent at 1, not answered yet
    worker.join()
    now[0] = 4.0
    limiter.settle()  # this thread's is answered at 4
    assert list(limiter._sent) == [1.0, 4.0]  # moved, and the window stays in time order
    now[0] = 12.0
    limiter.settle()  # nothing of this thread's in flight: nothing moves
    limiter.acquire()  # the slot of 1 is free at 11; the one answered at 4 holds until 14
    assert list(limiter._sent) == [4.0, 12.0]


def test_a_settle_after_a_429_finds_its_slot_gone() -> None:
    now = [0.0]
    limiter = RateLimiter(RateLimit(3, 10.0), clock=lambda: now[0], sleep=lambda s: None)
    limiter.acquire()
    limiter.penalise(30.0)  # the window counts as full until 30
    now[0] = 2.0
    limiter.settle()
    assert list(limiter._sent) == [20.0, 20.0, 20.0]


def test_profile_rate_limit_is_applied(toy_sim: ToySimulator) -> None:
    now = [0.0]
    http, _ = client(toy_sim, rate_limit=RateLimit(2, 5.0))
    assert http.limiter is not None
    http.limiter._clock = lambda: now[0]

    def sleep(s: float) -> None:
        now[0] += s

    http.limiter._sleep = sleep
    for _ in range(5):
        http.request("GET", "jobs")
    assert now[0] >= 10.0


def test_shared_limiter_by_key_and_off_switch(toy_sim: ToySimulator) -> None:
    from reportbridge.provider import ProfileContext

    ctx = ProfileContext("p", None, TransportOptions())
    a = ctx.http(toy_sim.base_url, default_rate_limit=RateLimit(5, 1.0), rate_limit_key="k1")
    b = ctx.http(toy_sim.base_url, default_rate_limit=RateLimit(5, 1.0), rate_limit_key="k1")
    c = ctx.http(toy_sim.base_url, default_rate_limit=RateLimit(5, 1.0), rate_limit_key="k2")
    assert a.limiter is b.limiter is not None
    assert c.limiter is not a.limiter
    off = ProfileContext("p", None, TransportOptions(rate_limit=UNLIMITED))
    assert off.http(toy_sim.base_url, default_rate_limit=RateLimit(5, 1.0)).limiter is None


def test_cut_error_body_is_a_transport_error(toy_sim: ToySimulator) -> None:
    http, _ = client(toy_sim)
    toy_sim.faults.add(Fault(path="^/jobs/nope$", drop_after=10))  # a 404 whose body is cut
    cut = http.request("GET", "jobs/nope", stream=True)
    assert cut.status == 404
    with pytest.raises(TransportError, match="cut off"):
        _ = cut.data
