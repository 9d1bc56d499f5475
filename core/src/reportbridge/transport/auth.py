"""Where credentials come from: nothing, a static token, fixed API-key headers, or OAuth2."""

from __future__ import annotations

import base64
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from reportbridge.errors import AuthenticationError, ConfigurationError, ProviderProtocolError
from reportbridge.logging import get_logger, redact_text, register_secret
from reportbridge.transport.headers import header_problem
from reportbridge.transport.urls import check_url_allowed

log = get_logger("reportbridge.auth")


class Answer(Protocol):
    """What a credential source reads of a response (an :class:`HttpResponse`)."""

    status: int

    def close(self) -> None: ...

    def text(self) -> str: ...

    def json(self, *, what: str = ...) -> Any: ...


class Requester(Protocol):
    """What a credential source sends its own requests with (an :class:`HttpClient`)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = ...,
        headers: Mapping[str, str] | None = ...,
        idempotent: bool | None = ...,
        authenticate: bool = ...,
        follow_redirects: bool = ...,
        what: str = ...,
    ) -> Answer: ...


class TokenSource(Protocol):
    """Adds credentials to API requests (only ever to the API's own origin).

    Whatever headers a source sets, the client never sends them to another origin: a
    redirect elsewhere keeps only a short list of harmless headers
    (:func:`reportbridge.transport.headers.portable`). ``header_names`` (as
    :class:`StaticHeaders` has) says which headers a source sets, for documentation.
    """

    def bind(self, http: Requester) -> None:
        """Called once by the client that will use this source."""

    def apply(self, headers: dict[str, str]) -> None:
        """Add credentials to ``headers``."""

    def invalidate(self, rejected: str | None = None) -> bool:
        """Drop cached credentials after a 401; True when asking again may help.

        ``rejected`` is the Authorization value the server refused: a source shared
        by several threads keeps a newer credential another thread already fetched.
        """


class NoAuth:
    """No credentials (for example a storage origin reached with a signed URL)."""

    def bind(self, http: Requester) -> None:
        pass

    def apply(self, headers: dict[str, str]) -> None:
        pass

    def invalidate(self, rejected: str | None = None) -> bool:
        return False


class StaticBearerToken:
    """A token issued out of band (an API key, a personal token); never refreshed."""

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationError("the bearer token is empty; set the profile's token")
        if header_problem("Authorization", f"Bearer {token.strip()}") is not None:
            register_secret(token)
            raise ConfigurationError(
                "the bearer token cannot be sent in an Authorization header: it holds a line "
                "break, a control character or a character outside Latin-1; check the "
                "profile's token setting"
            )
        self._token = token.strip()
        register_secret(self._token)

    def __repr__(self) -> str:
        return "StaticBearerToken(<redacted>)"

    def bind(self, http: Requester) -> None:
        pass

    def apply(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer {self._token}"

    def invalidate(self, rejected: str | None = None) -> bool:
        return False


#: an HTTP header name (RFC 9110 token)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: what a header value may hold: visible ASCII, spaces and tabs inside (no CR, LF, NUL...)
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?")


class StaticHeaders:
    """Fixed credential headers issued out of band (an API key pair); never refreshed.

    ``headers`` maps header names to values, e.g. Tenable's
    ``{"X-ApiKeys": "accessKey=...;secretKey=...;"}``. Names must be HTTP tokens and values
    visible ASCII without CR, LF or other controls, so a value can never add a header of
    its own; a bad one is a :class:`ConfigurationError` that names the header, never the
    value. Every value, and each of ``secrets`` (the parts a value is made of, so that a
    key is redacted wherever it appears alone), is registered for redaction.

    :attr:`header_names` names the headers it sets; the HTTP client adds them on the API's
    own origin only and, like every credential, never sends them on to another origin.
    A 401 cannot be cured by asking again, so :meth:`invalidate` says False.
    """

    def __init__(
        self,
        headers: Mapping[str, str],
        *,
        secrets: Iterable[str] = (),
        provider: str | None = None,
    ) -> None:
        if not headers:
            raise ConfigurationError("no credential header given", provider=provider)
        checked: dict[str, str] = {}
        for name, value in headers.items():
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
                raise ConfigurationError(
                    f"credential header name {name!r} is not an HTTP header name (letters, "
                    "digits and !#$%&'*+.^_`|~-)",
                    provider=provider,
                )
            if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
                raise ConfigurationError(
                    f"the value of credential header {name} is empty or holds a line break or "
                    "another control or non-ASCII character; check the profile's keys",
                    provider=provider,
                )
            checked[name] = value
        self._headers = checked
        self.header_names = frozenset(name.lower() for name in checked)
        for value in (*checked.values(), *secrets):
            register_secret(value)

    def __repr__(self) -> str:
        return f"StaticHeaders({', '.join(sorted(self._headers))}: <redacted>)"

    def bind(self, http: Requester) -> None:
        pass

    def apply(self, headers: dict[str, str]) -> None:
        headers.update(self._headers)

    def invalidate(self, rejected: str | None = None) -> bool:
        return False


class OAuth2ClientCredentials:
    """OAuth2 client-credentials grant with caching and early refresh.

    ``client_auth`` is ``"body"`` (client id and secret as form fields) or
    ``"basic"`` (HTTP Basic). A token is reused until ``refresh_margin`` seconds
    before it expires; a 401 from the API drops it so the next request gets a new one.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        client_auth: str = "body",
        refresh_margin: float = 60.0,
        provider: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_url_allowed(token_url, what="token_url")
        if client_auth not in ("body", "basic"):
            raise ValueError("client_auth must be 'body' or 'basic'")
        if not client_id or not client_secret:
            raise AuthenticationError(
                "OAuth2 client credentials need both client_id and client_secret",
                provider=provider,
            )
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.client_auth = client_auth
        self.refresh_margin = refresh_margin
        self.provider = provider
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._http: Requester | None = None
        self.tokens_issued = 0
        register_secret(client_secret)

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"
        )

    def bind(self, http: Requester) -> None:
        self._http = http

    def apply(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer {self.token()}"

    def invalidate(self, rejected: str | None = None) -> bool:
        with self._lock:
            if rejected is None or rejected == f"Bearer {self._token}":
                self._token = None
        return True

    def token(self) -> str:
        """A valid access token, fetched when there is none or it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        if self._http is None:
            raise RuntimeError("OAuth2ClientCredentials used before bind()")
        form = {"grant_type": "client_credentials"}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if self.client_auth == "basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = self.client_id
            form["client_secret"] = self._secret
        if self.scope:
            form["scope"] = self.scope
        started = self._clock()
        resp = self._http.request(
            "POST",
            self.token_url,
            data=urlencode(form).encode(),
            headers=headers,
            authenticate=False,
            idempotent=True,  # asking for a token twice is harmless
            follow_redirects=False,  # the client secret goes to the token URL or nowhere
            what="token request",
        )
        host = urlsplit(self.token_url).hostname
        if 300 <= resp.status < 400:
            resp.close()
            raise AuthenticationError(
                f"token request to {_shown(self.token_url)} was answered with a redirect "
                f"(HTTP {resp.status}); token requests never follow redirects, so the "
                "credentials were not sent on: set token_url to the URL that issues tokens",
                provider=self.provider,
                status_code=resp.status,
            )
        if resp.status != 200:
            detail = redact_text(resp.text()[:300])
            raise AuthenticationError(
                f"token request to {host} was refused (HTTP {resp.status}): {detail}; check the "
                "profile's client_id and client_secret and that the client may use the "
                "client_credentials grant",
                provider=self.provider,
                status_code=resp.status,
            )
        body = resp.json(what="token response")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderProtocolError(
                f"token response from {host} has no access_token", provider=self.provider
            )
        register_secret(token)
        if header_problem("Authorization", f"Bearer {token}") is not None:
            raise ProviderProtocolError(
                f"token response from {host} holds an access_token that cannot be sent in an "
                "Authorization header (a line break, a control character or a character "
                "outside Latin-1); it was not used",
                provider=self.provider,
            )
        lifetime = _lifetime(body.get("expires_in", 300))
        margin = min(self.refresh_margin, lifetime / 2)
        self._token = token
        self._expires_at = started + lifetime - margin
        self.tokens_issued += 1
        log.debug("token issued", host=host, expires_in=lifetime)


def _lifetime(value: Any) -> float:
    """A token's lifetime in seconds; a missing, odd or endless one counts as 5 minutes."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return 300.0
    return seconds if math.isfinite(seconds) and 0 < seconds <= 86_400 else 300.0


def _shown(url: str) -> str:
    """A URL as an error may show it: scheme, host, port and path, never a query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
