"""Property tests: the Explore status vocabulary maps totally and never moves a job back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ReportStatus, UnknownStatusError
from reportbridge.status import can_transition
from reportbridge_explore import STATUS, VOCABULARY

raw_statuses = st.sampled_from(sorted(VOCABULARY))


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    """A vocabulary value in any letter case, possibly padded: (canonical, as sent)."""
    value = draw(raw_statuses)
    flips = draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
    text = "".join(c.upper() if f else c for c, f in zip(value, flips, strict=True))
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return value, pad + text + pad


def test_vocabulary_is_the_documented_one() -> None:
    assert set(VOCABULARY) == {
        "created",
        "processing",
        "uploading",
        "sending",
        "done",
        "failed",
        "canceled",
        "deleted",
    }
    assert STATUS("done").is_fetchable
    assert STATUS("deleted") is ReportStatus.EXPIRED


@given(spelled())
def test_mapping_is_total_over_the_vocabulary_in_any_case(case: tuple[str, str]) -> None:
    canonical, sent = case
    assert STATUS(sent) is VOCABULARY[canonical]


@given(st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats()))
def test_values_outside_the_vocabulary_are_refused(raw: object) -> None:
    if isinstance(raw, str) and raw.strip().casefold() in VOCABULARY:
        return
    with pytest.raises(UnknownStatusError) as info:
        STATUS(raw)
    assert "explore" in str(info.value)


@pytest.mark.parametrize("raw", ["completed", "COMPLETED", "cancelled", "queued", "running", ""])
def test_near_misses_are_unknown_and_named(raw: str) -> None:
    with pytest.raises(UnknownStatusError) as info:
        STATUS(raw)
    assert repr(raw) in str(info.value)
    assert info.value.raw == raw


def _job(raw: str) -> ReportJob:
    return ReportJob(
        provider="explore",
        profile="p",
        job_id="j",
        report_type="calls",
        status=STATUS(raw),
        provider_status=raw,
    )


@given(st.lists(raw_statuses, min_size=1, max_size=12))
def test_observed_histories_never_move_a_job_backwards(history: list[str]) -> None:
    job = _job("created")
    for raw in history:
        before = job.status
        job = job.observe(_job(raw))
        assert can_transition(before, job.status)
        if before.is_terminal and before is not ReportStatus.SUCCEEDED:
            assert job.status is before
        if job.status is STATUS(raw):
            assert job.provider_status == raw


@given(st.lists(raw_statuses, max_size=6), st.lists(raw_statuses, max_size=6))
def test_deleted_after_done_is_expired(before: list[str], after: list[str]) -> None:
    job = _job("created")
    for raw in [*before, "done", "deleted", *after]:
        job = job.observe(_job(raw))
    reached_done_first = all(
        STATUS(r) in (ReportStatus.PENDING, ReportStatus.RUNNING) for r in before
    )
    if reached_done_first:
        assert job.status is ReportStatus.EXPIRED
    assert job.status.is_terminal
