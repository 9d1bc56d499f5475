"""Property tests: the state mapping is total over SpaceONE's vocabulary and never goes back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ReportStatus, UnknownStatusError
from reportbridge.status import can_transition
from reportbridge_spaceone.responses import to_job
from reportbridge_spaceone.status import (
    NEUTRAL,
    STATE_NAMES,
    STATE_NUMBERS,
    STATUS,
    error_detail,
    read_state,
    state_name,
)

names = st.sampled_from(sorted(STATE_NUMBERS))
variants = st.sampled_from([str.upper, str.lower, str.title, str.swapcase, lambda s: f" {s}\t"])
EXPECTED = {
    "CREATED": ReportStatus.PENDING,
    "IN_PROGRESS": ReportStatus.RUNNING,
    "FINISHED": ReportStatus.SUCCEEDED,
    "FAILURE": ReportStatus.FAILED,
    "TIMEOUT": ReportStatus.FAILED,
    "CANCELED": ReportStatus.CANCELLED,
}


def test_vocabulary_is_the_protobuf_enum() -> None:
    assert STATE_NUMBERS == {
        "CREATED": 0,
        "IN_PROGRESS": 1,
        "FAILURE": 2,
        "TIMEOUT": 3,
        "CANCELED": 4,
        "FINISHED": 5,
    }
    assert NEUTRAL == EXPECTED
    assert ReportStatus.EXPIRED not in NEUTRAL.values(), "TIMEOUT is a failed run, not an expiry"


@given(names, variants)
def test_names_map_in_any_case(name: str, variant: Any) -> None:
    assert STATUS(variant(name)) is EXPECTED[name]
    assert state_name(variant(name)) == name


@given(names)
def test_numbers_map_like_names(name: str) -> None:
    number = STATE_NUMBERS[name]
    assert STATUS(number) is STATUS(name)
    assert state_name(number) == name
    assert read_state({"state": number}) == name


@given(st.text())
def test_unknown_names_are_refused(raw: str) -> None:
    if raw.strip().upper() in STATE_NUMBERS:
        return
    with pytest.raises(UnknownStatusError) as info:
        STATUS(raw)
    assert "spaceone" in str(info.value) and repr(raw) in str(info.value)


@given(st.one_of(st.integers().filter(lambda n: n not in STATE_NAMES), st.booleans()))
def test_unknown_numbers_and_booleans_are_refused(raw: int) -> None:
    with pytest.raises(UnknownStatusError):
        read_state({"state": raw})


@given(st.one_of(st.floats(), st.lists(st.text()), st.dictionaries(st.text(), st.text())))
def test_other_types_are_refused(raw: object) -> None:
    with pytest.raises(UnknownStatusError):
        read_state({"state": raw})


def test_missing_state_is_created() -> None:
    assert read_state({}) == "CREATED"
    assert read_state({"state": None}) == "CREATED"
    job = to_job({"report_id": "report-4f2a9c1d7b30"}, profile="p", what="get")
    assert job.status is ReportStatus.PENDING and job.provider_status == "CREATED"


def test_timeout_fails_with_a_timeout_reason() -> None:
    detail = error_detail("TIMEOUT", {"code": "ERROR_X", "message": "took 600 s"})
    assert detail is not None and detail.message.startswith("timeout")
    assert detail.code == "ERROR_X" and detail.retryable
    bare = error_detail("TIMEOUT", None)
    assert bare is not None and bare.code == "TIMEOUT" and "timeout" in bare.message
    failed = error_detail("FAILURE", {"code": "ERROR_TEMPLATE_RENDER", "message": "bad month"})
    assert failed is not None and failed.code == "ERROR_TEMPLATE_RENDER"
    assert failed.message == "bad month" and not failed.retryable
    assert error_detail("FINISHED", None) is None


def _info(state: object) -> dict[str, Any]:
    info: dict[str, Any] = {"report_id": "report-4f2a9c1d7b30", "template_id": "template-x"}
    if state is not None:
        info["state"] = state
    return info


observed = st.one_of(names, st.sampled_from(sorted(STATE_NAMES)), st.none())


@given(st.lists(observed, min_size=1, max_size=12))
def test_histories_never_move_a_job_backwards(history: list[object]) -> None:
    job = ReportJob(provider="spaceone", profile="p", job_id="report-4f2a9c1d7b30", report_type="t")
    for raw in history:
        seen = to_job(_info(raw), profile="p", what="get")
        before = job.status
        job = job.observe(seen)
        assert can_transition(before, job.status)
        if before.is_terminal:
            assert job.status is before
    last_terminal = [s for s in history if STATUS(read_state(_info(s))).is_terminal]
    if last_terminal:
        assert job.status is STATUS(read_state(_info(last_terminal[0])))


@given(observed)
def test_only_finished_reports_offer_a_file(raw: object) -> None:
    info = {**_info(raw), "storage_path": "domain-58eb06a4dcd7/report-4f2a9c1d7b30.pdf"}
    job = to_job(info, profile="p", what="get")
    assert job.is_fetchable == (read_state(info) == "FINISHED")
    assert job.formats == (("pdf",) if job.is_fetchable else ())
