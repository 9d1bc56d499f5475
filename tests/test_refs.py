"""Job references round-trip and refuse anything malformed with a typed error."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, ValidationError
from reportbridge.refs import PREFIX, decode_ref, encode_ref

names = st.text(min_size=1, max_size=40)
jobs = st.builds(
    ReportJob,
    provider=names,
    profile=names,
    job_id=names,
    report_type=st.text(max_size=60),
    submitted_at=st.none() | st.datetimes(timezones=st.just(dt.UTC)),
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=4),
)


@given(jobs)
def test_reference_round_trips(job: ReportJob) -> None:
    ref = encode_ref(job)
    assert ref.startswith(PREFIX)
    assert ref.isascii() and " " not in ref
    back = decode_ref(ref)
    assert (back.provider, back.profile, back.job_id, back.report_type) == (
        job.provider,
        job.profile,
        job.job_id,
        job.report_type,
    )
    assert back.submitted_at == job.submitted_at
    assert back.extra == job.extra
    assert ReportJob.from_ref(back).ref == ref


@given(st.text(max_size=200))
def test_garbage_is_a_validation_error(text: str) -> None:
    for candidate in (text, PREFIX + text):
        with contextlib.suppress(ValidationError):
            decode_ref(candidate)


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "rb1.",
        "rb1.!!!!",
        "rb0.eyJwIjoieCJ9",
        "rb1.bnVsbA",
        "rb1.eyJ6Ijo1fQ",
        "rb1.eyJwIjoidCJ9",
    ],
)
def test_malformed_references(ref: str) -> None:
    with pytest.raises(ValidationError) as info:
        decode_ref(ref)
    assert "reference" in str(info.value)
