"""The custody log of a bundle: an append-only, hash-chained record of what happened.

One event per line (``custody.jsonl``), each the canonical JSON of
``{seq, time, kind, fields, prev, hash}``: ``prev`` is the hash of the event before
(64 zeros for the first) and ``hash`` the SHA-256 of the canonical JSON of the other
five members. Editing, removing or reordering any event breaks the chain; removing
events from the end is caught by the head (hash and count) the manifest records.

Every append is written in one ``write``, and by default fsynced before it returns;
appends made at the same time from several threads share one fsync (a group commit: an
append waits for an fsync that began after its write). An append with ``sync=False``
(a status observation: the journal has it too, and a later poll sees it again) is
written at once and reaches the disk with the next synced append or at ``close`` — a
killed process loses none of it, only an operating-system crash could lose such a tail,
and never one before a synced event. A crash mid-append can only
leave an incomplete last line (a torn tail); :meth:`CustodyLog.open` cuts it off and
records that it did, as an event, so a repair is never silent.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import attrs

from reportbridge import jsonsafe
from reportbridge.errors import EvidenceError
from reportbridge.localfs import FILE_MODE

CUSTODY = "custody.jsonl"
GENESIS = "0" * 64
#: A longer line is not an event we wrote; reading stops there (bounded memory).
MAX_EVENT_BYTES = 1 << 20
_MEMBERS = ("seq", "time", "kind", "fields", "prev", "hash")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot go into the custody log")


def canonical(value: Any) -> bytes:
    """The one byte encoding hashed and written: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    ).encode("utf-8")


def event_hash(seq: int, time: str, kind: str, fields: Mapping[str, Any], prev: str) -> str:
    body = {"seq": seq, "time": time, "kind": kind, "fields": fields, "prev": prev}
    return hashlib.sha256(canonical(body)).hexdigest()


@attrs.frozen
class CustodyEvent:
    seq: int
    time: str
    kind: str
    fields: dict[str, Any]
    prev: str
    hash: str

    def line(self) -> bytes:
        return canonical(attrs.asdict(self)) + b"\n"


@attrs.frozen
class LogCheck:
    """What reading a custody log found: the good events, problems, a torn tail."""

    events: tuple[CustodyEvent, ...]
    problems: tuple[str, ...]
    torn_bytes: bytes = b""

    @property
    def head(self) -> str:
        return self.events[-1].hash if self.events else GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems and not self.torn_bytes


def read_log(path: Path) -> LogCheck:
    """Read and check every event of the log at ``path`` (which must exist)."""
    events: list[CustodyEvent] = []
    problems: list[str] = []
    prev, expected = GENESIS, 1
    with open(path, "rb") as fh:
        while True:
            raw = fh.readline(MAX_EVENT_BYTES + 1)
            if not raw:
                return LogCheck(tuple(events), tuple(problems))
            if not raw.endswith(b"\n"):
                if len(raw) > MAX_EVENT_BYTES:
                    problems.append(f"{CUSTODY} line {expected}: longer than any event we write")
                    return LogCheck(tuple(events), tuple(problems))
                return LogCheck(tuple(events), tuple(problems), torn_bytes=raw)
            event, problem = _parse(raw, expected, prev)
            if problem:
                problems.append(problem)
            if event is not None:
                events.append(event)
                prev, expected = event.hash, event.seq + 1
            else:
                expected += 1


def _parse(raw: bytes, expected: int, prev: str) -> tuple[CustodyEvent | None, str | None]:
    where = f"{CUSTODY} event {expected}"
    try:
        data = jsonsafe.loads(raw, what="a custody event")
        if not isinstance(data, dict) or sorted(data) != sorted(_MEMBERS):
            raise ValueError("wrong members")
        event = CustodyEvent(**data)
        if not (
            isinstance(event.seq, int)
            and isinstance(event.fields, dict)
            and all(isinstance(getattr(event, m), str) for m in ("time", "kind", "prev", "hash"))
        ):
            raise ValueError("wrong types")
    except (ValueError, TypeError, UnicodeDecodeError):
        return None, f"{where}: the line is not a custody event (it was edited or damaged)"
    if event.hash != event_hash(event.seq, event.time, event.kind, event.fields, event.prev):
        return event, f"{where} ({event.kind}): its hash does not match its content (edited)"
    if event.line() != raw:
        return event, f"{where} ({event.kind}): not in canonical form (the line was edited)"
    if event.seq != expected:
        return event, (
            f"{where}: found event {event.seq} ({event.kind}) in its place "
            "(events were removed or reordered)"
        )
    if event.prev != prev:
        return event, (
            f"{where} ({event.kind}): does not follow the event before it "
            "(an earlier event was edited, removed or reordered)"
        )
    return event, None


