"""What ``reportbridge config check`` tries against a vendor, one step at a time.

A provider session's :meth:`~reportbridge.provider.ProviderSession.check` returns the
steps it tried — typically ``token`` (credentials exchanged for a token, where the vendor
has such an exchange) and ``api`` (the cheapest read the vendor offers) — each with
whether it worked, how long it took and, when it did not, the error's type and one
redacted line.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from reportbridge.errors import AuthenticationError, PermissionDeniedError, TransportError
from reportbridge.errortext import one_line

#: error types that mean "the credentials were refused"
AUTH_ERRORS = (AuthenticationError, PermissionDeniedError)


@attrs.frozen
class CheckStep:
    """One step of a check: ``name`` is ``token``, ``api`` or another short word."""

    name: str
    ok: bool
    elapsed: float
    error: str | None = None
    error_type: str | None = None
    #: "auth" (credentials refused), "unreachable" (no answer) or "failed" (anything else)
    failure: str | None = None


def check_step(name: str, action: Callable[[], object]) -> CheckStep:
    """Run ``action`` and say how it went; a typed error is a failed step, not raised."""
    started = time.monotonic()
    try:
        action()
    except Exception as exc:
        failure = (
            "auth"
            if isinstance(exc, AUTH_ERRORS)
            else "unreachable"
            if isinstance(exc, TransportError)
            else "failed"
        )
        return CheckStep(
            name,
            False,
            time.monotonic() - started,
            error=one_line(exc),
            error_type=type(exc).__name__,
            failure=failure,
        )
    return CheckStep(name, True, time.monotonic() - started)


def steps_until_failure(*steps: tuple[str, Callable[[], object]]) -> list[CheckStep]:
    """Run ``(name, action)`` steps in order, stopping after the first that fails."""
    done: list[CheckStep] = []
    for name, action in steps:
        done.append(check_step(name, action))
        if not done[-1].ok:
            break
    return done


__all__ = ["AUTH_ERRORS", "CheckStep", "check_step", "steps_until_failure"]
