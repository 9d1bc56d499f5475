"""Hostile local state around an audit bundle: missing, damaged or replaced journal and
manifest, links planted in the bundle, plan keys that are paths, one job that breaks.

Every case must end in a typed error (or a correct run), never submit a job twice,
and never write outside the bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportbridge import ConfigurationError, Reports, ValidationError
from reportbridge.audit import AuditPlan, PlannedJob, parse_plan, run_audit, verify_bundle
from reportbridge.audit.plan import is_safe_key
from reportbridge.errors import BundleError, UnexpectedError
from reportbridge.testing import Fault
from tests.toy import ToySimulator

N = 3


def plan(n: int = N, *, key: str = "j") -> AuditPlan:
    jobs = tuple(PlannedJob(f"{key}{i}", "toy", "USERS", {}, ("csv", "json")) for i in range(n))
    return AuditPlan(name="state", jobs=jobs, timeout=60.0)


def posts(sim: ToySimulator) -> int:
    return sim.count("POST", "^/jobs$")


def stopped_after_submitting(reports: Reports, p: AuditPlan, bundle: Path) -> None:
    """Run until every job is submitted, then stop (as Ctrl-C would): refs in the manifest."""
    stop = threading.Event()
    submitted: set[str] = set()

    def on_event(event: Any) -> None:
        if event.kind == "submitted":
            submitted.add(event.request.key)
            if len(submitted) == len(p.jobs):
                stop.set()

    with pytest.raises(KeyboardInterrupt):
        run_audit(reports, p, bundle, on_event=on_event, stop=stop)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert all(job["ref"] for job in manifest["jobs"])


def submitted_bundle(reports: Reports, sim: ToySimulator, tmp_path: Path) -> tuple[Path, AuditPlan]:
    """A bundle whose jobs were all submitted, then the run stopped."""
    sim.job_seconds = 1.0
    bundle, p = tmp_path / "b", plan()
    stopped_after_submitting(reports, p, bundle)
    assert posts(sim) == N
    return bundle, p


def drop_journal(bundle: Path) -> None:
    for name in ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"):
        (bundle / name).unlink(missing_ok=True)


# -- a missing or empty journal is recovered from the manifest -------------------------


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_lost_journal_is_recovered_from_the_manifest_not_resubmitted(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, how: str
) -> None:
    bundle, p = submitted_bundle(toy_reports, toy_sim, tmp_path)
    drop_journal(bundle)
    if how == "emptied":  # a zero-length file is a valid, empty SQLite database
        (bundle / "journal.sqlite").write_bytes(b"")
    result = run_audit(toy_reports, p, bundle)
    assert posts(toy_sim) == N, "a job listed in the manifest was submitted again"
    assert result.summary["succeeded"] == N
    assert verify_bundle(bundle).ok


def test_lost_journal_after_a_complete_run_downloads_nothing_again(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    p = plan()
    run_audit(toy_reports, p, bundle)
    downloads = toy_sim.count("GET", "/file$")
    drop_journal(bundle)
    result = run_audit(toy_reports, p, bundle)
    assert (posts(toy_sim), toy_sim.count("GET", "/file$")) == (N, downloads)
    assert result.summary["succeeded"] == N and verify_bundle(bundle).ok


def test_lost_journal_with_a_manifest_of_another_plan_is_refused(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    run_audit(toy_reports, plan(), bundle)
    drop_journal(bundle)
    with pytest.raises(ConfigurationError, match="different plan"):
        run_audit(toy_reports, plan(N + 1), bundle)
    assert posts(toy_sim) == N


# -- a damaged journal is refused with a way forward -----------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _header_only(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("x")


def _other_schema(path: Path) -> None:
    import sqlite3

    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (something TEXT)")
        db.execute("CREATE TABLE meta (name TEXT)")


@pytest.mark.parametrize("damage", [_garbage, _truncated, _header_only, _folder, _other_schema])
def test_damaged_journal_is_a_typed_error_and_nothing_is_sent(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, damage: Any
) -> None:
    bundle, p = submitted_bundle(toy_reports, toy_sim, tmp_path)
    for name in ("journal.sqlite-wal", "journal.sqlite-shm"):
        (bundle / name).unlink(missing_ok=True)  # a copy or crash loses these too
    damage(bundle / "journal.sqlite")
    requests = len(toy_sim.requests)
    with pytest.raises(BundleError) as info:
        run_audit(toy_reports, p, bundle)
    assert "journal" in str(info.value)
    assert "move it aside" in str(info.value) or "journal file" in str(info.value)
    assert len(toy_sim.requests) == requests, "a damaged bundle must stop before any request"
    # the way forward the message gives: move it aside, run again; nothing is resubmitted
    (bundle / "journal.sqlite").rename(bundle / "journal.sqlite.damaged")
    result = run_audit(toy_reports, p, bundle)
    assert posts(toy_sim) == N
    assert result.summary["succeeded"] == N


MANIFEST_SHAPES: list[Any] = [
    [],
    "a string",
    {"jobs": "not a list"},
    {"jobs": [1, 2]},
    {"jobs": [{"key": 5}]},
    {"jobs": [{"key": "j0", "ref": ["rb1.x"]}]},
    {"jobs": [{"key": "j0", "status": "exploded"}]},
    {"jobs": [{"key": "j0", "submit_attempts": "many"}]},
    {"jobs": [{"key": "j0", "files": {"a": 1}}]},
    {"jobs": [{"key": "j0", "files": [{"path": "x", "format": "csv", "size": -1}]}]},
    {"jobs": [{"key": "j0", "files": [{"path": "x", "format": "csv", "size": 1, "sha256": 7}]}]},
    {"jobs": [], "plan": "not a table"},
]


@pytest.mark.parametrize("shape", MANIFEST_SHAPES)
def test_manifest_of_the_wrong_shape_is_a_typed_error(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, shape: Any
) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps(shape))
    with pytest.raises(BundleError, match=r"manifest\.json"):
        run_audit(toy_reports, plan(), bundle)
    assert toy_sim.requests == []
    with pytest.raises(BundleError, match=r"manifest\.json"):
        verify_bundle(bundle)


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000, b""]
)
def test_manifest_that_is_not_json_is_a_typed_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(BundleError, match="not valid JSON"):
        verify_bundle(tmp_path)


def test_a_folder_that_is_not_a_bundle_is_refused_untouched(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    with pytest.raises(BundleError, match="not an audit bundle"):
        run_audit(toy_reports, plan(), home)
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]
    assert toy_sim.requests == []


# -- nothing is written outside the bundle ---------------------------------------------


HOSTILE_KEYS = [
    "../../../tmp/x",
    "..",
    ".",
    "a/b",
    "a\\b",
    "/abs",
    ".hidden",
    "-dash",
    "trailing.",
    "a..b",
    "x\x1b[2J",
    "tab\tkey",
    "CON",
    "nul.txt",
    "a" * 129,
    "",
    " ",
    "é",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_plan_keys_that_are_not_plain_names_are_refused(key: str) -> None:
    raw = {"jobs": [{"name": key, "profile": "p", "report_type": "T"}]}
    with pytest.raises(ConfigurationError, match="not accepted as a job key"):
        parse_plan(raw)
    with pytest.raises(ValidationError, match="not accepted"):
        PlannedJob(key, "p", "T")


def test_plan_keys_differing_only_in_case_are_refused() -> None:
    raw = {"jobs": [{"name": n, "profile": "p", "report_type": "T"} for n in ("Ids", "ids")]}
    with pytest.raises(ConfigurationError, match="ignoring case"):
        parse_plan(raw)


@given(st.text(max_size=140))
def test_an_accepted_key_is_one_plain_name_inside_its_folder(key: str) -> None:
    if not is_safe_key(key):
        return
    root = Path("/bundle/files/p")
    assert (root / key).parent == root
    assert key not in (".", "..") and "/" not in key and "\\" not in key
    assert not key.startswith((".", "-")) and not key.endswith(".")


@pytest.mark.parametrize(
    "hostile",
    [
        {"jobs": [{"name": "../../../escaped", "profile": "toy", "report_type": "USERS"}]},
        {"jobs": [{"name": "../../escaped", "profile": "toy", "report_type": "USERS"}]},
    ],
)
def test_a_plan_job_named_as_a_path_writes_nothing_outside(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, hostile: dict[str, Any]
) -> None:
    bundle = tmp_path / "deep" / "bundle"
    with pytest.raises(ConfigurationError, match="not accepted as a job key"):
        run_audit(toy_reports, parse_plan(hostile), bundle)
    assert not (tmp_path / "escaped").exists() and not bundle.exists()
    assert toy_sim.requests == []


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    return outside


LINK_PLACES = [
    "files",
    "files/toy",
    "files/toy/toy",
    "files/toy/toy/j0",
    "files/toy/toy/j0/job000001.csv",
    "journal.sqlite",
    "journal.sqlite-wal",
    "manifest.json",
    "audit.lock",
    "elsewhere/deep/link",
]


@pytest.mark.parametrize("place", LINK_PLACES)
def test_a_link_planted_in_the_bundle_is_refused_and_nothing_leaves_it(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path, place: str
) -> None:
    bundle = tmp_path / "b"
    p = plan(1)
    run_audit(toy_reports, p, bundle)
    outside = _outside(tmp_path)
    before = posts(toy_sim)
    link = bundle / place
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    else:
        link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside / "target", target_is_directory=True)
    with pytest.raises(BundleError) as info:
        run_audit(toy_reports, p, bundle)
    assert place in str(info.value) and "symbolic link" in str(info.value)
    assert list(outside.iterdir()) == [], "something was written outside the bundle"
    assert posts(toy_sim) == before
    if place == "manifest.json":  # nothing to verify against: refused, not followed
        with pytest.raises(BundleError, match="symbolic link"):
            verify_bundle(bundle)
    else:
        assert any("symbolic link" in problem for problem in verify_bundle(bundle).problems)


def test_a_fifo_in_the_bundle_is_refused_without_blocking(
    toy_reports: Reports, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    run_audit(toy_reports, plan(1), bundle)
    fifo = bundle / "files" / "toy" / "toy" / "j0" / "job000001.csv"
    fifo.unlink()
    os.mkfifo(fifo)
    with pytest.raises(BundleError, match="special file"):
        run_audit(toy_reports, plan(1), bundle)
    assert any("special file" in problem for problem in verify_bundle(bundle).problems)


# -- verify reports links and escaping paths -------------------------------------------


def _listed_files(bundle: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    manifest = json.loads((bundle / "manifest.json").read_text())
    return manifest, [f for job in manifest["jobs"] for f in job["files"]]


def test_verify_never_accepts_a_file_reached_outside_the_bundle(
    toy_reports: Reports, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    run_audit(toy_reports, plan(2), bundle)
    manifest, files = _listed_files(bundle)
    outside = _outside(tmp_path)
    # copies that hash exactly as the manifest says, but live outside the bundle
    first = bundle / files[0]["path"]
    shutil.copy(first, outside / "copy.csv")
    escapes = [
        "../outside/copy.csv",
        f"{files[0]['path'].split('/')[0]}/../../outside/copy.csv",
        str(outside / "copy.csv"),
    ]
    for n, rel in enumerate(escapes):
        files[n % len(files)]["path"] = rel
        (bundle / "manifest.json").write_text(json.dumps(manifest))
        problems = verify_bundle(bundle).problems
        assert any(p.startswith(rel) and "outside" in p for p in problems), (rel, problems)
        files[n % len(files)]["path"] = first.relative_to(bundle).as_posix()
    # the listed file replaced by a link to an identical copy: still a problem
    first.unlink()
    first.symlink_to(outside / "copy.csv")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    problems = verify_bundle(bundle).problems
    assert any("symbolic link" in p for p in problems), problems


def test_verify_reports_a_folder_reached_through_a_link(
    toy_reports: Reports, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    run_audit(toy_reports, plan(1), bundle)
    real = bundle / "files" / "toy"
    moved = tmp_path / "moved"
    real.rename(moved)
    real.symlink_to(moved, target_is_directory=True)
    result = verify_bundle(bundle)
    assert not result.ok
    assert any("files/toy" in p and "symbolic link" in p for p in result.problems)


# -- one failing job never stops the others --------------------------------------------


def test_an_unexpected_exception_in_one_job_is_that_jobs_error(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    # a garbled answer for one job makes the provider's own code raise a KeyError
    toy_sim.faults.add(
        Fault(path="^/jobs/job000002$", method="GET", status=200, body=b"{}", times=None)
    )
    result = run_audit(toy_reports, plan(), tmp_path / "b")
    by_job = {job["job_id"]: job for job in result.manifest["jobs"]}
    assert by_job["job000002"]["error"].startswith(UnexpectedError.__name__)
    assert "KeyError" in by_job["job000002"]["error"]
    others = [job for job in result.manifest["jobs"] if job["job_id"] != "job000002"]
    assert [job["status"] for job in others] == ["succeeded"] * (N - 1)
    assert result.exit_code == 3


def test_a_failing_progress_display_does_not_stop_the_audit(
    toy_reports: Reports, tmp_path: Path
) -> None:
    def broken_display(event: Any) -> None:
        raise RuntimeError("display broke")

    result = run_audit(toy_reports, plan(), tmp_path / "b", on_event=broken_display)
    assert result.summary["succeeded"] == N
