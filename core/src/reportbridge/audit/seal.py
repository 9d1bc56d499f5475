"""Sealing a bundle: a DSSE envelope over an in-toto Statement v1, signed with ed25519.

The statement's subjects are every file of the bundle (evidence files, the manifest,
the custody log, the journal) with their SHA-256, plus the custody log head. The
envelope is written to ``seal.dsse.json``; checking it needs only the public key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge import jsonsafe
from reportbridge._version import __version__
from reportbridge.audit.custody import CUSTODY, canonical, read_log
from reportbridge.audit.inventory import file_sha256, inventory
from reportbridge.audit.lock import LOCK
from reportbridge.errors import EvidenceError
from reportbridge.localfs import read_regular_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SEAL = "seal.dsse.json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://reportbridge.dev/attestations/audit-bundle/v1"
HEAD_SUBJECT = CUSTODY + "#head"
#: Not sealed: the seal itself, and the lock file each run (or seal) rewrites with its holder.
NOT_SEALED = frozenset({SEAL, LOCK})
#: Files a running audit keeps open; their presence means the bundle is not finished.
_IN_PROGRESS = ("journal.sqlite-wal", "journal.sqlite-journal")
_MAX_SEAL_BYTES = 64 << 20


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(bundle: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The in-toto statement for ``bundle`` as it is now."""
    manifest = _manifest(bundle)
    found = inventory(bundle, skip=skip | NOT_SEALED)
    if found.odd:
        raise EvidenceError(
            f"bundle {str(bundle)!r} holds {found.odd[0]!r}, which is not a regular file; "
            "a bundle holds only files"
        )
    busy = [name for name in _IN_PROGRESS if name in found.files]
    if busy:
        raise EvidenceError(
            f"bundle {str(bundle)!r} is still being written ({busy[0]} exists); let the "
            "audit finish (or re-run it to completion) before sealing"
        )
    subjects = [
        {"name": rel, "digest": {"sha256": file_sha256(bundle / rel)}} for rel in found.files
    ]
    custody: dict[str, Any] = {"events": 0, "head": None}
    if (bundle / CUSTODY).is_file():
        log = read_log(bundle / CUSTODY)
        if not log.ok:
            raise EvidenceError(
                f"bundle {str(bundle)!r}: the custody log is damaged or unfinished; "
                "it cannot be sealed"
            )
        custody = {"events": len(log.events), "head": log.head}
        subjects.append({"name": HEAD_SUBJECT, "digest": {"sha256": log.head}})
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "bundle_format": manifest.get("format"),
            "audit": manifest.get("audit"),
            "created_at": manifest.get("created_at"),
            "generated_at": manifest.get("generated_at"),
            "sealed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "summary": manifest.get("summary"),
            "custody": custody,
            "sealed_by": {"tool": "reportbridge", "version": __version__},
        },
    }


