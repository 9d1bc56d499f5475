"""Opening a bundle folder for a run: locked, checked, cleaned, its journal ready.

In order: the folder is made (or must be empty or a bundle already); the run takes
the bundle's lock (:mod:`reportbridge.audit.lock`); the whole folder is checked for
links and special files (a link inside could make the run write outside it); temporary
files a killed run left are removed; the journal is opened (a damaged one is refused,
a missing or empty one is recovered from the manifest); the plan is bound to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from reportbridge.audit.bundle import FILES, JOURNAL
from reportbridge.audit.journal import Journal
from reportbridge.audit.lock import LOCK, BundleLock
from reportbridge.audit.manifest import MANIFEST
from reportbridge.audit.plan import AuditPlan
from reportbridge.audit.recovery import recover_from_manifest
from reportbridge.errors import BundleError, ConfigurationError, ReportBridgeError
from reportbridge.localfs import FILE_MODE, kind_of, walk_nofollow, writing
from reportbridge.model import utcnow

#: names that make a folder a bundle (a folder with none of them must be empty)
MARKERS = frozenset({MANIFEST, JOURNAL, LOCK})
_SQLITE_FILES = (JOURNAL, f"{JOURNAL}-wal", f"{JOURNAL}-shm", f"{JOURNAL}-journal")


@contextlib.contextmanager
def open_bundle(
    bundle: Path, plan: AuditPlan, providers: dict[str, str], *, lock_wait: float = 0.0
) -> Iterator[Journal]:
    """The bundle's journal, with the bundle locked until the block ends."""
    make_folder(bundle)
    with BundleLock(bundle, wait=lock_wait):
        check_for_run(bundle)
        journal = open_journal(bundle)
        try:
            if journal.meta("plan_sha256") is None:
                recover_from_manifest(journal, bundle, plan, providers)
            bind_plan(journal, plan, bundle)
            yield journal
        finally:
            with contextlib.suppress(ReportBridgeError):
                journal.close()


def make_folder(bundle: Path) -> None:
    """Make ``bundle`` (the user's path, links in it followed); refuse a foreign folder."""
    try:
        st = os.stat(bundle)
    except FileNotFoundError:
        with writing(bundle):
            bundle.mkdir(parents=True, exist_ok=True)
        return
    except OSError:
        with writing(bundle):
            raise
    if not stat.S_ISDIR(st.st_mode):
        raise BundleError(
            f"--out {str(bundle)!r} is {kind_of(st.st_mode)}, not a folder; choose a folder",
            path=bundle,
        )
    with writing(bundle):
        names = set(os.listdir(bundle))
    if names and not names & MARKERS:
        raise BundleError(
            f"--out {str(bundle)!r} is not empty and is not an audit bundle (it has no "
            f"{MANIFEST} or {JOURNAL}); choose a new or empty folder",
            path=bundle,
        )


def check_for_run(bundle: Path) -> None:
    """Refuse links and special files anywhere in the bundle; remove leftover temporaries."""
    leftovers: list[Path] = []
    for rel, st in walk_nofollow(bundle):
        mode = st.st_mode
        if stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            raise BundleError(
                f"{rel.as_posix()!r} in bundle {str(bundle)!r} is {kind_of(mode)}; a bundle "
                "holds only plain files and folders (a link inside could make the audit write "
                "outside it). Remove it and run again",
                path=bundle / rel,
            )
        if rel.as_posix() in _SQLITE_FILES and not stat.S_ISREG(mode):
            raise BundleError(
                f"{rel.as_posix()!r} in bundle {str(bundle)!r} is {kind_of(mode)}, not the "
                "journal file; move it aside and run again",
                path=bundle / rel,
            )
        if _is_leftover(rel, mode):
            leftovers.append(bundle / rel)
    # A killed run cannot clean up after itself; its temporary files are ours to remove.
    for path in leftovers:
        with writing(path):
            path.unlink(missing_ok=True)


def _is_leftover(rel: Path, mode: int) -> bool:
    name = rel.name
    in_place = len(rel.parts) == 1 or rel.parts[0] == FILES
    return in_place and stat.S_ISREG(mode) and name.startswith(".") and name.endswith(".part")


def open_journal(bundle: Path) -> Journal:
    """The bundle's journal; a new one is created with the mode the umask gives."""
    path = bundle / JOURNAL
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with writing(path), contextlib.suppress(FileExistsError):
        os.close(os.open(path, flags, FILE_MODE))  # SQLite alone would make it 0644
    return Journal(path)


def bind_plan(journal: Journal, plan: AuditPlan, bundle: Path) -> None:
    digest = plan.digest()
    existing = journal.meta("plan_sha256")
    if existing is not None and existing != digest:
        raise ConfigurationError(
            f"bundle {str(bundle)!r} was made by a different plan; resume only with the same "
            "plan, or choose a new --out folder"
        )
    if existing is None:
        journal.set_meta("plan_sha256", digest)
        journal.set_meta("plan", json.dumps(plan.to_dict(), default=str))
        journal.set_meta("created_at", utcnow().isoformat())


__all__ = ["MARKERS", "bind_plan", "check_for_run", "make_folder", "open_bundle", "open_journal"]
