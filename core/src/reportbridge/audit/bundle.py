"""Bundle files: the manifest, and re-verifying every file against it.

Verification reads the bundle as untrusted: nothing is followed through a link, a path
that leaves the bundle is a problem rather than a place to look, and every check adds
to one list of problems (``verify_bundle`` runs the checks in ``CHECKS``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from reportbridge.audit.manifest import MANIFEST, read_manifest
from reportbridge.errors import UnsafePathError, ValidationError
from reportbridge.localfs import (
    kind_of,
    open_inside,
    relative_parts,
    walk_nofollow,
    write_bytes_atomic,
)

JOURNAL = "journal.sqlite"
FILES = "files"
_CHUNK = 1 << 20


def write_manifest(bundle: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically (temporary file, fsync, rename; no link followed)."""
    data = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
    return write_bytes_atomic(bundle, MANIFEST, data.encode("utf-8"))


def hash_inside(bundle: Path, rel_path: str) -> tuple[int, str]:
    """Size and SHA-256 of the plain file ``bundle/rel_path``, reached without any link.

    Raises FileNotFoundError, UnsafePathError (a link, an escaping path, not a file) or
    another OSError.
    """
    parts = relative_parts(rel_path)
    if parts is None:
        raise UnsafePathError(f"{rel_path!r} points outside the bundle", path=rel_path)
    fd = open_inside(bundle, parts)
    digest = hashlib.sha256()
    size = 0
    with open(fd, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def file_is_intact(bundle: Path, rel_path: str, size: int, sha256: str) -> bool:
    try:
        return hash_inside(bundle, rel_path) == (size, sha256)
    except (OSError, UnsafePathError):
        return False


@attrs.frozen
class VerifyResult:
    bundle: Path
    files_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@attrs.define
class Verification:
    """What the checks share: the bundle, its manifest, and what they found so far."""

    root: Path
    manifest: dict[str, Any]
    listed: set[str] = attrs.field(factory=set)
    files_checked: int = 0
    problems: list[str] = attrs.field(factory=list)


def check_listed_files(v: Verification) -> None:
    """Every file the manifest lists is there, reached without a link, as it was hashed."""
    for job in v.manifest["jobs"]:
        for f in job.get("files", []):
            v.files_checked += 1
            rel = f["path"]
            v.listed.add(rel)
            try:
                size, sha256 = hash_inside(v.root, rel)
            except FileNotFoundError:
                v.problems.append(f"{rel}: missing")
                continue
            except UnsafePathError as exc:
                v.problems.append(f"{rel}: {_unsafe(v.root, rel, exc)}")
                continue
            except OSError as exc:
                v.problems.append(f"{rel}: cannot be read ({exc.strerror or exc})")
                continue
            if size != f["size"]:
                v.problems.append(f"{rel}: size {size}, manifest says {f['size']}")
            elif sha256 != f["sha256"]:
                v.problems.append(f"{rel}: sha256 differs from the manifest")


def check_tree(v: Verification) -> None:
    """No link or special file anywhere in the bundle; no unlisted file under files/."""
    for rel, st in walk_nofollow(v.root):
        name = rel.as_posix()
        if stat.S_ISLNK(st.st_mode):
            target = _link_target(v.root / rel)
            v.problems.append(f"{name}: is a symbolic link{target}; a bundle holds none")
        elif not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            v.problems.append(f"{name}: is {kind_of(st.st_mode)}; a bundle holds none")
        elif stat.S_ISREG(st.st_mode) and rel.parts[0] == FILES and name not in v.listed:
            v.problems.append(f"{name}: not listed in the manifest")


def _unsafe(root: Path, rel: str, exc: UnsafePathError) -> str:
    if relative_parts(rel) is None:
        return "path points outside the bundle"
    where = Path(str(exc.path))
    shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
    try:
        kind = kind_of(os.lstat(where).st_mode)
    except OSError:
        kind = "not a plain folder or file"
    return f"reached through {shown}, which is {kind}" if shown != rel else f"is {kind}"


def _link_target(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        return ""
    return f" (to {target!r})"


#: the checks ``verify_bundle`` runs, in order; each appends to ``Verification.problems``
CHECKS: list[Callable[[Verification], None]] = [check_listed_files, check_tree]


def verify_bundle(bundle: str | os.PathLike[str]) -> VerifyResult:
    """Re-hash every file the manifest lists; report missing, changed and stray files,
    links and special files, and paths that point outside the bundle."""
    root = Path(bundle)
    manifest = read_manifest(root)
    if manifest is None:
        raise ValidationError(
            f"{str(root)!r} is not an audit bundle: it has no {MANIFEST}", field="bundle"
        )
    v = Verification(root, manifest)
    for check in CHECKS:
        check(v)
    return VerifyResult(root, v.files_checked, tuple(v.problems))
