"""The simulator's object storage: pre-signed URLs with an expiry and an HMAC signature.

Like S3 presigned URLs, the signature travels in the query (``X-Date``, ``X-Expires``,
``X-Signature``) and a request that also carries an ``Authorization`` header is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

from reportbridge.testing import Request, Response

PREFIX = "/_storage/"


class UrlSigner:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._key = secrets.token_bytes(32)

    def _signature(self, path: str, issued: str, expires: str) -> str:
        message = f"GET\n{path}\n{issued}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, origin: str, object_name: str) -> str:
        path = PREFIX + quote(object_name)
        issued, expires = f"{time.time():.3f}", f"{self.ttl:g}"
        sig = self._signature(path, issued, expires)
        return f"{origin}{path}?X-Date={issued}&X-Expires={expires}&X-Signature={sig}"

    def refusal(self, request: Request) -> Response | None:
        """The storage's answer when the request may not read the object, else None."""
        if request.header("Authorization") is not None:
            return s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Signature query parameter "
                "should be specified",
            )
        issued, expires = request.arg("X-Date") or "", request.arg("X-Expires") or ""
        given = request.arg("X-Signature") or ""
        wanted = self._signature(request.path, issued, expires)
        if not given or not hmac.compare_digest(given, wanted):
            return s3_error(403, "SignatureDoesNotMatch", "The request signature is not valid.")
        try:
            deadline = float(issued) + float(expires)
        except ValueError:
            return s3_error(403, "AccessDenied", "The request is not signed correctly.")
        if time.time() >= deadline:
            return s3_error(403, "AccessDenied", "Request has expired")
        return None


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return Response(status, {"Content-Type": "application/xml"}, body)
