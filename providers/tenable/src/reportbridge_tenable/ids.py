"""The two ids that go into Tenable paths, checked against their documented shapes.

An export uuid comes from the vendor (``export_uuid``, ``active_job_id``, a listing) or
from a job reference a user pasted; a chunk id from a status answer or a part id. Both
are checked before they go into a path, so nothing but a UUID and a number can ever
steer a request: ``/vulns/export/{uuid}/chunks/{id}``.

Both go through :func:`reportbridge.ids.path_segment` / :func:`~reportbridge.ids.vendor_id`
with the patterns below.
"""

from __future__ import annotations

import re

from reportbridge.errors import ProviderProtocolError
from reportbridge.ids import path_segment, shown, vendor_id
from reportbridge.model import MAX_PARTS
from reportbridge_tenable.status import PROVIDER

#: export uuids as the vendor prints them (its examples are lower case; either case is read)
EXPORT_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
#: chunk ids are int32 numbers in the vendor's schema
CHUNK_ID = re.compile(r"[0-9]{1,10}")
UUID_EXAMPLE = "bf765455-53aa-4e70-9ef3-87cfca1d2be0"


def export_segment(value: object, *, field: str = "job_id") -> str:
    """An export uuid for a path, or a :class:`ValidationError` (it came from the user)."""
    return path_segment(
        value,
        what=f"{PROVIDER} export uuid",
        pattern=EXPORT_UUID,
        example=UUID_EXAMPLE,
        provider=PROVIDER,
        field=field,
    )


def chunk_segment(value: object) -> str:
    """A chunk id for a path, or a :class:`ValidationError` (a part named by the user)."""
    return path_segment(
        value, what=f"{PROVIDER} chunk id", pattern=CHUNK_ID, provider=PROVIDER, field="part"
    )


def vendor_export_id(value: object, what: str) -> str:
    """An export uuid the vendor answered; one that could not address the export later is
    a :class:`ProviderProtocolError`, before it is kept anywhere."""
    return vendor_id(
        value,
        what=f"export uuid ({what})",
        provider=PROVIDER,
        pattern=EXPORT_UUID,
        example=UUID_EXAMPLE,
    )


def vendor_chunk_ids(value: object, what: str, field: str) -> tuple[int, ...]:
    """The chunk numbers of a status list (``chunks_available`` ...); a missing list is empty."""
    if value is None:
        return ()
    if isinstance(value, list) and len(value) > MAX_PARTS:
        raise ProviderProtocolError(
            f"{PROVIDER} {what}: {field} lists {len(value):,} chunks; accepted: at most "
            f"{MAX_PARTS:,} per export",
            provider=PROVIDER,
        )
    if isinstance(value, list) and all(
        type(v) is int and 0 <= v < 2**31
        for v in value  # bool is no chunk number
    ):
        return tuple(value)
    raise ProviderProtocolError(
        f"{PROVIDER} {what}: {field} is not a list of chunk numbers ({shown(value)})",
        provider=PROVIDER,
    )
