"""Streaming a report file to disk: hashed, length-checked, fsynced, renamed atomically."""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportbridge.errors import (
    DownloadError,
    LocalWriteError,
    TransportError,
    UnsafePathError,
    ValidationError,
)
from reportbridge.localfs import AtomicFile, open_dir, writing
from reportbridge.model import FetchedFile, ReportJob
from reportbridge.provider import FileStream
from reportbridge.transport.body import Refill

CHUNK = 1 << 20
#: how much is written between two fdatasyncs while downloading (spreads the writeback)
FLUSH_EVERY = 64 << 20
_CD_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_CD_PLAIN = re.compile(
    r"filename\s*=\s*(\\?\"(?P<q>[^\"\\]*(?:\\.[^\"\\]*)*)\\?\"|(?P<t>[^;]+))", re.IGNORECASE
)
_CHARSETS = frozenset({"utf-8", "utf8", "iso-8859-1", "latin-1", "latin1", "us-ascii"})
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_MAX_NAME_BYTES = 200
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def filename_from_disposition(value: str | None) -> str | None:
    """The file name in a Content-Disposition header, read leniently."""
    if not value:
        return None
    from urllib.parse import unquote

    m = _CD_STAR.search(value)
    if m:
        # RFC 8187 allows UTF-8 and ISO-8859-1; any other charset (unknown to Python or
        # not a text encoding at all) is read as UTF-8 rather than trusted
        charset = m.group(1).strip().lower()
        encoding = charset if charset in _CHARSETS else "utf-8"
        return unquote(m.group(2).strip().strip('"'), encoding=encoding, errors="replace")
    m = _CD_PLAIN.search(value)
    if not m:
        return None
    name = m.group("q") if m.group("q") is not None else (m.group("t") or "")
    return name.replace('\\"', '"').strip().strip('"').strip() or None


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that cannot escape its folder: no separators, no traversal, no controls."""
    candidate = unicodedata.normalize("NFC", name or "")
    candidate = candidate.replace("\\", "/").rsplit("/", 1)[-1]
    candidate = _UNSAFE.sub("_", candidate).strip(" .")
    if not candidate or set(candidate) <= {"_", "."}:
        candidate = fallback
    if candidate.split(".")[0].upper() in _RESERVED:
        candidate = "_" + candidate
    if len(candidate.encode()) > _MAX_NAME_BYTES:
        stem, dot, ext = candidate.rpartition(".")
        if not dot or not stem or len(ext.encode()) > 16:
            stem, ext = candidate, ""
        room = _MAX_NAME_BYTES - (len(ext.encode()) + 1 if ext else 0)
        stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .") or "report"
        candidate = f"{stem}.{ext}" if ext else stem
    return candidate


def write_stream(
    stream: FileStream,
    dest_dir: str | os.PathLike[str],
    filename: str,
    *,
    job_ref: str = "",
    overwrite: bool = True,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> FetchedFile:
    """Write ``stream`` to ``dest_dir/filename`` atomically.

    The body goes to a temporary file in the same folder, is hashed while it is
    written, checked against Content-Length, fsynced and renamed into place. On any
    failure the temporary file is removed and nothing appears under ``filename``.

    ``dest_dir`` is resolved as the system does (links in it are the user's choice),
    unless it is a :class:`~reportbridge.localfs.ConfinedDir`, whose components are never
    followed. Inside the folder no link is followed: the temporary file is created
    exclusively, and a link (or folder) at ``filename`` is refused, not written through.
    The file gets mode 0666 less the umask.
    """
    try:
        dir_fd = open_dir(dest_dir)
    except UnsafePathError:
        raise
    except LocalWriteError as exc:
        reason = exc.__cause__.strerror if isinstance(exc.__cause__, OSError) else exc
        raise ValidationError(
            f"cannot create destination folder {os.fspath(dest_dir)!r}: {reason}",
            field="dest_dir",
        ) from None
    try:
        return _write_into(
            stream, dir_fd, Path(dest_dir), filename, job_ref, overwrite, on_progress
        )
    finally:
        os.close(dir_fd)


def _write_into(
    stream: FileStream,
    dir_fd: int,
    folder: Path,
    filename: str,
    job_ref: str,
    overwrite: bool,
    on_progress: Callable[[int, int | None], None] | None,
) -> FetchedFile:
    target = folder / filename
    if not overwrite and _exists(dir_fd, filename):
        raise ValidationError(f"{str(target)!r} exists and overwrite is off", field="dest_dir")
    expected = stream.content_length
    digest = hashlib.sha256()
    size = 0
    readinto = getattr(stream, "readinto", None) or Refill(stream.chunks(CHUNK)).readinto
    with AtomicFile(dir_fd, filename, where=folder) as tmp:
        tmp.refuse_link_at_target()  # before the download, not only at the rename
        try:
            with (
                os.fdopen(os.dup(tmp.fd), "wb", buffering=0) as out,
                _DiskWriter(out, digest, target, expected=expected) as disk,
            ):
                while n := readinto(buf := disk.free_buffer()):
                    disk.put(buf, n)
                    size += n
                    if on_progress is not None:
                        on_progress(size, expected)
            if expected is not None and size != expected:
                raise DownloadError(
                    f"download of {filename!r} is incomplete: got {size} bytes, the server "
                    f"announced {expected}; nothing was kept",
                    provider=None,
                )
            tmp.commit()
        except TransportError as exc:
            if isinstance(exc, DownloadError):
                raise
            raise DownloadError(
                f"{exc.message}; nothing was kept under {filename!r}", provider=exc.provider
            ) from None
    return FetchedFile(
        path=target,
        size=size,
        sha256=digest.hexdigest(),
        content_type=stream.content_type,
        format=stream.format,
        job_ref=job_ref,
        vendor_filename=stream.filename,
        etag=_validator(stream.response.header("ETag")),
        last_modified=_validator(stream.response.header("Last-Modified")),
    )


def _validator(value: str | None) -> str | None:
    """An HTTP validator as sent, if it is short printable text (it goes into records)."""
    if value is None or len(value) > 200 or not value.isprintable() or not value.isascii():
        return None
    return value.strip() or None


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


class _DiskWriter:
    """Hashes and writes the body, on a second thread once the file proves large.

    The first ``CHUNK`` bytes are hashed and written inline, through one buffer sized to
    the announced length: most report files are small, and a thread and megabyte buffers
    per file cost more CPU than their transfer. Past that, the reader fills one of a few
    buffers, reused for the whole file, and hands it to a writer thread: hashlib and file
    writes release the GIL, so network, hashing and disk overlap, and memory stays at
    ``depth + 2`` buffers whatever the file size. Every ``flush_every`` bytes a third
    thread has the data written so far put on disk (fdatasync), so the disk works during
    the download and the fsync before the rename has little left to do.
    """

    def __init__(
        self,
        out: Any,
        digest: Any,
        target: Path,
        depth: int = 4,
        flush_every: int = FLUSH_EVERY,
        expected: int | None = None,
    ) -> None:
        self._out = out
        self._digest = digest
        self._target = target
        self._depth = depth
        # one byte more than announced, so that a body longer than that shows at once
        self._first = memoryview(bytearray(_first_size(expected)))
        self._full: queue.Queue[tuple[memoryview, int] | None] | None = None
        self._free: queue.Queue[memoryview] | None = None
        self._made = 0
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._flush_every = flush_every
        self._written = self._flushed = 0
        self._asked: threading.Condition | None = None  # made with the flusher
        self._flushes = 0  # flushes asked for
        self._done = False
        self._flusher: threading.Thread | None = None

    def __enter__(self) -> _DiskWriter:
        return self

    def free_buffer(self) -> memoryview:
        """A buffer to read into, once the writer has finished with it."""
        if self._error is not None:
            self._raise()
        if self._free is None:
            return self._first  # inline: it was written before put() returned
        if self._free.empty() and self._made < self._depth + 2:
            self._made += 1
            return memoryview(bytearray(CHUNK))
        buf = self._free.get()
        if self._error is not None:
            self._raise()
        return buf

    def put(self, buf: memoryview, n: int) -> None:
        """Hash and write the first ``n`` bytes of ``buf``; it comes back free after."""
        if self._full is not None:
            self._full.put((buf, n))
            return
        self._write(buf, n)
        if self._error is not None:
            self._raise()
        if self._written >= CHUNK:  # a large file: overlap the rest with the download
            self._full, self._free = queue.Queue(), queue.Queue()
            if len(self._first) == CHUNK:  # written already: the first of the pool
                self._free.put(self._first)
                self._made = 1
            self._thread = threading.Thread(target=self._run, name="rb-disk-writer", daemon=True)
            self._thread.start()

    def _raise(self) -> None:
        assert self._error is not None
        with writing(self._target):
            raise self._error

    def _write(self, buf: memoryview, n: int) -> None:
        if self._error is not None:
            return
        try:
            view = buf[:n]
            self._digest.update(view)
            while view:
                view = view[self._out.write(view) :]
            self._written += n
            if self._written - self._flushed >= self._flush_every:
                self._flushed = self._written
                self._start_flush()
        except BaseException as exc:
            self._error = exc

    def _run(self) -> None:
        assert self._full is not None and self._free is not None
        while (item := self._full.get()) is not None:
            self._write(*item)
            self._free.put(item[0])

    def _start_flush(self) -> None:
        if self._asked is None:
            self._asked = threading.Condition()
            self._flusher = threading.Thread(
                target=self._flush, args=(self._asked,), name="rb-disk-flush", daemon=True
            )
            self._flusher.start()
        with self._asked:
            self._flushes += 1
            self._asked.notify()

    def _flush(self, asked: threading.Condition) -> None:
        done = 0
        while True:  # every flush asked for is done, also one asked just before the end
            with asked:
                while self._flushes == done and not self._done:
                    asked.wait()
                if self._flushes == done:
                    return
                done = self._flushes
            try:
                os.fdatasync(self._out.fileno())
            except BaseException as exc:
                # an error reported here may not be reported again by the final fsync
                self._error = self._error or exc
                return

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            assert self._full is not None
            self._full.put(None)
            self._thread.join()
        if self._flusher is not None and self._asked is not None:
            with self._asked:
                self._done = True
                self._asked.notify()
            self._flusher.join()
        if self._error is not None and exc[0] is None:
            self._raise()


def _first_size(expected: int | None) -> int:
    """The inline buffer: the announced length and one byte (to see a longer body at
    once), at least a page, at most ``CHUNK``; 64 KiB when no length is announced."""
    if expected is None or expected < 0:
        return 64 << 10
    return max(4096, min(CHUNK, expected + 1))


class FileNames:
    """Names for the files of many downloads into shared folders (``run_many``).

    A file keeps the vendor's name unless another file of the batch has that name in
    the same folder; then the job id is added, since vendors name every report of a
    type alike. Two requests sharing one vendor job share its file.
    """

    def __init__(self) -> None:
        self._owners: dict[str, tuple[str, str, str]] = {}  # path -> profile, job id, format
        self._lock = threading.Lock()

    def claim(
        self, folder: str | os.PathLike[str], proposed: str, *, job: ReportJob, format: str | None
    ) -> str:
        owner = (job.profile, job.job_id, format or "")
        with self._lock:
            for name in (proposed, _with_job_id(proposed, job.job_id)):
                key = os.path.normcase(os.path.abspath(Path(folder, name)))
                if self._owners.setdefault(key, owner) == owner:
                    return name
        raise LocalWriteError(  # a vendor naming several formats of one job alike
            f"the {format or 'default'} file of job {job.job_id} would be named {proposed!r} "
            f"in {str(folder)!r}, as other files of this batch are; nothing was written",
            path=Path(folder, proposed),
        )


def _with_job_id(name: str, job_id: str) -> str:
    """``Account Export.csv`` -> ``Account Export-<job id>.csv``, kept a safe name."""
    stem, dot, ext = name.rpartition(".")
    tagged = f"{stem}-{job_id}.{ext}" if dot and stem else f"{name}-{job_id}"
    return safe_filename(tagged, f"{job_id}.{ext}" if dot else job_id)


def sha256_of(path: str | os.PathLike[str], *, follow_links: bool = True) -> str:
    """SHA-256 of a file; with ``follow_links=False`` a link is an OSError (ELOOP)."""
    h = hashlib.sha256()
    flags = os.O_RDONLY | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    with open(os.open(path, flags), "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()
