"""ed25519 keys for sealing bundles: generate, load (file or environment), identify.

Needs the ``cryptography`` package (``pip install 'reportbridge[seal]'``); without
it every function here raises :class:`MissingDependencyError` naming the extra.
A private key never appears in a message, a log or a bundle.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from reportbridge.errors import ConfigurationError, EvidenceError, MissingDependencyError
from reportbridge.localfs import FILE_MODE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SIGNING_KEY_ENV = "REPORTBRIDGE_SIGNING_KEY"
_MAX_KEY_FILE = 64 * 1024


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingDependencyError(
            "sealing and checking seals needs the 'cryptography' package; install it with "
            "pip install 'reportbridge[seal]'"
        ) from None
    return ed25519


def _serialization() -> Any:
    _ed25519()
    from cryptography.hazmat.primitives import serialization

    return serialization


def _unsupported() -> type[Exception]:
    from cryptography.exceptions import UnsupportedAlgorithm

    return UnsupportedAlgorithm


def generate_keypair(out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write a new private key to ``out`` (mode 0600) and its public key to ``out.pub``.

    Neither file may exist already: a key is never overwritten.
    """
    ed25519, ser = _ed25519(), _serialization()
    private = ed25519.Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo
    )
    key_path = Path(out)
    pub_path = key_path.with_name(key_path.name + ".pub")
    for path in (key_path, pub_path):
        if path.exists() or path.is_symlink():
            raise EvidenceError(f"{str(path)!r} exists; a key is never overwritten")
    _write_new(key_path, private_pem, 0o600)
    try:
        _write_new(pub_path, public_pem, FILE_MODE)
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return key_path, pub_path


def _write_new(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        raise EvidenceError(f"cannot create {str(path)!r}: {exc.strerror or exc}") from None
    try:
        if mode == 0o600:
            os.fchmod(fd, mode)  # a private key is the owner's alone, whatever the umask
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_signing_key(
    spec: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> Ed25519PrivateKey:
    """The private key at path ``spec``, or in the environment variable ``env:NAME``;
    with no ``spec``, in ``$REPORTBRIDGE_SIGNING_KEY``."""
    environ = os.environ if env is None else env
    text: bytes
    if spec is None or str(spec).startswith("env:"):
        name = SIGNING_KEY_ENV if spec is None else str(spec)[4:]
        value = environ.get(name)
        if not value:
            raise ConfigurationError(
                f"no signing key: give --key PATH (a PEM file from `reportbridge keygen`) or "
                f"set ${name} to the PEM text"
            )
        where, text = f"${name}", value.encode()
    else:
        where, text = repr(str(spec)), _read_key_file(Path(spec))
    ed25519, ser = _ed25519(), _serialization()
    try:
        key = ser.load_pem_private_key(text, password=None)
    except TypeError:
        raise ConfigurationError(
            f"the signing key in {where} is encrypted; give an unencrypted PEM key "
            "(keep it in a file readable only by you, or in a secret store)"
        ) from None
    except (ValueError, _unsupported()):
        raise ConfigurationError(
            f"the signing key in {where} is not a PEM private key; make one with "
            "`reportbridge keygen --out KEY`"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ConfigurationError(f"the signing key in {where} is not an ed25519 key")
    return cast("Ed25519PrivateKey", key)


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """The ed25519 public key in the PEM file at ``path`` (``KEY.pub`` from keygen)."""
    where = repr(str(path))
    text = _read_key_file(Path(path))
    ed25519, ser = _ed25519(), _serialization()
    if b"PRIVATE KEY" in text:
        raise ConfigurationError(
            f"{where} holds a private key; verify with the public key (the .pub file)"
        )
    try:
        key = ser.load_pem_public_key(text)
    except (ValueError, _unsupported()):
        raise ConfigurationError(f"{where} is not a PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ConfigurationError(f"{where} is not an ed25519 public key")
    return cast("Ed25519PublicKey", key)


def _read_key_file(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read key file {str(path)!r}: {exc.strerror or exc}"
        ) from None
    if len(data) > _MAX_KEY_FILE:
        raise ConfigurationError(f"{str(path)!r} is too large to be a key file")
    return data


def key_id(public: Ed25519PublicKey) -> str:
    """A stable name for a public key: SHA-256 of its DER SubjectPublicKeyInfo."""
    ser = _serialization()
    der = public.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


__all__ = [
    "SIGNING_KEY_ENV",
    "generate_keypair",
    "key_id",
    "load_public_key",
    "load_signing_key",
]
