"""The evidence commands as a user runs them: keygen, demo --sign-key, audit seal, verify,
show, export — from a clean folder, in subprocesses."""

from __future__ import annotations

import contextlib
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import cli_env, json_lines, run_cli

ENV = cli_env(extra_plugins=None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A clean folder: a fresh key, the demo audit sealed with it."""
    folder = tmp_path_factory.mktemp("clean")
    key = folder / "signing.key"
    made = run_cli("keygen", "--out", str(key), env=ENV)
    assert made.returncode == 0, made.stderr
    bundle = folder / "bundle"
    proc = run_cli(
        "demo",
        "--out",
        str(bundle),
        "--job-seconds",
        "0.3",
        "--file-size",
        "6000",
        "--sign-key",
        str(key),
        env=ENV,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "seal: signature verified" in proc.stdout
    return {"key": key, "pub": folder / "signing.key.pub", "bundle": bundle}


@pytest.fixture
def bundle(demo: dict[str, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(demo["bundle"], copy)
    return copy


def test_keygen_files_and_refusal_to_overwrite(demo: dict[str, Path]) -> None:
    assert stat.S_IMODE(demo["key"].stat().st_mode) == 0o600
    again = run_cli("keygen", "--out", str(demo["key"]), env=ENV)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert "Traceback" not in again.stderr


def test_sealed_demo_verifies_with_its_key(demo: dict[str, Path], bundle: Path) -> None:
    proc = run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), env=ENV)
    assert proc.returncode == 0, proc.stdout
    assert "seal: signature verified" in proc.stdout and ": OK" in proc.stdout
    as_json = json_lines(
        run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), "--json", env=ENV).stdout
    )[0]
    assert as_json["ok"] is True and as_json["seal"] == "signature verified"
    assert as_json["custody_events"] > 10 and as_json["format"].endswith("/2")


def test_each_tamper_class_fails_naming_what_changed(demo: dict[str, Path], bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    victim = bundle / manifest["jobs"][0]["files"][0]["path"]
    victim.write_bytes(victim.read_bytes().replace(b",", b";", 1))
    (bundle / "stray.txt").write_text("x")
    proc = run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), env=ENV)
    assert proc.returncode == 1
    rel = victim.relative_to(bundle).as_posix()
    assert f"PROBLEM {rel}: changed since the bundle was sealed" in proc.stdout
    assert "PROBLEM stray.txt: added after the bundle was sealed (not in the seal)" in proc.stdout


def test_unsealed_bundle_with_a_key_fails_and_seal_then_passes(
    demo: dict[str, Path], bundle: Path
) -> None:
    (bundle / "seal.dsse.json").unlink()
    plain = run_cli("audit", "verify", str(bundle), env=ENV)
    assert plain.returncode == 0 and "seal: unsealed" in plain.stdout
    keyed = run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), env=ENV)
    assert keyed.returncode == 1 and "the bundle is unsealed" in keyed.stdout
    env = {**ENV, "REPORTBRIDGE_SIGNING_KEY": demo["key"].read_text()}
    sealed = run_cli("audit", "seal", str(bundle), env=env)
    assert sealed.returncode == 0, sealed.stderr
    assert (
        run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), env=ENV).returncode == 0
    )
    again = run_cli("audit", "seal", str(bundle), "--key", str(demo["key"]), env=ENV)
    assert again.returncode == 1 and "already sealed" in again.stderr


def test_a_damaged_bundle_is_not_sealed(demo: dict[str, Path], bundle: Path) -> None:
    (bundle / "seal.dsse.json").unlink()
    manifest = json.loads((bundle / "manifest.json").read_text())
    victim = bundle / manifest["jobs"][0]["files"][0]["path"]
    victim.write_bytes(b"changed")
    proc = run_cli("audit", "seal", str(bundle), "--key", str(demo["key"]), env=ENV)
    assert proc.returncode == 1 and "sealing it would vouch for damage" in proc.stderr
    assert not (bundle / "seal.dsse.json").exists()


def test_secret_key_never_printed(demo: dict[str, Path], bundle: Path) -> None:
    body = demo["key"].read_text().splitlines()[1]
    env = {**ENV, "REPORTBRIDGE_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\nbroken" + body}
    (bundle / "seal.dsse.json").unlink()
    proc = run_cli("audit", "seal", str(bundle), env=env)
    assert proc.returncode == 2 and "is not a PEM private key" in proc.stderr
    assert body not in proc.stderr + proc.stdout


def test_show_prints_the_evidence_table(bundle: Path) -> None:
    proc = run_cli("audit", "show", str(bundle), env=ENV)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((bundle / "manifest.json").read_text())
    for job in manifest["jobs"]:
        assert job["key"] in proc.stdout
    assert "rows declared" in proc.stdout and "sealed (signature not checked)" in proc.stdout
    data = json_lines(run_cli("audit", "show", str(bundle), "--json", env=ENV).stdout)[0]
    first = data["jobs"][0]["files"][0]
    assert first["sha256"] == manifest["jobs"][0]["files"][0]["sha256"]


def test_oscal_export_validates_and_is_deterministic(bundle: Path, tmp_path: Path) -> None:
    from trestle.oscal.assessment_results import AssessmentResults

    out1, out2, out3 = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    for out in (out1, out2):
        proc = run_cli(
            "audit", "export", str(bundle), "--format", "oscal", "--out", str(out), env=ENV
        )
        assert proc.returncode == 0, proc.stderr
    elsewhere = tmp_path / "moved" / "bundle"
    shutil.copytree(bundle, elsewhere)
    assert (
        run_cli(
            "audit", "export", str(elsewhere), "--format", "oscal", "--out", str(out3), env=ENV
        ).returncode
        == 0
    )
    assert out1.read_bytes() == out2.read_bytes() == out3.read_bytes()
    doc = json.loads(out1.read_text())["assessment-results"]
    model = AssessmentResults.model_validate(doc)
    manifest = json.loads((bundle / "manifest.json").read_text())
    observations = model.results[0].observations or []
    assert len(observations) == len(manifest["jobs"])
    assert all(o.collected is not None and o.relevant_evidence for o in observations)
    resources = {r.uuid: r for r in (model.back_matter.resources or [])}  # type: ignore[union-attr]
    for o in observations:
        for ev in o.relevant_evidence or []:
            resource = resources[str(ev.href).lstrip("#")]
            link = (resource.rlinks or [])[0]
            digest = (link.hashes or [])[0]
            path = bundle / link.href
            import hashlib

            assert digest.algorithm == "SHA-256"
            assert digest.value == hashlib.sha256(path.read_bytes()).hexdigest()


def test_bagit_export_validates(bundle: Path, tmp_path: Path) -> None:
    import bagit

    bag_dir = tmp_path / "bag"
    proc = run_cli(
        "audit", "export", str(bundle), "--format", "bagit", "--out", str(bag_dir), env=ENV
    )
    assert proc.returncode == 0, proc.stderr
    bagit.Bag(str(bag_dir)).validate()
    tool = Path(sys.executable).parent / "bagit.py"
    checked = subprocess.run(
        [sys.executable, str(tool), "--validate", str(bag_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "is valid" in checked.stderr
    # and a changed payload byte is caught by the same validator
    victim = next((bag_dir / "data" / "files").rglob("*.csv"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"#")
    bad = subprocess.run(
        [sys.executable, str(tool), "--validate", str(bag_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    again = run_cli(
        "audit", "export", str(bundle), "--format", "bagit", "--out", str(bag_dir), env=ENV
    )
    assert again.returncode == 1 and "exists" in again.stderr


def test_export_usage_errors(bundle: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "audit", "export", str(bundle), "--format", "pdf", "--out", str(tmp_path / "x"), env=ENV
    )
    assert proc.returncode == 2 and "oscal|bagit" in proc.stderr


@contextlib.contextmanager
def audited(tmp_path: Path, provider: str, plan_text: str) -> Iterator[tuple[Path, Any]]:
    """Run ``plan_text`` (its jobs on profile ``p``) against ``provider``'s simulator."""
    from reportbridge.plugins import PluginRegistry
    from tests.clihelp import write_config

    sim = PluginRegistry().provider(provider).simulator(job_seconds=0.2, file_size=2_000)
    assert sim is not None
    with sim:
        settings = {"provider": provider, **sim.profile_settings()}
        config = write_config(
            tmp_path / "rb.toml", {"p": {**settings, "polling": {"initial": 0.05, "cap": 0.2}}}
        )
        plan = tmp_path / "plan.toml"
        plan.write_text(plan_text, encoding="utf-8")
        bundle = tmp_path / "b"
        proc = run_cli("--config", str(config), "audit", str(plan), "--out", str(bundle), env=ENV)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield bundle, (sim, proc)


def test_as_of_reports_stale_evidence(tmp_path: Path) -> None:
    plan = (
        '[audit]\nname = "fresh"\nexpires_after = "P30D"\n'
        '[[jobs]]\nname = "ids"\nprofile = "p"\nreport_type = "IDENTITIES"\n'
        'formats = ["csv"]\n'
    )
    with audited(tmp_path, "sailpoint", plan) as (bundle, _):
        pass
    now = run_cli("audit", "verify", str(bundle), env=ENV)
    assert now.returncode == 0, now.stdout
    later = run_cli("audit", "verify", str(bundle), "--as-of", "2999-01-01", env=ENV)
    assert later.returncode == 1
    assert "FINDING job ids: stale evidence: collected " in later.stdout
    assert "(expires_after P30D)" in later.stdout


def test_a_split_window_through_the_command_line(tmp_path: Path) -> None:
    plan = (
        '[[jobs]]\nname = "calls"\nprofile = "p"\nreport_type = "calls"\n'
        'params = { format = "csv" }\nwindow = "previous-quarter"\n'
    )
    with audited(tmp_path, "explore", plan) as (bundle, (sim, proc)):
        assert "1/1 jobs succeeded" in proc.stdout and "3 files" in proc.stdout
        assert sim.count("POST", "/jobs$") == 3
    shown = run_cli("audit", "show", str(bundle), env=ENV)
    assert "(3 segments)" in shown.stdout
    assert run_cli("audit", "verify", str(bundle), env=ENV).returncode == 0


def _deep(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def _nest_custody_event(bundle: Path) -> None:
    path = bundle / "custody.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[3] = _deep()
    path.write_bytes(b"\n".join(lines))


def _nest_seal_payload(bundle: Path) -> None:
    import base64

    path = bundle / "seal.dsse.json"
    doc = json.loads(path.read_text())
    doc["payload"] = base64.b64encode(_deep()).decode()
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("where", "damage"),
    [
        ("custody event", _nest_custody_event),
        ("seal", lambda b: (b / "seal.dsse.json").write_bytes(_deep())),
        ("seal payload", _nest_seal_payload),
        ("manifest", lambda b: (b / "manifest.json").write_bytes(_deep())),
    ],
)
def test_deeply_nested_json_in_a_bundle_is_a_named_problem(
    demo: dict[str, Path], bundle: Path, where: str, damage: Any
) -> None:
    damage(bundle)
    proc = run_cli("audit", "verify", str(bundle), "--key", str(demo["pub"]), env=ENV)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (1, 2), out
    assert "unexpected error" not in out and "RecursionError" not in out, out
    assert "Traceback" not in out
