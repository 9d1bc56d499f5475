"""Job references: a short, printable string that addresses one job from any process.

Format: ``rb1.`` followed by URL-safe base64 (no padding) of compact JSON holding
provider, profile, job id, report type, submission time and the plugin's ``extra``.
Statuses and parameters are not carried: a reference addresses a job, the vendor
says where it stands.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from reportbridge.errors import ValidationError

if TYPE_CHECKING:
    import cattrs

PREFIX = "rb1."


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


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs  # loaded with the first reference, not by `import reportbridge`

    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    converter.register_structure_hook(dt.datetime, lambda v, _: dt.datetime.fromisoformat(v))
    return converter


_SHORT = {
    "provider": "p",
    "profile": "n",
    "job_id": "i",
    "report_type": "t",
    "submitted_at": "s",
    "extra": "x",
}
_LONG = {v: k for k, v in _SHORT.items()}


def encode_ref(job: Addressable) -> str:
    """The reference string of a job."""
    ref = (
        job
        if isinstance(job, JobRef)
        else JobRef(
            provider=job.provider,
            profile=job.profile,
            job_id=job.job_id,
            report_type=job.report_type,
            submitted_at=job.submitted_at,
            extra=dict(job.extra),
        )
    )
    raw: dict[str, Any] = _converter().unstructure(ref)
    short = {_SHORT[k]: v for k, v in raw.items() if v not in (None, {})}
    data = json.dumps(short, separators=(",", ":"), sort_keys=True).encode()
    return PREFIX + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_ref(ref: str) -> JobRef:
    """Parse a reference string; a malformed one raises :class:`ValidationError`."""
    what = "job reference"
    if not isinstance(ref, str) or not ref.startswith(PREFIX):
        raise ValidationError(
            f"not a {what}: expected a string starting with {PREFIX!r} as printed by "
            "'reportbridge run' or ReportJob.ref",
            field="ref",
        )
    body = ref[len(PREFIX) :].strip()
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        short = json.loads(data)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{what} is damaged (not base64 JSON: {type(exc).__name__}); copy the whole "
            "reference as it was printed",
            field="ref",
        ) from None
    if not isinstance(short, dict) or not set(short) <= set(_LONG):
        raise ValidationError(
            f"{what} holds unexpected fields; accepted keys: {sorted(_LONG)}", field="ref"
        )
    import cattrs

    try:
        parsed = _converter().structure({_LONG[k]: v for k, v in short.items()}, JobRef)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise ValidationError(
            f"{what} is incomplete or has wrong field types ({type(exc).__name__}); it needs "
            "provider, profile, job id and report type",
            field="ref",
        ) from None
    for name in ("provider", "profile", "job_id"):
        if not getattr(parsed, name):
            raise ValidationError(f"{what} has an empty {name}", field="ref")
    return parsed


__all__ = ["PREFIX", "Addressable", "JobRef", "decode_ref", "encode_ref"]
