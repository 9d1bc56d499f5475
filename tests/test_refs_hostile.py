"""A job reference is input: anything but what encode_ref writes is refused, nothing is sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ReportJob, Reports, ValidationError
from reportbridge.refs import (
    MAX_EXTRA_ITEMS,
    MAX_EXTRA_VALUE,
    MAX_FIELD,
    MAX_REF_LENGTH,
    PREFIX,
    decode_ref,
    encode_ref,
)
from reportbridge.testing.contract_ids import handmade_ref
from tests.toy import ToySimulator

GOOD = {"p": "toy", "n": "toy", "i": "job-1", "t": "USERS"}


raw_ref = handmade_ref


not_strings = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


def test_the_good_reference_decodes() -> None:
    assert decode_ref(raw_ref(GOOD)).job_id == "job-1"


@given(field=st.sampled_from(["p", "n", "i", "t", "s"]), value=not_strings)
def test_a_field_of_the_wrong_type_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        decode_ref(raw_ref({**GOOD, field: value}))
    assert info.value.field == "ref"


@given(value=not_strings.filter(lambda v: not isinstance(v, dict)) | st.text(max_size=5))
def test_extra_must_be_an_object(value: Any) -> None:
    with pytest.raises(ValidationError):
        decode_ref(raw_ref({**GOOD, "x": value}))


@given(key=st.text(max_size=8), value=not_strings)
def test_extra_values_must_be_strings(key: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=r"extra|nested|not valid JSON"):
        decode_ref(raw_ref({**GOOD, "x": {key: value}}))


@pytest.mark.parametrize(
    "text",
    [
        '{"p":"toy","n":"toy","i":NaN,"t":"USERS"}',
        '{"p":"toy","n":"toy","i":"a","t":"USERS","x":{"k":Infinity}}',
        '{"p":"toy","n":"toy","i":"a","i":"../admin","t":"USERS"}',
        '{"p":"toy","n":"toy","i":"a","t":"USERS","x":{"k":"v","k":"w"}}',
        '{"p":"toy","n":"toy","i":"a","t":"USERS","x":{"k":["v"]}}',
        '{"p":"toy","n":"toy","i":"a","t":"USERS","x":' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"p":"toy","n":"toy","i":' + '{"a":' * 3000 + "1" + "}" * 3000 + ',"t":"U"}',
        '["toy","toy","a","USERS"]',
        '"rb1.eyJ"',
    ],
)
def test_smuggled_json_is_refused(text: str) -> None:
    # Deep nesting is refused before parsing: a ValidationError, never a RecursionError.
    with pytest.raises(ValidationError):
        decode_ref(raw_ref(text))


@pytest.mark.parametrize(
    "fields",
    [
        {"i": "x" * (MAX_FIELD["job_id"] + 1)},
        {"t": "T" * (MAX_FIELD["report_type"] + 1)},
        {"n": "n" * (MAX_FIELD["profile"] + 1)},
        {"x": {"files": "y" * (MAX_EXTRA_VALUE + 1)}},
        {"x": {str(n): "v" for n in range(MAX_EXTRA_ITEMS + 1)}},
        {"x": {"k" * 100: "v"}},
        {"s": "2025-01-01T00:00:00" + " " * 100},
    ],
)
def test_overlong_fields_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        decode_ref(raw_ref({**GOOD, **fields}))


def test_an_overlong_reference_is_refused_before_decoding() -> None:
    with pytest.raises(ValidationError, match=str(MAX_REF_LENGTH)):
        decode_ref(PREFIX + "A" * MAX_REF_LENGTH)


@pytest.mark.parametrize("body", ["eyJ!!!", "eyJwIjoidCJ9+/", "e", "=eyJw", "eyJwIjoidCJ9\x00"])
def test_characters_outside_base64url_are_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        decode_ref(PREFIX + body)


@pytest.mark.parametrize(
    "secret_url",
    [
        "https://api.example.com/files/1?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA",
        "https://api.example.com/files/1?token=abcdef0123456",
        "https://api.example.com/files/1?sig=abcdef0123456&sv=2020-08-04",
        "https://api.example.com/files/1?auth_key=1700000000-0-0-abcdef0123",
        "https://user:pa55word@api.example.com/files/1",
        "Bearer abcdef0123456789",
    ],
)
def test_a_value_carrying_a_credential_is_never_written(secret_url: str) -> None:
    job = ReportJob(
        provider="toy",
        profile="toy",
        job_id="1",
        report_type="T",
        extra={"files": secret_url, "format": "csv"},
    )
    ref = encode_ref(job)
    back = decode_ref(ref)
    assert back.extra == {"format": "csv"}
    assert "files" not in json.dumps(back.extra)


def test_an_id_too_long_for_a_reference_is_refused_when_encoding() -> None:
    job = ReportJob(provider="toy", profile="toy", job_id="x" * 300, report_type="T")
    with pytest.raises(ValidationError, match="job_id"):
        encode_ref(job)


@given(
    submitted=st.datetimes(timezones=st.just(dt.UTC)),
    extra=st.dictionaries(
        st.text(max_size=10), st.text(alphabet="abcdef0123-_.:/", max_size=60), max_size=5
    ),
)
def test_what_encode_writes_decode_accepts(submitted: dt.datetime, extra: dict[str, str]) -> None:
    job = ReportJob(
        provider="toy",
        profile="toy",
        job_id="j",
        report_type="T",
        submitted_at=submitted,
        extra=extra,
    )
    back = decode_ref(encode_ref(job))
    assert back.submitted_at == submitted
    assert back.extra == extra


def test_a_wrongly_typed_reference_sends_nothing(
    toy_reports: Reports, toy_sim: ToySimulator
) -> None:
    job = toy_reports.run("toy", "USERS")
    before = len(toy_sim.requests)
    for bad in ([job.job_id], True, 42, {"id": job.job_id}, None):
        ref = raw_ref({"p": "toy", "n": "toy", "i": bad, "t": "USERS"})
        for call in (toy_reports.poll, toy_reports.cancel):
            with pytest.raises(ValidationError):
                call(ref)
    assert len(toy_sim.requests) == before
