"""The custody log: chain, tamper detection, torn tails, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportbridge.audit.custody import CUSTODY, GENESIS, CustodyLog, event_hash, read_log
from reportbridge.errors import EvidenceError


def _log(tmp_path: Path, n: int = 5) -> Path:
    with CustodyLog.open(tmp_path) as log:
        for i in range(n):
            log.append("status", {"key": f"job-{i}", "status": "running", "note": "ünïcode"})
    return tmp_path / CUSTODY


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_events_chain_and_read_back(tmp_path: Path) -> None:
    path = _log(tmp_path, 4)
    check = read_log(path)
    assert check.ok and len(check.events) == 4
    assert check.events[0].prev == GENESIS
    for before, after in zip(check.events, check.events[1:], strict=False):
        assert after.prev == before.hash and after.seq == before.seq + 1
    first = check.events[0]
    assert first.hash == event_hash(first.seq, first.time, first.kind, first.fields, first.prev)
    assert check.head == check.events[-1].hash


def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    _log(tmp_path, 2)
    with CustodyLog.open(tmp_path) as log:
        event = log.append("resumed", {})
    assert event.seq == 3
    assert read_log(tmp_path / CUSTODY).ok


def test_edited_event_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[2] = lines[2].replace(b"job-2", b"job-X")
    path.write_bytes(b"".join(lines))
    problems = read_log(path).problems
    assert problems == (
        "custody.jsonl event 3 (status): its hash does not match its content (edited)",
    )


def test_edited_event_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    data = json.loads(lines[1])
    data["fields"]["key"] = "forged"
    data["hash"] = event_hash(data["seq"], data["time"], data["kind"], data["fields"], data["prev"])
    lines[1] = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    lines[1] += b"\n"
    path.write_bytes(b"".join(lines))
    problems = read_log(path).problems
    assert len(problems) == 1
    assert "event 3 (status): does not follow the event before" in problems[0]


def test_reordered_events_are_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    problems = read_log(path).problems
    assert "custody.jsonl event 2: found event 3 (status) in its place" in problems[0]
    assert "removed or reordered" in problems[0]


def test_deleted_event_is_named(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    del lines[1]
    path.write_bytes(b"".join(lines))
    assert "event 2: found event 3" in read_log(path).problems[0]


def test_whitespace_edit_is_not_canonical(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[0] = lines[0].replace(b'"kind":', b'"kind": ', 1)
    path.write_bytes(b"".join(lines))
    assert "not in canonical form" in read_log(path).problems[0]


def test_torn_tail_is_repaired_and_recorded(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"seq":4,"time":"2026-')  # a crash mid-append
    check = read_log(path)
    assert not check.ok and check.torn_bytes and not check.problems
    with CustodyLog.open(tmp_path) as log:
        events = log.events
    assert [e.kind for e in events][-1] == "log-repaired"
    assert events[-1].fields["discarded_bytes"] == len(b'{"seq":4,"time":"2026-')
    assert events[-1].seq == 4
    assert read_log(path).ok and path.read_bytes().startswith(whole)


def test_damaged_log_is_never_resumed(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    lines[0] = b"garbage\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(EvidenceError, match=r"damaged .* a damaged bundle is never resumed"):
        CustodyLog.open(tmp_path)


def test_threads_append_one_chain(tmp_path: Path) -> None:
    with CustodyLog.open(tmp_path) as log:

        def worker(n: int) -> None:
            for i in range(25):
                log.append("status", {"worker": n, "i": i})

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    check = read_log(tmp_path / CUSTODY)
    assert check.ok and len(check.events) == 100


def test_symlinked_log_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.jsonl"
    target.write_bytes(b"")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / CUSTODY).symlink_to(target)
    with pytest.raises(EvidenceError, match="cannot open the custody log"):
        CustodyLog.open(bundle)


def test_values_the_log_cannot_hold_are_refused(tmp_path: Path) -> None:
    with CustodyLog.open(tmp_path) as log, pytest.raises(TypeError):
        log.append("x", {"value": object()})


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_is_detected(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("log")
    path = _log(folder, 3)
    body = bytearray(path.read_bytes())
    pos = data.draw(st.integers(0, len(body) - 1))
    body[pos] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(body))
    check = read_log(path)
    assert not check.ok


def test_appends_at_the_same_time_share_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: each append returns after an fsync that began after its write, and
    appends waiting together share one, instead of one fsync each."""
    import reportbridge.audit.custody as custody

    synced: list[int] = []
    real_fsync = custody.os.fsync

    def slow_fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append(fd)
        threading.Event().wait(0.3)  # a slow disk: the other threads write meanwhile

    threads_n = 8
    with CustodyLog.open(tmp_path) as log:
        monkeypatch.setattr(custody.os, "fsync", slow_fsync)
        start = threading.Barrier(threads_n)
        returned: list[int] = []

        def worker(n: int) -> None:
            start.wait()
            event = log.append("status", {"n": n})
            returned.append(event.seq)
            assert log._synced >= event.seq  # on the disk when append returned

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        monkeypatch.undo()
    assert sorted(returned) == list(range(1, threads_n + 1))
    assert 1 <= len(synced) < threads_n
    check = read_log(tmp_path / CUSTODY)
    assert not check.problems and len(check.events) == threads_n


def test_unsynced_appends_reach_the_disk_with_the_next_sync_or_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reportbridge.audit.custody as custody

    synced: list[int] = []
    real_fsync = custody.os.fsync

    def counting_fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append(fd)

    log = CustodyLog.open(tmp_path)
    monkeypatch.setattr(custody.os, "fsync", counting_fsync)
    for n in range(3):
        log.append("status", {"n": n}, sync=False)
    assert synced == []  # written, not yet fsynced: status events do not wait for the disk
    assert len(read_log(tmp_path / CUSTODY).events) == 3  # but in the file at once
    log.append("fetched", {"n": 3})
    assert len(synced) == 1  # one fsync for the four
    log.append("status", {"n": 4}, sync=False)
    log.close()
    assert len(synced) == 2  # close takes the unsynced tail to the disk
    log.close()  # twice is harmless
    check = read_log(tmp_path / CUSTODY)
    assert check.ok and [e.fields["n"] for e in check.events] == [0, 1, 2, 3, 4]
