"""Fetching a report file: files endpoint -> 3xx -> short-lived signed storage URL -> bytes.

The signed URL is never stored (it is a credential for a minute) and never gets the
API's bearer token. Each attempt, and each resume of a cut download, asks the files
endpoint for a fresh URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

from reportbridge import NotFoundError, ReportJob, ReportStatus, ServiceError
from reportbridge.download import filename_from_disposition
from reportbridge.errors import ProviderProtocolError, error_for_status
from reportbridge.provider import FileStream
from reportbridge.transport import HttpClient, HttpResponse
from reportbridge_explore.paths import files_path, stored_files_url
from reportbridge_explore.responses import to_job, vendor_error
from reportbridge_explore.status import PROVIDER

#: Storage answers meaning "this signed URL is no good (expired, refused)": ask again.
_STALE_URL = frozenset({400, 401, 403})
URL_ATTEMPTS = 3


class FileFetcher:
    """Opens the file of one job through one profile's HTTP client."""

    def __init__(
        self,
        http: HttpClient,
        *,
        not_ready_retries: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.not_ready_retries = not_ready_retries
        self._sleep = sleep

    def files_url(self, job: ReportJob) -> str:
        """Where the poll said the file is, else the documented files path.

        A URL from a job reference is refused unless it is on the API origin.
        """
        return stored_files_url(self.http, job) or self.default_url(job)

    def default_url(self, job: ReportJob) -> str:
        return self.http.url(files_path(job))

    def open(self, job: ReportJob, format: str) -> FileStream:
        resp = self.download(job)
        name = filename_from_disposition(resp.header("Content-Disposition"))
        return FileStream(
            resp,
            format=format,
            filename=name or _name_in_path(resp.url),
            reopen=lambda offset: self.download(job, offset),
        )

    def download(self, job: ReportJob, offset: int = 0) -> HttpResponse:
        """A streaming response of the file (206 from ``offset`` when resuming)."""
        headers = {"Range": f"bytes={offset}-"} if offset else None
        for attempt in range(1, URL_ATTEMPTS + 1):
            url = self.signed_url(job)
            resp = self.http.request(
                "GET", url, headers=headers, authenticate=False, stream=True, what="download"
            )
            if resp.status in (200, 206):
                return resp
            if resp.status in _STALE_URL and attempt < URL_ATTEMPTS:
                _discard(resp)
                continue
            if offset:
                return resp  # FileStream accepts only a matching 206 and gives up cleanly
            _discard(resp)
            # Never echo the URL: its query string is a signature.
            raise error_for_status(
                resp.status,
                f"{PROVIDER} storage refused the signed download URL of job {job.job_id} "
                f"(HTTP {resp.status}) after {attempt} fresh URL(s)",
                provider=PROVIDER,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def signed_url(self, job: ReportJob) -> str:
        """Ask the files endpoint for the current signed URL (3xx), waiting while not ready."""
        url = self.files_url(job)
        for attempt in range(1, self.not_ready_retries + 2):
            resp = self.http.request("GET", url, follow_redirects=False, what="file location")
            location = resp.header("Location")
            if 300 <= resp.status < 400 and location:
                return urljoin(resp.url, location)
            if resp.status != 200:
                raise vendor_error(resp, "file location")
            # 200 + job JSON: not ready (or gone). Never treat this body as the file.
            seen = to_job(
                resp.json(what="file location"),
                profile=job.profile,
                report_type=job.report_type,
                what="file location",
                job_id=job.job_id,
            )
            if seen.status is ReportStatus.EXPIRED:
                raise NotFoundError(
                    f"{PROVIDER} job {job.job_id} is {seen.provider_status}: its file was "
                    "deleted (files are kept 30 days)",
                    provider=PROVIDER,
                    status_code=200,
                )
            if seen.status.is_terminal and seen.status is not ReportStatus.SUCCEEDED:
                raise ProviderProtocolError(
                    f"{PROVIDER} job {job.job_id} is {seen.provider_status}; it has no file",
                    provider=PROVIDER,
                )
            if attempt <= self.not_ready_retries:
                self._sleep(self.http.options.retry.backoff(attempt))
        raise ServiceError(
            f"{PROVIDER} says the file of job {job.job_id} is not ready yet although the job "
            "is done; fetch again in a moment",
            provider=PROVIDER,
            status_code=200,
        )


def _name_in_path(url: str) -> str | None:
    """The last path segment of the storage URL (its query, the signature, is dropped)."""
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last or None


def _discard(resp: HttpResponse) -> None:
    """Read and drop a small error body (a cut one included), then close."""
    resp.drain()
    resp.close()
