"""Result parts in the neutral model and the provider interface's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import Capabilities, ReportJob, ReportStatus, ResultPart, ValidationError
from reportbridge.errors import UnsupportedOperationError
from reportbridge.model import PART_STATES, FetchedFile, merge_parts
from reportbridge.provider import FileStream, ProfileContext, Provider, ProviderSession
from reportbridge.transport.options import TransportOptions


def job(**kw: Any) -> ReportJob:
    return ReportJob(provider="toy", profile="p", job_id="1", report_type="T", **kw)


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "../x", "a b", "x" * 129, "é", "a\x00"])
def test_part_ids_must_be_safe_tokens(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResultPart(bad, "csv")
    assert "accepted" in str(info.value)


def test_part_defaults_and_state_check() -> None:
    part = ResultPart("chunk-1.a_b", "JSON")
    assert (part.format, part.state, part.key) == ("json", "available", ("json", "chunk-1.a_b"))
    with pytest.raises(ValidationError) as info:
        ResultPart("1", "json", state="done")
    assert "available, pending, failed" in str(info.value)


parts = st.builds(
    ResultPart,
    id=st.sampled_from(["1", "2", "3", "csv"]),
    format=st.sampled_from(["csv", "json"]),
    state=st.sampled_from(PART_STATES),
)


@given(
    st.lists(parts, max_size=6, unique_by=lambda p: p.key),
    st.lists(parts, max_size=6, unique_by=lambda p: p.key),
)
def test_merging_parts_never_drops_one_nor_moves_it_back_to_pending(
    known: list[ResultPart], seen: list[ResultPart]
) -> None:
    merged = merge_parts(known, seen)
    keys = [p.key for p in merged]
    assert len(keys) == len(set(keys))
    assert set(keys) == {p.key for p in known} | {p.key for p in seen}
    by_key = {p.key: p for p in merged}
    for old in known:
        if old.state != "pending":
            assert by_key[old.key].state != "pending"
    for new in seen:
        if new.state != "pending":  # a part that is ready or lost is always believed
            assert by_key[new.key].state == new.state


@given(st.lists(st.sampled_from(list(ReportStatus)), max_size=12), st.data())
def test_observed_parts_only_grow(observed: list[ReportStatus], data: st.DataObject) -> None:
    current = job()
    for status in observed:
        seen = data.draw(st.lists(parts, max_size=4))
        before = {p.key for p in current.parts}
        current = current.observe(job(status=status, parts=seen))
        assert before <= {p.key for p in current.parts}


def test_a_stale_poll_keeps_parts_and_rows() -> None:
    one = ResultPart("1", "json")
    running = job(status=ReportStatus.RUNNING, parts=[one], rows=10)
    done = running.observe(job(status=ReportStatus.SUCCEEDED, parts=[one, ResultPart("2", "json")]))
    assert [p.id for p in done.parts] == ["1", "2"] and done.rows == 10
    stale = done.observe(job(status=ReportStatus.RUNNING, parts=[ResultPart("1", "json")]))
    assert stale.status is ReportStatus.SUCCEEDED
    assert [p.id for p in stale.parts] == ["1", "2"]
    partial = running.observe(
        job(status=ReportStatus.PARTIAL, parts=[ResultPart("1", "json", state="failed")], rows=7)
    )
    assert partial.parts[0].state == "failed" and partial.rows == 7


def test_fetched_file_and_capabilities_carry_parts() -> None:
    page = ResultPart("p2", "csv", cursor="abc")
    f = FetchedFile(Path("x"), 1, "0", None, "csv", part="p1", rows=3, next_part=page)
    assert (f.part, f.rows, f.next_part) == ("p1", 3, page)
    assert Capabilities().parts == "single"
    assert Capabilities(parts="paged").parts == "paged"
    with pytest.raises(ValueError, match="single, chunked, paged"):
        Capabilities(parts="many")


# -- the provider interface's defaults ---------------------------------------------------


class _Bare(ProviderSession):
    """A session that implements neither open_file nor open_part."""

    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        raise AssertionError

    def refresh(self, job: ReportJob) -> ReportJob:
        raise AssertionError


class _Single(_Bare):
    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.opened: list[str] = []

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        self.opened.append(format)
        raise NotImplementedError("reached open_file")


class _BareProvider(Provider):
    name = "bare"
    display_name = "Bare"
    settings_type = dict

    def capabilities(self) -> Capabilities:
        return Capabilities()

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        return _Bare(self, ctx)


def _session(kind: type[ProviderSession]) -> Any:
    return kind(_BareProvider(), ProfileContext("p", {}, TransportOptions()))


def test_single_file_default_part_follows_the_job_state() -> None:
    session = _session(_Bare)
    (running,) = session.parts(job(status=ReportStatus.RUNNING), "CSV")
    assert (running.id, running.format, running.state) == ("csv", "csv", "pending")
    (done,) = session.parts(job(status=ReportStatus.SUCCEEDED), "csv")
    assert (done.id, done.state) == ("csv", "available")
    listed = job(
        status=ReportStatus.RUNNING, parts=[ResultPart("1", "json"), ResultPart("2", "csv")]
    )
    assert [p.id for p in session.parts(listed, "json")] == ["1"]


def test_open_part_defaults_to_open_file_and_open_file_to_a_clear_refusal() -> None:
    single = _session(_Single)
    with pytest.raises(NotImplementedError, match="reached open_file"):
        single.open_part(job(), ResultPart("csv", "csv"))
    assert single.opened == ["csv"]
    with pytest.raises(UnsupportedOperationError) as info:
        _session(_Bare).open_part(job(), ResultPart("1", "json"))
    assert "bare" in str(info.value) and "open_part" in str(info.value)


def test_parts_survive_evolve_as_tuples() -> None:
    j = attrs.evolve(job(), parts=[ResultPart("1", "json")])
    assert isinstance(j.parts, tuple)


def test_a_job_of_more_parts_than_the_bound_is_refused_without_reading_them_all() -> None:
    from itertools import count

    from reportbridge.model import MAX_PARTS

    endless = (ResultPart(str(n), "json") for n in count())  # a generator never ends
    with pytest.raises(ValidationError, match=f"more than {MAX_PARTS:,} result parts"):
        ReportJob("toy", "p", "j1", "USERS", ReportStatus.RUNNING, parts=endless)
    parts = [ResultPart(str(n), "json") for n in range(MAX_PARTS)]
    job = ReportJob("toy", "p", "j1", "USERS", ReportStatus.RUNNING, parts=parts)
    assert len(job.parts) == MAX_PARTS
