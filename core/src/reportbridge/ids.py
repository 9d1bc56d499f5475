"""Vendor ids and names that go into URL paths: checked, then encoded as exactly one segment.

An id comes from a vendor answer or from a job reference a user pasted, so it is input:
``../../admin/users/42?force=true#`` put into ``DELETE /jobs/{id}`` unencoded would send a
request the vendor never meant, with our credentials. Every provider builds its paths with
:func:`path_segment`:

- with a ``pattern`` (the vendor documents the id's shape), anything else is refused;
- without one, the id may be any text that can be one path segment: it is refused when it
  holds characters that steer a path (``/ \\ ? # %``, their Unicode look-alikes, controls,
  spaces) or is ``.``/``..``, and percent-encoded otherwise.

A refused id raises :class:`ValidationError` (a reference or an argument) or, through
:func:`vendor_id`, :class:`ProviderProtocolError` (the vendor answered it): nothing is sent.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from reportbridge.errors import ProviderProtocolError, ValidationError

#: ids longer than this are refused whatever their shape (vendors' ids are far shorter)
MAX_ID_LENGTH = 256
#: characters that end, split or escape a path segment on some server or proxy
PATH_CHARACTERS = frozenset("/\\?#%")
#: look-alikes that Unicode normalisation or a "best fit" code page turns into / \ . ? # %
LOOKALIKES = frozenset(
    "\u2215\u2044\u29f8\u2216\u29f5\u29f9"  # division, fraction, big solidus; set minus...
    "\uff0f\uff3c\ufe68"  # fullwidth solidus and reverse solidus, small reverse solidus
    "\u2024\u2025\u2026\u3002\uff0e\ufe52"  # dot leaders, ideographic and fullwidth stops
    "\uff1f\ufe56\uff03\ufe5f\uff05\ufe6a"  # fullwidth and small ? # %
)
_SHOWN = 40


def shown(value: object) -> str:
    """A value for an error message: ASCII-escaped (no control or bidi characters) and cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _SHOWN:
        return ascii(text[:_SHOWN]) + f"... ({len(text)} characters)"
    return ascii(text)


def segment_problem(
    value: object, pattern: re.Pattern[str] | None = None, max_length: int = MAX_ID_LENGTH
) -> str | None:
    """Why ``value`` cannot be one path segment (None when it can)."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if not value:
        return "is empty"
    if len(value) > max_length:
        return f"is longer than {max_length} characters"
    if pattern is not None and not pattern.fullmatch(value):
        return "does not have the vendor's id shape"
    folded = unicodedata.normalize("NFKC", value)
    if folded in (".", "..") or value in (".", ".."):
        return "is a dot segment ('.' or '..')"
    for char in value:
        if char in PATH_CHARACTERS or char in LOOKALIKES:
            return f"holds {char!a}, which steers a URL path"
        if unicodedata.category(char)[0] in "CZ":  # controls, format, unassigned, spaces
            return f"holds {char!a}, a control, format or space character"
    if any(c in PATH_CHARACTERS for c in folded):
        return "holds a character that normalises to one of / \\ ? # %"
    return None


def _accepted(pattern: re.Pattern[str] | None, example: str | None) -> str:
    if pattern is not None:
        text = f"accepted: ids matching {pattern.pattern}"
    else:
        text = (
            f"accepted: 1 to {MAX_ID_LENGTH} printable characters without spaces or any of "
            "/ \\ ? # %, and not '.' or '..'"
        )
    return f"{text} (e.g. {example})" if example else text


def path_segment(
    value: object,
    *,
    what: str,
    pattern: re.Pattern[str] | None = None,
    example: str | None = None,
    provider: str | None = None,
    field: str = "job_id",
) -> str:
    """``value`` as one percent-encoded path segment, or :class:`ValidationError` saying why not.

    ``what`` names the value in the message ("explore job id"); ``pattern`` is the vendor's
    documented id shape (full match), ``example`` a valid id shown to the user.
    """
    problem = segment_problem(value, pattern)
    if problem is not None:
        raise ValidationError(
            f"{what} {shown(value)} {problem}; {_accepted(pattern, example)}",
            provider=provider,
            field=field,
        )
    assert isinstance(value, str)
    return quote(value, safe="")


def vendor_id(
    value: object,
    *,
    what: str,
    provider: str,
    pattern: re.Pattern[str] | None = None,
    example: str | None = None,
) -> str:
    """An id the vendor answered, as text; one that could not address it later is refused.

    Raises :class:`ProviderProtocolError` (the vendor, not the user, is wrong), before the
    id is kept anywhere.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    problem = segment_problem(value, pattern)
    if problem is not None:
        raise ProviderProtocolError(
            f"the {what} in {provider}'s answer cannot address it: {shown(value)} {problem}; "
            f"{_accepted(pattern, example)}",
            provider=provider,
        )
    assert isinstance(value, str)
    return value


__all__ = [
    "LOOKALIKES",
    "MAX_ID_LENGTH",
    "PATH_CHARACTERS",
    "path_segment",
    "segment_problem",
    "shown",
    "vendor_id",
]
