"""Reading report parameter values as callers give them, and describing them in messages.

Values arrive typed (from Python or TOML) or as strings (from the command line); the
readers here turn either into the declared type or call ``refuse`` (which builds the
:class:`~reportbridge.errors.ValidationError` of the parameter at hand). The rules a
declaration adds (choices, bounds) are applied by :mod:`reportbridge.paramspec`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

from reportbridge.errors import ValidationError, accepted

#: A date-time bound that means "the moment the request is checked".
NOW = "now"
#: Leeway given to bounds relative to now: the vendor's clock and ours differ a little.
CLOCK_SKEW = dt.timedelta(seconds=60)

#: A date-time bound: ``"now"``, an offset from now (negative is in the past), or a
#: fixed instant with a UTC offset.
TimeBound = str | dt.timedelta | dt.datetime
#: Builds the error for the value at hand; the argument says what is accepted (None: the
#: parameter's own description).
Refuse = Callable[..., ValidationError]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_SHOWN = 80  # longest rendering of a refused value in a message
_CHOICES_SHOWN = 20  # longest list of choices in a message
_MAX_DATETIME_TEXT = 64
_DATETIME_EXPECTED = "an ISO 8601 date-time such as 2025-01-31T00:00:00Z"


def read_boolean(value: Any, refuse: Refuse) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise refuse()


def read_number(kind: str, value: Any, refuse: Refuse) -> int | float:
    """An ``integer`` (no fractions) or a finite ``number``."""
    expect = "an integer" if kind == "integer" else "a finite number"
    if isinstance(value, bool):
        raise refuse(expect)
    number: int | float
    if isinstance(value, int) or (kind == "number" and isinstance(value, float)):
        number = value
    elif isinstance(value, str) and len(value) <= _SHOWN:
        try:
            number = int(value) if kind == "integer" else float(value)
        except ValueError:
            raise refuse(expect) from None
    else:
        raise refuse(expect)
    if isinstance(number, float) and not math.isfinite(number):
        raise refuse(expect)
    return number


def read_string_list(value: Any, refuse: Refuse) -> list[str]:
    """A list of strings, from a list or a JSON array or comma-separated text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise refuse("a list (JSON array or comma-separated text)") from None
        else:
            value = [v.strip() for v in text.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise refuse("a list of strings")
    return list(value)


def read_object(value: Any, refuse: Refuse) -> dict[str, Any]:
    """A mapping (a copy: the caller's and the default's stay untouched), or JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise refuse("a JSON object") from None
    if not isinstance(value, dict):
        raise refuse("an object (a TOML table or JSON object)")
    return copy.deepcopy(value)


def read_datetime(value: Any, refuse: Refuse) -> dt.datetime:
    """A datetime, or ISO 8601 text (``Z`` accepted); its offset, if any, is kept."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) <= _MAX_DATETIME_TEXT:
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise refuse(_DATETIME_EXPECTED)


def instant(bound: TimeBound, now: dt.datetime) -> dt.datetime:
    """The moment a date-time bound stands for, measured from ``now``."""
    if isinstance(bound, dt.datetime):
        return bound
    if isinstance(bound, dt.timedelta):
        return now + bound
    return now


def bound_words(bound: TimeBound) -> str:
    if isinstance(bound, dt.datetime):
        return bound.isoformat()
    if isinstance(bound, dt.timedelta):
        direction = "after" if bound > dt.timedelta(0) else "before"
        return f"{span_words(abs(bound))} {direction} now"
    return "now"


def span_words(span: dt.timedelta) -> str:
    """``span`` for a message: whole days as "31 days", anything else as H:MM:SS."""
    if span % dt.timedelta(days=1) == dt.timedelta(0):
        days = span.days
        return f"{days} day{'s' if days != 1 else ''}"
    return str(span)


def listing(choices: tuple[Any, ...]) -> str:
    """Choices for a message: strings sorted, numbers in declared order, long lists cut."""
    if all(isinstance(c, str) for c in choices):
        items = accepted(choices).split(", ")
    else:
        items = [str(c) for c in choices]
    if len(items) > _CHOICES_SHOWN:
        return ", ".join(items[:_CHOICES_SHOWN]) + f", ... ({len(items)} in all)"
    return ", ".join(items)


def shown(value: Any) -> str:
    """``value`` for an error message: short, whatever its size (never a huge echo)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, str | bytes) and len(value) > _SHOWN:
        return repr(value[: _SHOWN - 3]) + f"... ({len(value)} characters)"
    if isinstance(value, list | tuple | dict | set) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        text = repr(value)
    except Exception:  # a value whose repr fails is still refused, not a crash
        return f"a {type(value).__name__}"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


__all__ = [
    "CLOCK_SKEW",
    "NOW",
    "Refuse",
    "TimeBound",
    "bound_words",
    "instant",
    "is_finite",
    "is_int",
    "listing",
    "read_boolean",
    "read_datetime",
    "read_number",
    "read_object",
    "read_string_list",
    "shown",
    "span_words",
]
