"""Report requests are checked before anything is sent, with errors saying what is accepted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from explore_testkit import JANUARY
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ValidationError
from reportbridge.facade import Reports
from reportbridge_explore.params import check_timespan
from reportbridge_explore.simulator import ExploreSimulator

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def check(now: dt.datetime = NOW, **params: Any) -> dict[str, Any]:
    return check_timespan("calls", params, now=now)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"to": "2025-02-01T00:00:00Z", "zzz": 1},
            "zzz",
            "accepted: format, from, name, timezone, to",
        ),
        ({"from": "2025-01-01"}, "to", "needs parameter 'to'"),
        ({"from": "yesterday", "to": "2025-02-01"}, "from", "ISO 8601 date-time"),
        ({"from": "2025-02-01", "to": "2025-02-01"}, "to", "must be later than 'from'"),
        ({"from": "2025-02-02", "to": "2025-02-01"}, "to", "must be later than 'from'"),
        ({"from": "2025-01-01", "to": "2025-02-01T00:00:01"}, "to", "at most 31 days"),
        ({"from": "2999-01-01", "to": "2999-01-02"}, "to", "is in the future"),
        ({**JANUARY, "timezone": "Mars/Olympus"}, "timezone", "such as UTC, Europe/Lisbon"),
        ({**JANUARY, "timezone": "../../etc/passwd"}, "timezone", "not a known IANA time zone"),
        ({**JANUARY, "format": "xlsx"}, "format", "one of csv, json, json_bulk"),
        ({**JANUARY, "name": "n" * 257}, "name", "at most 256 characters"),
    ],
)
def test_bad_requests_never_reach_the_vendor(
    reports: Reports, sim: ExploreSimulator, params: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        reports.run("tx", "calls", **params)
    assert message in str(info.value)
    assert info.value.field == field
    assert sim.requests == []


@pytest.mark.parametrize("report_type", ["CALLS", "calls/../x", "audit_logs", ""])
def test_unknown_report_types_list_the_accepted_ones(
    reports: Reports, sim: ExploreSimulator, report_type: str
) -> None:
    with pytest.raises(ValidationError, match="calls, contacts, explore_calls"):
        reports.run("tx", report_type, **JANUARY)
    assert sim.requests == []


def test_exactly_31_days_passes_and_naive_times_stay_local() -> None:
    out = check(**{"from": dt.datetime(2025, 1, 1), "to": dt.datetime(2025, 2, 1)})
    assert out == {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00", "timezone": "UTC"}


def test_aware_times_become_wall_clock_in_the_timezone() -> None:
    out = check(
        **{
            "from": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "to": dt.datetime(2025, 1, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "timezone": "America/New_York",
        }
    )
    assert out["from"] == "2024-12-31T19:00:00"
    assert out["to"] == "2025-01-02T02:00:00"


def test_span_is_exact_elapsed_time_across_dst() -> None:
    # Lisbon leaves summer time on 2024-10-27: this wall-clock month lasts 31 d 1 h.
    with pytest.raises(ValidationError, match="at most 31 days"):
        check(
            **{
                "from": dt.datetime(2024, 10, 1),
                "to": dt.datetime(2024, 11, 1),
                "timezone": "Europe/Lisbon",
            }
        )
    # ... and this one, entering summer time, 30 d 23 h.
    check(
        **{
            "from": dt.datetime(2025, 3, 1),
            "to": dt.datetime(2025, 4, 1),
            "timezone": "Europe/Lisbon",
        }
    )


def test_to_may_be_now_within_clock_skew() -> None:
    check(**{"from": NOW - dt.timedelta(days=1), "to": NOW + dt.timedelta(seconds=59)})
    with pytest.raises(ValidationError, match="in the future"):
        check(**{"from": NOW - dt.timedelta(days=1), "to": NOW + dt.timedelta(seconds=61)})


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2025, 5, 1)),
    st.timedeltas(min_value=dt.timedelta(seconds=-5), max_value=dt.timedelta(days=40)),
)
def test_span_rule_matches_the_arithmetic(start: dt.datetime, length: dt.timedelta) -> None:
    params = {"from": start, "to": start + length}
    if dt.timedelta(0) < length <= dt.timedelta(days=31):
        assert check(**params)["to"] == (start + length).isoformat()
    else:
        with pytest.raises(ValidationError):
            check(**params)


def test_valid_parameters_are_sent_as_the_vendor_expects(
    reports: Reports, sim: ExploreSimulator
) -> None:
    job = reports.run(
        "tx",
        "calls",
        **{"from": "2025-01-01T00:00:00Z", "to": "2025-01-15T12:30:00+00:00"},
        timezone="UTC",
        name="January calls",
    )
    stored = sim.jobs[job.job_id]
    assert stored.timespan == {"from": "2025-01-01T00:00:00", "to": "2025-01-15T12:30:00"}
    assert (stored.timezone, stored.format, stored.name) == ("UTC", "csv", "January calls")
    assert job.params["format"] == "csv" and job.formats == ("csv",)
