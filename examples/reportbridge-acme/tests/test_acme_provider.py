"""The Acme plugin's own tests: what the shared contract cannot know about this vendor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportbridge import (
    AuthenticationError,
    ConfigurationError,
    ReportStatus,
    UnknownStatusError,
    ValidationError,
)
from reportbridge_acme import STATUS, VOCABULARY, AcmeProvider
from reportbridge_acme.reports import export_request
from reportbridge_acme.simulator import AcmeSimulator

PROVIDER = AcmeProvider()
NOW = dt.datetime.now(dt.UTC)
KEYS = {"api_key": "ak_test_0123456789abcdef", "pin": "55501234"}


# -- parameters ---------------------------------------------------------------------------
def test_defaults_are_sent_and_dates_travel_as_iso_8601() -> None:
    since = NOW - dt.timedelta(days=2)
    clean = PROVIDER.validate("audit_events", {"since": since.isoformat()})
    assert clean == {"since": since, "rows_per_chunk": 10_000}
    body = export_request("audit_events", clean)
    assert body == {
        "report": "audit_events",
        "filters": {"since": since.isoformat()},
        "rows_per_chunk": 10_000,
    }
    assert PROVIDER.validate("users", {}) == {"status": "all", "include_groups": False}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"rows_per_chunk": 10}, "rows_per_chunk", "from 100 to 50000"),
        ({"severity": "urgent"}, "severity", "critical"),
        ({"since": (NOW - dt.timedelta(days=400)).isoformat()}, "since", "before"),
        ({"actor": "x" * 201}, "actor", "200"),
        (
            {"since": (NOW - dt.timedelta(days=60)).isoformat(), "until": NOW.isoformat()},
            "until",
            "31 days",
        ),
    ],
)
def test_bad_parameters_name_what_is_accepted(
    params: dict[str, Any], field: str, words: str
) -> None:
    request = {"since": (NOW - dt.timedelta(days=1)).isoformat(), **params}
    with pytest.raises(ValidationError) as info:
        PROVIDER.validate("audit_events", request)
    assert info.value.field in (field, "since")
    assert words in str(info.value), str(info.value)


# -- settings -----------------------------------------------------------------------------
def test_the_pin_is_checked_without_showing_it() -> None:
    with pytest.raises(ConfigurationError, match="pin must be the account PIN") as info:
        PROVIDER.parse_settings("p", {**KEYS, "pin": "12ab99"})
    assert "12ab99" not in str(info.value)


def test_secret_settings_are_strings_and_stay_out_of_repr() -> None:
    with pytest.raises(ConfigurationError, match="pin is a secret and takes a string"):
        PROVIDER.parse_settings("p", {**KEYS, "pin": 55501234})
    settings = PROVIDER.parse_settings("p", KEYS)
    assert KEYS["pin"] not in repr(settings) and KEYS["api_key"] not in repr(settings)


# -- statuses -----------------------------------------------------------------------------
def test_every_documented_state_has_a_meaning_and_others_are_refused() -> None:
    assert {STATUS(state) for state in VOCABULARY} == set(ReportStatus)
    with pytest.raises(UnknownStatusError, match="'archived'"):
        STATUS("archived")


# -- chunks as result parts ----------------------------------------------------------------
def test_chunks_are_fetched_while_the_export_builds(
    acme: Callable[..., Any], tmp_path: Path
) -> None:
    sim, reports = acme(job_seconds=2.0, chunks=4)
    job = reports.run("acme", "users")
    early: list[Any] = []
    while not job.is_terminal:
        job = reports.poll(job)
        done = {f.part for f in early}
        early += reports.fetch_available(job, tmp_path, format="jsonl", skip=done)
    assert job.status is ReportStatus.SUCCEEDED
    rest = reports.fetch(job, tmp_path, format="jsonl", skip={f.part for f in early})
    files = sorted(early + rest, key=lambda f: int(f.part))
    assert [f.part for f in files] == ["1", "2", "3", "4"]
    assert early, "at least one chunk came before the export ended"
    for f in files:
        assert f.sha256 == sim.served_sha256(job.job_id, "jsonl", part=f.part)
        assert f.path.read_text().startswith('{"id":"u')


def test_failed_chunks_make_a_partial_result(acme: Callable[..., Any], tmp_path: Path) -> None:
    _sim, reports = acme(chunks=3, failed_chunks=(2,))
    job = reports.wait(reports.run("acme", "users"), timeout=30)
    assert job.status is ReportStatus.PARTIAL and job.provider_status == "ready_with_errors"
    failed = [p for p in reports.parts(job, format="csv") if p.state == "failed"]
    assert [p.id for p in failed] == ["2"] and "chunk 2 failed" in (failed[0].error or "")
    files = reports.fetch(job, tmp_path, format="csv")
    assert [f.part for f in files] == ["1", "3"]


# -- listing ------------------------------------------------------------------------------
def test_listing_pages_newest_first_and_filters(
    acme_sim: Callable[..., AcmeSimulator], make_reports: Callable[..., Any]
) -> None:
    sim = acme_sim(max_active=10)
    reports = make_reports(
        {
            "acme": {
                "provider": "acme",
                **sim.profile_settings(),
                "list_page_size": 2,
                "max_active_jobs": 10,
            }
        }
    )
    jobs = [reports.run("acme", "users") for _ in range(5)]
    ids = [j.job_id for j in jobs]
    listed = [j.job_id for j in reports.list("acme")]
    assert listed == ids[::-1]
    assert sim.count("GET", r"^/v2/exports$") == 3, "five exports come in three pages of two"
    reports.cancel(jobs[1])
    assert [j.job_id for j in reports.list("acme", state="cancelled")] == [ids[1]]
    assert list(reports.list("acme", report_type="audit_events")) == []
    assert len(list(reports.list("acme", limit=3))) == 3


@pytest.mark.parametrize(
    ("filters", "words"),
    [({"owner": "me"}, "accepted: report_type, state"), ({"state": "done"}, "accepted: building")],
)
def test_unknown_list_filters_are_refused_before_any_request(
    acme: Callable[..., Any], filters: dict[str, str], words: str
) -> None:
    sim, reports = acme()
    with pytest.raises(ValidationError, match=words):
        list(reports.list("acme", **filters))
    assert sim.count("GET", r"^/v2/exports$") == 0


# -- credentials --------------------------------------------------------------------------
def test_a_wrong_pin_says_which_settings_to_check(
    acme_sim: Callable[..., AcmeSimulator], make_reports: Callable[..., Any]
) -> None:
    sim = acme_sim()
    profile = {"provider": "acme", **sim.profile_settings(), "pin": "11112222"}
    with pytest.raises(AuthenticationError) as info:
        make_reports({"acme": profile}).run("acme", "users")
    assert "check the profile's api_key and pin" in str(info.value)
    assert "11112222" not in str(info.value) and sim.pin not in str(info.value)
    assert sim.jobs_created() == 0


def test_a_vendor_export_id_of_another_shape_is_refused(
    acme: Callable[..., Any],
) -> None:
    sim, reports = acme()
    job = reports.run("acme", "users")
    forged = type(job)(provider="acme", profile="acme", job_id="../../admin", report_type="users")
    with pytest.raises(ValidationError, match="id shape; accepted"):
        reports.poll(forged)
    assert sim.count(path=r"admin") == 0
