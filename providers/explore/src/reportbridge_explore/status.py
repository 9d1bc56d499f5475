"""Talkdesk Explore job statuses and their neutral meaning."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import cast

from reportbridge import ReportStatus, StatusMap

PROVIDER = "explore"

#: Every status value the vendor documents (the API sends them lowercase; its prose
#: uses uppercase, so lookups ignore case). ``sending`` only existed in the legacy API.
VOCABULARY: dict[str, ReportStatus] = {
    "created": ReportStatus.PENDING,
    "processing": ReportStatus.RUNNING,
    "uploading": ReportStatus.RUNNING,
    "sending": ReportStatus.RUNNING,
    "done": ReportStatus.SUCCEEDED,
    "failed": ReportStatus.FAILED,
    "canceled": ReportStatus.CANCELLED,
    # The 30-day purge or an explicit file delete: the file is gone for good.
    "deleted": ReportStatus.EXPIRED,
}

STATUS = StatusMap(PROVIDER, cast(Mapping[Hashable, ReportStatus], VOCABULARY))

#: What a poll answering with a 3xx means, whatever the body says.
REDIRECT_STATUS = "done"
