"""SpaceONE error bodies turned into reportbridge's typed errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reportbridge.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderProtocolError,
    error_for_status,
)
from reportbridge.logging import redact_text
from reportbridge.transport import HttpResponse
from reportbridge.transport.retry import parse_retry_after
from reportbridge_spaceone.status import PROVIDER

# The code decides the kind: an unknown id is HTTP 404 or 400 depending on the version.
_BY_CODE: dict[str, type[ProviderError]] = {
    "ERROR_NOT_FOUND": NotFoundError,
    "ERROR_AUTHENTICATE_FAILURE": AuthenticationError,
    "ERROR_PERMISSION_DENIED": PermissionDeniedError,
}


def error_body(resp: HttpResponse) -> tuple[str | None, str]:
    """``(code, message)`` of an error response, read leniently.

    The FastAPI layer answers ``{"detail": {"code", "message"}}``; a gateway may send the
    pair at the top level, under ``error``, or a plain ``detail`` string.
    """
    try:
        body: Any = resp.json(what="error")
    except ProviderProtocolError:
        return None, resp.text()[:200]
    for candidate in (
        body.get("detail") if isinstance(body, Mapping) else None,
        body.get("error") if isinstance(body, Mapping) else None,
        body,
    ):
        if isinstance(candidate, Mapping) and ("code" in candidate or "message" in candidate):
            code = candidate.get("code")
            return (str(code) if code else None), str(candidate.get("message") or "")
        if isinstance(candidate, str) and candidate:
            return None, candidate
    return None, resp.text()[:200]


def vendor_error(
    resp: HttpResponse, what: str, hint: str | Callable[[str | None], str] = ""
) -> ProviderError:
    """The typed error for a failed SpaceONE request (the body is read and released).

    The vendor's error code decides the kind and the words, not the HTTP status (an unknown
    id is 404 on current Cloudforet, 400 on older deployments). A callable ``hint`` is given
    the code (None when the body was not a SpaceONE error).
    """
    code, message = error_body(resp)
    resp.close()
    text = f"{PROVIDER} {what} failed (HTTP {resp.status}"
    text += f", {code})" if code else ")"
    if message:
        text += f": {redact_text(message)[:300]}"
    text += hint(code) if callable(hint) else hint
    kind = _BY_CODE.get(code or "")
    if kind is not None:
        return kind(text, provider=PROVIDER, status_code=resp.status, vendor_code=code)
    return error_for_status(
        resp.status,
        text,
        provider=PROVIDER,
        vendor_code=code,
        retry_after=parse_retry_after(resp.header("Retry-After")),
    )
