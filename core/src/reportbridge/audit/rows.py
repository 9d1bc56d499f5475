"""Counting the rows a report file actually holds, streaming, in bounded memory.

- CSV: records as a CSV reader sees them (quoted fields may hold newlines), blank
  lines skipped, the first record taken as the header.
- JSON: the elements of a top-level array, or of the first array-valued member of a
  top-level object (e.g. ``{"entries": [...], "total": N}``).
- NDJSON (``ndjson``, ``jsonl``, ``json_bulk``): non-blank lines.
- A zip (sniffed by its signature, whatever the format is called, e.g. SailPoint's
  SEARCH_EXPORT): the sum over its members, each counted by its own extension.

Anything else (PDF...) is not countable: :func:`count_rows` returns None for it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import attrs

CHUNK = 1 << 16
#: The largest CSV field counted (bounds memory); a larger one makes the file uncountable.
MAX_FIELD = 16 << 20
#: A zip member expanding more than this many times its stored size is not read (zip bombs).
MAX_ZIP_RATIO = 200
NDJSON_FORMATS = frozenset({"ndjson", "jsonl", "json_bulk"})
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@attrs.frozen
class RowCount:
    """Rows counted in one file, how (``method``), and for a zip, per member."""

    rows: int | None
    method: str
    members: tuple[tuple[str, int | None], ...] = ()
    problem: str | None = None
    #: the file ends early (a cut JSON document): rows are missing, not just uncountable
    truncated: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"rows": self.rows, "method": self.method}
        if self.members:
            out["members"] = [{"name": n, "rows": r} for n, r in self.members]
        if self.problem:
            out["problem"] = self.problem
        if self.truncated:
            out["truncated"] = True
        return out


def count_rows(path: Path, format: str) -> RowCount:
    """Rows in the file at ``path`` delivered as ``format`` (None when not countable)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if head in _ZIP_MAGIC:
            return _count_zip(path)
        return count_stream(fh, format.lower())


def count_stream(fh: IO[bytes], format: str) -> RowCount:
    """Rows in a binary stream of a file in ``format`` (lower case)."""
    try:
        if format in ("csv", "tsv"):
            return RowCount(_csv_rows(fh, "\t" if format == "tsv" else ","), format)
        if format == "json":
            return RowCount(json_array_length(_chunks(fh)), "json")
        if format in NDJSON_FORMATS:
            return RowCount(_nonblank_lines(_chunks(fh)), "ndjson")
    except RowCountError as exc:
        return RowCount(None, format, problem=str(exc), truncated=exc.truncated)
    return RowCount(None, "not countable")


class RowCountError(ValueError):
    """The file is not what its format says, so its rows cannot be counted."""

    def __init__(self, message: str, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        yield chunk


def _csv_rows(fh: IO[bytes], delimiter: str) -> int:
    # latin-1 maps every byte to one character, and quotes, commas and newlines are
    # single ASCII bytes in UTF-8 too, so the count holds whatever the text encoding.
    text = io.TextIOWrapper(fh, encoding="latin-1", newline="")
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        records = sum(1 for row in csv.reader(text, delimiter=delimiter) if row)
    except csv.Error as exc:
        raise RowCountError(f"not a readable CSV file: {exc}") from None
    finally:
        csv.field_size_limit(previous)
        text.detach()
    return max(0, records - 1)


def _nonblank_lines(chunks: Iterable[bytes]) -> int:
    count, content = 0, False
    for chunk in chunks:
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            if content or piece.strip():
                count += 1
            content = False
        content = content or bool(pieces[-1].strip())
    return count + (1 if content else 0)


_TOKEN = re.compile(rb'[\[\]{},:"]|[^\s\[\]{},:"]+')


def json_array_length(chunks: Iterable[bytes]) -> int:
    """Elements of the top-level array (or of the first array member of a top-level
    object), read as a token stream: strings are skipped, never held."""
    depth = 0
    target: int | None = None  # depth of the array counted
    in_string = escaped = False
    elements = 0
    seen_value = False  # the counted array has at least one element
    top: bytes | None = None
    after_colon = False
    for chunk in chunks:
        pos = 0
        while pos < len(chunk):
            if in_string:
                pos, in_string, escaped = _skip_string(chunk, pos, escaped)
                continue
            match = _TOKEN.search(chunk, pos)
            if match is None:
                break
            token, pos = match.group(), match.end()
            if top is None:
                top = token[:1]
                if top not in (b"[", b"{"):
                    raise RowCountError("JSON document is neither an array nor an object")
            if target is not None and depth == target and token not in (b"]", b","):
                seen_value = True
            if token == b'"':
                in_string = True
            elif token in (b"[", b"{"):
                depth += 1
                member_array = depth == 2 and after_colon
                if token == b"[" and target is None and (depth == 1 or member_array):
                    target = depth
            elif token in (b"]", b"}"):
                if target is not None and depth == target:
                    return elements + (1 if seen_value else 0)
                depth -= 1
            elif token == b"," and target is not None and depth == target:
                elements += 1
            after_colon = token == b":" and depth == 1
    if in_string or depth:
        raise RowCountError("JSON document ends early (cut off)", truncated=True)
    raise RowCountError("JSON document has no array of records")


def _skip_string(chunk: bytes, pos: int, escaped: bool) -> tuple[int, bool, bool]:
    """Move past string content; returns (pos, still in string, escape pending)."""
    if escaped:
        pos += 1
    while True:
        quote = chunk.find(b'"', pos)
        backslash = chunk.find(b"\\", pos)
        if backslash != -1 and (quote == -1 or backslash < quote):
            if backslash + 1 >= len(chunk):
                return len(chunk), True, True
            pos = backslash + 2
            continue
        if quote == -1:
            return len(chunk), True, False
        return quote + 1, False, False


def _count_zip(path: Path) -> RowCount:
    members: list[tuple[str, int | None]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) + (1 << 20):
                    return RowCount(
                        None, "zip", tuple(members), f"member {info.filename!r} expands too far"
                    )
                fmt = Path(info.filename).suffix.lstrip(".").lower()
                with archive.open(info) as member:
                    counted = count_stream(io.BufferedReader(_Capped(member, info.file_size)), fmt)
                if counted.problem:
                    return RowCount(
                        None,
                        "zip",
                        tuple(members),
                        f"{info.filename}: {counted.problem}",
                        counted.truncated,
                    )
                members.append((info.filename, counted.rows))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        return RowCount(None, "zip", tuple(members), f"not a readable zip: {exc}")
    counts = [rows for _, rows in members]
    total = sum(r for r in counts if r is not None) if counts and None not in counts else None
    return RowCount(total, "zip", tuple(members))


class _Capped(io.RawIOBase):
    """A member stream that stops at the size its header declared."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner, self._left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._inner.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


__all__ = ["RowCount", "RowCountError", "count_rows", "count_stream", "json_array_length"]
