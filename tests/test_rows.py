"""Row counting for completeness: CSV with quoted newlines, JSON, NDJSON, zips."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportbridge.audit.rows import CHUNK, count_rows, count_stream, json_array_length


def _write(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_csv_counts_records_not_lines(tmp_path: Path) -> None:
    body = b'id,comment\n1,"two\nlines"\n2,"quote "" and, comma"\r\n\n3,last-without-newline'
    assert count_rows(_write(tmp_path, "a.csv", body), "csv").rows == 3


def test_csv_header_only_is_zero_rows_and_empty_file_too(tmp_path: Path) -> None:
    assert count_rows(_write(tmp_path, "h.csv", b"id,name\n"), "csv").rows == 0
    assert count_rows(_write(tmp_path, "e.csv", b""), "csv").rows == 0


def test_json_array_and_records_member(tmp_path: Path) -> None:
    rows = [{"a": 'x]},"[', "n": [1, 2, {"b": "}"}]} for _ in range(5)]
    assert count_rows(_write(tmp_path, "a.json", json.dumps(rows).encode()), "json").rows == 5
    doc = {"type": "calls", "version": "v1", "entries": rows[:3], "total": 3}
    assert count_rows(_write(tmp_path, "b.json", json.dumps(doc).encode()), "json").rows == 3
    assert count_rows(_write(tmp_path, "c.json", b"[]"), "json").rows == 0
    assert count_rows(_write(tmp_path, "d.json", b' { "entries" : [ ] } '), "json").rows == 0


def test_json_that_is_cut_or_has_no_records_is_a_problem(tmp_path: Path) -> None:
    cut = count_rows(_write(tmp_path, "a.json", b'[{"a": 1}, {"a": "x'), "json")
    assert cut.rows is None and "cut off" in (cut.problem or "")
    scalar = count_rows(_write(tmp_path, "b.json", b"42"), "json")
    assert scalar.rows is None and "neither an array nor an object" in (scalar.problem or "")
    nothing = count_rows(_write(tmp_path, "c.json", b'{"a": {"b": 1}}'), "json")
    assert nothing.rows is None and "no array of records" in (nothing.problem or "")


def test_ndjson_counts_nonblank_lines(tmp_path: Path) -> None:
    body = b'{"a":1}\n\n{"a":2}\n   \n{"a":3}'
    assert count_rows(_write(tmp_path, "a.jsonl", body), "json_bulk").rows == 3


def test_pdf_is_not_countable(tmp_path: Path) -> None:
    result = count_rows(_write(tmp_path, "a.pdf", b"%PDF-1.4\n..."), "pdf")
    assert result.rows is None and result.method == "not countable" and result.problem is None


def test_zip_members_are_summed_whatever_the_format_is_called(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("identities.csv", 'id,name\n1,a\n2,"b\nc"\n')
        archive.writestr("roles.csv", "id,name\n1,r\n")
    result = count_rows(_write(tmp_path, "export.csv", buffer.getvalue()), "csv")
    assert result.rows == 3 and result.method == "zip"
    assert result.members == (("identities.csv", 2), ("roles.csv", 1))


def test_zip_bomb_member_is_not_read(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.csv", b"a\n" + b"0" * (8 << 20))
    result = count_rows(_write(tmp_path, "bomb.zip", buffer.getvalue()), "zip")
    assert result.rows is None and "expands too far" in (result.problem or "")


def test_a_broken_zip_is_a_problem(tmp_path: Path) -> None:
    result = count_rows(_write(tmp_path, "x.zip", b"PK\x03\x04" + b"\0" * 40), "zip")
    assert result.rows is None and "not a readable zip" in (result.problem or "")


def test_a_huge_csv_field_is_a_problem_not_a_memory_blowup(tmp_path: Path) -> None:
    body = b'id,blob\n1,"' + b"x" * ((16 << 20) + 10) + b'"\n'
    result = count_rows(_write(tmp_path, "big.csv", body), "csv")
    assert result.rows is None and "field larger" in (result.problem or "")


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=120, deadline=None)
@given(rows=st.lists(st.lists(_text, min_size=1, max_size=4), max_size=30))
def test_csv_count_matches_the_stdlib_reader(rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["h1", "h2"])
    writer.writerows(rows)
    expected = sum(1 for row in csv.reader(io.StringIO(out.getvalue())) if row) - 1
    body = out.getvalue().encode()
    assert count_stream(io.BytesIO(body), "csv").rows == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(records=st.lists(_json, max_size=20), split=st.integers(1, 7), indent=st.booleans())
def test_json_count_holds_across_any_chunking(
    records: list[object], split: int, indent: bool
) -> None:
    body = json.dumps(records, indent=2 if indent else None, ensure_ascii=False).encode()
    chunks = [body[i : i + split] for i in range(0, len(body), split)]
    assert json_array_length(chunks) == len(records)


def test_large_file_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as fh:
        for i in range(200_000):
            fh.write(b'{"i":%d}\n' % i)
    assert path.stat().st_size > 10 * CHUNK
    assert count_rows(path, "ndjson").rows == 200_000


@pytest.mark.parametrize("fmt", ["csv", "json", "json_bulk"])
def test_explore_simulator_files_count_what_they_hold(fmt: str) -> None:
    from reportbridge_explore.sim_files import ReportFile

    file = ReportFile(50_000, seed="s", fmt=fmt, report_type="calls")
    assert count_stream(io.BytesIO(file.read_all()), fmt).rows == file.count


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(0, 3 * 65536 + 100),
    header=st.sampled_from([b"", b"id,name\n", b"a,b,c,d\n"]),
)
def test_synthetic_file_rows_are_what_a_reader_counts(size: int, header: bytes) -> None:
    from reportbridge.testing.files import SyntheticFile

    file = SyntheticFile(size, seed="rows", header=header)
    counted = count_stream(io.BytesIO(file.read_all()), "csv").rows
    assert file.rows == counted
