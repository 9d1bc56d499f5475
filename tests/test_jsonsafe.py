"""Bounded JSON nesting: deep input is a typed error, never RecursionError."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ValidationError, jsonsafe
from reportbridge.jsonsafe import JsonTooDeepError

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(alphabet="ab[]{}\"\\,:' \n")
JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(JSON)
def test_depth_is_counted_as_a_parser_meets_it(value: Any) -> None:
    text = json.dumps(value)
    assert jsonsafe.nesting_depth(text) == _depth(value)
    assert jsonsafe.loads(text.encode()) == value
    if _depth(value) > 1:
        with pytest.raises(JsonTooDeepError):
            jsonsafe.loads(text, max_depth=_depth(value) - 1)


@pytest.mark.parametrize(
    "hostile",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "[" * 200_000,  # never closed
        '[{"x": ' * 30_000 + "null" + "}]" * 30_000,
    ],
)
def test_deep_input_is_a_typed_error(hostile: str) -> None:
    with pytest.raises(RecursionError):
        json.loads(hostile)  # what the standard parser does with it
    for data in (hostile, hostile.encode()):
        with pytest.raises(JsonTooDeepError) as info:
            jsonsafe.loads(data, what="job reference", field="ref")
        assert isinstance(info.value, ValidationError)
        assert isinstance(info.value, ValueError)
        assert info.value.field == "ref"
        assert "job reference" in str(info.value)
        assert f"at most {jsonsafe.MAX_DEPTH}" in str(info.value)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 1000, "quote": 'a"[[[\\'})
    assert jsonsafe.nesting_depth(text) == 1
    assert jsonsafe.loads(text)["note"] == "[" * 1000


def test_not_json_stays_a_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting") as info:
        jsonsafe.loads(b'{"truncated": ')
    assert not isinstance(info.value, JsonTooDeepError)


def test_utf16_bytes_are_read_as_json_loads_reads_them() -> None:
    assert jsonsafe.loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}
