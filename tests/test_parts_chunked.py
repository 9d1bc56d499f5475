"""Results in chunks: every chunk fetched and verified, early fetch while the job runs,
a cut chunk resumed alone, and partial success (good chunks kept, failed ones named)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportbridge import ReportStatus, ValidationError
from reportbridge.engine import JobEvent, JobRequest
from reportbridge.testing import Fault
from reportbridge.testing.server import Simulator
from tests.clihelp import cli_env, json_lines, run_cli, write_config
from tests.toy_chunked import ChunkySimulator

FAST = {"initial": 0.05, "backoff": 1.2, "cap": 0.1, "jitter": 0.0}


@pytest.fixture
def start(parts_vendor: Callable[..., tuple[Any, Any]]) -> Callable[..., tuple[Any, Any]]:
    return functools.partial(parts_vendor, ChunkySimulator)


def chunk_requests(sim: ChunkySimulator, n: int) -> int:
    return sim.count("GET", f"/chunks/{n}$")


def verified(sim: ChunkySimulator, job_id: str, files: list[Any]) -> list[str]:
    """The part ids whose file is on disk, whole, and what the simulator served."""
    out = []
    for f in files:
        body = f.path.read_bytes()
        assert (
            hashlib.sha256(body).hexdigest()
            == f.sha256
            == sim.served_sha256(job_id, f.format, part=f.part)
        )
        out.append(f.part)
    return out


def test_every_chunk_is_fetched_in_order_and_named_by_its_part(start: Any, tmp_path: Path) -> None:
    sim, reports = start(chunks=3)
    job = reports.wait(reports.run("chunky", "VULNS"), timeout=30)
    assert job.status is ReportStatus.SUCCEEDED
    assert [p.id for p in reports.parts(job)] == ["1", "2", "3"]
    files = reports.fetch(job, tmp_path)
    assert verified(sim, job.job_id, files) == ["1", "2", "3"]
    assert [f.path.name for f in files] == [f"VULNS-{job.job_id}-{n}.json" for n in (1, 2, 3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.path.name for f in files)
    # only some parts, by id; and a callable name gets each part's proposal
    again = reports.fetch(job, tmp_path / "two", parts=["2"], filename=lambda n: "x-" + n)
    assert [f.path.name for f in again] == [f"x-VULNS-{job.job_id}-2.json"]
    with pytest.raises(ValidationError, match="known parts: 1, 2, 3"):
        reports.fetch(job, tmp_path, parts=["9"])


def test_fetch_available_streams_chunks_while_the_export_runs(start: Any, tmp_path: Path) -> None:
    sim, reports = start(chunks=3, release="downloads")
    job = reports.run("chunky", "VULNS")
    fetched: list[str] = []
    for _ in range(10):
        job = reports.poll(job)
        if job.is_terminal:
            break
        assert job.status is ReportStatus.RUNNING
        fetched += [f.part for f in reports.fetch_available(job, tmp_path, skip=fetched)]
    assert job.status is ReportStatus.SUCCEEDED and fetched == ["1", "2", "3"]
    assert reports.fetch(job, tmp_path, skip=fetched) == []
    assert [chunk_requests(sim, n) for n in (1, 2, 3)] == [1, 1, 1]


def test_fetch_available_before_anything_is_ready_is_no_error(start: Any, tmp_path: Path) -> None:
    sim, reports = start(chunks=3, job_seconds=600)
    job = reports.poll(reports.run("chunky", "VULNS"))
    assert not job.is_terminal
    assert reports.fetch_available(job, tmp_path) == []
    with pytest.raises(ValidationError, match="only succeeded or partial jobs have files"):
        reports.fetch(job, tmp_path)
    assert sim.count("GET", "/chunks/") == 0 and not list(tmp_path.iterdir())
    cancelled = reports.wait(reports.cancel(job), timeout=30)
    with pytest.raises(ValidationError, match="is cancelled"):
        reports.fetch_available(cancelled, tmp_path)


@pytest.mark.parametrize("listing", [False, True], ids=["polled", "listed"])
def test_run_many_downloads_parts_before_the_job_ends(
    parts_vendor: Any, tmp_path: Path, listing: bool
) -> None:
    # The export only finishes once every chunk was downloaded: a batch that waited for
    # the end before fetching would never see it end. The log records, in the order they
    # happened, the simulator's answers and the client's files (and whether each was on
    # disk when it was announced). Jobs are polled one by one, or with one listing.
    sim, reports = parts_vendor(ChunkySimulator, chunks=3, release="downloads")
    if listing:
        reports = type(reports).from_profiles(
            {"chunky": {"provider": "chunky", **sim.profile_settings(), "listing": True,
                        "polling": {"initial": 0.05, "backoff": 1.2, "cap": 0.1}}},
            registry=reports.registry,
        )  # fmt: skip

    def on_event(event: JobEvent) -> None:
        if event.kind == "fetched" and event.file is not None:
            sim.note("fetched", event.request.key, event.file.part, event.file.path.is_file())

    requests = [JobRequest("chunky", "VULNS", key=k) for k in ("a", "b")]
    with reports:
        outcomes = list(
            reports.run_many(requests, dest_dir=tmp_path, timeout=60, on_event=on_event)
        )
    assert [o.ok for o in outcomes] == [True, True]
    assert [[f.part for f in o.files] for o in outcomes] == [["1", "2", "3"]] * 2
    finished_at = next(i for i, e in enumerate(sim.log) if e[:2] == ("status", "FINISHED"))
    before_end = [e for e in sim.log[:finished_at] if e[0] == "fetched"]
    assert {e[2:] for e in before_end} == {("1", True), ("2", True), ("3", True)}
    running = [e for e in sim.log[:finished_at] if e[0] == "status"]
    assert {e[1] for e in running} == {"PROCESSING"}
    assert sim.count("GET", "/chunks/") == 6  # each chunk of each export once
    assert (sim.count("GET", "^/exports$") > 0) is listing
    if listing:
        assert sim.count("GET", "/status$") == 0  # every observation came from a listing


def test_a_cut_chunk_resumes_alone(start: Any, tmp_path: Path) -> None:
    sim, reports = start(chunks=3, file_size=300_000)
    job = reports.wait(reports.run("chunky", "VULNS"), timeout=30)
    sim.faults.add(Fault(path="/chunks/2$", method="GET", drop_after=70_000, times=1))
    files = reports.fetch(job, tmp_path)
    assert verified(sim, job.job_id, files) == ["1", "2", "3"]
    assert [chunk_requests(sim, n) for n in (1, 2, 3)] == [1, 2, 1]
    resumed = [r for r in sim.requests if r.path.endswith("/chunks/2")][1]
    assert resumed.headers.get("Range", "").startswith("bytes=")  # from where it was cut


def test_partial_success_keeps_and_verifies_the_good_chunks(start: Any, tmp_path: Path) -> None:
    sim, reports = start(chunks=4, failed=(2,))
    job = reports.wait(reports.run("chunky", "VULNS"), timeout=30)
    assert job.status is ReportStatus.PARTIAL and job.is_fetchable and job.is_terminal
    (bad,) = [p for p in job.parts if p.state == "failed"]
    assert bad.id == "2" and "failed at the vendor" in (bad.error or "")
    files = reports.fetch(job, tmp_path)
    assert verified(sim, job.job_id, files) == ["1", "3", "4"]
    with pytest.raises(ValidationError, match=r"part .2. .* is failed: chunk 2 failed"):
        reports.fetch(job, tmp_path, parts=["2"])
    assert chunk_requests(sim, 2) == 0

    (outcome,) = reports.run_many([JobRequest("chunky", "VULNS")], dest_dir=tmp_path / "batch")
    assert outcome.partial and not outcome.ok and outcome.error is None
    assert [f.part for f in outcome.files] == ["1", "3", "4"]


def test_cli_writes_every_part_and_exits_3_for_a_partial_job(
    start_simulator: Callable[[Simulator], Simulator], tmp_path: Path
) -> None:
    sim = start_simulator(ChunkySimulator(chunks=3, failed=(3,)))
    config = write_config(
        tmp_path / "rb.toml",
        {"c": {"provider": "chunky", **sim.profile_settings(), "polling": FAST}},
    )
    env = cli_env("tests.toy_chunked:ChunkyPlugin")
    out = tmp_path / "out"
    proc = run_cli(
        "--config", str(config), "run", "c", "VULNS", "--fetch", str(out), "--json", env=env
    )
    assert proc.returncode == 3, proc.stderr
    lines = json_lines(proc.stdout)
    assert [line["files"][0]["part"] for line in lines] == ["1", "2"]  # one record per file
    assert {line["status"] for line in lines} == {"partial"}
    assert lines[0]["failed_parts"] == [
        {"id": "3", "format": "json", "error": "chunk 3 failed at the vendor"}
    ]
    for line in lines:
        (f,) = line["files"]
        assert f["sha256"] == sim.served_sha256(line["job_id"], "json", part=f["part"])
    human = run_cli("--config", str(config), "status", lines[0]["ref"], env=env)
    assert human.returncode == 3 and "failed part json/3: chunk 3 failed" in human.stdout


def test_cli_run_fetch_writes_chunks_while_the_export_runs(
    start_simulator: Callable[[Simulator], Simulator], tmp_path: Path
) -> None:
    # This export never finishes unless its chunks are downloaded while it runs.
    sim = start_simulator(ChunkySimulator(chunks=3, release="downloads"))
    config = write_config(
        tmp_path / "rb.toml",
        {"c": {"provider": "chunky", **sim.profile_settings(), "polling": FAST}},
    )
    env = cli_env("tests.toy_chunked:ChunkyPlugin")
    proc = run_cli(
        "--config", str(config), "run", "c", "VULNS", "--fetch", str(tmp_path / "out"),
        "--timeout", "60", "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [line["files"][0]["part"] for line in json_lines(proc.stdout)] == ["1", "2", "3"]
    assert sim.count("GET", "/chunks/") == 3
