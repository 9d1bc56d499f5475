"""The download loop reads into reused buffers: same bytes, same checks, same failures."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge import DownloadError, LocalWriteError, TransportError
from reportbridge.download import _DiskWriter, write_stream
from reportbridge.provider import FileStream
from reportbridge.testing import Request, Response, route
from reportbridge.transport import HttpClient, TransportOptions
from tests.toy import ToySimulator

CONTENT = b"id,name\n" + b"".join(b"%d,user-%d\n" % (i, i) for i in range(150_000))


class Blobs(ToySimulator):
    @route("GET", "/blob/(?P<encoding>[^/]+)")
    def blob(self, req: Request, encoding: str) -> Response:
        body = gzip.compress(CONTENT) if encoding == "gzip" else CONTENT
        return Response(200, {"Content-Type": "text/csv", "Content-Encoding": encoding}, body)


def opened(start_simulator: Any, encoding: str, cls: type[FileStream] = FileStream) -> Any:
    sim = start_simulator(Blobs())
    http = HttpClient(sim.base_url, options=TransportOptions(), sleep=lambda s: None)
    return cls(http.request("GET", f"blob/{encoding}", stream=True), format="csv")


class Refusing(FileStream):
    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        yield from super().chunks(size)
        raise TransportError("the body does not end as it must")


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_readinto_gives_the_content_in_any_buffer_size(start_simulator: Any, encoding: str) -> None:
    with opened(start_simulator, encoding) as stream:
        buf = memoryview(bytearray(9_973))  # no multiple of anything the server sends
        got = bytearray()
        while n := stream.readinto(buf):
            got += buf[:n]
    assert bytes(got) == CONTENT


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_stream_that_reshapes_its_chunks_is_stored_as_reshaped(
    start_simulator: Any, tmp_path: Path, encoding: str
) -> None:
    class Upper(FileStream):
        def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
            for piece in super().chunks(size):
                yield piece.upper()

    with opened(start_simulator, encoding, Upper) as stream:
        fetched = write_stream(stream, tmp_path, "report.csv")
    assert fetched.path.read_bytes() == CONTENT.upper()
    assert fetched.sha256 == hashlib.sha256(CONTENT.upper()).hexdigest()


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_stream_whose_chunks_refuse_the_body_keeps_nothing(
    start_simulator: Any, tmp_path: Path, encoding: str
) -> None:
    with opened(start_simulator, encoding, Refusing) as stream, pytest.raises(DownloadError):
        write_stream(stream, tmp_path, "report.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_flush_while_downloading_fails_the_download(tmp_path: Path) -> None:
    # fdatasync of /dev/null fails (EINVAL): the error of a background flush must not be
    # lost, since the final fsync may not report it again
    def write_three(out: Any) -> None:
        with _DiskWriter(out, hashlib.sha256(), tmp_path / "f", flush_every=1) as disk:
            for _ in range(3):
                buf = disk.free_buffer()
                buf[:5] = b"12345"
                disk.put(buf, 5)

    with open("/dev/null", "wb", buffering=0) as out, pytest.raises(LocalWriteError):
        write_three(out)


def _write_pieces(path: Path, pieces: list[bytes], expected: int | None) -> tuple[Any, str]:
    """Feed ``pieces`` as a reader would: never more than the buffer it is given holds."""
    digest = hashlib.sha256()
    with (
        open(path, "wb", buffering=0) as out,
        _DiskWriter(out, digest, path, expected=expected) as disk,
    ):
        for piece in pieces:
            while piece:
                buf = disk.free_buffer()
                n = min(len(buf), len(piece))
                buf[:n], piece = piece[:n], piece[n:]
                disk.put(buf, n)
    return disk, digest.hexdigest()


def test_a_small_file_is_written_inline_in_one_buffer_of_its_size(tmp_path: Path) -> None:
    disk, sha = _write_pieces(tmp_path / "f", [b"x" * 1000], expected=1000)
    assert disk._thread is None  # no writer thread, no megabyte buffers for 1,000 bytes
    assert len(disk._first) == 4096
    assert (tmp_path / "f").read_bytes() == b"x" * 1000
    assert sha == hashlib.sha256(b"x" * 1000).hexdigest()


@pytest.mark.parametrize("expected", [None, 3 << 20, 10])
def test_a_large_file_moves_to_the_writer_thread_with_every_byte_kept(
    tmp_path: Path, expected: int | None
) -> None:
    # the announced length may be wrong (10): the writer must keep every byte it is given;
    # the length check belongs to write_stream
    pieces = [bytes([n % 251]) * 65_536 for n in range(48)]  # 3 MiB, in 64 KiB reads
    disk, sha = _write_pieces(tmp_path / "f", pieces, expected=expected)
    assert disk._thread is not None
    assert (tmp_path / "f").read_bytes() == b"".join(pieces)
    assert sha == hashlib.sha256(b"".join(pieces)).hexdigest()
