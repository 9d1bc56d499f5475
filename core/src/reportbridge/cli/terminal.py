"""Text from vendors made safe to print on a terminal.

A job id, a status, a file name or an error message comes from a vendor's answer (or a
job reference, or a bundle) and could carry terminal control sequences: an ESC sequence
that clears the screen, retitles the window, hides text or plants a link; a carriage
return that overwrites the line; a bidirectional override that shows ``exe.txt`` for
``txt.exe``. Before the command line prints such text, every control character is shown
as a visible escape (``\\x1b``, ``\\u202e``), so a sequence can be seen but never acts.
JSON output needs none of this: ``json.dumps`` escapes them already.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0 controls, DEL and C1 controls; bidirectional embeddings, overrides, isolates and
# marks; line and paragraph separators.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_OR_LINE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object, *, multiline: bool = False) -> str:
    """``text`` as a string whose control characters are visible escapes.

    Tabs are kept; newlines are kept only with ``multiline`` (a traceback), else shown
    as ``\\x0a`` so one value stays on one line.
    """
    pattern = _CONTROL if multiline else _CONTROL_OR_LINE
    return pattern.sub(_visible, str(text))


def clean_or_empty(text: object) -> str:
    """:func:`clean`, with None shown as an empty string."""
    return "" if text is None else clean(text)


class CleanStream:
    """A text stream that writes through :func:`clean` (newlines kept): for log lines,
    which quote vendor errors. Only ``write`` and ``flush`` are needed by a log handler."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(clean(text, multiline=True))

    def flush(self) -> None:
        self._stream.flush()


__all__ = ["CleanStream", "clean", "clean_or_empty"]
