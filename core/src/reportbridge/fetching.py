"""Downloading a job's result parts: one file per part, each named, retried and resumed on
its own, and the pages of a paged result followed as each page announces the next.

The façade (:meth:`reportbridge.facade.Reports.fetch`) decides which job and parts; this
module moves the bytes.
"""

from __future__ import annotations

import collections
import contextlib
import os
from collections.abc import Callable, Iterable, Sequence

import attrs

import reportbridge.transport.deadline as deadline
from reportbridge.download import safe_filename, write_stream
from reportbridge.errors import (
    DeadlineExceededError,
    DownloadError,
    NotFoundError,
    ProviderProtocolError,
    ServiceError,
    SubmissionUncertainError,
    TransportError,
    ValidationError,
    accepted,
)
from reportbridge.events import OperationRun
from reportbridge.logging import get_logger
from reportbridge.model import FetchedFile, ReportJob, ResultPart
from reportbridge.provider import Provider, ProviderSession

log = get_logger("reportbridge.fetch")

#: what a caller may pass as a file name: a name, or a function of the proposed safe name
FileNaming = str | Callable[[str], str] | None


def resolve_format(provider: Provider, job: ReportJob, requested: str | None) -> str:
    """The format to fetch: ``requested`` if the job offers it, else the first offered."""
    caps = provider.capabilities()
    spec = caps.report_type(job.report_type)
    allowed = [f.lower() for f in (job.formats or (spec.formats if spec else ()) or caps.formats)]
    if requested is None:
        if not allowed:
            raise ValidationError(
                f"{provider.name} job {job.job_id}: name a format", field="format"
            )
        return allowed[0]
    fmt = requested.lower()
    if allowed and fmt not in allowed:
        raise ValidationError(
            f"format {requested!r} is not available for {provider.name} job {job.job_id}; "
            f"accepted: {accepted(allowed)}",
            provider=provider.name,
            field="format",
        )
    return fmt


def choose_parts(
    provider: str,
    job: ReportJob,
    fmt: str,
    known: Sequence[ResultPart],
    wanted: Sequence[str | ResultPart] | None,
) -> list[ResultPart]:
    """The parts to fetch: every available one, or those ``wanted`` (ids are looked up in
    ``known``, objects taken as given); a missing, pending or failed one is refused."""
    if wanted is None:
        return [p for p in known if p.state == "available"]
    by_id = {p.id: p for p in known}
    chosen = []
    for item in wanted:
        part = item if isinstance(item, ResultPart) else by_id.get(item)
        if part is None:
            raise ValidationError(
                f"job {job.job_id} has no {fmt} part {item!r}; known parts: "
                f"{accepted(by_id) if by_id else 'none yet'}",
                provider=provider,
                field="parts",
            )
        if part.format != fmt:
            raise ValidationError(
                f"part {part.id!r} is {part.format}, not {fmt}; fetch one format at a time",
                provider=provider,
                field="parts",
            )
        if part.state != "available":
            why = f": {part.error}" if part.error else ""
            raise ValidationError(
                f"part {part.id!r} of job {job.job_id} is {part.state}{why}; only available "
                "parts can be fetched",
                provider=provider,
                field="parts",
            )
        chosen.append(part)
    return chosen


def select_parts(
    provider: Provider,
    session: ProviderSession,
    job: ReportJob,
    format: str | None,
    parts: Iterable[str | ResultPart] | None,
) -> list[ResultPart]:
    """What one fetch downloads: the format (given, that of the parts given, or the first
    offered) and its parts as :func:`choose_parts` picks them."""
    wanted = None if parts is None else list(parts)
    given = [p for p in wanted or () if isinstance(p, ResultPart)]
    fmt = resolve_format(provider, job, format or (given[0].format if given else None))
    known = list(session.parts(job, fmt))
    failed = [p.id for p in known if p.state == "failed"]
    if failed:
        log.warning("partial result", job_id=job.job_id, format=fmt, failed_parts=failed)
    return choose_parts(provider.name, job, fmt, known, wanted)


def is_single(part: ResultPart) -> bool:
    """The one file of a single-file result (its id is its format's name)."""
    return part.id == part.format


def _tagged(name: str, part: ResultPart) -> str:
    """``export.json`` -> ``export-<part id>.json``: parts named alike stay apart."""
    stem, dot, ext = name.rpartition(".")
    tagged = f"{stem}-{part.id}.{ext}" if dot and stem else f"{name}-{part.id}"
    return safe_filename(tagged, f"{part.id}.{part.format}")


def part_filename(job: ReportJob, part: ResultPart, vendor: str | None, naming: FileNaming) -> str:
    """The safe file name of one part.

    The vendor's name (made safe), else ``{report_type}-{job_id}.{format}``; a part of a
    result in several parts carries its id (``…-{part id}.{format}``), whatever named it,
    so chunks a vendor names alike never overwrite each other. A string ``naming`` replaces
    the name (tagged the same way); a callable gets the safe proposal and returns the name.
    """
    fallback = safe_filename(f"{job.report_type}-{job.job_id}.{part.format}", "report")
    single = is_single(part)
    if isinstance(naming, str):
        name = safe_filename(naming, fallback)
        return name if single else _tagged(name, part)
    proposal = safe_filename(vendor or part.name, fallback)
    if not single:
        proposal = _tagged(proposal, part)
    if naming is None:
        return proposal
    return safe_filename(naming(proposal), proposal)


