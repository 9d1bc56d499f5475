"""Vendor ids into URL paths: one segment, or a typed refusal — never a path that steers."""

from __future__ import annotations

import re
import string
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge.errors import ProviderProtocolError, ValidationError
from reportbridge.ids import MAX_ID_LENGTH, path_segment, vendor_id

HEX32 = re.compile(r"[0-9a-f]{32}")
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")

HOSTILE = [
    "../../../admin/users/42?force=true#",
    "../x",
    "a/b",
    "x?y=1",
    "%2e%2e",
    "%2F",
    "#frag",
    "a\\b",
    ".",
    "..",
    "\uff0e\uff0e",  # fullwidth dots normalise to ..
    "a\u2215b",  # division slash
    "a\uff0fb",  # fullwidth solidus
    "a\u2044b",  # fraction slash
    "a\x00b",
    "a\r\nX-Injected: 1",
    "with space",
    "a\u202eb",  # right-to-left override
    "",
    "x" * (MAX_ID_LENGTH + 1),
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused_with_a_typed_error(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        path_segment(value, what="toy job id", provider="toy")
    message = str(info.value)
    assert "accepted" in message and "toy job id" in message
    assert info.value.provider == "toy" and info.value.field == "job_id"
    # never echoed raw: no control characters, and long values are cut
    assert message.isprintable() and len(message) < 400


@pytest.mark.parametrize("value", [None, 42, ["a"], {"a": 1}, True, 1.5])
def test_non_strings_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError, match="not a string"):
        path_segment(value, what="job id")


@given(st.text(max_size=80))
def test_whatever_is_accepted_is_exactly_one_segment(value: str) -> None:
    try:
        segment = path_segment(value, what="job id")
    except ValidationError:
        return
    assert set(segment) <= UNRESERVED | {"%"} | set(string.hexdigits)
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert segment not in (".", "..")
    assert unquote(segment) == value  # the server decodes exactly the id, nothing more
    assert "/" not in unquote(unquote(segment))  # a second decoding reveals no slash either


@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1))
def test_letters_and_digits_of_any_script_pass_encoded(value: str) -> None:
    if len(value) > MAX_ID_LENGTH:
        return
    assert unquote(path_segment(value, what="job id")) == value


def test_a_documented_shape_is_enforced() -> None:
    good = "ef38f94347e94562b5bb8424a56397d8"
    assert path_segment(good, what="task id", pattern=HEX32) == good
    for bad in (good.upper(), good[:-1], good + "0", f"{good}/x", "report-4f2a9c1d7b30"):
        with pytest.raises(ValidationError, match=re.escape(HEX32.pattern)):
            path_segment(bad, what="task id", pattern=HEX32, example=good)


def test_a_loose_shape_cannot_let_a_path_character_through() -> None:
    loose = re.compile(r".+")
    with pytest.raises(ValidationError):
        path_segment("a/../b", what="job id", pattern=loose)


@pytest.mark.parametrize("value", HOSTILE[:8])
def test_vendor_answers_are_protocol_errors(value: str) -> None:
    with pytest.raises(ProviderProtocolError, match="cannot address it"):
        vendor_id(value, what="job id", provider="toy")
    assert vendor_id(123, what="job id", provider="toy") == "123"
    with pytest.raises(ProviderProtocolError):
        vendor_id(True, what="job id", provider="toy")
