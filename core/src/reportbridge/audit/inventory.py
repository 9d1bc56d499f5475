"""What is in a bundle folder: every regular file, found without following links."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import attrs


@attrs.frozen
class Inventory:
    """Regular files (relative POSIX paths, sorted) and anything else found (links...)."""

    files: tuple[str, ...]
    odd: tuple[str, ...]


def inventory(root: Path, *, skip: frozenset[str] = frozenset()) -> Inventory:
    """Walk ``root`` without following symbolic links; ``skip`` names top-level entries
    to leave out (e.g. a lock file a running audit holds)."""
    files: list[str] = []
    odd: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        rel_dir = Path(folder).relative_to(root)
        for name in list(dirs):
            path = Path(folder, name)
            if path.is_symlink():
                odd.append((rel_dir / name).as_posix())
                dirs.remove(name)
        for name in names:
            rel = (rel_dir / name).as_posix()
            if rel in skip:
                continue
            mode = os.lstat(Path(folder, name)).st_mode
            (files if stat.S_ISREG(mode) else odd).append(rel)
    return Inventory(tuple(sorted(files)), tuple(sorted(odd)))


def file_sha256(path: Path) -> str:
    """SHA-256 of a regular file, refusing to follow a link to it."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["Inventory", "file_sha256", "inventory"]
