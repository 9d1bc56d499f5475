"""The typed errors reportbridge raises.

Every message says what was wrong and, where there is a choice, what is accepted.
No message ever carries a secret: callers build messages from names and values
they know to be safe, and :func:`reportbridge.logging.redact_text` is applied to
anything that came from a server.
"""

from __future__ import annotations

from collections.abc import Iterable


class ReportBridgeError(Exception):
    """Base class of every error raised by reportbridge."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider

    def __str__(self) -> str:
        return self.message


def accepted(values: Iterable[object]) -> str:
    """Render a list of accepted values for an error message."""
    items = sorted({str(v) for v in values})
    return ", ".join(items) if items else "(none)"


class ConfigurationError(ReportBridgeError):
    """The config file, a profile or a setting is missing or wrong."""


class ValidationError(ReportBridgeError):
    """An argument (report type, parameter, format, job reference...) is not acceptable.

    Raised before any request is sent whenever the plugin can know.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.field = field


class PluginSpecError(ReportBridgeError):
    """A plugin declared something that contradicts itself (a parameter whose default is
    outside its own bounds, a bound on a string...): a bug in the plugin, raised when the
    declaration is made, so at import or registration rather than on a user's request."""


class UnsupportedOperationError(ReportBridgeError):
    """The provider cannot do this (cancel, list, a format...)."""

    def __init__(self, provider: str, operation: str, hint: str = "") -> None:
        msg = f"provider {provider!r} does not support {operation}"
        if hint:
            msg = f"{msg}; {hint}"
        super().__init__(msg, provider=provider)
        self.operation = operation


class ProviderError(ReportBridgeError):
    """The vendor answered a request with an error status."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        vendor_code: str | None = None,
        tracking_id: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.tracking_id = tracking_id


class AuthenticationError(ProviderError):
    """Credentials were refused (bad client id/secret, expired or invalid token)."""


class PermissionDeniedError(ProviderError):
    """The credentials are valid but lack the right (scope, role) for this operation."""


class NotFoundError(ProviderError):
    """The job, report or file does not exist (or no longer exists)."""


class RejectedRequestError(ProviderError):
    """The vendor refused the request as invalid (HTTP 400-class, not auth)."""


class RateLimitedError(ProviderError):
    """Too many requests; ``retry_after`` (seconds) says how long the vendor asked to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class QuotaExceededError(RateLimitedError):
    """A vendor quota of simultaneous jobs is full; waiting for a job to finish frees it."""


class ServiceError(ProviderError):
    """The vendor failed on its side (HTTP 5xx) and retrying did not help."""


class ProviderProtocolError(ReportBridgeError):
    """The vendor answered something the plugin cannot understand (bad JSON, missing fields)."""


class UnknownStatusError(ProviderProtocolError):
    """A vendor state the plugin does not know; never silently taken as RUNNING."""

    def __init__(self, provider: str, raw: object, known: Iterable[object]) -> None:
        super().__init__(
            f"provider {provider!r} reported unknown status {raw!r}; known statuses: "
            f"{accepted(known)}",
            provider=provider,
        )
        self.raw = raw


class ResponseTooLargeError(ProviderProtocolError):
    """An API answer was larger than the profile's ``transport.max_body_bytes``.

    ``limit`` is that cap in bytes (measured after any Content-Encoding is decoded).
    """

    def __init__(self, message: str, *, limit: int, provider: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.limit = limit


class TransportError(ReportBridgeError):
    """The request could not be completed (connection, timeout, TLS, redirect loop...)."""


class DeadlineExceededError(TransportError):
    """The deadline of the operation (``wait(timeout=)``, ``fetch(timeout=)``) came first.

    Raised by the transport; the façade turns it into the operation's own error.
    """


class SubmissionUncertainError(TransportError):
    """A request that starts a job failed in a way where the vendor may have acted.

    It is not re-sent automatically (that could start a second job). Look the job up
    with the provider's listing, or run again knowingly.
    """


class DownloadError(TransportError):
    """A file download failed or did not match what the server announced; nothing was kept."""


class LocalWriteError(ReportBridgeError):
    """The report file could not be written here (disk full, permissions...); nothing was kept.

    ``path`` is the file that was being written. Not retried: another download would meet
    the same disk.
    """

    def __init__(self, message: str, *, path: object, provider: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.path = path


class UnsafePathError(LocalWriteError):
    """A path we would write goes through a symbolic link (or something else that is not a
    plain folder or file) inside a destination we confine; nothing was written there."""


class BundleError(ReportBridgeError):
    """An audit bundle folder cannot be used as it is: its journal or manifest is damaged,
    a link or a foreign file is in it, or it is not a bundle. Nothing was sent; the message
    says how to proceed. ``path`` names what is wrong."""

    def __init__(self, message: str, *, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class BundleLockedError(BundleError):
    """Another ``reportbridge audit`` holds the bundle; ``holder`` says who (as it wrote)."""

    def __init__(self, message: str, *, path: object, holder: dict[str, object]) -> None:
        super().__init__(message, path=path)
        self.holder = holder


class UnexpectedError(ReportBridgeError):
    """Something failed that reportbridge or a plugin did not expect (a bug).

    It carries the original exception's type name and redacted message, so that one
    broken job is reported as that job's error instead of ending a whole batch.
    """


class JobTimeoutError(ReportBridgeError):
    """``wait`` reached its timeout before the job finished. ``job`` is the last state seen."""

    def __init__(self, message: str, job: object) -> None:
        super().__init__(message)
        self.job = job


#: errors a later poll may not meet again (an unknown status is excluded where it is caught)
TRANSIENT_ERRORS: tuple[type[ReportBridgeError], ...] = (
    TransportError,
    ServiceError,
    RateLimitedError,
    ProviderProtocolError,
)


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str | None = None,
    vendor_code: str | None = None,
    tracking_id: str | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    """The typed error for an HTTP error status (providers refine it where their vendor differs)."""
    kw: dict[str, object] = {
        "provider": provider,
        "status_code": status,
        "vendor_code": vendor_code,
        "tracking_id": tracking_id,
    }
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after, **kw)
    kind: type[ProviderError] = {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        410: NotFoundError,
    }.get(status, ServiceError if status >= 500 else RejectedRequestError)
    return kind(message, **kw)  # type: ignore[arg-type]


__all__ = [
    "AuthenticationError",
    "BundleError",
    "BundleLockedError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DownloadError",
    "JobTimeoutError",
    "LocalWriteError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderProtocolError",
    "QuotaExceededError",
    "RateLimitedError",
    "RejectedRequestError",
    "ReportBridgeError",
    "ResponseTooLargeError",
    "ServiceError",
    "SubmissionUncertainError",
    "TransportError",
    "UnexpectedError",
    "UnknownStatusError",
    "UnsafePathError",
    "UnsupportedOperationError",
    "ValidationError",
    "accepted",
    "error_for_status",
]
