"""The status mapping: total over the vendor's vocabulary, strict on anything else."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ReportStatus, UnknownStatusError
from reportbridge.errors import ProviderProtocolError
from reportbridge.status import can_transition
from reportbridge_sailpoint.status import (
    IN_PROGRESS,
    NOT_STARTED,
    NOT_VISIBLE,
    STATUS,
    STATUSLESS,
    VENDOR_STATUSES,
    job_from_result,
    job_from_task,
    parse_timestamp,
)

JOB = ReportJob(provider="sailpoint", profile="p", job_id="ef38", report_type="ACCOUNTS")
VOCABULARY = {**VENDOR_STATUSES, **STATUSLESS}
# PROVIDERS.md 1.6, grouped by neutral status
DOCUMENTED = {
    ReportStatus.PENDING: {NOT_STARTED, NOT_VISIBLE},
    ReportStatus.RUNNING: {IN_PROGRESS},
    ReportStatus.SUCCEEDED: {"SUCCESS", "WARNING"},
    ReportStatus.FAILED: {"FAILURE", "ERROR", "TEMP_ERROR", "TEMPERROR"},
    ReportStatus.CANCELLED: {"TERMINATED"},
}
EXPECTED = {raw: status for status, raws in DOCUMENTED.items() for raw in raws}
variants = st.sampled_from(
    [str.upper, str.lower, str.title, str.capitalize, str.swapcase, lambda s: f"  {s}\t"]
)


def test_table_is_the_documented_mapping() -> None:
    assert VOCABULARY == EXPECTED


@given(st.sampled_from(sorted(VOCABULARY)), variants)
def test_mapping_is_total_and_case_insensitive(raw: str, variant: Any) -> None:
    assert STATUS(variant(raw)) is EXPECTED[raw]


@given(st.sampled_from(sorted(VENDOR_STATUSES)), variants)
def test_every_vendor_status_maps_through_both_payloads(raw: str, variant: Any) -> None:
    seen = job_from_result(JOB, {"id": "x", "status": variant(raw)})
    assert seen.status is EXPECTED[raw]
    assert seen.provider_status == variant(raw).strip()
    task = job_from_task(
        JOB, {"id": "x", "launched": "2025-01-01T00:00:00Z", "completionStatus": variant(raw)}
    )
    assert task.status is EXPECTED[raw]
    retryable = raw in ("TEMP_ERROR", "TEMPERROR")
    assert (seen.error is not None and seen.error.retryable) is retryable
    assert seen.is_fetchable is (raw in ("SUCCESS", "WARNING"))
    assert bool(seen.warnings) is (raw == "WARNING")


known = {k.casefold() for k in VOCABULARY}


@given(st.text(max_size=30))
def test_unknown_strings_are_refused_naming_provider_and_value(raw: str) -> None:
    if raw.strip().casefold() in known:
        return
    with pytest.raises(UnknownStatusError) as info:
        job_from_result(JOB, {"id": "x", "status": raw})
    assert "sailpoint" in str(info.value) and repr(raw) in str(info.value)
    with pytest.raises(UnknownStatusError):
        job_from_task(JOB, {"id": "x", "completionStatus": raw})


@given(st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False), st.lists(st.text())))
def test_non_string_statuses_are_refused(raw: object) -> None:
    with pytest.raises(UnknownStatusError):
        job_from_result(JOB, {"id": "x", "status": raw})


bodies = st.one_of(
    st.just({}),
    st.just({"id": "x", "reportType": "ACCOUNTS"}),
    st.builds(lambda s: {"id": "x", "status": s}, st.sampled_from(sorted(VENDOR_STATUSES))),
)


@given(st.lists(bodies, max_size=25))
def test_observed_poll_histories_never_move_backwards(history: list[dict[str, Any]]) -> None:
    job = JOB
    statuses = [job.status]
    for body in history:
        job = job.observe(job_from_result(job, body))
        statuses.append(job.status)
    for before, after in itertools.pairwise(statuses):
        assert can_transition(before, after)
    terminal = [s for s in statuses if s.is_terminal]
    if terminal:
        assert set(statuses[statuses.index(terminal[0]) :]) == {terminal[0]}


@pytest.mark.parametrize(
    ("body", "status", "raw"),
    [
        ({}, ReportStatus.PENDING, NOT_VISIBLE),
        (
            {"id": "x", "reportType": "ACCOUNTS", "created": "2025-03-04T10:15:00Z"},
            ReportStatus.RUNNING,
            IN_PROGRESS,
        ),
        ({"id": "x", "status": None}, ReportStatus.RUNNING, IN_PROGRESS),
        ({"id": "x", "status": "Success"}, ReportStatus.SUCCEEDED, "Success"),
    ],
)
def test_result_shapes(body: dict[str, Any], status: ReportStatus, raw: str) -> None:
    seen = job_from_result(JOB, body)
    assert (seen.status, seen.provider_status) == (status, raw)


@pytest.mark.parametrize(
    ("body", "status", "raw"),
    [
        (
            {"id": "x", "launched": None, "completed": None, "completionStatus": None},
            ReportStatus.PENDING,
            NOT_STARTED,
        ),
        ({"id": "x", "launched": "2025-03-04T10:15:01Z"}, ReportStatus.RUNNING, IN_PROGRESS),
        ({"id": "x", "completionStatus": "TEMPERROR"}, ReportStatus.FAILED, "TEMPERROR"),
    ],
)
def test_task_shapes(body: dict[str, Any], status: ReportStatus, raw: str) -> None:
    seen = job_from_task(JOB, body)
    assert (seen.status, seen.provider_status) == (status, raw)


def test_finished_result_details() -> None:
    seen = job_from_result(
        JOB,
        {
            "id": "x",
            # real-world quirks: a free-form reportType and a time without offset
            "reportType": "Certification Signoff Report-2c9180835d2e5168015d32f890ca1581",
            "created": "2024-07-01T22:35:38.709",
            "status": "SUCCESS",
            "duration": 3681,
            "rows": 193,
            "availableFormats": ["CSV"],
        },
    )
    assert seen.created_at == dt.datetime(2024, 7, 1, 22, 35, 38, 709000, tzinfo=dt.UTC)
    assert seen.finished_at == seen.created_at + dt.timedelta(milliseconds=3681)
    assert seen.formats == ("csv",)
    assert seen.progress_text == "193 rows"
    assert seen.report_type == "ACCOUNTS"


def test_task_messages_become_error_and_warning_texts() -> None:
    messages = [
        {"type": "WARN", "warning": True, "localizedText": "3 rows skipped"},
        {"type": "ERROR", "error": True, "localizedText": "source unreachable"},
        {"type": "INFO", "localizedText": "started"},
        "not an object",
    ]
    warned = job_from_task(JOB, {"completionStatus": "WARNING", "messages": messages})
    assert warned.status is ReportStatus.SUCCEEDED and warned.warnings == ("3 rows skipped",)
    failed = job_from_task(JOB, {"completionStatus": "TEMP_ERROR", "messages": messages})
    assert failed.error is not None and failed.error.retryable
    assert "source unreachable" in failed.error.message and failed.error.code == "TEMP_ERROR"
    plain = job_from_result(JOB, {"status": "WARNING"})
    assert plain.warnings and "no details" in plain.warnings[0]


@pytest.mark.parametrize("body", [[], "SUCCESS", None, 3])
def test_non_object_bodies_are_protocol_errors(body: Any) -> None:
    with pytest.raises(ProviderProtocolError, match="not a JSON object"):
        job_from_result(JOB, body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T10:15:00.364Z", dt.datetime(2025, 3, 4, 10, 15, 0, 364000, tzinfo=dt.UTC)),
        ("2025-03-04T10:15:00+01:00", dt.datetime(2025, 3, 4, 9, 15, tzinfo=dt.UTC)),
        ("2024-07-01T22:35:38.709", dt.datetime(2024, 7, 1, 22, 35, 38, 709000, tzinfo=dt.UTC)),
        ("2019-12-03T42:09:05.000Z", None),  # the vendor's own example has hour 42
        ("", None),
        (None, None),
        (17, None),
    ],
)
def test_timestamps_are_read_leniently(text: Any, expected: dt.datetime | None) -> None:
    assert parse_timestamp(text) == expected
