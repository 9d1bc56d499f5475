"""Report files: a pre-signed storage URL from ``get_download_url``, fetched without the token.

Signed URLs expire, so every attempt (the first, a resume, a retry after a 403 from
the storage) asks SpaceONE for a fresh one. The URL itself is never kept: it is a
credential of its own.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from reportbridge import ReportJob
from reportbridge.download import filename_from_disposition
from reportbridge.errors import NotFoundError, error_for_status
from reportbridge.logging import get_logger, redact_text
from reportbridge.provider import FileStream
from reportbridge.transport import HttpResponse
from reportbridge_spaceone.api import ReportApi
from reportbridge_spaceone.responses import format_of_path
from reportbridge_spaceone.status import PROVIDER

log = get_logger("reportbridge.spaceone")

CONTENT_TYPE_FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "text/html": "html",
    "application/json": "json",
    "application/zip": "zip",
}
#: storage answers that mean "this signed URL no longer opens the file"
REFUSED = (403, 404)


class SignedFileFetcher:
    def __init__(self, api: ReportApi) -> None:
        self.api = api

    def open(self, job: ReportJob, format: str) -> FileStream:
        resp = self._request(job)
        if resp.status == 403:
            # Most likely the signature expired between issue and use: one fresh URL.
            log.info("storage refused a signed URL; asking for a fresh one", job_id=job.job_id)
            resp.close()
            resp = self._request(job)
        if resp.status != 200:
            raise self._error(job, resp)
        url_name = unquote(urlsplit(resp.url).path.rsplit("/", 1)[-1]) or None
        filename = filename_from_disposition(resp.header("Content-Disposition")) or url_name
        return FileStream(
            resp,
            format=_format(resp.header("Content-Type"), filename) or format,
            filename=filename,
            reopen=lambda offset: self._request(job, offset),
        )

    def _request(self, job: ReportJob, offset: int = 0) -> HttpResponse:
        url = self.api.download_url(job.job_id)
        return self.api.http.request(
            "GET",
            url,
            headers={"Range": f"bytes={offset}-"} if offset else None,
            authenticate=False,  # a pre-signed URL: the SpaceONE token must not travel
            stream=True,
            what="download report file",
        )

    @staticmethod
    def _error(job: ReportJob, resp: HttpResponse) -> Exception:
        snippet = redact_text(resp.text()[:200])
        resp.close()
        host = urlsplit(resp.url).hostname
        if resp.status in REFUSED:
            return NotFoundError(
                f"{PROVIDER} storage ({host}) refused a fresh download URL of report "
                f"{job.job_id} with HTTP {resp.status}: the file has expired or was removed",
                provider=PROVIDER,
                status_code=resp.status,
            )
        return error_for_status(
            resp.status,
            f"{PROVIDER} download of report {job.job_id} from {host} failed "
            f"(HTTP {resp.status}): {snippet}",
            provider=PROVIDER,
        )


def _format(content_type: str | None, filename: str | None) -> str | None:
    """The real file format: the storage's Content-Type, else the file name's extension."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return CONTENT_TYPE_FORMATS.get(media) or format_of_path(filename)
