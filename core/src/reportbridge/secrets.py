"""Secret references in profile values: ``${scheme:name}``, resolved when a profile is read.

- ``${NAME}``, ``${NAME:-default}``, ``${env:NAME}``, ``${env:NAME:-default}``: an
  environment variable (with a default when it is not set);
- ``${file:/run/secrets/name}``: a file's content with its trailing line breaks removed
  (Docker and Kubernetes secrets). A relative path is relative to the config file's
  folder (the working directory for profiles made in code). The file must be a regular
  file (symbolic links are followed, as Kubernetes mounts them) of at most 64 KiB of
  UTF-8, and not empty;
- ``${keyring:service/name}``: the system keyring, through the ``keyring`` package
  (``pip install 'reportbridge[keyring]'``); the name is split at its last ``/``;
- ``${SCHEME:...}`` of a resolver a plugin registers through the
  ``register_secret_resolvers`` hook (a Vault or cloud secret-manager plugin).

A value may hold several references and text around them (``"Bearer ${file:token}"``).
What a reference resolves to is not expanded again. Every value that came from a
secret store (file, keyring, a plugin) is registered for redaction, and so is an
environment variable's value when the setting it fills is named like a credential; none
is ever written to a reference, journal, manifest or log. A reference that cannot be
resolved is a :class:`ConfigurationError` naming the setting and the reference (scheme
and name), never a value.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from reportbridge.errors import ConfigurationError, accepted
from reportbridge.errortext import one_line
from reportbridge.logging import register_secret

#: what a plugin's resolver is: the text after ``scheme:`` -> the secret (raise if absent)
SecretResolver = Callable[[str], str]
BUILT_IN = ("env", "file", "keyring")
MAX_FILE_BYTES = 64 * 1024
SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_REF = re.compile(
    r"\$\{(?:(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?"
    r"|(?P<scheme>[a-z][a-z0-9+.-]{0,31}):(?P<name>[^}]*))\}"
)
_ENV_NAME = re.compile(r"(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_CREDENTIAL_KEY = re.compile(
    r"(secret|token|password|passwd|passphrase|api_?key|private_?key|credential|proxy)",
    re.IGNORECASE,
)


@attrs.frozen
class SecretContext:
    """What references are resolved with: the environment, the config file's folder
    (for relative ``${file:...}`` paths) and a function giving the resolvers plugins
    registered (asked only when a reference needs one; :class:`~reportbridge.Reports`
    passes its registry's :meth:`~reportbridge.plugins.PluginRegistry.secret_resolvers`)."""

    env: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    base_dir: Path | None = None
    resolvers: Callable[[], Mapping[str, SecretResolver]] | None = None


def expand(value: Any, ctx: SecretContext, where: str) -> Any:
    """``value`` with every reference in it (in strings, lists and tables) resolved."""
    if isinstance(value, str):
        return _REF.sub(lambda m: _resolve(m, ctx, where), value)
    if isinstance(value, dict):
        return {k: expand(v, ctx, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, ctx, where) for v in value]
    return value


def count_references(value: Any) -> int:
    """How many ``${...}`` references ``value`` holds (in strings, lists and tables)."""
    if isinstance(value, str):
        return len(_REF.findall(value))
    if isinstance(value, dict):
        return sum(count_references(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_references(v) for v in value)
    return 0


def _resolve(match: re.Match[str], ctx: SecretContext, where: str) -> str:
    scheme = match.group("scheme")
    if scheme is None:  # ${NAME} or ${NAME:-default}
        return _env(match.group("var"), match.group("default"), ctx, where)
    name = match.group("name")
    shown = f"${{{scheme}:{name}}}"
    if scheme == "env":
        env = _ENV_NAME.fullmatch(name)
        if env is None:
            raise ConfigurationError(
                f"{where}: {shown} does not name an environment variable (letters, digits "
                "and _, not starting with a digit)"
            )
        return _env(env.group("var"), env.group("default"), ctx, where)
    if scheme == "file":
        value = read_secret_file(name, ctx.base_dir, where=f"{where}: {shown}")
    elif scheme == "keyring":
        value = _keyring(name, f"{where}: {shown}")
    else:
        value = _plugin(scheme, name, ctx, f"{where}: {shown}")
    register_secret(value)
    return value


def _env(var: str, default: str | None, ctx: SecretContext, where: str) -> str:
    if var in ctx.env:
        value = ctx.env[var]
    elif default is not None:
        value = default
    else:
        raise ConfigurationError(f"{where} refers to environment variable {var}, which is not set")
    if _CREDENTIAL_KEY.search(where.rsplit(".", 1)[-1]):
        register_secret(value)
    return value


def read_secret_file(name: str, base_dir: Path | None, *, where: str) -> str:
    """The content of a secret file (see the module docstring for the rules)."""
    if not name:
        raise ConfigurationError(f"{where} names no file; write ${{file:/path/to/secret}}")
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO must not hang
    except OSError as exc:
        raise ConfigurationError(
            f"{where} cannot be read: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"{where} is not a regular file (a secret file must be one)")
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigurationError(f"{where} is larger than {MAX_FILE_BYTES} bytes")
        data = os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigurationError(f"{where} is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where} is not UTF-8 text") from None
    if not text:
        raise ConfigurationError(f"{where} is empty")
    return text


def _keyring(name: str, where: str) -> str:
    service, slash, user = name.rpartition("/")
    if not slash or not service or not user:
        raise ConfigurationError(f"{where} must be ${{keyring:SERVICE/NAME}}")
    try:
        import keyring
    except ImportError:
        raise ConfigurationError(
            f"{where} needs the keyring package: pip install 'reportbridge[keyring]'"
        ) from None
    try:
        value = keyring.get_password(service, user)
    except Exception as exc:  # no backend, a locked keyring...
        raise ConfigurationError(f"{where}: the keyring failed ({one_line(exc)})") from None
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            f"{where}: the keyring has no password for service {service!r} and name {user!r}"
        )
    return value


def _plugin(scheme: str, name: str, ctx: SecretContext, where: str) -> str:
    resolvers = ctx.resolvers() if ctx.resolvers is not None else {}
    resolver = resolvers.get(scheme)
    if resolver is None:
        raise ConfigurationError(
            f"{where} uses scheme {scheme!r}, which no installed plugin resolves; "
            f"accepted: {accepted([*BUILT_IN, *resolvers])} (or ${{NAME}} for the environment)"
        )
    try:
        value = resolver(name)
    except Exception as exc:
        raise ConfigurationError(
            f"{where} cannot be resolved by the {scheme!r} resolver: {one_line(exc)}"
        ) from None
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{where}: the {scheme!r} resolver returned no text")
    return value


def check_scheme(scheme: object) -> str:
    """A scheme a plugin may register: lower-case, not one of the built-in ones."""
    if not isinstance(scheme, str) or not SCHEME.fullmatch(scheme):
        raise ConfigurationError(
            f"secret scheme {scheme!r} is not accepted: use a lower-case letter, then letters, "
            "digits, '+', '.' or '-' (at most 32)"
        )
    if scheme in BUILT_IN:
        raise ConfigurationError(f"secret scheme {scheme!r} is built in and cannot be replaced")
    return scheme


__all__ = [
    "BUILT_IN",
    "MAX_FILE_BYTES",
    "SecretContext",
    "SecretResolver",
    "check_scheme",
    "count_references",
    "expand",
    "read_secret_file",
]
