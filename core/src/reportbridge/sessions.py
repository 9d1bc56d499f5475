"""Where a job runs: the named profiles a :class:`~reportbridge.facade.Reports` drives, each
profile's provider and parsed settings, one open provider session per profile, and the job a
reference names.

:class:`ProfileSessions` is the part of the façade that knows profiles and sessions; the
façade adds what is done with jobs (run, poll, wait, cancel, fetch, list).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Self

import attrs

from reportbridge.config import Profile
from reportbridge.errors import ConfigurationError, ValidationError, accepted
from reportbridge.events import Operation, OperationRun, operation_scope
from reportbridge.model import ReportJob
from reportbridge.plugins import PluginRegistry, default_registry
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge.refs import decode_ref
from reportbridge.settings import register_setting_secrets

#: a job, or its reference (``ReportJob.ref``)
JobLike = ReportJob | str


class ProfileSessions:
    """Named profiles, each checked against its provider when given, and one provider
    session per profile, opened on first use and shared by every thread."""

    def __init__(
        self,
        profiles: Mapping[str, Profile] | Iterable[Profile],
        *,
        registry: PluginRegistry | None = None,
    ) -> None:
        items = profiles.values() if isinstance(profiles, Mapping) else profiles
        self.profiles: dict[str, Profile] = {p.name: p for p in items}
        self.registry = registry or default_registry()
        self._sessions: dict[str, ProviderSession] = {}
        self._settings: dict[str, Any] = {}
        self._lock = threading.Lock()
        for profile in self.profiles.values():
            self._check_profile(profile)

    def _check_profile(self, profile: Profile) -> None:
        provider = self.registry.provider(profile.provider)
        settings = provider.parse_settings(profile.name, profile.settings)
        register_setting_secrets(settings)  # also when a plugin parses its own way
        self._settings[profile.name] = settings

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    # -- lookup ------------------------------------------------------------------------
    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigurationError(
                f"no profile named {name!r}; configured profiles: {accepted(self.profiles)}"
            ) from None

    def provider_for(self, profile: str) -> Provider:
        return self.registry.provider(self.profile(profile).provider)

    def session(self, profile: str) -> ProviderSession:
        prof = self.profile(profile)
        with self._lock:
            session = self._sessions.get(profile)
            if session is None:
                provider = self.registry.provider(prof.provider)
                session = provider.connect(self.context(profile))
                self._sessions[profile] = session
            return session

    def context(self, profile: str) -> ProfileContext:
        """What the profile's provider connects with: its settings, its transport (the
        provider's download hosts unless the profile sets its own) and the observer
        that reports each HTTP exchange to the plugins' ``http_exchange`` hook."""
        prof = self.profile(profile)
        provider = self.registry.provider(prof.provider)
        transport = prof.transport
        if transport.download_hosts is None:
            transport = attrs.evolve(transport, download_hosts=tuple(provider.download_hosts))
        hook = self.registry.hook
        return ProfileContext(
            profile,
            self._settings[profile],
            transport,
            observer=lambda exchange: hook.http_exchange(exchange=exchange),
        )

    def max_active_jobs(self, profile: str) -> int | None:
        prof = self.profile(profile)
        if prof.max_active_jobs is not None:
            return prof.max_active_jobs
        return self.provider_for(profile).default_max_active_jobs

    def _operation(
        self,
        kind: str,
        profile: str,
        *,
        job: ReportJob | None = None,
        report_type: str | None = None,
        part: str | None = None,
        job_ids: tuple[str, ...] = (),
    ) -> contextlib.AbstractContextManager[OperationRun]:
        """Run a block as one observed operation (see :mod:`reportbridge.events`)."""
        operation = Operation(
            kind=kind,
            profile=profile,
            provider=self.profile(profile).provider,
            job_id=job.job_id if job is not None else None,
            report_type=job.report_type if job is not None else report_type,
            part=part,
            job_ids=job_ids,
        )
        return operation_scope(operation, self.registry.hook)

    def job(self, ref: JobLike) -> ReportJob:
        """The job a reference (or job) names, as last known; no request is sent."""
        if isinstance(ref, ReportJob):
            return ref
        parsed = decode_ref(ref)
        prof = self.profile(parsed.profile)
        if prof.provider != parsed.provider:
            raise ValidationError(
                f"job reference is for provider {parsed.provider!r} but profile "
                f"{parsed.profile!r} now uses {prof.provider!r}",
                field="ref",
            )
        return ReportJob.from_ref(parsed)


__all__ = ["JobLike", "ProfileSessions"]
