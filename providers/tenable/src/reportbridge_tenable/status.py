"""Tenable export statuses and their neutral meaning.

The vendor documents five values (upper case on the wire; lookups ignore case). FINISHED
says nothing of failed chunks on its own: a FINISHED export that lists ``chunks_failed``
(or ``chunks_cancelled``, which follow a failure) ended with part of its result missing,
which is :attr:`ReportStatus.PARTIAL`, never SUCCEEDED.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import cast

from reportbridge import ReportStatus, StatusMap

PROVIDER = "tenable"

#: Every status the export status endpoints document.
VOCABULARY: dict[str, ReportStatus] = {
    "QUEUED": ReportStatus.PENDING,
    "PROCESSING": ReportStatus.RUNNING,
    "FINISHED": ReportStatus.SUCCEEDED,
    "ERROR": ReportStatus.FAILED,
    "CANCELLED": ReportStatus.CANCELLED,
}

STATUS = StatusMap(PROVIDER, cast(Mapping[Hashable, ReportStatus], VOCABULARY))


def neutral_status(
    raw: object, failed: Sequence[int] = (), cancelled: Sequence[int] = ()
) -> ReportStatus:
    """The neutral status of an export: :data:`STATUS` of ``raw``, except that a FINISHED
    export with failed or cancelled chunks is PARTIAL. Unknown values raise
    :class:`~reportbridge.errors.UnknownStatusError`."""
    status = STATUS(raw)
    if status is ReportStatus.SUCCEEDED and (failed or cancelled):
        return ReportStatus.PARTIAL
    return status


__all__ = ["PROVIDER", "STATUS", "VOCABULARY", "neutral_status"]
