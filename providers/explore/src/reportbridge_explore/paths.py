"""Explore API paths, built only from checked segments, and the file URLs a job may keep.

Job ids are UUIDs in every answer seen so far, but no document promises it, so they are
not checked against that shape: any id that can be one path segment is percent-encoded
(see :func:`reportbridge.ids.path_segment`). Report types are path segments of lowercase
letters, digits and underscores.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from reportbridge.errors import ValidationError
from reportbridge.ids import path_segment, shown, vendor_id
from reportbridge.model import ReportJob
from reportbridge.transport import HttpClient
from reportbridge.transport.urls import check_url_allowed
from reportbridge_explore.settings import REPORT_TYPE_SHAPE
from reportbridge_explore.status import PROVIDER

EXAMPLE_ID = "369f88a5-d5a3-42c6-a135-8aec4215553e"
#: the key of ``job.extra`` holding a files URL other than the documented one
FILES_KEY = "files"


def type_segment(report_type: str) -> str:
    return path_segment(
        report_type,
        what=f"{PROVIDER} report type",
        pattern=REPORT_TYPE_SHAPE,
        example="calls",
        provider=PROVIDER,
        field="report_type",
    )


def id_segment(job_id: str) -> str:
    return path_segment(job_id, what=f"{PROVIDER} job id", example=EXAMPLE_ID, provider=PROVIDER)


def jobs_path(report_type: str) -> str:
    return f"data/reports/{type_segment(report_type)}/jobs"


def job_path(job: ReportJob) -> str:
    return f"{jobs_path(job.report_type)}/{id_segment(job.job_id)}"


def files_path(job: ReportJob) -> str:
    return f"data/reports/{type_segment(job.report_type)}/files/{id_segment(job.job_id)}"


def answered_id(value: object) -> str:
    """A job id from a vendor answer; one that could not address the job is refused."""
    return vendor_id(value, what="job id", provider=PROVIDER, example=EXAMPLE_ID)


def storable_files_url(http: HttpClient, url: str) -> str | None:
    """``url`` when a job reference may keep it: on the API origin, with nothing secret.

    A query string, fragment or user info may carry a credential (a signed link): such a
    URL is not kept, the next poll or the documented path finds the file again.
    """
    if any(c == "\\" or c.isspace() or not c.isprintable() for c in url):
        return None  # parsers disagree on such URLs: never keep one
    parts = urlsplit(url)
    if parts.query or parts.fragment or "@" in parts.netloc or not http.same_origin(url):
        return None
    return url


def stored_files_url(http: HttpClient, job: ReportJob) -> str | None:
    """The files URL a job (a reference) carries, refused unless it is one we would keep.

    The bearer token goes with the request, so a crafted reference must not be able to
    point it anywhere but the profile's API origin.
    """
    url = job.extra.get(FILES_KEY)
    if url is None:
        return None
    try:
        check_url_allowed(url, what=f"{PROVIDER} files URL in the job reference")
        kept = storable_files_url(http, url)
    except (ValueError, ValidationError):
        kept = None
    if kept is None:
        raise ValidationError(
            f"{PROVIDER} job {shown(job.job_id)}: the job reference's files URL "
            f"{shown(urlsplit(url).netloc if '://' in url else url)} is not on this profile's "
            "API origin or carries a query; accepted: a URL on the API origin without query, "
            "fragment or user info (or none: the documented path is used)",
            provider=PROVIDER,
            field="ref",
        )
    return kept
