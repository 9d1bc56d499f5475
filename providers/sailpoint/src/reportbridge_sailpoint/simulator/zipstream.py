"""A zip archive produced chunk by chunk, for SEARCH_EXPORT's zip of CSV files.

Members are stored (not compressed) and each is followed by a data descriptor, so
the CRC can be computed while streaming and the total size is known in advance:
the simulator can announce Content-Length for any member size without buffering.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence

from reportbridge.testing.files import SyntheticFile

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_DESCRIPTOR = struct.Struct("<IIII")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_FLAG_DESCRIPTOR = 0x08
_UTF8 = 0x800
_DOS_TIME, _DOS_DATE = 0, (2025 - 1980) << 9 | 3 << 5 | 4  # 2025-03-04 00:00
_LIMIT = 0xFFFFFFFF  # no zip64: each member and the whole archive stay below 4 GiB


class StreamedZip:
    """``members`` (name, content) as a zip file; iterate it to get the bytes."""

    def __init__(self, members: Sequence[tuple[str, SyntheticFile]]) -> None:
        self.members = [(name.encode(), content) for name, content in members]
        self.size = (
            sum(
                _LOCAL.size
                + len(name)
                + content.size
                + _DESCRIPTOR.size
                + _CENTRAL.size
                + len(name)
                for name, content in self.members
            )
            + _END.size
        )
        if self.size >= _LIMIT:
            raise ValueError("a simulated zip must stay below 4 GiB")

    def __iter__(self) -> Iterator[bytes]:
        central = []
        offset = 0
        for name, content in self.members:
            yield (
                _LOCAL.pack(
                    0x04034B50,
                    20,
                    _FLAG_DESCRIPTOR | _UTF8,
                    0,
                    _DOS_TIME,
                    _DOS_DATE,
                    0,
                    0,
                    0,
                    len(name),
                    0,
                )
                + name
            )
            crc = 0
            for chunk in content:
                crc = zlib.crc32(chunk, crc)
                yield chunk
            yield _DESCRIPTOR.pack(0x08074B50, crc, content.size, content.size)
            central.append(
                _CENTRAL.pack(
                    0x02014B50,
                    20,
                    20,
                    _FLAG_DESCRIPTOR | _UTF8,
                    0,
                    _DOS_TIME,
                    _DOS_DATE,
                    crc,
                    content.size,
                    content.size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
            offset += _LOCAL.size + len(name) + content.size + _DESCRIPTOR.size
        directory = b"".join(central)
        yield directory
        count = len(central)
        yield _END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0)