class CustodyLog:
    """Appends events to a bundle's custody log; thread-safe."""

    def __init__(self, path: Path, events: tuple[CustodyEvent, ...], fd: int) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = fd
        self._events = list(events)
        # group commit: one fsync at a time; the events up to _synced are on the disk
        self._sync_lock = threading.Lock()
        self._synced = len(self._events)

    @classmethod
    def open(cls, bundle: Path) -> CustodyLog:
        """Open (or create) ``bundle/custody.jsonl`` for appending.

        A torn tail is cut off and recorded as a ``log-repaired`` event. A log whose
        chain is broken is refused: appending would bless a tampered history.
        """
        path = bundle / CUSTODY
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, FILE_MODE)  # the mode the umask gives
        except OSError as exc:
            raise EvidenceError(
                f"cannot open the custody log {str(path)!r}: {exc.strerror or exc}"
            ) from None
        try:
            check = read_log(path)
            if check.problems:
                raise EvidenceError(
                    f"the custody log of {str(bundle)!r} is damaged ({check.problems[0]}); "
                    "a damaged bundle is never resumed: run the plan into a new --out folder"
                )
            log = cls(path, check.events, fd)
            if check.torn_bytes:
                log._cut_torn_tail(check.torn_bytes)
        except BaseException:
            os.close(fd)
            raise
        if not check.events:
            _fsync_dir(bundle)
        return log

    def _cut_torn_tail(self, torn: bytes) -> None:
        good = os.fstat(self._fd).st_size - len(torn)
        os.ftruncate(self._fd, good)
        os.fsync(self._fd)
        self.append(
            "log-repaired",
            {
                "reason": "the previous run stopped while writing an event",
                "discarded_bytes": len(torn),
                "discarded_sha256": hashlib.sha256(torn).hexdigest(),
            },
        )

    @property
    def events(self) -> list[CustodyEvent]:
        with self._lock:
            return list(self._events)

    @property
    def head(self) -> str:
        with self._lock:
            return self._events[-1].hash if self._events else GENESIS

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def append(self, kind: str, fields: Mapping[str, Any], *, sync: bool = True) -> CustodyEvent:
        """Write one event and (unless ``sync`` is false) fsync it before returning."""
        plain = json.loads(canonical(dict(fields)))  # what a reader will see, exactly
        with self._lock:
            seq = len(self._events) + 1
            prev = self._events[-1].hash if self._events else GENESIS
            time = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            digest = event_hash(seq, time, kind, plain, prev)
            event = CustodyEvent(seq, time, kind, plain, prev, digest)
            line = event.line()
            if len(line) > MAX_EVENT_BYTES:
                raise EvidenceError(f"custody event {kind!r} is too large to record")
            written = os.write(self._fd, line)
            if written != len(line):
                raise EvidenceError(f"the custody log {str(self.path)!r}: a short write")
            self._events.append(event)
        if sync:
            self._sync(seq)
        return event

    def _sync(self, seq: int) -> None:
        """Return once event ``seq`` is on the disk: by an fsync this thread makes, or by
        one another thread began after that event was written."""
        with self._sync_lock:
            if self._synced >= seq:
                return  # an fsync that began after our write covered it
            with self._lock:
                upto = len(self._events)  # every event written so far goes with this fsync
                fd = self._fd
            os.fsync(fd)
            self._synced = upto

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if self._fd >= 0:
                try:
                    if self._synced < len(self._events):
                        os.fsync(self._fd)  # the unsynced tail goes to the disk too
                        self._synced = len(self._events)
                finally:
                    os.close(self._fd)
                    self._fd = -1

    def __enter__(self) -> CustodyLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "CUSTODY",
    "GENESIS",
    "CustodyEvent",
    "CustodyLog",
    "LogCheck",
    "canonical",
    "event_hash",
    "read_log",
]
