"""What the simulated gateway says on the wire: error bodies, tokens, quota, headers."""

from __future__ import annotations

import base64
import collections
import email.parser
import email.policy
import json
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from reportbridge.testing.server import Request, Response

DETAIL_CODES = {
    400: "400.1 Bad Request Content",
    403: "403 Forbidden",
    404: "404 Not found",
    405: "405 Method Not Allowed",
    500: "500.0 Internal Fault",
}


def tracking_id() -> str:
    return uuid.uuid4().hex


def error_dto(status: int, text: str, *, cause: str | None = None) -> Response:
    """The vendor's ``ErrorResponseDto``."""

    def message(value: str) -> dict[str, str]:
        return {"locale": "en-US", "localeOrigin": "DEFAULT", "text": value}

    return Response.json(
        {
            "detailCode": DETAIL_CODES.get(status, f"{status}"),
            "trackingId": tracking_id(),
            "messages": [message(text)],
            "causes": [message(cause)] if cause else [],
        },
        status,
    )


def jwt_refused(reason: str) -> Response:
    return Response.json({"error": f"JWT validation failed: {reason}"}, 401)


def rate_limited(retry_after: int) -> Response:
    # The vendor pads the message with spaces.
    return Response.json(
        {"message": " Rate Limit Exceeded "}, 429, headers={"Retry-After": str(retry_after)}
    )


def not_acceptable() -> Response:
    """RESTEasy's answer when Accept does not match what the file endpoint produces."""
    return Response.json(
        {
            "errorName": "NotAcceptableException",
            "errorMessage": "RESTEASY003635: No match for accept header",
            "trackingId": tracking_id(),
        },
        500,
    )


def accepts(header: str | None, media_type: str) -> bool:
    """Whether an Accept header admits ``media_type`` (no header admits anything)."""
    if not header or not header.strip():
        return True
    main = media_type.split("/")[0]
    for part in header.split(","):
        offered = part.split(";")[0].strip().lower()
        if offered in (media_type, "*/*", f"{main}/*"):
            return True
    return False


def disposition(style: str, filename: str) -> str:
    """Content-Disposition as the vendor may spell it (see PROVIDERS.md 1.7)."""
    if style == "compact":
        return f'attachment;filename="{filename}"'
    if style == "bare":
        return f"attachment;filename={filename}"
    return f'attachment; filename="{filename}"'


def token_form(req: Request) -> dict[str, str]:
    """Token request fields: url-encoded body, multipart body or query string."""
    fields = {k: v[0] for k, v in req.query.items() if v}
    content_type = req.header("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                fields[name] = str(part.get_content()).strip()
    elif req.body:
        fields.update(req.form())
    return fields


class TokenBook:
    """Access tokens the simulated tenant issued, by the client id they belong to."""

    def __init__(self, tenant: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.tenant = tenant
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lifetimes: dict[str, float] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def revoke_all(self, older_than: float = 0.0) -> list[str]:
        """Forget every token issued at least ``older_than`` seconds ago (as if expired);
        returns them."""
        with self._lock:
            issued = {t: expires - self._lifetimes[t] for t, (_, expires) in self._tokens.items()}
            cutoff = self._clock() - older_than
            gone = [t for t, at in issued.items() if at <= cutoff]
            for token in gone:
                del self._tokens[token]
                del self._lifetimes[token]
        return gone

    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def issue(self, client_id: str, lifetime: int) -> dict[str, Any]:
        jti = str(uuid.uuid4())
        claims = {"tenant_id": self.tenant, "client_id": client_id, "jti": jti}
        token = ".".join(
            _b64(part)
            for part in (
                json.dumps({"alg": "HS256", "typ": "JWT"}).encode(),
                json.dumps(claims).encode(),
                secrets.token_bytes(24),
            )
        )
        with self._lock:
            self.issued += 1
            self._tokens[token] = (client_id, self._clock() + lifetime)
            self._lifetimes[token] = lifetime
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": lifetime,
            "scope": "sp:scopes:all",
            "tenant_id": self.tenant,
            "pod": "stg01-useast1",
            "org": "acme",
            "jti": jti,
        }

    def client_of(self, token: str | None) -> tuple[str | None, str]:
        """The client id of a valid token, else None and why it was refused."""
        if not token:
            return None, "JWT is missing"
        with self._lock:
            found = self._tokens.get(token)
        if found is None:
            return None, "JWT is invalid"
        if self._clock() >= found[1]:
            return None, "JWT is expired"
        return found[0], ""

    def expire_all(self) -> None:
        with self._lock:
            self._tokens = {t: (c, 0.0) for t, (c, _) in self._tokens.items()}


class Quota:
    """``requests`` per ``window`` seconds per key (client id and API version)."""

    def __init__(
        self, requests: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.requests = requests
        self.window = window
        self._clock = clock
        self._seen: dict[Any, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def take(self, key: Any) -> int | None:
        """None when the request may pass, else the whole seconds to wait."""
        with self._lock:
            now = self._clock()
            seen = self._seen[key]
            while seen and now - seen[0] >= self.window:
                seen.popleft()
            if len(seen) < self.requests:
                seen.append(now)
                return None
            return max(1, math.ceil(self.window - (now - seen[0])))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
