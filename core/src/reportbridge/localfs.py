"""Writing local files without following links: confined folders and atomic files.

Two kinds of destination:

- a folder the user names (``Reports.fetch(job, "out/")``): the user's path is taken as
  the operating system resolves it, links included, since the user chose it; only the
  file written into it is guarded (see :class:`AtomicFile`);
- a :class:`ConfinedDir` (what audits use): a root the user chose plus components below
  it that reportbridge made. Every component is opened relative to the one above with
  ``O_NOFOLLOW``: a symbolic link (or a file) in the way is refused with
  :class:`~reportbridge.errors.UnsafePathError`, so nothing is ever written outside root.

Files are created with mode ``0o666`` less the process umask, as any Unix tool creates
them (``umask 077`` keeps them private). POSIX only (Linux, macOS).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from reportbridge.errors import LocalWriteError, UnsafePathError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
#: the mode new files ask for; the umask takes its share, as for any Unix tool
FILE_MODE = 0o666
DIR_MODE = 0o777


def _names(parts: Iterable[str]) -> tuple[str, ...]:
    return tuple(parts)


@attrs.frozen
class ConfinedDir(os.PathLike[str]):
    """``root/parts...``, where ``parts`` are names made by reportbridge inside ``root``.

    ``root`` is followed as the system resolves it (the user chose it); ``parts`` never are.
    It is an ``os.PathLike``, so it can go wherever a destination folder goes.
    """

    root: Path = attrs.field(converter=Path)
    parts: tuple[str, ...] = attrs.field(converter=_names, default=())

    def __fspath__(self) -> str:
        return os.fspath(self.root.joinpath(*self.parts))

    def __truediv__(self, name: str) -> ConfinedDir:
        return ConfinedDir(self.root, (*self.parts, name))


def check_name(name: str, where: object) -> str:
    """``name`` is one plain path component (no separator, no ``.`` or ``..``, no NUL)."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise UnsafePathError(
            f"{name!r} is not a plain file or folder name; nothing was written under "
            f"{str(where)!r}",
            path=where,
        )
    return name


def open_dir(folder: str | os.PathLike[str], *, create: bool = True) -> int:
    """A descriptor of ``folder`` (made if missing when ``create``); close it after use.

    A :class:`ConfinedDir` is walked component by component without following links; any
    other path is resolved by the system (the user's own choice of folder). With
    ``create`` an OSError becomes a LocalWriteError; without, it is raised as it is.
    """
    if isinstance(folder, ConfinedDir):
        return _open_confined(folder, create=create)
    path = Path(folder)
    if not create:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _open_confined(folder: ConfinedDir, *, create: bool) -> int:
    fd = open_dir(folder.root, create=create)
    where = folder.root
    try:
        for part in folder.parts:
            where = where / check_name(part, where)
            child = _step(fd, part, where, create=create)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _step(parent: int, name: str, where: Path, *, create: bool) -> int:
    """Open the folder ``name`` below ``parent``, never through a link."""
    try:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, DIR_MODE, dir_fd=parent)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePathError(
                f"{str(where)!r} is {describe(parent, name)}, not a folder; reportbridge does "
                "not write through links inside its destination. Remove it and run again",
                path=where,
            ) from None
        if not create:
            raise
        with writing(where):
            raise


def describe(dir_fd: int, name: str) -> str:
    """What is at ``name`` (for messages): a symbolic link, a file, ..."""
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return "missing"
    return kind_of(mode)


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file (device, pipe or socket)"