def _manifest(bundle: Path) -> dict[str, Any]:
    from reportbridge.audit.manifest import MANIFEST, MAX_MANIFEST_BYTES

    try:
        raw = read_regular_file(bundle / MANIFEST, limit=MAX_MANIFEST_BYTES)
        data = jsonsafe.loads(raw, what="the manifest")
    except FileNotFoundError:
        raise EvidenceError(
            f"{str(bundle)!r} is not an audit bundle: it has no {MANIFEST}"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise EvidenceError(f"{str(bundle / MANIFEST)!r} is not valid JSON") from None
    except OSError as exc:  # a link, a folder, too large
        raise EvidenceError(
            f"cannot read {str(bundle / MANIFEST)!r}: {exc.strerror or exc}"
        ) from None
    if not isinstance(data, dict):
        raise EvidenceError(f"{str(bundle / MANIFEST)!r} is not a manifest")
    return data


def envelope(statement_doc: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    from reportbridge.audit.keys import key_id

    payload = canonical(statement_doc)
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [
            {"keyid": key_id(key.public_key()), "sig": base64.b64encode(signature).decode()}
        ],
    }


def seal_bundle(
    bundle: str | os.PathLike[str],
    key: Ed25519PrivateKey,
    *,
    skip: frozenset[str] = frozenset(),
) -> Path:
    """Sign ``bundle`` as it is now; returns the seal file. A seal is never replaced."""
    root = Path(bundle)
    target = root / SEAL
    if target.exists() or target.is_symlink():
        raise EvidenceError(
            f"bundle {str(root)!r} is already sealed; a seal is never replaced (verify it with "
            "`reportbridge audit verify DIR --key PUB`)"
        )
    doc = envelope(statement(root, skip=skip), key)
    fd, tmp = tempfile.mkstemp(prefix=".seal.", suffix=".part", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(canonical(doc) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, target)  # fails if a seal appeared meanwhile: never overwrite
    except FileExistsError:
        raise EvidenceError(f"bundle {str(root)!r} was sealed by someone else meanwhile") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


@attrs.frozen
class SealCheck:
    """What checking a seal found. ``state``: unsealed, sealed (signature not checked),
    or signature verified."""

    state: str
    key_id: str | None = None
    subjects: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    sealed_at: str | None = None


def check_seal(
    bundle: Path,
    public: Ed25519PublicKey | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> SealCheck:
    """Check the seal of ``bundle``: its form, its signature (with ``public``), every
    subject's digest, and that no file was added after sealing."""
    path = bundle / SEAL
    if not path.exists() and not path.is_symlink():
        if public is not None:
            return SealCheck("unsealed", problems=(f"the bundle is unsealed: it has no {SEAL}",))
        return SealCheck("unsealed")
    problems: list[str] = []
    doc, problem = _read_envelope(path)
    if doc is None:
        return SealCheck("sealed", problems=(problem or f"{SEAL} is damaged",))
    signature = doc["signatures"][0]
    keyid = signature["keyid"]
    state = "sealed (signature not checked)"
    if public is not None:
        problems.extend(_check_signature(doc, public))
        state = "signature verified" if not problems else "signature INVALID"
    try:
        payload = base64.b64decode(doc["payload"], validate=True)
        stmt = jsonsafe.loads(payload, what="the seal's statement")
    except (binascii.Error, ValueError):
        return SealCheck(
            state, keyid, problems=(*problems, f"{SEAL}: its payload is not a statement")
        )
    if (
        not isinstance(stmt, dict)
        or stmt.get("_type") != STATEMENT_TYPE
        or stmt.get("predicateType") != PREDICATE_TYPE
        or not isinstance(stmt.get("subject"), list)
    ):
        return SealCheck(
            state, keyid, problems=(*problems, f"{SEAL}: not a reportbridge statement")
        )
    subjects = _subjects(stmt["subject"])
    problems.extend(_check_subjects(bundle, subjects, skip))
    predicate = stmt.get("predicate") if isinstance(stmt.get("predicate"), dict) else {}
    return SealCheck(
        state,
        keyid,
        tuple(subjects),
        tuple(problems),
        sealed_at=str(predicate.get("sealed_at")) if predicate else None,
    )


def _read_envelope(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        raw = _read_capped(path)
        doc = jsonsafe.loads(raw, what="the seal")
    except (OSError, ValueError, UnicodeDecodeError):
        return None, f"{SEAL} is not a readable seal (damaged or replaced)"
    ok = (
        isinstance(doc, dict)
        and sorted(doc) == ["payload", "payloadType", "signatures"]
        and doc["payloadType"] == PAYLOAD_TYPE
        and isinstance(doc["payload"], str)
        and isinstance(doc["signatures"], list)
        and len(doc["signatures"]) == 1
        and isinstance(doc["signatures"][0], dict)
        and sorted(doc["signatures"][0]) == ["keyid", "sig"]
        and all(isinstance(v, str) for v in doc["signatures"][0].values())
    )
    if not ok or not all(_canonical_b64(v) for v in (doc["payload"], doc["signatures"][0]["sig"])):
        return None, f"{SEAL} is not a DSSE envelope reportbridge wrote"
    if canonical(doc) + b"\n" != raw:
        return None, f"{SEAL} was edited (its bytes are not the form reportbridge writes)"
    return doc, None


def _canonical_b64(text: str) -> bool:
    # Base64 has spare bits: two spellings can decode alike. Only ours is accepted.
    try:
        return base64.b64encode(base64.b64decode(text, validate=True)).decode() == text
    except (binascii.Error, ValueError):
        return False


def _read_capped(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(_MAX_SEAL_BYTES + 1)
    if len(data) > _MAX_SEAL_BYTES:
        raise ValueError("seal too large")
    return data


def _check_signature(doc: dict[str, Any], public: Ed25519PublicKey) -> list[str]:
    from cryptography.exceptions import InvalidSignature

    from reportbridge.audit.keys import key_id

    signature = doc["signatures"][0]
    expected = key_id(public)
    if signature["keyid"] != expected:
        return [
            f"{SEAL}: signed by another key ({signature['keyid']}), not by the key given "
            f"({expected})"
        ]
    try:
        sig = base64.b64decode(signature["sig"], validate=True)
        payload = base64.b64decode(doc["payload"], validate=True)
        public.verify(sig, pae(doc["payloadType"], payload))
    except (binascii.Error, ValueError, InvalidSignature):
        return [f"{SEAL}: the signature does not verify (the seal was replaced or edited)"]
    return []


def _subjects(raw: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            digest = item.get("digest")
            out[item["name"]] = str(digest.get("sha256")) if isinstance(digest, dict) else ""
    return out


def _check_subjects(bundle: Path, subjects: dict[str, str], skip: frozenset[str]) -> list[str]:
    problems: list[str] = []
    # links and special files are reported by the tree check (bundle.check_tree)
    present = set(inventory(bundle, skip=skip | NOT_SEALED).files)
    for name, digest in sorted(subjects.items()):
        if name == HEAD_SUBJECT:
            if (bundle / CUSTODY).is_file() and read_log(bundle / CUSTODY).head != digest:
                problems.append(f"{CUSTODY}: its head is not the one sealed (events changed)")
            continue
        if name not in present:
            problems.append(f"{name}: missing (the seal lists it)")
        elif file_sha256(bundle / name) != digest:
            problems.append(f"{name}: changed since the bundle was sealed")
    for name in sorted(present - set(subjects)):
        if _idle_companion(bundle, name):
            continue
        problems.append(f"{name}: added after the bundle was sealed (not in the seal)")
    return problems


def _idle_companion(bundle: Path, name: str) -> bool:
    """SQLite's shared-memory index, or an empty write-ahead log, appear when any tool
    opens the journal; they hold no content. A WAL with content would change it."""
    if name == "journal.sqlite-shm":
        return True
    return name == "journal.sqlite-wal" and (bundle / name).stat().st_size == 0


__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "SEAL",
    "STATEMENT_TYPE",
    "SealCheck",
    "check_seal",
    "envelope",
    "pae",
    "seal_bundle",
    "statement",
]
