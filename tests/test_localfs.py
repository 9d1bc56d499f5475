"""Writes confined to their destination: no link inside is followed, the user's own
folder is taken as the system resolves it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reportbridge import LocalWriteError, Reports
from reportbridge.errors import UnsafePathError
from reportbridge.localfs import ConfinedDir, open_dir, write_bytes_atomic
from tests.toy import ToySimulator


def finished(reports: Reports) -> Any:
    return reports.wait(reports.run("toy", "USERS"), timeout=30)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_link_inside_a_confined_destination_is_refused(
    toy_reports: Reports, tmp_path: Path, depth: int
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    parts = ("a", "b", "c")
    real = root.joinpath(*parts[:depth])
    real.mkdir(parents=True, exist_ok=True)
    (real / parts[depth]).symlink_to(outside, target_is_directory=True)
    job = finished(toy_reports)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        toy_reports.fetch(job, ConfinedDir(root, parts))
    assert list(outside.iterdir()) == []


def test_a_file_in_the_way_of_a_confined_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    with pytest.raises(UnsafePathError, match="a file, not a folder"):
        open_dir(ConfinedDir(tmp_path, ("a", "b")))


@pytest.mark.parametrize("name", ["..", ".", "a/b", "", "x\0y"])
def test_confined_components_are_plain_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafePathError, match="not a plain file or folder name"):
        open_dir(ConfinedDir(tmp_path, ("ok", name)))
    assert not (tmp_path.parent / "b").exists()


@pytest.mark.parametrize("kind", ["link-to-file", "dangling-link", "link-to-folder"])
def test_a_link_at_the_file_name_is_refused_not_written_through(
    toy_reports: Reports, tmp_path: Path, kind: str
) -> None:
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    victim = outside / "victim.csv"
    if kind == "link-to-file":
        victim.write_text("precious")
    elif kind == "link-to-folder":
        victim.mkdir()
    (dest / "report.csv").symlink_to(victim)
    job = finished(toy_reports)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        toy_reports.fetch(job, dest, filename="report.csv")
    assert (dest / "report.csv").is_symlink()
    assert sorted(p.name for p in dest.iterdir()) == ["report.csv"]  # no temporary left
    if kind == "link-to-file":
        assert victim.read_text() == "precious"
    else:
        assert not victim.exists() or list(victim.iterdir()) == []


def test_the_users_own_folder_may_be_a_link(toy_reports: Reports, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    chosen = tmp_path / "chosen"
    chosen.symlink_to(real, target_is_directory=True)
    [fetched] = toy_reports.fetch(finished(toy_reports), chosen, filename="r.csv")
    assert fetched.path == chosen / "r.csv" and (real / "r.csv").is_file()


def test_an_existing_plain_file_is_replaced(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    (tmp_path / "r.csv").write_text("old")
    [fetched] = toy_reports.fetch(finished(toy_reports), tmp_path, filename="r.csv")
    assert (tmp_path / "r.csv").stat().st_size == fetched.size == toy_sim.file_size


def test_atomic_bytes_refuse_a_link_and_keep_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("keep")
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "manifest.json").symlink_to(outside)
    with pytest.raises(LocalWriteError):
        write_bytes_atomic(folder, "manifest.json", b"{}")
    assert outside.read_text() == "keep"
    assert [p.name for p in folder.iterdir()] == ["manifest.json"]
    os.unlink(folder / "manifest.json")
    write_bytes_atomic(folder, "manifest.json", b"{}")
    assert (folder / "manifest.json").read_bytes() == b"{}"
