"""Secret stores for tests: a keyring backend kept in memory or in a JSON file, and a
tiny "vault" plugin — the third-party resolver example of docs/guide.md.

The file-backed keyring lets a ``reportbridge`` subprocess read what a test stored:
``PYTHON_KEYRING_BACKEND=tests.secretkit.FileKeyring`` and ``RB_TEST_KEYRING=path``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from reportbridge.hookspecs import hookimpl


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FileKeyring(KeyringBackend):
    """A keyring in the JSON file $RB_TEST_KEYRING: ``{"service/name": "password"}``."""

    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["RB_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(data))


class VaultPlugin:
    """``${vault:PATH#FIELD}`` from a JSON file standing in for a secret manager
    ($RB_TEST_VAULT, ``{"PATH": {"FIELD": "value"}}``): how few lines a resolver takes."""

    @hookimpl
    def register_secret_resolvers(
        self, register: Callable[[str, Callable[[str], str]], None]
    ) -> None:
        register("vault", read_vault)


def read_vault(reference: str) -> str:
    path, _, field = reference.partition("#")
    secrets = json.loads(Path(os.environ["RB_TEST_VAULT"]).read_text())
    return str(secrets[path][field or "value"])  # a KeyError says it is not there
