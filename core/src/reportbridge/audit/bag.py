"""`audit export --format bagit`: the bundle as a BagIt bag (RFC 8493, version 1.0).

The whole bundle (files, manifest, custody log, journal, seal) becomes the payload
under ``data/``; ``manifest-sha256.txt`` lists each payload file, ``bag-info.txt``
carries the Payload-Oxum and audit details, ``tagmanifest-sha256.txt`` the tag files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from reportbridge.audit.inventory import inventory
from reportbridge.audit.verification import read_manifest
from reportbridge.errors import EvidenceError

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def _encode(path: str) -> str:
    # RFC 8493 section 2.1.3: percent-encode CR, LF and % in manifest file paths.
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_bag(bundle: Path, out: Path) -> Path:
    """Write a new bag at ``out`` (which must not exist) holding ``bundle``."""
    if out.exists() or out.is_symlink():
        raise EvidenceError(f"{str(out)!r} exists; a bag is written to a new folder")
    found = inventory(bundle)
    if found.odd:
        raise EvidenceError(f"bundle {str(bundle)!r} holds {found.odd[0]!r}, not a regular file")
    manifest = read_manifest(bundle)
    parent = out.parent if str(out.parent) else Path(".")
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        lines, octets = [], 0
        for rel in found.files:
            digest, size = _copy(bundle / rel, work / "data" / rel)
            lines.append(f"{digest}  {_encode('data/' + rel)}\n")
            octets += size
        _write(work / "manifest-sha256.txt", "".join(lines))
        _write(work / "bagit.txt", BAGIT_TXT)
        info = {
            "Source-Organization": "reportbridge audit bundle",
            "External-Description": f"reportbridge audit {manifest.get('audit')}",
            "External-Identifier": str(manifest.get("custody", {}).get("head") or "unsealed"),
            "Bagging-Date": str(manifest.get("generated_at") or "")[:10],
            "Payload-Oxum": f"{octets}.{len(found.files)}",
            "Bag-Software-Agent": "reportbridge",
        }
        _write(work / "bag-info.txt", "".join(f"{k}: {_one_line(v)}\n" for k, v in info.items()))
        tags = [
            f"{_sha256(work / name)}  {name}\n"
            for name in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")
        ]
        _write(work / "tagmanifest-sha256.txt", "".join(tags))
        os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _copy(source: Path, target: Path) -> tuple[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest(), size


def _write(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


__all__ = ["write_bag"]
