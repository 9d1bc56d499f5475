"""JSON from untrusted places (vendor answers, job references, command-line values),
parsed with a bound on nesting.

The standard library's parser recurses once per ``[`` or ``{``: a few thousand levels
from a hostile server end in ``RecursionError`` (or worse, a crashed interpreter on a
small thread stack). :func:`loads` counts the nesting first, without recursion, and
refuses anything deeper than ``max_depth`` with :class:`JsonTooDeepError`.

>>> from reportbridge import jsonsafe
>>> jsonsafe.loads(b'{"a": [1, 2]}')
{'a': [1, 2]}
>>> jsonsafe.loads("[" * 100 + "]" * 100, max_depth=10)
Traceback (most recent call last):
...
reportbridge.jsonsafe.JsonTooDeepError: JSON nests 11 levels or more; accepted: at most 10

``JsonTooDeepError`` is a :class:`~reportbridge.errors.ValidationError` and also a
``ValueError``, so code that already turns ``json.loads``'s ``ValueError`` into its own
typed error keeps doing so.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from reportbridge.errors import ValidationError

#: Deeper than any vendor answer or job reference we know (they nest under 10 levels),
#: far below where the standard parser's recursion can fail.
MAX_DEPTH = 64

# A complete JSON string (escapes included): its brackets are text, not structure.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonTooDeepError(ValidationError, ValueError):
    """JSON nested deeper than the accepted bound; ``max_depth`` is that bound."""

    def __init__(self, message: str, *, max_depth: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.max_depth = max_depth


def nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting in ``text``, counted without recursion.

    Brackets inside complete strings do not count. Text that is not valid JSON gets an
    answer too (an upper bound of what a parser would meet); parsing then refuses it.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(
    data: str | bytes | bytearray,
    *,
    max_depth: int = MAX_DEPTH,
    what: str = "JSON",
    field: str | None = None,
) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth``.

    Raises :class:`JsonTooDeepError` (naming ``what`` and the bound) for too deep an
    input and ``ValueError`` (as ``json.loads`` does) for text that is not JSON.
    """
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    text = data if isinstance(data, str) else _decode(bytes(data))
    # no deeper than its opening brackets: most answers (a job's status) have fewer than
    # the bound, and counting them is cheaper than the scan
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise _too_deep(what, max_depth, field)
    try:
        return json.loads(text)
    except RecursionError:  # a max_depth above what this interpreter's stack allows
        raise _too_deep(what, max_depth, field) from None


def _decode(data: bytes) -> str:
    # As json.loads does for bytes: UTF-8, -16 or -32, told apart by the first bytes.
    return data.decode(json.detect_encoding(data), "surrogatepass")


def _too_deep(what: str, max_depth: int, field: str | None) -> JsonTooDeepError:
    return JsonTooDeepError(
        f"{what} nests {max_depth + 1} levels or more; accepted: at most {max_depth}",
        max_depth=max_depth,
        field=field,
    )


__all__ = ["MAX_DEPTH", "JsonTooDeepError", "loads", "nesting_depth"]
