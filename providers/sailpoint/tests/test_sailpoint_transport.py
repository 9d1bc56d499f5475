"""OAuth, rate limits and vendor error bodies."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from conftest import FAST, MakeReports, MakeSim

from reportbridge import AuthenticationError, RateLimitedError, ReportStatus
from reportbridge.testing import Fault
from reportbridge.transport import RateLimit
from reportbridge_sailpoint.limits import VENDOR_RATE_LIMIT
from reportbridge_sailpoint.provider import SailPointProvider
from reportbridge_sailpoint.session import SailPointSession
from reportbridge_sailpoint.simulator import SailPointSimulator
from reportbridge_sailpoint.vendor_errors import read_error_body


def test_bad_credentials_are_an_authentication_error_without_the_secret(
    sim: SailPointSimulator, sp_reports: MakeReports
) -> None:
    reports = sp_reports(sim, client_secret="wrong-secret-4242")
    with pytest.raises(AuthenticationError) as info:
        reports.run("sp", "IDENTITIES")
    assert "HTTP 401" in str(info.value) and "client_secret" in str(info.value)
    assert "wrong-secret-4242" not in str(info.value)
    assert sim.count(path="/reports") == 0


def test_expired_tokens_are_replaced_once(sim: SailPointSimulator, sp_reports: MakeReports) -> None:
    reports = sp_reports(sim)
    job = reports.run("sp", "IDENTITIES")
    sim.tokens.expire_all()
    done = reports.wait(job, timeout=10, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    assert sim.tokens.issued == 2
    assert sim.count("GET", "/result$") >= 2
    assert [r.status for r in sim.requests].count(401) == 1


def test_token_url_setting_is_used(make_sim: MakeSim, sp_reports: MakeReports) -> None:
    api = make_sim()
    token_host = make_sim()
    token_host.tokens = api.tokens  # one tenant, token endpoint on another host
    reports = sp_reports(api, token_url=f"{token_host.base_url}/oauth/token")
    reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    assert api.count(path="/oauth/token") == 0
    assert token_host.count("POST", "/oauth/token") == 1
    assert "Authorization" not in token_host.requests[0].headers


def test_429_retry_after_is_honoured(make_sim: MakeSim, sp_reports: MakeReports) -> None:
    # the task ages by clock read (many polls whatever the load); the quota window is
    # wide enough that a busy machine still sends its third request inside it
    ticks = itertools.count()
    sim = make_sim(job_seconds=1.5, quota=2, quota_window=2.0, clock=lambda: next(ticks) / 10)
    reports = sp_reports(sim, transport={"rate_limit": "1000/1s"})
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=20, policy=FAST)
    assert done.status is ReportStatus.SUCCEEDED
    statuses = [r.status for r in sim.requests]
    assert 429 in statuses, "the quota was reached"
    assert set(statuses) == {200, 429} and statuses[-1] == 200
    first = statuses.index(429)
    limited, retried = sim.requests[first], sim.requests[first + 1]
    assert (retried.method, retried.path) == (limited.method, limited.path)


def test_a_retry_after_too_long_to_wait_surfaces(sim: SailPointSimulator, sp_reports: Any) -> None:
    reports = sp_reports(sim)
    sim.faults.add(
        Fault(
            path=r"/run$",
            status=429,
            retry_after="3000",
            body=b'{"message": " Rate Limit Exceeded "}',
            times=None,
        )
    )
    with pytest.raises(RateLimitedError) as info:
        reports.run("sp", "IDENTITIES")
    assert info.value.retry_after == 3000
    assert "Rate Limit Exceeded" in str(info.value) and "wait 3000 s" in str(info.value)


def test_default_rate_limit_is_shared_per_client_id_and_version(
    make_sim: MakeSim, sp_reports: MakeReports
) -> None:
    assert SailPointProvider.default_rate_limit == VENDOR_RATE_LIMIT == RateLimit(100, 10.0)
    sim = make_sim(clients={"second-client": "second-secret-999"})
    one, two = sp_reports(sim), sp_reports(sim)
    newer = sp_reports(sim, api_version="v2025")
    other = sp_reports(sim, client_id="second-client", client_secret="second-secret-999")
    own = sp_reports(sim, transport={"rate_limit": "5/1s"})

    def limiter(reports: Any) -> Any:
        session = reports.session("sp")
        assert isinstance(session, SailPointSession)
        return session.http.limiter

    assert limiter(one).limit == RateLimit(100, 10.0)
    assert limiter(one) is limiter(two)
    assert limiter(newer) is not limiter(one)
    assert limiter(other) is not limiter(one)
    assert limiter(own).limit == RateLimit(5, 1.0) and limiter(own) is not limiter(one)


@pytest.mark.parametrize(
    ("body", "text", "code", "tracking"),
    [
        (
            b'{"detailCode": "400.1 Bad Request Content", "trackingId": "abc",'
            b' "messages": [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": "bad"}],'
            b' "causes": [{"text": "reportType is missing"}]}',
            "bad; reportType is missing",
            "400.1 Bad Request Content",
            "abc",
        ),
        (b'{"detailCode": "404 Not found"}', "404 Not found", "404 Not found", None),
        (
            b'{"error": "JWT validation failed: JWT is expired"}',
            "JWT validation failed",
            None,
            None,
        ),
        (b'{"message": " Rate Limit Exceeded "}', "Rate Limit Exceeded", None, None),
        (
            b'{"errorName": "NotAcceptableException", "errorMessage": "RESTEASY003635: No match'
            b' for accept header", "trackingId": "t1"}',
            "NotAcceptableException: RESTEASY003635",
            "NotAcceptableException",
            "t1",
        ),
        (b"<html>Bad gateway</html>", "<html>Bad gateway</html>", None, None),
        (b"", "(empty body)", None, None),
        (b'{"unexpected": 1}', '{"unexpected": 1}', None, None),
        (
            b'{"error": "token eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl leaked"}',
            "[REDACTED]",
            None,
            None,
        ),
    ],
)
def test_every_error_body_shape_is_read(
    body: bytes, text: str, code: str | None, tracking: str | None
) -> None:
    found = read_error_body(body)
    assert text in found.text
    assert (found.code, found.tracking_id) == (code, tracking)


def test_wrong_accept_header_answer_names_the_cause(
    sim: SailPointSimulator, sp_reports: MakeReports, tmp_path: Any
) -> None:
    from reportbridge import ServiceError

    reports = sp_reports(sim, transport={"max_attempts": 1})
    done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
    sim.faults.add(
        Fault(
            path=rf"/{done.job_id}$",
            status=500,
            body=b'{"errorName": "NotAcceptableException", "errorMessage": "RESTEASY003635: No'
            b' match for accept header", "trackingId": "9f"}',
            times=None,
        )
    )
    with pytest.raises(ServiceError, match="Accept header did not match fileFormat"):
        reports.fetch(done, tmp_path, download_attempts=1)


def test_nothing_secret_is_logged_or_kept(
    sim: SailPointSimulator,
    sp_reports: MakeReports,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Any,
) -> None:
    reports = sp_reports(sim)
    with caplog.at_level(logging.DEBUG, logger="reportbridge"):
        done = reports.wait(reports.run("sp", "IDENTITIES"), timeout=10, policy=FAST)
        reports.fetch(done, tmp_path)
    token = next(iter(sim.tokens._tokens))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records
    for secret in (sim.client_secret, token):
        assert secret not in logged
        assert secret not in done.ref
