"""Writing an output file (an export, a page) so that readers see the old content or
the new, never half, and never through a link."""

from __future__ import annotations

from pathlib import Path

from reportbridge.localfs import write_bytes_atomic


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``: temporary file beside it, fsync, rename."""
    return write_bytes_atomic(
        path.parent if str(path.parent) else Path("."), path.name, text.encode()
    )


__all__ = ["write_text_atomic"]
