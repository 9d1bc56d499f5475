"""A chunk must be one whole JSON array: checked while it streams, in any split."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge_tenable.chunkstream import ArrayFrame

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
arrays = st.lists(values, max_size=6)


def feed(data: bytes, cuts: list[int]) -> ArrayFrame:
    frame = ArrayFrame()
    start = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}):
        frame.feed(data[start:cut])
        start = cut
    frame.feed(data[start:])
    return frame


@given(arrays, st.lists(st.integers(min_value=0), max_size=5), st.booleans())
def test_any_json_array_passes_in_any_split(
    rows: list[object], cuts: list[int], pretty: bool
) -> None:
    data = json.dumps(rows, indent=2 if pretty else None, ensure_ascii=False).encode() + b"\n"
    assert feed(data, cuts).problem(at_end=True) is None


@given(arrays.filter(bool), st.data())
def test_every_cut_short_of_the_end_is_caught(rows: list[object], data: st.DataObject) -> None:
    whole = json.dumps(rows).encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    frame = feed(whole[:cut], [])
    assert frame.problem(at_end=False) is None
    assert frame.problem(at_end=True) is not None


@pytest.mark.parametrize(
    "data",
    [
        b'{"error": "not a list"}',
        b"<html>502 Bad Gateway</html>",
        b"[1, 2]]",
        b'[1, 2] {"more": 1}',
        b"",
        b"   ",
    ],
)
def test_what_is_not_one_array_is_refused(data: bytes) -> None:
    assert feed(data, [3]).problem(at_end=True) is not None


def test_brackets_inside_strings_do_not_count() -> None:
    data = b'[{"output": "a ] b [ c \\" ] { "}, "]"]'
    assert json.loads(data)
    assert feed(data, [1, 14, 15]).problem(at_end=True) is None
