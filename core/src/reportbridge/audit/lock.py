"""One audit run per bundle: an OS file lock held for the whole run.

The lock is ``flock`` on ``audit.lock`` in the bundle. The operating system releases it
when the holder exits, however it exits (``kill -9`` included), so a stale lock cannot
outlive its process. The holder writes who it is (pid, user, host, since) into the file
for the message a second run prints; the file itself stays (removing it would let two
runs lock two different files).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import os
import socket
import time
from pathlib import Path
from typing import Any

from reportbridge import jsonsafe
from reportbridge.errors import BundleError, BundleLockedError, ValidationError
from reportbridge.localfs import FILE_MODE, kind_of, writing

LOCK = "audit.lock"
#: how often a run waiting for the lock (``--wait-lock``) tries again
RETRY_EVERY = 0.2
_HOLDER_BYTES = 4096


class BundleLock:
    """``with BundleLock(bundle, wait=0):`` holds the bundle or raises BundleLockedError."""

    def __init__(self, bundle: Path, *, wait: float = 0.0) -> None:
        if not isinstance(wait, int | float) or math.isnan(wait) or wait < 0:
            raise ValidationError(
                "the lock wait must be a number of seconds >= 0 (inf: wait as long as it takes)",
                field="wait_lock",
            )
        self.bundle = bundle
        self.path = bundle / LOCK
        self.wait = float(wait)
        self._fd: int | None = None

    def __enter__(self) -> BundleLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        import fcntl

        fd = self._open()
        deadline = time.monotonic() + self.wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._locked(fd) from None
                    time.sleep(min(RETRY_EVERY, left))
            self._write_holder(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # no holder left to name
        except OSError:
            pass
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        with writing(self.path):
            try:
                fd = os.open(self.path, flags, FILE_MODE)
            except OSError as exc:
                if os.path.islink(self.path):
                    raise BundleError(
                        f"{str(self.path)!r} is a symbolic link; an audit bundle holds no links. "
                        "Remove it and run again",
                        path=self.path,
                    ) from exc
                raise
        mode = os.fstat(fd).st_mode
        if kind_of(mode) != "a file":
            os.close(fd)
            raise BundleError(
                f"{str(self.path)!r} is {kind_of(mode)}, not the bundle's lock file; remove it "
                "and run again",
                path=self.path,
            )
        return fd

    def _write_holder(self, fd: int) -> None:
        holder = {
            "pid": os.getpid(),
            "user": _user(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with writing(self.path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)

    def _locked(self, fd: int) -> BundleLockedError:
        holder = read_holder(fd)
        who = ", ".join(f"{k} {holder[k]}" for k in ("pid", "user", "host", "since") if k in holder)
        waited = f" after waiting {self.wait:g} s" if self.wait else ""
        return BundleLockedError(
            f"bundle {str(self.bundle)!r} is in use by another reportbridge audit "
            f"({who or 'holder unknown'}){waited}. Let it finish, stop it, or run with "
            "--wait-lock [SECONDS] to wait for it",
            path=self.path,
            holder=holder,
        )


def read_holder(fd: int) -> dict[str, Any]:
    """What the lock holder wrote about itself; {} if unreadable (it is only a hint)."""
    try:
        raw = os.pread(fd, _HOLDER_BYTES, 0)
        data = jsonsafe.loads(raw, what="the lock file")
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        k: v
        for k, v in data.items()
        if k in ("pid", "user", "host", "since") and isinstance(v, int | str)
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid {os.getuid()}"


__all__ = ["LOCK", "BundleLock", "read_holder"]
