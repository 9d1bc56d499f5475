"""Logging for library use: structlog over the standard library, with secrets removed.

reportbridge never configures structlog or logging globally. Its loggers wrap the
stdlib logger ``reportbridge`` (silent unless the application adds a handler) with a
private processor chain that redacts secrets before anything leaves the library.
The command line configures handlers and rendering with :func:`configure_cli_logging`.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"(authorization|token|secret|password|passwd|signature|credential|api[_-]?key|cookie|"
    r"assertion|x-amz-security|sig$)",
    re.IGNORECASE,
)
#: query parameters of signed URLs and tokens in URLs (compared without case)
SECRET_QUERY_PARAMS = frozenset(
    {
        # AWS S3 and CloudFront, Google Cloud Storage, Azure SAS
        "x-amz-signature", "x-amz-credential", "x-amz-security-token", "awsaccesskeyid",
        "signature", "policy", "key-pair-id", "x-goog-signature", "x-goog-credential",
        "googleaccessid", "sig", "sv", "se", "sp", "st", "skoid", "sktid", "ske", "sks", "skv",
        # CDN tokens (Alibaba/Tencent auth_key, Akamai, generic HMAC and signed links)
        "auth_key", "hmac", "hdnts", "__token__", "token", "access_token", "id_token",
        "refresh_token", "code", "key", "apikey", "api_key", "secret", "client_secret",
        "password", "passwd", "jwt", "session", "sessionid", "sas", "verify", "hash", "md5",
    }
)  # fmt: skip
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
#: ``name=value`` in a query string, a fragment, a form body or prose
_PAIR = re.compile(r"(?P<name>[A-Za-z0-9_.~%+-]{1,80})=(?P<value>[^&;#\s\"'<>]*)")
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s@]*@")
#: encoded forms of a secret shorter than this are not looked for (too likely by chance)
MIN_ENCODED_FORM = 8

_known_secrets: set[str] = set()
_secret_params: set[str] = set()
_secrets_lock = threading.Lock()
_secrets_pattern: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is scrubbed wherever it appears in text.

    Its encoded echoes are scrubbed too: percent-encoded, JSON-escaped, and base64 (standard
    and URL-safe) of any text holding it — ``base64("client:" + secret)`` of a Basic header
    included — for secrets of at least :data:`MIN_ENCODED_FORM` characters.
    """
    global _secrets_pattern
    if not isinstance(value, str) or len(value) < 4:
        return
    forms = _encoded_forms(value)
    with _secrets_lock:
        if not forms <= _known_secrets:
            _known_secrets.update(forms)
            _secrets_pattern = None


def register_secret_param(name: str) -> None:
    """Treat query parameter ``name`` (any case) as secret: its value is redacted in text."""
    with _secrets_lock:
        _secret_params.add(name.strip().lower())


def is_secret_param(name: str) -> bool:
    """Whether a query, form or fragment parameter carries a credential."""
    key = unquote_plus(name).strip().lower()
    return key in SECRET_QUERY_PARAMS or key in _secret_params or bool(_SENSITIVE_KEY.search(key))


def _encoded_forms(secret: str) -> set[str]:
    texts = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    texts |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), t) for t in texts}
    forms = set(texts) | {json.dumps(secret)[1:-1]}
    for text in texts:
        raw = text.encode()
        for shift in range(3):
            # base64 of text holding the secret at any offset: keep only the characters
            # decided by the secret's own bits (not by what comes before or after it)
            encoded = base64.b64encode(b"\0" * shift + raw).decode()
            core = encoded[(8 * shift + 5) // 6 : (8 * (shift + len(raw))) // 6]
            if len(core) >= MIN_ENCODED_FORM and len(secret) >= MIN_ENCODED_FORM:
                forms.add(core)
                forms.add(core.replace("+", "-").replace("/", "_"))
    return {f for f in forms if len(f) >= 4}


def _known_pattern() -> re.Pattern[str] | None:
    global _secrets_pattern
    with _secrets_lock:
        if _secrets_pattern is None and _known_secrets:
            ordered = sorted(_known_secrets, key=len, reverse=True)
            _secrets_pattern = re.compile("|".join(map(re.escape, ordered)))
        return _secrets_pattern


def _redact_pair(m: re.Match[str]) -> str:
    if is_secret_param(m.group("name")) and m.group("value") not in ("", REDACTED):
        return f"{m.group('name')}={REDACTED}"
    return m.group(0)


def redact_text(text: str) -> str:
    """Remove secrets from free text: known secrets and their encodings, bearer and basic
    credentials, JWTs, secret query/form parameters, passwords in URLs."""
    if not text:
        return text
    known = _known_pattern()
    if known is not None:
        text = known.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _PAIR.sub(_redact_pair, text)
    return _USERINFO.sub(lambda m: m.group("scheme"), text)


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
    "MIN_ENCODED_FORM",
    "REDACTED",
    "SECRET_QUERY_PARAMS",
    "configure_cli_logging",
    "get_logger",
    "is_secret_param",
    "redact_processor",
    "redact_text",
    "redact_value",
    "register_secret",
    "register_secret_param",
]
