"""Checks for numeric settings: finite, in range, named in the error."""

from __future__ import annotations

import math

from reportbridge.errors import ConfigurationError


def check_number(name: str, value: object, low: float, *, inclusive: bool = False) -> float:
    """A finite number above ``low`` (or equal to it when ``inclusive``).

    Anything else (NaN, infinity, a bool, a string, out of range) is a
    :class:`ConfigurationError` naming ``name`` and the accepted range.
    """
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= low if inclusive else value > low)
    )
    if not ok:
        bound = f">= {low:g}" if inclusive else f"> {low:g}"
        raise ConfigurationError(f"{name} must be a finite number {bound}; got {_shown(value)}")
    return float(value)  # type: ignore[arg-type]


def check_whole(name: str, value: object, low: int) -> int:
    """A whole number >= ``low``, else a :class:`ConfigurationError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigurationError(f"{name} must be a whole number >= {low}; got {_shown(value)}")
    return value


def _shown(value: object) -> str:
    # numbers are shown; anything else only by its type (a misplaced secret stays unseen)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return f"a {type(value).__name__}"


__all__ = ["check_number", "check_whole"]
