"""The interface a provider plugin implements.

A plugin registers one :class:`Provider` per vendor through the
``register_providers`` hook. The provider turns a profile's settings into a
:class:`ProviderSession` that does the four operations over the core transport.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from reportbridge.checks import CheckStep, steps_until_failure
from reportbridge.errors import TransportError, UnsupportedOperationError, ValidationError, accepted
from reportbridge.logging import register_secret_param
from reportbridge.model import Capabilities, ReportJob, ResultPart
from reportbridge.params import resolve_report_type, validate_params
from reportbridge.settings import (
    SECRET,
    is_secret_setting,
    register_setting_secrets,
    secret_field,
    secret_settings,
    setting_names,
    structure_settings,
)
from reportbridge.transport.body import Refill
from reportbridge.transport.options import TransportOptions
from reportbridge.transport.ratelimit import RateLimit

if TYPE_CHECKING:
    from reportbridge.events import HttpExchange
    from reportbridge.testing.server import Simulator
    from reportbridge.transport.auth import TokenSource
    from reportbridge.transport.http import HttpClient, HttpResponse


@attrs.frozen
class ProfileContext:
    """What a provider gets to open a session for one profile.

    ``observer`` is given every HTTP exchange of the clients made with :meth:`http`
    (the façade reports them to the plugins' ``http_exchange`` hook)."""

    profile: str
    settings: Any
    transport: TransportOptions
    observer: Callable[[HttpExchange], None] | None = attrs.field(
        default=None, eq=False, repr=False
    )

    def http(
        self,
        base_url: str,
        *,
        auth: TokenSource | None = None,
        provider: str | None = None,
        default_rate_limit: RateLimit | None = None,
        rate_limit_key: str | None = None,
    ) -> HttpClient:
        """The profile's HTTP client; the profile's own rate limit wins over the default.

        ``rate_limit_key`` shares one limiter among every client with the same key and
        limit (for vendors that count requests per credential, not per connection).
        """
        from reportbridge.transport.http import HttpClient  # urllib3 and ssl load here

        options = self.transport
        if options.rate_limit is None and default_rate_limit is not None:
            options = attrs.evolve(options, rate_limit=default_rate_limit)
        return HttpClient(
            base_url,
            auth=auth,
            options=options,
            provider=provider,
            rate_limit_key=rate_limit_key,
            observer=self.observer,
        )


class FileStream:
    """An open report file: headers known, body not read yet. Close it (or use ``with``).

    With ``reopen`` (a callable that requests the same file from a byte offset with a
    ``Range`` header and returns the streaming response) a body cut mid-way is resumed
    when the server advertised ``Accept-Ranges: bytes`` and answers 206 from the right
    offset; otherwise the cut surfaces as a :class:`TransportError`.

    A paged result sets ``next_part`` (the page after this one, e.g. from a locator
    header) once the response headers are known; the core fetches it after this one.
    """

    max_resumes = 3

    def __init__(
        self,
        response: HttpResponse,
        *,
        format: str,
        filename: str | None = None,
        content_type: str | None = None,
        reopen: Callable[[int], HttpResponse] | None = None,
        next_part: ResultPart | None = None,
    ) -> None:
        self.response = response
        self.format = format
        self.filename = filename
        self.content_type = content_type or response.header("Content-Type")
        self.reopen = reopen
        self.next_part = next_part
        self.resumes = 0
        self._total = response.content_length
        self._ranges = (response.header("Accept-Ranges") or "").lower() == "bytes"
        self._refill: Refill | None = None
        self._done = 0  # bytes given by readinto, where a resumed request starts

    @property
    def content_length(self) -> int | None:
        return self._total

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        done = 0
        while True:
            try:
                for chunk in self.response.iter_chunks(size):
                    done += len(chunk)
                    yield chunk
                return
            except TransportError:
                if not self._resume(done):
                    raise

    def readinto(self, buf: memoryview) -> int:
        """The next bytes of the file into ``buf`` (0 at its end), resumed as :meth:`chunks`.

        A subclass that overrides :meth:`chunks` (to reshape the content) is read
        through it, so both ways give the same bytes.
        """
        if type(self).chunks is not FileStream.chunks:
            if self._refill is None:
                self._refill = Refill(self.chunks(len(buf)))
            return self._refill.readinto(buf)
        while True:
            try:
                n = self.response.readinto(buf)
            except TransportError:
                if not self._resume(self._done):
                    raise
                continue
            self._done += n
            return n

    def _resume(self, offset: int) -> bool:
        if (
            self.reopen is None
            or not self._ranges
            or self._total is None
            or offset >= self._total
            or self.resumes >= self.max_resumes
        ):
            return False
        self.resumes += 1
        self.response.close()
        resp = self.reopen(offset)
        expected = f"bytes {offset}-{self._total - 1}/{self._total}"
        if resp.status != 206 or (resp.header("Content-Range") or "").strip() != expected:
            resp.close()
            return False
        self.response = resp
        return True

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> FileStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProviderSession(abc.ABC):
    """One profile's live connection to a vendor."""

    def __init__(self, provider: Provider, ctx: ProfileContext) -> None:
        self.provider = provider
        self.profile = ctx.profile
        self.ctx = ctx

    @abc.abstractmethod
    def submit(self, report_type: str, params: Mapping[str, Any]) -> ReportJob:
        """Start a report. ``params`` were already validated by :meth:`Provider.validate`."""

    @abc.abstractmethod
    def refresh(self, job: ReportJob) -> ReportJob:
        """Ask the vendor where ``job`` stands; returns a new record."""

    def cancel(self, job: ReportJob) -> ReportJob:
        """Stop a job; providers that cannot, keep this default."""
        raise UnsupportedOperationError(self.provider.name, "cancel", "jobs run to completion")

    def parts(self, job: ReportJob, format: str) -> Sequence[ResultPart]:
        """The parts of ``job``'s result in ``format`` known now, from the last poll.

        The default: ``job.parts`` of that format if the provider listed any, else the
        one file of a single-file result (id: the format name), available once the job
        is fetchable and pending before. No request is sent.
        """
        fmt = format.lower()
        listed = [p for p in job.parts if p.format == fmt]
        if listed:
            return listed
        return [ResultPart(fmt, fmt, state="available" if job.is_fetchable else "pending")]

    def open_part(self, job: ReportJob, part: ResultPart) -> FileStream:
        """Open one part of ``job``'s result for streaming (resumable: set ``reopen``).

        The default opens the single file of the part's format (:meth:`open_file`);
        providers whose results come in chunks or pages implement this instead.
        """
        return self.open_file(job, part.format)

    def open_file(self, job: ReportJob, format: str) -> FileStream:
        """Open the file of a finished job for streaming (single-file providers)."""
        raise UnsupportedOperationError(
            self.provider.name,
            "opening a file",
            "the provider implements neither open_file nor open_part",
        )

    def refresh_many(self, jobs: Sequence[ReportJob]) -> Mapping[str, ReportJob] | None:
        """Where the vendor answers for many jobs in one request (a listing or search),
        what it says of each of ``jobs`` it answered for, by job id, as :meth:`refresh`
        would return it. Jobs missing from the answer are polled one by one.

        The default, None, means the vendor has no such request: every job is polled on
        its own. ``run_many`` uses this to keep status requests from growing with jobs.
        """
        return None

    def list_jobs(
        self, filters: Mapping[str, Any], *, limit: int | None = None
    ) -> Iterator[ReportJob]:
        """Existing jobs, newest first where the vendor allows."""
        raise UnsupportedOperationError(self.provider.name, "listing jobs")

    def check(self) -> list[CheckStep]:
        """Prove the profile works with the cheapest requests, for ``reportbridge config
        check``: the steps tried, each ok or not (errors are reported, not raised).

        The default lists one job (one ``api`` step) when the provider lists jobs, and
        checks nothing otherwise. A provider whose vendor exchanges credentials for a
        token checks that first (a ``token`` step); nothing it does may start work.
        """
        if not self.provider.capabilities().list:
            return []
        return steps_until_failure(("api", lambda: next(iter(self.list_jobs({}, limit=1)), None)))

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections."""


class Provider(abc.ABC):
    """A vendor, as a plugin registers it."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    settings_type: ClassVar[type]
    default_rate_limit: ClassVar[RateLimit | None] = None
    default_max_active_jobs: ClassVar[int | None] = None
    #: hosts the vendor serves files from besides the API's own host (signed storage
    #: URLs): patterns as :mod:`reportbridge.transport.hosts` reads them. A download
    #: anywhere else is refused; a profile's ``transport.download_hosts`` replaces this.
    download_hosts: ClassVar[tuple[str, ...]] = ()

    #: query parameters of this vendor's URLs that carry a credential (a signature, a
    #: token), redacted in logs and errors on top of the well-known ones
    secret_query_params: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        for name in cls.secret_query_params:
            register_secret_param(name)

    @abc.abstractmethod
    def capabilities(self) -> Capabilities:
        """What this provider can do and which report types it knows."""

    @abc.abstractmethod
    def connect(self, ctx: ProfileContext) -> ProviderSession:
        """A session for one profile (``ctx.settings`` is a :attr:`settings_type`)."""

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> Any:
        """Turn a profile table into :attr:`settings_type`, with a clear error if it is wrong.

        The default structures the table with cattrs: unknown keys, missing required
        settings and values of the wrong type are a
        :class:`~reportbridge.errors.ConfigurationError` naming the setting; secret
        settings (:func:`secret_field`) take strings only and are registered for
        redaction. Override it to add vendor rules, calling ``super().parse_settings``
        first; raise ``ConfigurationError`` (never echoing a secret).
        """
        return structure_settings(self.name, profile, self.settings_type, raw)

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a report request before anything is sent; returns normalised parameters."""
        spec = resolve_report_type(self.name, self.capabilities(), report_type)
        return validate_params(self.name, spec, params)

    def simulator(self, **options: Any) -> Simulator | None:
        """An offline simulator of the vendor API (not started), or None."""
        return None

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        """Report type, parameters and formats the demo runs against the simulator."""
        return []


def check_list_filters(
    provider: str, filters: Mapping[str, Any], known: Iterable[str], *, items: str = "jobs"
) -> None:
    """Refuse the filters :meth:`ProviderSession.list_jobs` does not know, before any request.

    ``filters`` is what the caller passed (``Reports.list(profile, **filters)``), ``known``
    the filters the vendor accepts and ``items`` what the vendor calls its jobs, for the
    message. Any other filter is a :class:`~reportbridge.errors.ValidationError` naming the
    unknown filters and the accepted ones; its ``field`` is the first unknown one::

        check_list_filters("acme", {"owner": "me"}, ("report_type", "state"), items="exports")
        # ValidationError: acme cannot filter exports by owner; accepted: report_type, state
    """
    names = tuple(known)
    unknown = sorted(set(filters) - set(names))
    if unknown:
        raise ValidationError(
            f"{provider} cannot filter {items} by {', '.join(unknown)}; accepted: "
            f"{accepted(names)}",
            provider=provider,
            field=unknown[0],
        )


__all__ = [
    "SECRET",
    "FileStream",
    "ProfileContext",
    "Provider",
    "ProviderSession",
    "check_list_filters",
    "is_secret_setting",
    "register_setting_secrets",
    "secret_field",
    "secret_settings",
    "setting_names",
    "structure_settings",
]
