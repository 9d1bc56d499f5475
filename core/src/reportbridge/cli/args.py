"""Argument types of the command line: numbers refused at the door, with exit code 2.

``float("nan")``, ``float("inf")`` and negative numbers parse as floats; a wait of NaN
seconds never ends and a negative one ends before it starts, so they are usage errors
(``argparse`` turns the ArgumentTypeError into exit 2 with the message).
"""

from __future__ import annotations

import argparse
import math

#: the longest wait accepted (about 115 days): anything longer is surely a typo
MAX_SECONDS = 10_000_000.0


def seconds(text: str) -> float:
    """A duration in seconds: finite, >= 0, at most :data:`MAX_SECONDS`.

    0 is allowed: ``wait --timeout 0`` looks once and ends with exit 4 if the job still runs.
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds (finite, >= 0, at most {MAX_SECONDS:.0f})"
        )
    return value


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, not {text!r}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1)


def non_negative_int(text: str) -> int:
    return _whole(text, 0)


__all__ = ["MAX_SECONDS", "non_negative_int", "positive_int", "seconds"]
