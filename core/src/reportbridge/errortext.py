"""One line about an exception nobody expected: its type and its redacted message.

Used wherever such an exception is reported instead of raised (a broken plugin, a job
whose handling failed, the command line's last resort): the first line of the message
only, secrets removed, bounded in length, so that no traceback or secret reaches a user
who did not ask for one.
"""

from __future__ import annotations

from reportbridge.logging import redact_text

#: longest message kept
MAX_CHARS = 500


def one_line(exc: BaseException) -> str:
    """``"TypeName: first line of the message"`` (or just the type name), redacted."""
    text = redact_text(str(exc)).strip()
    line = text.splitlines()[0].strip() if text else ""
    if len(line) > MAX_CHARS:
        line = line[:MAX_CHARS] + "..."
    name = type(exc).__name__
    return f"{name}: {line}" if line else name


__all__ = ["MAX_CHARS", "one_line"]
