"""``ReportInfo`` answers turned into neutral :class:`ReportJob` records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reportbridge import ReportJob
from reportbridge.errors import ProviderProtocolError
from reportbridge.ids import vendor_id
from reportbridge.model import parse_timestamp
from reportbridge_spaceone.status import PROVIDER, STATUS, error_detail, read_state

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})\Z")


def format_of_path(path: object) -> str | None:
    """The file format a storage path's extension names (``.../report-x.pdf`` -> pdf)."""
    if not isinstance(path, str):
        return None
    m = _EXTENSION.search(path.rsplit("/", 1)[-1])
    return m.group(1).lower() if m else None


def params_of(info: Mapping[str, Any]) -> dict[str, Any]:
    """The create parameters a ``ReportInfo`` echoes (the name is never echoed)."""
    params: dict[str, Any] = {}
    if isinstance(info.get("template_options"), Mapping):
        params["template_options"] = dict(info["template_options"])
    storage = info.get("storage_info")
    if isinstance(storage, Mapping) and storage.get("storage_id"):
        params["storage_id"] = str(storage["storage_id"])
    return params


def to_job(
    info: object,
    *,
    profile: str,
    what: str,
    report_type: str | None = None,
    params: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
    id_shape: Mapping[str, Any] | None = None,
    job_id: str | None = None,
) -> ReportJob:
    """The job a ``ReportInfo`` describes; a missing ``state`` reads as CREATED.

    ``job_id``: the report that was asked for (a get), kept whatever the answer says; a new
    id (create, list) is checked against ``id_shape`` and refused if it cannot address it.
    """
    if not isinstance(info, Mapping):
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: expected a ReportInfo object, got {type(info).__name__}",
            provider=PROVIDER,
        )
    if "report_id" not in info:
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: the answer has no report_id", provider=PROVIDER
        )
    report_id = job_id or vendor_id(
        info["report_id"], what="report_id", provider=PROVIDER, **(id_shape or {})
    )
    state = read_state(info)
    status = STATUS(state)
    fmt = format_of_path(info.get("storage_path")) if status.is_fetchable else None
    return ReportJob(
        provider=PROVIDER,
        profile=profile,
        job_id=report_id,
        report_type=str(info.get("template_id") or report_type or ""),
        status=status,
        provider_status=state,
        params=dict(params) if params else params_of(info),
        created_at=parse_timestamp(info.get("created_at")),
        formats=(fmt,) if fmt else (),
        error=error_detail(state, info.get("error")),
        extra=dict(extra or {}),
    )
