"""Logging for library use: structlog over the standard library, with secrets removed.

reportbridge never configures structlog or logging globally. Its loggers wrap the
stdlib logger ``reportbridge`` (silent unless the application adds a handler) with a
private processor chain that redacts secrets before anything leaves the library.
The command line configures handlers and rendering with :func:`configure_cli_logging`.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"(authorization|token|secret|password|passwd|signature|credential|api[_-]?key|cookie|"
    r"assertion|x-amz-security|sig$)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_URL = re.compile(r"https?://[^\s\"'<>]+")
_FORM_SECRET = re.compile(
    r"((?:client_secret|access_token|refresh_token|password|token)=)[^&\s\"']+", re.IGNORECASE
)

_known_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is scrubbed wherever it appears in text."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _known_secrets.add(value)


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if not parts.query and not parts.password:
        return url
    query = urlencode(
        [(k, REDACTED if _SENSITIVE_KEY.search(k) else v) for k, v in parse_qsl(parts.query)],
        safe="[]",
    )
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_text(text: str) -> str:
    """Remove secrets from free text: known secrets, bearer tokens, JWTs, signed URLs."""
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _FORM_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return _URL.sub(lambda m: _redact_url(m.group(0)), text)


def redact_value(key: str, value: Any, _depth: int = 0) -> Any:
    """Redact one value; sensitive keys lose their value entirely."""
    if _SENSITIVE_KEY.search(key) and value not in (None, "", False):
        return REDACTED
    if _depth > 5:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(key, v, _depth + 1) for v in value)
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


def redact_processor(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor that removes secrets from every key and value."""
    for key in list(event_dict):
        event_dict[key] = redact_value(key, event_dict[key])
    return event_dict


_stdlib_root = logging.getLogger("reportbridge")
_stdlib_root.addHandler(logging.NullHandler())


class Logger:
    """A structlog logger over stdlib ``name``, built on first use of an enabled level.

    Checking the stdlib level first keeps disabled logging (the default for an
    embedding application) free, and keeps structlog out of ``import reportbridge``.
    """

    def __init__(self, name: str, initial: dict[str, Any]) -> None:
        self._std = logging.getLogger(name)
        self._initial = initial
        self._bound: Any = None

    def _log(self, level: int, event: str, kw: dict[str, Any]) -> None:
        if not self._std.isEnabledFor(level):
            return
        if self._bound is None:
            import structlog

            self._bound = structlog.wrap_logger(
                self._std,
                processors=[redact_processor, structlog.stdlib.render_to_log_kwargs],
                wrapper_class=structlog.stdlib.BoundLogger,
                cache_logger_on_first_use=False,
            ).bind(**self._initial)
        self._bound.log(level, event, **kw)

    def debug(self, event: str, **kw: Any) -> None:
        self._log(logging.DEBUG, event, kw)

    def info(self, event: str, **kw: Any) -> None:
        self._log(logging.INFO, event, kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._log(logging.WARNING, event, kw)

    def error(self, event: str, **kw: Any) -> None:
        self._log(logging.ERROR, event, kw)


def get_logger(name: str = "reportbridge", **initial: Any) -> Logger:
    """The library's logger for ``name``; secrets are redacted before anything is emitted."""
    return Logger(name, initial)


def configure_cli_logging(*, json: bool = False, level: int = logging.WARNING) -> None:
    """What the command line does: log to stderr as JSON lines or key=value text."""
    import structlog

    pre_chain: list[Any] = [
        structlog.stdlib.ExtraAdder(),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("reportbridge-cli")
    root = _stdlib_root
    for old in [h for h in root.handlers if h.get_name() == "reportbridge-cli"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


__all__ = [
    "REDACTED",
    "configure_cli_logging",
    "get_logger",
    "redact_processor",
    "redact_text",
    "redact_value",
    "register_secret",
]
