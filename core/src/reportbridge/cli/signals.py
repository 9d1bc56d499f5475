"""SIGTERM ends a command the way Ctrl-C does, and a closed stdout ends it quietly.

``Terminated`` is a KeyboardInterrupt, so every path that cleans up after Ctrl-C (a
download removes its temporary file, an audit writes its manifest and releases its lock,
``run``/``wait`` print the job reference) does the same for ``kill`` or a service
manager's stop. Only the exit status differs: 130 for SIGINT, 143 for SIGTERM, as a
shell reports a process those signals ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_SIGINT = 128 + signal.SIGINT  # 130
EXIT_SIGTERM = 128 + signal.SIGTERM  # 143
EXIT_SIGPIPE = 128 + signal.SIGPIPE  # 141


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Later SIGTERMs wait for the clean-up this one starts (SIGKILL still ends it all).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread.

    Outside the main thread (``main()`` called from a worker) signals cannot be handled
    and nothing changes. The previous handler is put back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit(exc: KeyboardInterrupt) -> int:
    return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT


def stdout_closed() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as Unix tools do.

    Further writes to stdout, including the interpreter's final flush, go to /dev/null so
    that no second BrokenPipeError is printed; the status is the one a shell shows for a
    process SIGPIPE ended.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_SIGPIPE


__all__ = [
    "EXIT_SIGINT",
    "EXIT_SIGPIPE",
    "EXIT_SIGTERM",
    "Terminated",
    "interrupted_exit",
    "sigterm_as_interrupt",
    "stdout_closed",
]