@contextlib.contextmanager
def writing(target: str | os.PathLike[str]) -> Iterator[None]:
    """An OSError of the local disk becomes a typed error naming ``target``."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LocalWriteError(
            f"cannot write {os.fspath(target)!r}: {reason}; nothing was kept", path=target
        ) from exc


class AtomicFile:
    """A new file in an open folder, under a temporary name until :meth:`commit`.

    The temporary file is created exclusively (a link planted at its name is never
    followed); :meth:`commit` fsyncs and renames it over ``name``, refusing when ``name``
    is a link or a folder; :meth:`discard` removes it. Use as a context manager: leaving
    without a commit discards.
    """

    def __init__(self, dir_fd: int, name: str, *, where: str | os.PathLike[str]) -> None:
        self.dir_fd = dir_fd
        self.name = check_name(name, where)
        self.target = Path(where, name)
        self.tmp_name = f".{name[:40]}.{secrets.token_hex(6)}.part"
        with writing(self.target):
            self.fd = os.open(self.tmp_name, _NEW_FILE_FLAGS, FILE_MODE, dir_fd=dir_fd)
        self._done = False

    def refuse_link_at_target(self) -> None:
        try:
            mode = os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return
        except OSError:
            return  # the rename below reports what is wrong
        if not stat.S_ISREG(mode):
            raise UnsafePathError(
                f"{str(self.target)!r} is {kind_of(mode)}; reportbridge replaces only plain "
                "files there. Remove it and run again; nothing was kept",
                path=self.target,
            )

    def commit(self) -> None:
        """Fsync, then rename into place atomically; the folder is fsynced too."""
        self.refuse_link_at_target()
        with writing(self.target):
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = -1
            os.replace(self.tmp_name, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        self._done = True
        with contextlib.suppress(OSError):
            os.fsync(self.dir_fd)

    def discard(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
        if not self._done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp_name, dir_fd=self.dir_fd)
            self._done = True

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def write_bytes_atomic(folder: str | os.PathLike[str], name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` atomically (temporary file, fsync, rename)."""
    with writing(Path(folder, name)):
        fd = open_dir(folder, create=False)
    try:
        with AtomicFile(fd, name, where=folder) as out:
            with writing(out.target):
                view = memoryview(data)
                while view:
                    view = view[os.write(out.fd, view) :]
            out.commit()
        return out.target
    finally:
        os.close(fd)


def relative_parts(rel: str) -> tuple[str, ...] | None:
    """The components of a relative POSIX path that stays inside its root, else None."""
    if not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = tuple(rel.split("/"))
    if any(p in ("", ".", "..") or "\0" in p for p in parts):
        return None
    return parts


def open_inside(root: Path, parts: tuple[str, ...]) -> int:
    """A read descriptor of the plain file ``root/parts...``; no component may be a link.

    Raises FileNotFoundError when something is missing, UnsafePathError when a link or
    a non-folder is in the way or the file is not a plain file.
    """
    folder = _open_confined(ConfinedDir(root, parts[:-1]), create=False)
    try:
        try:
            fd = os.open(
                parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(
                    f"{'/'.join(parts)} is a symbolic link", path=root.joinpath(*parts)
                ) from None
            raise
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise UnsafePathError(
                f"{'/'.join(parts)} is {kind_of(mode)}, not a file", path=root.joinpath(*parts)
            )
        return fd
    finally:
        os.close(folder)


def walk_nofollow(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every entry below ``root`` (relative path, lstat), links reported and never entered."""
    stack = [Path()]
    while stack:
        rel = stack.pop()
        try:
            names = sorted(os.listdir(root / rel))
        except OSError:
            continue
        for name in names:
            entry = rel / name
            try:
                st = os.lstat(root / entry)
            except OSError:
                continue
            yield entry, st
            if stat.S_ISDIR(st.st_mode):
                stack.append(entry)


def read_regular_file(path: Path, *, limit: int) -> bytes:
    """The bytes of ``path`` if it is a plain file (not a link) of at most ``limit`` bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"it is {kind_of(st.st_mode)}, not a file", str(path))
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:  # it grew after fstat
                raise OSError(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "AtomicFile",
    "ConfinedDir",
    "check_name",
    "kind_of",
    "open_dir",
    "open_inside",
    "read_regular_file",
    "relative_parts",
    "walk_nofollow",
    "write_bytes_atomic",
    "writing",
]
