"""Property tests of the neutral lifecycle and of StatusMap."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ReportStatus, StatusMap, UnknownStatusError
from reportbridge.status import advance, can_transition

statuses = st.sampled_from(list(ReportStatus))
TABLE = {
    "queued": ReportStatus.PENDING,
    "Working": ReportStatus.RUNNING,
    "DONE": ReportStatus.SUCCEEDED,
}
MAP = StatusMap("toy", TABLE)


def test_predicates() -> None:
    assert {s for s in ReportStatus if s.is_terminal} == {
        ReportStatus.SUCCEEDED,
        ReportStatus.PARTIAL,
        ReportStatus.FAILED,
        ReportStatus.CANCELLED,
        ReportStatus.EXPIRED,
    }
    assert {s for s in ReportStatus if s.is_fetchable} == {
        ReportStatus.SUCCEEDED,
        ReportStatus.PARTIAL,
    }


@given(st.text())
def test_mapping_refuses_unknown_values(raw: str) -> None:
    if raw.strip().casefold() in {k.casefold() for k in TABLE}:
        assert MAP(raw) is TABLE[next(k for k in TABLE if k.casefold() == raw.strip().casefold())]
        return
    with pytest.raises(UnknownStatusError) as info:
        MAP(raw)
    assert "toy" in str(info.value)
    assert repr(raw) in str(info.value)


@given(
    st.one_of(
        st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False), st.lists(st.text())
    )
)
def test_mapping_refuses_non_strings(raw: object) -> None:
    with pytest.raises(UnknownStatusError):
        MAP(raw)


@given(
    st.sampled_from(list(TABLE)),
    st.sampled_from([str.upper, str.lower, str.title, lambda s: f" {s} "]),
)
def test_mapping_is_case_insensitive(raw: str, variant: object) -> None:
    assert MAP(variant(raw)) is TABLE[raw]  # type: ignore[operator]


@given(statuses, statuses)
def test_terminal_states_absorb(terminal: ReportStatus, observed: ReportStatus) -> None:
    if not terminal.is_terminal:
        return
    result = advance(terminal, observed)
    fetchable = (ReportStatus.SUCCEEDED, ReportStatus.PARTIAL)
    if terminal in fetchable and observed is ReportStatus.EXPIRED:
        assert result is ReportStatus.EXPIRED
    else:
        assert result is terminal


RANK = {
    ReportStatus.PENDING: 0,
    ReportStatus.RUNNING: 1,
    ReportStatus.SUCCEEDED: 2,
    ReportStatus.PARTIAL: 2,
    ReportStatus.FAILED: 2,
    ReportStatus.CANCELLED: 2,
    ReportStatus.EXPIRED: 3,
}


@given(st.lists(statuses, max_size=30))
def test_observed_sequences_never_move_backwards(observed: list[ReportStatus]) -> None:
    job = ReportJob(provider="toy", profile="p", job_id="1", report_type="T")
    history = [job.status]
    for seen in observed:
        job = job.observe(
            ReportJob(
                provider="toy",
                profile="p",
                job_id="1",
                report_type="T",
                status=seen,
                provider_status=seen.value,
            )
        )
        history.append(job.status)
    for before, after in itertools.pairwise(history):
        assert can_transition(before, after)
        assert RANK[after] >= RANK[before]
    terminal = [s for s in history if s.is_terminal]
    if terminal:
        # once terminal, only SUCCEEDED/PARTIAL -> EXPIRED can follow
        first = terminal[0]
        assert set(history[history.index(first) :]) <= {first, ReportStatus.EXPIRED}


@given(st.sampled_from([ReportStatus.PENDING, ReportStatus.RUNNING]))
def test_any_unfinished_state_can_end_partial(current: ReportStatus) -> None:
    assert advance(current, ReportStatus.PARTIAL) is ReportStatus.PARTIAL
    assert advance(ReportStatus.PARTIAL, ReportStatus.EXPIRED) is ReportStatus.EXPIRED
    for other in set(ReportStatus) - {ReportStatus.PARTIAL, ReportStatus.EXPIRED}:
        assert advance(ReportStatus.PARTIAL, other) is ReportStatus.PARTIAL
        if other.is_terminal:
            assert advance(other, ReportStatus.PARTIAL) is other


@given(statuses, statuses)
def test_advance_result_is_one_of_its_inputs(current: ReportStatus, observed: ReportStatus) -> None:
    assert advance(current, observed) in (current, observed)


@given(
    st.sampled_from(list(ReportStatus)), st.sampled_from(list(ReportStatus)), st.text(max_size=20)
)
def test_an_observation_never_readdresses_the_job(
    current: ReportStatus, observed: ReportStatus, other_id: str
) -> None:
    job = ReportJob(provider="p", profile="n", job_id="abc", report_type="T", status=current)
    seen = ReportJob(provider="q", profile="m", job_id=other_id, report_type="T", status=observed)
    merged = job.observe(seen)
    assert (merged.provider, merged.profile, merged.job_id) == ("p", "n", "abc")
