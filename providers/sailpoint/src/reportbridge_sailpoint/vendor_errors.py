"""SailPoint error answers turned into reportbridge's typed errors.

The vendor uses several bodies (``ErrorResponseDto``, ``{"error": ...}`` on 401,
``{"message": ...}`` on 429, a RESTEasy body on a wrong Accept header) and any of
them may appear on any status, so each is recognised by its fields, not its status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

import attrs

from reportbridge.errors import ProviderError, error_for_status
from reportbridge.logging import redact_text
from reportbridge.transport.http import HttpResponse
from reportbridge.transport.retry import parse_retry_after
from reportbridge_sailpoint.settings import PROVIDER

_HINTS = {
    401: "the token was refused; check the profile's client_id and client_secret",
    403: "the credentials lack the right: running needs scope sp:report:manage, reading "
    "sp:report:read, and a user level such as ORG_ADMIN or REPORT_ADMIN",
    429: "SailPoint allows 100 requests per 10 s per client id and API version",
}
CANCEL_FORBIDDEN_HINT = (
    "SailPoint declares cancel for user-bound tokens only: the token of a plain API client "
    "may be refused. Put the client id and secret of a personal access token (with scope "
    "sp:report:manage) in the profile to cancel, or let the report finish"
)


@attrs.frozen
class VendorError:
    """What an error body says."""

    text: str
    code: str | None = None
    tracking_id: str | None = None


def read_error_body(data: bytes) -> VendorError:
    """The message, vendor code and tracking id of an error body, whatever its shape."""
    try:
        body: Any = json.loads(data or b"null")
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        snippet = data[:200].decode("utf-8", "replace").strip()
        return VendorError(redact_text(snippet) or "(empty body)")
    tracking = body.get("trackingId")
    tracking_id = tracking if isinstance(tracking, str) and tracking else None
    if "detailCode" in body or "messages" in body or "causes" in body:
        parts = _texts(body.get("messages")) + _texts(body.get("causes"))
        code = body.get("detailCode") if isinstance(body.get("detailCode"), str) else None
        text = "; ".join(dict.fromkeys(parts)) or code or "no details"
        return VendorError(redact_text(text), code, tracking_id)
    if "errorName" in body or "errorMessage" in body:
        name, message = str(body.get("errorName") or ""), str(body.get("errorMessage") or "")
        return VendorError(redact_text(f"{name}: {message}".strip(": ")), name or None, tracking_id)
    for key in ("error", "message", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return VendorError(redact_text(value.strip()), None, tracking_id)
    return VendorError(redact_text(json.dumps(body)[:200]), None, tracking_id)


def error_from_response(resp: HttpResponse, what: str, *, hint: str | None = None) -> ProviderError:
    """The typed error for an error response (its body is read here)."""
    found = read_error_body(resp.data)
    retry_after = parse_retry_after(resp.header("Retry-After"))
    extra = hint or _hint(resp.status, found, retry_after)
    message = f"{PROVIDER} {what} failed (HTTP {resp.status}): {found.text}"
    if found.tracking_id:
        message += f" [trackingId {found.tracking_id}]"
    if extra:
        message += f"; {extra}"
    return error_for_status(
        resp.status,
        message,
        provider=PROVIDER,
        vendor_code=found.code,
        tracking_id=found.tracking_id,
        retry_after=retry_after,
    )


def raise_for_response(resp: HttpResponse, what: str, *, hint: str | None = None) -> NoReturn:
    raise error_from_response(resp, what, hint=hint)


def _hint(status: int, found: VendorError, retry_after: float | None) -> str | None:
    if found.code == "NotAcceptableException":
        return "the Accept header did not match fileFormat (a reportbridge bug: please report it)"
    if status == 429 and retry_after is not None:
        return f"{_HINTS[429]}; the vendor asked to wait {retry_after:g} s"
    return _HINTS.get(status)


def _texts(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [
        item["text"].strip()
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("text"), str) and item["text"].strip()
    ]


__all__ = [
    "CANCEL_FORBIDDEN_HINT",
    "VendorError",
    "error_from_response",
    "raise_for_response",
    "read_error_body",
]
