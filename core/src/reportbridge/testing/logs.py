"""Capture what reportbridge logs, as the command line renders it, to search it for secrets."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Every event of the ``reportbridge`` loggers at ``level`` and above, rendered as the
    CLI's JSON lines (after redaction), into the yielded buffer; restored afterwards."""
    from reportbridge.logging import configure_cli_logging

    stream = io.StringIO()
    root = logging.getLogger("reportbridge")
    previous = root.level
    configure_cli_logging(json=True, level=level)
    handler = next(h for h in root.handlers if h.get_name() == "reportbridge-cli")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


__all__ = ["captured_logs"]
