"""Property tests: Tenable's export statuses map totally, PARTIAL is told apart, and a job
never moves backwards whatever order the polls come in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ReportStatus, UnknownStatusError
from reportbridge.errors import ProviderProtocolError
from reportbridge.status import can_transition
from reportbridge_tenable import STATUS, VOCABULARY
from reportbridge_tenable.responses import status_job
from reportbridge_tenable.status import neutral_status

raw_statuses = st.sampled_from(sorted(VOCABULARY))
chunk_lists = st.lists(st.integers(min_value=1, max_value=40), max_size=6, unique=True)


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    """A vocabulary value in any letter case, possibly padded: (canonical, as sent)."""
    value = draw(raw_statuses)
    flips = draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
    text = "".join(c.lower() if f else c for c, f in zip(value, flips, strict=True))
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return value, pad + text + pad


def test_vocabulary_is_the_documented_one() -> None:
    assert set(VOCABULARY) == {"QUEUED", "PROCESSING", "FINISHED", "ERROR", "CANCELLED"}
    assert STATUS("FINISHED") is ReportStatus.SUCCEEDED
    assert STATUS("ERROR") is ReportStatus.FAILED


@given(spelled())
def test_mapping_is_total_over_the_vocabulary_in_any_case(case: tuple[str, str]) -> None:
    canonical, sent = case
    assert STATUS(sent) is VOCABULARY[canonical]


@given(st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats()))
def test_values_outside_the_vocabulary_are_refused(raw: object) -> None:
    if isinstance(raw, str) and raw.strip().upper() in VOCABULARY:
        return
    with pytest.raises(UnknownStatusError) as info:
        STATUS(raw)
    assert "tenable" in str(info.value)


@pytest.mark.parametrize("raw", ["COMPLETED", "CANCELED", "RUNNING", "FAILED", "ARCHIVED", ""])
def test_near_misses_are_unknown_and_named(raw: str) -> None:
    with pytest.raises(UnknownStatusError) as info:
        neutral_status(raw)
    assert repr(raw) in str(info.value)


@given(raw_statuses, chunk_lists, chunk_lists)
def test_finished_with_lost_chunks_is_partial_and_nothing_else_changes(
    raw: str, failed: list[int], cancelled: list[int]
) -> None:
    status = neutral_status(raw, failed, cancelled)
    if raw == "FINISHED" and (failed or cancelled):
        assert status is ReportStatus.PARTIAL
        assert status.is_fetchable and status.is_terminal
    else:
        assert status is VOCABULARY[raw]


@given(raw_statuses, chunk_lists, chunk_lists, chunk_lists)
def test_every_chunk_becomes_one_part_in_chunk_order(
    raw: str, available: list[int], failed: list[int], cancelled: list[int]
) -> None:
    body = {
        "status": raw,
        "chunks_available": available,
        "chunks_failed": failed,
        "chunks_cancelled": cancelled,
    }
    job = status_job(body, profile="p", kind="vulns", job_id="j")
    ids = [int(p.id) for p in job.parts]
    assert ids == sorted(set(available) | set(failed) | set(cancelled))
    lost = set(failed) | set(cancelled)
    for part in job.parts:
        assert part.format == "json"
        assert (part.state == "failed") is (int(part.id) in lost)
        assert (part.error is not None) is (part.state == "failed")
    if job.status is ReportStatus.PARTIAL:
        assert job.error is not None and job.error.code == "chunks_failed"


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"status": "FINISHED", "chunks_available": "1,2"},
        {"status": "FINISHED", "chunks_available": [1, "2"]},
        {"status": "FINISHED", "chunks_failed": [True]},
        {"status": "FINISHED", "chunks_available": [-1]},
    ],
)
def test_malformed_status_bodies_are_protocol_errors(body: object) -> None:
    with pytest.raises(ProviderProtocolError):
        status_job(body, profile="p", kind="vulns", job_id="j")


def _job(raw: str, failed: tuple[int, ...] = ()) -> ReportJob:
    return ReportJob(
        provider="tenable",
        profile="p",
        job_id="j",
        report_type="vulns",
        status=neutral_status(raw, failed),
        provider_status=raw,
    )


@given(st.lists(st.tuples(raw_statuses, st.booleans()), min_size=1, max_size=12))
def test_observed_histories_never_move_a_job_backwards(history: list[tuple[str, bool]]) -> None:
    job = _job("QUEUED")
    for raw, lost in history:
        before = job.status
        job = job.observe(_job(raw, (3,) if lost else ()))
        assert can_transition(before, job.status)
        if before.is_terminal and not before.is_fetchable:
            assert job.status is before
