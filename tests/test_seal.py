"""Sealed bundles: keys, the DSSE envelope, and every kind of change caught and named."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportbridge.audit.custody import CUSTODY
from reportbridge.audit.inventory import inventory
from reportbridge.audit.keys import (
    generate_keypair,
    key_id,
    load_public_key,
    load_signing_key,
)
from reportbridge.audit.seal import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    SEAL,
    STATEMENT_TYPE,
    pae,
    seal_bundle,
)
from reportbridge.audit.verification import verify_evidence
from reportbridge.errors import (
    ConfigurationError,
    EvidenceError,
    MissingDependencyError,
)
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from tests.evidencekit import FAST, plan, rewrite_lines, run, sailpoint_jobs


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    a, a_pub = generate_keypair(folder / "a")
    b, b_pub = generate_keypair(folder / "b")
    return {"a": a, "a.pub": a_pub, "b": b, "b.pub": b_pub}


@pytest.fixture(scope="module")
def unsealed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    registry = PluginRegistry()
    sim = registry.provider("sailpoint").simulator(job_seconds=0.2, file_size=8_000)
    assert sim is not None
    with sim:
        profiles = {"sp": {"provider": "sailpoint", **sim.profile_settings(), "polling": FAST}}
        with Reports.from_profiles(profiles, registry=registry) as reports:
            bundle = tmp_path_factory.mktemp("bundle") / "b"
            run(reports, plan(*sailpoint_jobs()), bundle)
    return bundle


@pytest.fixture(scope="module")
def sealed_master(
    unsealed: Path, keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    bundle = tmp_path_factory.mktemp("sealed") / "b"
    shutil.copytree(unsealed, bundle)
    seal_bundle(bundle, load_signing_key(keys["a"]))
    return bundle


@pytest.fixture
def sealed(sealed_master: Path, tmp_path: Path) -> Path:
    bundle = tmp_path / "b"
    shutil.copytree(sealed_master, bundle)
    return bundle


def problems(bundle: Path, keys: dict[str, Path], key: str = "a.pub") -> tuple[str, ...]:
    result = verify_evidence(bundle, public_key=load_public_key(keys[key]))
    assert not result.ok
    return result.problems


def first_file(bundle: Path) -> Path:
    manifest = json.loads((bundle / "manifest.json").read_text())
    return bundle / manifest["jobs"][0]["files"][0]["path"]


# -- keys ------------------------------------------------------------------------------
def test_keygen_writes_a_private_key_only_its_owner_reads(keys: dict[str, Path]) -> None:
    assert stat.S_IMODE(keys["a"].stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in keys["a"].read_bytes()
    assert b"PUBLIC KEY" in keys["a.pub"].read_bytes()
    signing = load_signing_key(keys["a"])
    assert key_id(signing.public_key()) == key_id(load_public_key(keys["a.pub"]))


def test_keygen_never_overwrites(keys: dict[str, Path]) -> None:
    before = keys["a"].read_bytes()
    with pytest.raises(EvidenceError, match="a key is never overwritten"):
        generate_keypair(keys["a"])
    assert keys["a"].read_bytes() == before


def test_signing_key_from_the_environment(keys: dict[str, Path]) -> None:
    env = {"REPORTBRIDGE_SIGNING_KEY": keys["a"].read_text()}
    key = load_signing_key(None, env)
    assert key_id(key.public_key()) == key_id(load_public_key(keys["a.pub"]))
    env2 = {"MY_KEY": keys["b"].read_text()}
    assert key_id(load_signing_key("env:MY_KEY", env2).public_key()) == key_id(
        load_public_key(keys["b.pub"])
    )
    with pytest.raises(ConfigurationError, match=r"set \$REPORTBRIDGE_SIGNING_KEY"):
        load_signing_key(None, {})


def test_bad_keys_are_named_without_their_content(tmp_path: Path, keys: dict[str, Path]) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError) as caught:
        load_signing_key(bad)
    assert "not a PEM private key" in str(caught.value) and "c2VjcmV0" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="holds a private key; verify with the public"):
        load_public_key(keys["a"])
    with pytest.raises(ConfigurationError, match="cannot read key file"):
        load_signing_key(tmp_path / "missing")


def test_encrypted_and_non_ed25519_keys_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    locked = tmp_path / "locked.pem"
    locked.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(ConfigurationError, match="is encrypted"):
        load_signing_key(locked)
    other = tmp_path / "ec.pem"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigurationError, match="not an ed25519 key"):
        load_signing_key(other)


def test_without_cryptography_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    with pytest.raises(MissingDependencyError, match=r"reportbridge\[seal\]"):
        generate_keypair(tmp_path / "k")


# -- the envelope ----------------------------------------------------------------------
def test_the_seal_is_dsse_over_an_in_toto_statement(sealed: Path, keys: dict[str, Path]) -> None:
    envelope = json.loads((sealed / SEAL).read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    assert statement["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    names = {s["name"] for s in statement["subject"]}
    files = set(inventory(sealed).files) - {SEAL, "audit.lock"}
    assert names == files | {f"{CUSTODY}#head"}
    assert {"manifest.json", CUSTODY, "journal.sqlite"} <= names
    # the signature is over the DSSE pre-authentication encoding, checked independently
    public = load_public_key(keys["a.pub"])
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    expected = b"DSSEv1 28 application/vnd.in-toto+json %d " % len(payload) + payload
    assert pae(PAYLOAD_TYPE, payload) == expected
    public.verify(sig, expected)
    result = verify_evidence(sealed, public_key=public)
    assert result.ok and result.seal.state == "signature verified"


def test_without_a_key_a_sealed_bundle_says_the_signature_was_not_checked(sealed: Path) -> None:
    result = verify_evidence(sealed)
    assert result.ok and result.seal.state == "sealed (signature not checked)"


def test_unsealed_bundle_verifies_and_says_so_but_fails_with_a_key(
    unsealed: Path, keys: dict[str, Path]
) -> None:
    result = verify_evidence(unsealed)
    assert result.ok and result.seal.state == "unsealed"
    assert problems(unsealed, keys) == ("the bundle is unsealed: it has no seal.dsse.json",)


def test_a_seal_is_never_replaced(sealed: Path, keys: dict[str, Path]) -> None:
    with pytest.raises(EvidenceError, match="already sealed"):
        seal_bundle(sealed, load_signing_key(keys["b"]))


def test_an_unfinished_bundle_is_not_sealed(
    unsealed: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(unsealed, bundle)
    (bundle / "journal.sqlite-wal").write_bytes(b"")
    with pytest.raises(EvidenceError, match="still being written"):
        seal_bundle(bundle, load_signing_key(keys["a"]))
    assert not (bundle / SEAL).exists()


# -- every kind of change --------------------------------------------------------------
def test_edited_file(sealed: Path, keys: dict[str, Path]) -> None:
    victim = first_file(sealed)
    body = bytearray(victim.read_bytes())
    body[10] ^= 1
    victim.write_bytes(bytes(body))
    rel = victim.relative_to(sealed).as_posix()
    found = problems(sealed, keys)
    assert f"{rel}: sha256 differs from the manifest" in found
    assert f"{rel}: changed since the bundle was sealed" in found


def test_edited_file_and_its_manifest_entry(sealed: Path, keys: dict[str, Path]) -> None:
    victim = first_file(sealed)
    victim.write_bytes(b"id,name\n1,forged\n")
    manifest_path = sealed / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    entry = manifest["jobs"][0]["files"][0]
    from reportbridge.download import sha256_of

    entry["sha256"], entry["size"] = sha256_of(victim), victim.stat().st_size
    manifest_path.write_text(json.dumps(manifest, indent=2))
    rel = victim.relative_to(sealed).as_posix()
    found = problems(sealed, keys)
    assert "manifest.json: changed since the bundle was sealed" in found
    assert f"{rel}: changed since the bundle was sealed" in found
    assert any(p.startswith(f"{rel}: the custody log never recorded fetching this") for p in found)


def test_edited_custody_event(sealed: Path, keys: dict[str, Path]) -> None:
    rewrite_lines(
        sealed / CUSTODY,
        lambda lines: [lines[0], lines[1].replace(b"evidence test", b"forged audit"), *lines[2:]],
    )
    found = problems(sealed, keys)
    assert (
        "custody.jsonl event 2 (plan-loaded): its hash does not match its content (edited)" in found
    )
    assert "custody.jsonl: changed since the bundle was sealed" in found


def test_reordered_custody_events(sealed: Path, keys: dict[str, Path]) -> None:
    rewrite_lines(sealed / CUSTODY, lambda lines: [lines[0], lines[2], lines[1], *lines[3:]])
    found = problems(sealed, keys)
    assert any("event 2: found event 3" in p and "reordered" in p for p in found), found


def test_deleted_custody_event(sealed: Path, keys: dict[str, Path]) -> None:
    rewrite_lines(sealed / CUSTODY, lambda lines: [lines[0], *lines[2:]])
    found = problems(sealed, keys)
    assert any("event 2: found event 3" in p and "removed" in p for p in found), found


def test_truncated_custody_log(sealed: Path, keys: dict[str, Path]) -> None:
    rewrite_lines(sealed / CUSTODY, lambda lines: lines[:-1])
    found = problems(sealed, keys)
    assert any(p.startswith("custody.jsonl: holds ") and "the manifest records" in p for p in found)
    assert "custody.jsonl: its head is not the one sealed (events changed)" in found


def test_replaced_signature(sealed: Path, keys: dict[str, Path]) -> None:
    envelope = json.loads((sealed / SEAL).read_text())
    other = load_signing_key(keys["b"]).sign(b"something else")
    envelope["signatures"][0]["sig"] = base64.b64encode(other).decode()
    from reportbridge.audit.custody import canonical

    (sealed / SEAL).write_bytes(canonical(envelope) + b"\n")
    assert problems(sealed, keys) == (
        "seal.dsse.json: the signature does not verify (the seal was replaced or edited)",
    )


def test_resealed_with_another_key(sealed: Path, keys: dict[str, Path]) -> None:
    (sealed / SEAL).unlink()
    seal_bundle(sealed, load_signing_key(keys["b"]))
    found = problems(sealed, keys)
    assert len(found) == 1 and found[0].startswith("seal.dsse.json: signed by another key")
    assert verify_evidence(sealed, public_key=load_public_key(keys["b.pub"])).ok


@pytest.mark.parametrize("where", ["notes.txt", "files/extra.csv"])
def test_stray_file(sealed: Path, keys: dict[str, Path], where: str) -> None:
    (sealed / where).write_text("added later")
    found = problems(sealed, keys)
    assert f"{where}: added after the bundle was sealed (not in the seal)" in found


def test_removed_file(sealed: Path, keys: dict[str, Path]) -> None:
    victim = first_file(sealed)
    victim.unlink()
    rel = victim.relative_to(sealed).as_posix()
    found = problems(sealed, keys)
    assert f"{rel}: missing" in found and f"{rel}: missing (the seal lists it)" in found


def test_edited_manifest(sealed: Path, keys: dict[str, Path]) -> None:
    path = sealed / "manifest.json"
    path.write_text(path.read_text().replace('"evidence test"', '"forged"', 1))
    assert "manifest.json: changed since the bundle was sealed" in problems(sealed, keys)


def test_edited_journal(sealed: Path, keys: dict[str, Path]) -> None:
    path = sealed / "journal.sqlite"
    body = bytearray(path.read_bytes())
    body[-1] ^= 0xFF
    path.write_bytes(bytes(body))
    assert "journal.sqlite: changed since the bundle was sealed" in problems(sealed, keys)


def test_symlink_put_in_the_bundle(sealed: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("x")
    os.symlink(tmp_path / "outside.txt", sealed / "files" / "link.csv")
    found = problems(sealed, keys)
    assert any(p.startswith("files/link.csv: is a symbolic link") for p in found), found


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_flipped_byte_anywhere_fails_verification(
    sealed_master: Path,
    keys: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    bundle = tmp_path_factory.mktemp("flip") / "b"
    shutil.copytree(sealed_master, bundle)
    # every file but the lock, which each run rewrites with its holder (never sealed)
    files = [f for f in inventory(bundle).files if f != "audit.lock"]
    victim = bundle / data.draw(st.sampled_from(files))
    body = bytearray(victim.read_bytes())
    pos = data.draw(st.integers(0, len(body) - 1))
    body[pos] ^= data.draw(st.integers(1, 255))
    victim.write_bytes(bytes(body))
    try:
        result = verify_evidence(bundle, public_key=load_public_key(keys["a.pub"]))
    except EvidenceError:
        return  # the manifest no longer reads as one: also a failure, with a message
    assert not result.ok


def test_journal_opened_after_sealing(sealed: Path, keys: dict[str, Path]) -> None:
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(sealed / "journal.sqlite")) as db:
        db.execute("SELECT COUNT(*) FROM jobs").fetchone()
        # while open, SQLite keeps an index (-shm) and an empty log (-wal): no content
        assert verify_evidence(sealed, public_key=load_public_key(keys["a.pub"])).ok
        db.execute("UPDATE jobs SET status = 'failed'")
        db.commit()
        found = problems(sealed, keys)
    assert "journal.sqlite-wal: added after the bundle was sealed (not in the seal)" in found or (
        "journal.sqlite: changed since the bundle was sealed" in found
    )


def test_the_kept_format_2_bundle_still_verifies_with_its_key(tmp_path: Path) -> None:
    """A sealed bundle as this version wrote it (tests/fixtures/bundle-format-2, its public
    key beside it): later versions must keep verifying it."""
    fixtures = Path(__file__).parent / "fixtures"
    bundle = tmp_path / "b"
    shutil.copytree(fixtures / "bundle-format-2", bundle)
    public = load_public_key(fixtures / "bundle-format-2.pub")
    result = verify_evidence(bundle, public_key=public)
    assert result.ok, (result.problems, result.findings)
    assert result.seal.state == "signature verified" and result.custody_events == 65
    victim = next((bundle / "files").rglob("*.json"))
    victim.write_bytes(victim.read_bytes().replace(b"1", b"2", 1))
    assert f"{victim.relative_to(bundle).as_posix()}: changed since the bundle was sealed" in (
        verify_evidence(bundle, public_key=public).problems
    )
