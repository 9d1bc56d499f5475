"""reportbridge: one lifecycle (run, poll, cancel, fetch) for report jobs on many vendors.

>>> from reportbridge import Reports
>>> reports = Reports.from_config("reportbridge.toml")          # doctest: +SKIP
>>> job = reports.run("sailpoint-prod", "IDENTITIES")           # doctest: +SKIP
>>> job = reports.wait(job, timeout=600)                        # doctest: +SKIP
>>> files = reports.fetch(job, "out/", format="csv")            # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reportbridge._version import __version__
from reportbridge.errors import (
    AuthenticationError,
    ConfigurationError,
    DownloadError,
    DownloadHostError,
    JobTimeoutError,
    LocalWriteError,
    NotFoundError,
    PermissionDeniedError,
    PluginSpecError,
    ProviderError,
    ProviderProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RejectedRequestError,
    ReportBridgeError,
    ResponseTooLargeError,
    ServiceError,
    SubmissionUncertainError,
    TransportError,
    UnknownStatusError,
    UnsupportedOperationError,
    ValidationError,
)
from reportbridge.model import (
    Capabilities,
    DateWindow,
    ErrorDetail,
    FetchedFile,
    ParamSpec,
    ReportJob,
    ReportTypeSpec,
    ResultPart,
)
from reportbridge.status import ReportStatus, StatusMap

if TYPE_CHECKING:
    from reportbridge.aio import AsyncReports
    from reportbridge.engine import JobOutcome, JobRequest
    from reportbridge.facade import Reports
    from reportbridge.polling import PollPolicy

_LAZY = {
    "Reports": "reportbridge.facade",
    "AsyncReports": "reportbridge.aio",
    "JobRequest": "reportbridge.engine",
    "JobOutcome": "reportbridge.engine",
    "PollPolicy": "reportbridge.polling",
}


def __getattr__(name: str) -> Any:
    # The façade pulls in urllib3 and pluggy; keep `import reportbridge` light.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reportbridge' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AsyncReports",
    "AuthenticationError",
    "Capabilities",
    "ConfigurationError",
    "DateWindow",
    "DownloadError",
    "DownloadHostError",
    "ErrorDetail",
    "FetchedFile",
    "JobOutcome",
    "JobRequest",
    "JobTimeoutError",
    "LocalWriteError",
    "NotFoundError",
    "ParamSpec",
    "PermissionDeniedError",
    "PluginSpecError",
    "PollPolicy",
    "ProviderError",
    "ProviderProtocolError",
    "QuotaExceededError",
    "RateLimitedError",
    "RejectedRequestError",
    "ReportBridgeError",
    "ReportJob",
    "ReportStatus",
    "ReportTypeSpec",
    "Reports",
    "ResponseTooLargeError",
    "ResultPart",
    "ServiceError",
    "StatusMap",
    "SubmissionUncertainError",
    "TransportError",
    "UnknownStatusError",
    "UnsupportedOperationError",
    "ValidationError",
    "__version__",
]
