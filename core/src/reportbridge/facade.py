"""``Reports``: the one object an application needs to drive report jobs on any vendor."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge.config import Profile, load_config, parse_profile
from reportbridge.errors import ReportBridgeError, UnsupportedOperationError, ValidationError
from reportbridge.fetching import (
    FileNaming,
    PartDownloads,
    fetch_within,
    resolve_format,
    select_parts,
)
from reportbridge.lifecycle import MAX_POLL_ERRORS, WaitSchedule
from reportbridge.logging import get_logger
from reportbridge.model import FetchedFile, ReportJob, ResultPart, utcnow
from reportbridge.plugins import PluginRegistry, default_registry
from reportbridge.polling import PollPolicy
from reportbridge.provider import ProviderSession
from reportbridge.sessions import JobLike, ProfileSessions
from reportbridge.slots import ActiveJobs
from reportbridge.status import ReportStatus
from reportbridge.transport.observe import recording

if TYPE_CHECKING:
    from reportbridge.engine import JobOutcome, JobRequest

log = get_logger("reportbridge.reports")


class Reports(ProfileSessions):
    """Run, poll, wait for, cancel and fetch report jobs over named profiles.

    Build it from a config file (:meth:`from_config`) or from code
    (:meth:`from_profiles`). Thread-safe: one instance can drive many jobs at once.
    """

    def __init__(
        self,
        profiles: Mapping[str, Profile] | Iterable[Profile],
        *,
        registry: PluginRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(profiles, registry=registry)
        self._sleep = sleep
        self._active = ActiveJobs()

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        registry: PluginRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Reports:
        """Profiles from TOML: ``path``, else $REPORTBRIDGE_CONFIG, else ./reportbridge.toml.

        ``${...}`` references are resolved with the registry's secret resolvers too."""
        registry = registry or default_registry()
        profiles = load_config(path, env, resolvers=registry.secret_resolvers)
        return cls(profiles, registry=registry, sleep=sleep)

    @classmethod
    def from_profiles(
        cls,
        profiles: Mapping[str, Mapping[str, Any]],
        *,
        env: Mapping[str, str] | None = None,
        registry: PluginRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Reports:
        """Profiles from code: ``{"name": {"provider": "...", **settings}}``."""
        registry = registry or default_registry()
        resolvers = registry.secret_resolvers
        return cls(
            [
                parse_profile(name, table, env=env, resolvers=resolvers)
                for name, table in profiles.items()
            ],
            registry=registry,
            sleep=sleep,
        )

    # -- lifecycle ---------------------------------------------------------------------
    def run(self, profile: str, report_type: str, /, **params: Any) -> ReportJob:
        """Start a report; parameters are checked before any request is sent."""
        provider = self.provider_for(profile)
        clean = provider.validate(report_type, params)
        limit = self.max_active_jobs(profile)
        reserved = self._active.reserve(profile, limit, provider.name, self.poll)
        try:
            session = self.session(profile)
            log.info("submitting", profile=profile, provider=provider.name, report_type=report_type)
            with (
                self._operation("submit", profile, report_type=report_type) as op,
                recording() as sent,
            ):
                job = session.submit(report_type, clean)
                if job.submitted_at is None:
                    job = attrs.evolve(job, submitted_at=utcnow())
                job = op.job = attrs.evolve(job, profile=profile, params=job.params or clean)
        except BaseException:
            if reserved:
                self._active.release(profile)
            raise
        self._active.note(job, started=reserved)
        self.registry.hook.job_submitted(job=job, requests=tuple(sent))
        return job

    def poll(self, job: JobLike) -> ReportJob:
        """Ask the vendor once where the job stands; statuses never move backwards."""
        current = self.job(job)
        with self._operation("poll", current.profile, job=current) as op:
            op.job = self._observed(current, self.session(current.profile).refresh(current))
            return op.job

    def poll_many(self, profile: str, jobs: Sequence[JobLike]) -> dict[str, ReportJob] | None:
        """Ask where many jobs of ``profile`` stand, in as few requests as the vendor allows.

        Returns the updated jobs the vendor answered for, by job id (poll the others one
        by one), or None when the provider has no such request.
        """
        current = {j.job_id: j for j in map(self.job, jobs)}
        wrong = sorted({j.profile for j in current.values()} - {profile})
        if wrong:
            raise ValidationError(
                f"poll_many for profile {profile!r} was given jobs of {', '.join(wrong)}",
                field="jobs",
            )
        session = self.session(profile)
        if type(session).refresh_many is ProviderSession.refresh_many:
            return None  # the vendor has no such request: nothing is sent
        with self._operation("poll_many", profile, job_ids=tuple(current)) as op:
            seen = session.refresh_many(list(current.values()))
            if seen is None:
                return None
            updated = {
                job_id: self._observed(current[job_id], job)
                for job_id, job in seen.items()
                if job_id in current
            }
            op.jobs = tuple(updated.values())
            return updated

    def _observed(self, current: ReportJob, seen: ReportJob) -> ReportJob:
        updated = current.observe(seen)
        self._active.note(updated)
        if updated.status is not current.status:
            log.info(
                "status changed",
                profile=updated.profile,
                job_id=updated.job_id,
                status=updated.status.value,
                provider_status=updated.provider_status,
            )
            self.registry.hook.job_status_changed(job=updated, previous=current.status)
        return updated

    def wait(
        self,
        job: JobLike,
        *,
        timeout: float | None = None,
        policy: PollPolicy | None = None,
        on_update: Callable[[ReportJob], None] | None = None,
        stop: threading.Event | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
    ) -> ReportJob:
        """Poll until the job is terminal. Raises :class:`JobTimeoutError` after ``timeout`` s.

        ``timeout`` is a hard deadline: no sleep, retry back-off, Retry-After or read
        (a server answering one byte at a time included) runs past it. NaN, infinite or
        negative is a :class:`ValidationError`; None waits without limit.

        A poll that fails in a way that may pass (connection trouble, 5xx, 429, a garbled
        answer) is tried again at the next interval, up to ``max_poll_errors`` in a row;
        an unknown vendor status or refused credentials end the wait at once.
        """
        current = self.job(job)
        schedule = WaitSchedule(
            current,
            policy or self.profile(current.profile).polling,
            timeout=timeout,
            max_poll_errors=max_poll_errors,
        )
        with schedule.running():
            while True:
                delay = schedule.next_delay()
                if delay > 0 and stop is not None:
                    if stop.wait(delay):
                        raise KeyboardInterrupt
                elif delay > 0:
                    self._sleep(delay)
                try:
                    current = self.poll(schedule.job)
                except ReportBridgeError as exc:
                    if not schedule.poll_failed(exc):
                        raise
                    continue
                if on_update is not None:
                    on_update(current)
                if schedule.observed(current):
                    return current

    def cancel(self, job: JobLike) -> ReportJob:
        """Ask the vendor to stop the job; unsupported providers raise before any request.

        The job is polled first: a finished job (any terminal status) is returned as it
        stands and nothing is sent, since a vendor may delete a finished report on cancel.
        """
        current = self.job(job)
        provider = self.provider_for(current.profile)
        if not provider.capabilities().cancel:
            raise UnsupportedOperationError(
                provider.name, "cancel", "its jobs run to completion; wait for it instead"
            )
        current = self.poll(current)
        if current.is_terminal:
            log.info("not cancelled: already finished", job_id=current.job_id)
            return current
        with self._operation("cancel", current.profile, job=current) as op:
            updated = op.job = current.observe(self.session(current.profile).cancel(current))
        self._active.note(updated)
        if updated.status is not current.status:
            self.registry.hook.job_status_changed(job=updated, previous=current.status)
        return updated

    def parts(self, job: JobLike, *, format: str | None = None) -> list[ResultPart]:
        """The parts of the job's result in ``format`` (default: the first offered) as
        known from the last poll, whatever their state; no request is sent."""
        current = self.job(job)
        fmt = resolve_format(self.provider_for(current.profile), current, format)
        return list(self.session(current.profile).parts(current, fmt))

    def fetch(
        self,
        job: JobLike,
        dest_dir: str | os.PathLike[str],
        *,
        format: str | None = None,
        parts: Iterable[str | ResultPart] | None = None,
        skip: Iterable[str] = (),
        filename: FileNaming = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_file: Callable[[FetchedFile], None] | None = None,
        download_attempts: int = 3,
        timeout: float | None = None,
    ) -> list[FetchedFile]:
        """Download the job's result into ``dest_dir``: one file per part, in part order.

        Every available part of ``format`` (default: the first offered), or only
        ``parts`` (ids, or :class:`ResultPart` objects fetched as given: how pages are
        resumed), less the ids in ``skip``; a page is followed by the page it announces.
        Failed parts of a partial result stay named in ``job.parts``, unfetched.

        Each file is streamed, hashed and renamed into place atomically, then handed to
        ``on_file``. Naming: :func:`reportbridge.fetching.part_filename` (``filename``
        replaces the name, or is called with the safe proposal). A part that breaks off
        is resumed with Range where the vendor allows, else fetched again, up to
        ``download_attempts`` times, alone; nothing partial is ever kept.

        ``timeout`` is a hard deadline (seconds) for the whole fetch, retries and resumes
        included: when it passes, the download in progress is abandoned with
        :class:`DownloadError` (files already completed stay, each whole and verified).
        Independently, a download that receives no byte for the profile's
        ``transport.stall_timeout`` fails (and is tried again).
        """
        return fetch_within(
            timeout,
            lambda: self._fetch_parts(
                self._fetchable(job, early=False),
                dest_dir,
                format=format,
                parts=parts,
                skip=skip,
                filename=filename,
                on_progress=on_progress,
                on_file=on_file,
                download_attempts=download_attempts,
            ),
        )

    def fetch_available(
        self,
        job: JobLike,
        dest_dir: str | os.PathLike[str],
        *,
        format: str | None = None,
        skip: Iterable[str] = (),
        timeout: float | None = None,
        **kw: Any,
    ) -> list[FetchedFile]:
        """As :meth:`fetch`, for the parts already available while the job still runs.

        A chunked export streams to disk as it is produced: call this after each poll
        with the ids already fetched in ``skip``. A job that is not finished is not an
        error (a single-file result has nothing available until it ends); a job that
        failed, was cancelled or expired is.
        """
        return fetch_within(
            timeout,
            lambda: self._fetch_parts(
                self._fetchable(job, early=True), dest_dir, format=format, skip=skip, **kw
            ),
        )

    def _fetchable(self, job: JobLike, *, early: bool) -> ReportJob:
        current = self.job(job)
        if current.status is ReportStatus.PENDING and current.provider_status is None:
            current = self.poll(current)  # a job from a bare reference: learn its state
        if current.is_fetchable or (early and not current.is_terminal):
            return current
        raise ValidationError(
            f"job {current.job_id} is {current.status.value} "
            f"(vendor: {current.provider_status}); only succeeded or partial jobs have files",
            provider=current.provider,
            field="job",
        )

    def _fetch_parts(
        self,
        job: ReportJob,
        dest_dir: str | os.PathLike[str],
        *,
        format: str | None = None,
        parts: Iterable[str | ResultPart] | None = None,
        skip: Iterable[str] = (),
        filename: FileNaming = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_file: Callable[[FetchedFile], None] | None = None,
        download_attempts: int = 3,
    ) -> list[FetchedFile]:
        provider = self.provider_for(job.profile)
        session = self.session(job.profile)
        chosen = select_parts(provider, session, job, format, parts)

        def landed(file: FetchedFile) -> None:
            log.info("fetched", job_id=job.job_id, part=file.part, size=file.size)
            self.registry.hook.file_fetched(job=job, file=file)
            if on_file is not None:
                on_file(file)

        downloads = PartDownloads(
            session,
            job,
            provider.name,
            dest_dir,
            naming=filename,
            on_progress=on_progress,
            on_file=landed,
            attempts=download_attempts,
            sleep=self._sleep,
            observe=lambda part: self._operation("fetch", job.profile, job=job, part=part.id),
        )
        return downloads.run(chosen, skip)

    def list(
        self, profile: str, *, limit: int | None = None, **filters: Any
    ) -> Iterator[ReportJob]:
        """Jobs the vendor knows for this profile (providers with a listing capability)."""
        provider = self.provider_for(profile)
        if not provider.capabilities().list:
            raise UnsupportedOperationError(provider.name, "listing jobs")
        for job in self.session(profile).list_jobs(filters, limit=limit):
            yield attrs.evolve(job, profile=profile)

    def run_many(self, requests: Iterable[JobRequest], **kw: Any) -> Iterator[JobOutcome]:
        """Drive many jobs across profiles; see :func:`reportbridge.engine.run_many`."""
        from reportbridge.engine import run_many

        return run_many(self, requests, **kw)


__all__ = ["JobLike", "Reports"]
