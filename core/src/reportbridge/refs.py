"""Job references: a short, printable string that addresses one job from any process.

Format: ``rb1.`` followed by URL-safe base64 (no padding) of compact JSON holding
provider, profile, job id, report type, submission time and the plugin's ``extra``.
Statuses and parameters are not carried: a reference addresses a job, the vendor
says where it stands.

A reference is input: users paste it, audits read it back from a journal. Decoding
accepts exactly what :func:`encode_ref` writes — strings where strings belong, flat
``extra`` of strings, bounded sizes, no NaN, no duplicate keys, no nesting — and refuses
anything else with :class:`ValidationError`, before any request. Encoding never writes a
secret: an ``extra`` value that carries one (a signed URL, a token) is left out.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from typing import Any, NoReturn, Protocol

import attrs

from reportbridge.errors import ValidationError
from reportbridge.jsonsafe import nesting_depth
from reportbridge.logging import get_logger, redact_text

PREFIX = "rb1."
#: bounds of what a reference may hold (far above what any provider stores)
MAX_FIELD = {"provider": 64, "profile": 128, "job_id": 256, "report_type": 256}
MAX_EXTRA_ITEMS = 16
MAX_EXTRA_KEY = 64
MAX_EXTRA_VALUE = 1024
MAX_REF_LENGTH = 32 * 1024
_MAX_TIME = 64
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

log = get_logger("reportbridge.refs")


@attrs.frozen
class JobRef:
    """What a job reference holds."""

    provider: str
    profile: str
    job_id: str
    report_type: str
    submitted_at: dt.datetime | None = None
    extra: dict[str, str] = attrs.field(factory=dict)


class Addressable(Protocol):
    """Anything with the fields of a reference (a :class:`~reportbridge.model.ReportJob`)."""

    @property
    def provider(self) -> str: ...
    @property
    def profile(self) -> str: ...
    @property
    def job_id(self) -> str: ...
    @property
    def report_type(self) -> str: ...
    @property
    def submitted_at(self) -> dt.datetime | None: ...
    @property
    def extra(self) -> dict[str, str]: ...


_SHORT = {
    "provider": "p",
    "profile": "n",
    "job_id": "i",
    "report_type": "t",
    "submitted_at": "s",
    "extra": "x",
}
_LONG = {v: k for k, v in _SHORT.items()}


def storable_extra(extra: dict[str, str]) -> dict[str, str]:
    """The ``extra`` entries a reference may keep: bounded strings that carry no secret.

    A vendor URL with a signature or token in its query (or a password in its authority)
    is a credential of its own: it is dropped, and the next poll hands it over again.
    """
    kept: dict[str, str] = {}
    for key, value in extra.items():
        safe = (
            isinstance(key, str)
            and isinstance(value, str)
            and len(key) <= MAX_EXTRA_KEY
            and len(value) <= MAX_EXTRA_VALUE
            and redact_text(value) == value
        )
        if safe and len(kept) < MAX_EXTRA_ITEMS:
            kept[key] = value
        else:
            log.debug("not kept in the job reference", key=str(key)[:MAX_EXTRA_KEY])
    return kept


def encode_ref(job: Addressable) -> str:
    """The reference string of a job (``extra`` entries holding a secret are left out)."""
    short: dict[str, Any] = {
        "p": job.provider,
        "n": job.profile,
        "i": job.job_id,
        "t": job.report_type,
    }
    for name, value in short.items():
        if len(value) > MAX_FIELD[_LONG[name]]:
            raise ValidationError(
                f"{_LONG[name]} is longer than {MAX_FIELD[_LONG[name]]} characters: it cannot "
                "go into a job reference",
                field="ref",
            )
    if job.submitted_at is not None:
        short["s"] = job.submitted_at.isoformat()
    extra = storable_extra(dict(job.extra))
    if extra:
        short["x"] = extra
    data = json.dumps(short, separators=(",", ":"), sort_keys=True).encode()
    return PREFIX + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_ref(ref: str) -> JobRef:
    """Parse a reference string; anything but what :func:`encode_ref` writes is refused."""
    if not isinstance(ref, str) or not ref.startswith(PREFIX):
        _refuse(
            f"not a job reference: expected a string starting with {PREFIX!r} as printed by "
            "'reportbridge run' or ReportJob.ref"
        )
    if len(ref) > MAX_REF_LENGTH:
        _refuse(f"job reference is longer than {MAX_REF_LENGTH} characters")
    body = ref[len(PREFIX) :].strip()
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        _refuse("job reference is damaged (not URL-safe base64); copy the whole reference")
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        _refuse("job reference is damaged (not base64 of UTF-8 text); copy the whole reference")
    short = _flat_json_object(text)
    unknown = sorted(set(short) - set(_LONG))
    if unknown:
        _refuse(f"job reference holds unexpected fields; accepted keys: {sorted(_LONG)}")
    fields = {name: _text(short, _SHORT[name], name) for name in MAX_FIELD}
    for name in ("provider", "profile", "job_id"):
        if not fields[name]:
            _refuse(f"job reference has an empty {name}")
    return JobRef(
        **fields,
        submitted_at=_time(short.get("s")) if "s" in short else None,
        extra=_extra(short.get("x")) if "x" in short else {},
    )


# -- decoding helpers ---------------------------------------------------------------------
def _refuse(message: str) -> NoReturn:
    raise ValidationError(message, field="ref")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _text(short: dict[str, Any], key: str, name: str) -> str:
    if key not in short:
        _refuse(f"job reference is incomplete: it has no {name}")
    value = short[key]
    if not isinstance(value, str):
        _refuse(f"job reference {name} is a {_kind(value)}; it must be a string")
    if len(value) > MAX_FIELD[name]:
        _refuse(f"job reference {name} is longer than {MAX_FIELD[name]} characters")
    return value


def _time(value: object) -> dt.datetime:
    if not isinstance(value, str) or len(value) > _MAX_TIME:
        _refuse(f"job reference submission time is a {_kind(value)}; it must be an ISO 8601 text")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        _refuse("job reference submission time is not an ISO 8601 date and time")


def _extra(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        _refuse(f"job reference extra is a {_kind(value)}; it must be an object of strings")
    if len(value) > MAX_EXTRA_ITEMS:
        _refuse(f"job reference extra holds more than {MAX_EXTRA_ITEMS} values")
    for key, item in value.items():
        if not isinstance(item, str):
            _refuse(
                f"job reference extra value {key[:MAX_EXTRA_KEY]!r} is a {_kind(item)}; it "
                "must be a string"
            )
        if len(key) > MAX_EXTRA_KEY or len(item) > MAX_EXTRA_VALUE:
            _refuse(
                f"job reference extra keys must be at most {MAX_EXTRA_KEY} characters and "
                f"values at most {MAX_EXTRA_VALUE}"
            )
    return dict(value)


def _flat_json_object(text: str) -> dict[str, Any]:
    """A JSON object at most two levels deep (``extra``), without NaN or duplicate keys."""
    if nesting_depth(text) > 2:
        _refuse("job reference is nested deeper than it can be; copy the whole reference")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)

    def constant(name: str) -> NoReturn:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except ValueError as exc:
        _refuse(f"job reference is damaged (not valid JSON: {str(exc)[:60]})")
    if not isinstance(value, dict):
        _refuse(f"job reference holds a {_kind(value)}, not an object")
    return value


__all__ = [
    "MAX_EXTRA_ITEMS",
    "MAX_EXTRA_KEY",
    "MAX_EXTRA_VALUE",
    "MAX_FIELD",
    "MAX_REF_LENGTH",
    "PREFIX",
    "Addressable",
    "JobRef",
    "decode_ref",
    "encode_ref",
    "storable_extra",
]