def fetch_within(
    timeout: float | None, fetch: Callable[[], list[FetchedFile]]
) -> list[FetchedFile]:
    """Run ``fetch`` under a hard deadline of ``timeout`` seconds (None: none); running past
    it is a :class:`~reportbridge.errors.DownloadError`."""
    timeout = deadline.check_timeout(timeout)
    with deadline.deadline_after(timeout):
        try:
            return fetch()
        except (TransportError, ServiceError) as exc:
            if not (isinstance(exc, DeadlineExceededError) or deadline.expired()):
                raise
            within = f"within {timeout:g} s" if timeout is not None else "by its deadline"
            raise DownloadError(
                f"fetch did not finish {within}; the download in progress was abandoned "
                "and nothing partial was kept",
                provider=exc.provider,
            ) from None


def _at_least_one(_self: object, _attr: object, value: int) -> None:
    if value < 1:
        raise ValidationError(
            f"download_attempts must be at least 1, got {value}", field="download_attempts"
        )


@attrs.frozen
class PartDownloads:
    """How to download the parts of one job: where, named how, retried how often."""

    session: ProviderSession
    job: ReportJob
    provider: str
    dest_dir: str | os.PathLike[str]
    naming: FileNaming = None
    on_progress: Callable[[int, int | None], None] | None = None
    on_file: Callable[[FetchedFile], None] | None = None
    attempts: int = attrs.field(default=3, validator=_at_least_one)
    sleep: Callable[[float], None] = attrs.field(kw_only=True)
    #: runs each part's download as one observed operation (the façade's ``fetch``)
    observe: Callable[[ResultPart], contextlib.AbstractContextManager[OperationRun]] | None = (
        attrs.field(default=None, kw_only=True)
    )

    def run(self, parts: Sequence[ResultPart], skip: Iterable[str] = ()) -> list[FetchedFile]:
        """Download ``parts`` in order (a page is followed by the page it announces).

        Parts whose id is in ``skip`` are neither downloaded nor followed into. Each file
        is handed to ``on_file`` as soon as it is in place; an error ends the run, and the
        files already written stay (complete and verified).
        """
        done = set(skip)
        cursors = {p.cursor for p in parts if p.cursor is not None}
        todo = collections.deque(parts)
        files: list[FetchedFile] = []
        while todo:
            part = todo.popleft()
            if part.id in done:
                continue
            fetched = self._one(part)
            done.add(part.id)
            files.append(fetched)
            if self.on_file is not None:
                self.on_file(fetched)
            following = fetched.next_part
            if following is None or following.id in done:
                continue
            if following.cursor is not None and following.cursor in cursors:
                raise ProviderProtocolError(
                    f"the pages of job {self.job.job_id} loop: page {following.id!r} is "
                    f"addressed like an earlier page; stopped after {len(files)} file(s)",
                    provider=self.provider,
                )
            if following.cursor is not None:
                cursors.add(following.cursor)
            todo.appendleft(following)  # the next page comes before other parts
        return files

    def _one(self, part: ResultPart) -> FetchedFile:
        if self.observe is None:
            return self._attempts(part)
        with self.observe(part) as run:
            run.file = self._attempts(part)
            return run.file

    def _attempts(self, part: ResultPart) -> FetchedFile:
        """One part, tried ``attempts`` times; inside an attempt the stream resumes by Range."""
        job = self.job
        for attempt in range(1, self.attempts + 1):
            try:
                with self.session.open_part(job, part) as stream:
                    name = part_filename(job, part, stream.filename, self.naming)
                    fetched = write_stream(
                        stream, self.dest_dir, name, job_ref=job.ref, on_progress=self.on_progress
                    )
                    following = stream.next_part
                return attrs.evolve(fetched, part=part.id, rows=part.rows, next_part=following)
            except NotFoundError as exc:
                raise NotFoundError(
                    f"{exc.message}; the vendor no longer has {_what(part)} of job "
                    f"{job.job_id} (it may have expired)",
                    provider=self.provider,
                    status_code=exc.status_code,
                ) from None
            except (TransportError, ServiceError) as exc:
                # Nothing of this part was kept; a fresh request (and signed URL) may succeed.
                pause = min(2.0**attempt, 10.0)
                if (
                    attempt == self.attempts
                    or isinstance(exc, SubmissionUncertainError)
                    or not deadline.fits(pause)
                ):
                    raise
                log.warning(
                    "download failed; trying again",
                    job_id=job.job_id,
                    part=part.id,
                    error=f"{type(exc).__name__}: {exc}",
                    attempt=attempt,
                )
                self.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _what(part: ResultPart) -> str:
    return "the file" if is_single(part) else f"part {part.id!r}"


__all__ = [
    "FileNaming",
    "PartDownloads",
    "choose_parts",
    "fetch_within",
    "is_single",
    "part_filename",
    "resolve_format",
    "select_parts",
]
