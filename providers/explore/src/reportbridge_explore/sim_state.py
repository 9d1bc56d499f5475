"""The simulator's vendor side: jobs and their progression, request checks, signed URLs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import zoneinfo
from typing import Any

import attrs

ACTIVE = ("created", "processing", "uploading", "sending")
FORMATS = ("csv", "json", "json_bulk")
EXTENSIONS = {"csv": "csv", "json": "json", "json_bulk": "jsonl"}


class BadRequest(Exception):
    """A request the vendor answers with 400 and a ``fields`` list."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field} {description}")
        self.field = field
        self.description = description


@attrs.define
class SimJob:
    id: str
    type: str
    name: str
    timezone: str
    format: str
    timespan: dict[str, str]
    created: float  # monotonic
    seq: int  # creation order, for newest-first listings
    created_at: str  # wall clock, as the vendor shows it
    outcome: str
    final: str | None = None  # canceled / deleted, set by a request
    files_asked: int = 0


@attrs.frozen
class Progression:
    """How a job moves: the running stages share ``job_seconds``; the file is kept
    ``retention_seconds`` after that, then the job reads ``deleted``."""

    job_seconds: float
    retention_seconds: float
    stages: tuple[str, ...] = ("created", "processing", "uploading")

    def state(self, job: SimJob, now: float) -> str:
        if job.final is not None:
            return job.final
        age = now - job.created
        if age < self.job_seconds:
            step = self.job_seconds / len(self.stages)
            return self.stages[min(len(self.stages) - 1, int(age // step))]
        if job.outcome == "done" and age >= self.job_seconds + self.retention_seconds:
            return "deleted"
        return job.outcome


def _when(value: Any, field: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    if not isinstance(value, str):
        raise BadRequest(field, "must be a date-time string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(field, "must be a date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def check_run_body(body: Any, default_format: str) -> dict[str, Any]:
    """The vendor's rules for a run request; returns the job fields."""
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 256:
        raise BadRequest("name", "must be a string of at most 256 characters")
    tz_name = body.get("timezone", "UTC")
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise BadRequest("timezone", "must be an IANA time zone") from None
    fmt = body.get("format", default_format)
    if fmt not in FORMATS:
        raise BadRequest("format", f"must be one of {', '.join(FORMATS)}")
    span = body.get("timespan")
    if not isinstance(span, dict):
        raise BadRequest("timespan", "is required")
    start = _when(span.get("from"), "timespan.from", tz)
    end = _when(span.get("to"), "timespan.to", tz)
    if end > dt.datetime.now(dt.UTC):
        raise BadRequest("timespan.to", "must not be in the future")
    if end <= start:
        raise BadRequest("timespan.to", "must be after timespan.from")
    if end - start > dt.timedelta(days=31):
        raise BadRequest("timespan", "must not be longer than 31 days")
    return {
        "name": name,
        "timezone": tz_name,
        "format": fmt,
        "timespan": {"from": span["from"], "to": span["to"]},
    }


class UrlSigner:
    """Signed storage URLs in the shape of S3's: valid ``ttl`` seconds."""

    def __init__(self, key: bytes, ttl: float) -> None:
        self._key = key
        self.ttl = ttl

    def _signature(self, name: str, issued: str, expires: str) -> str:
        text = f"{name}|{issued}|{expires}".encode()
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()

    def query(self, name: str) -> str:
        issued, expires = f"{time.time():.3f}", f"{self.ttl:g}"
        signature = self._signature(name, issued, expires)
        return f"X-Amz-Date={issued}&X-Amz-Expires={expires}&X-Amz-Signature={signature}"

    def problem(self, name: str, issued: str | None, expires: str | None, sig: str | None) -> str:
        """Why the URL is refused (``""`` when it is good)."""
        if not (issued and expires and sig):
            return "SignatureDoesNotMatch"
        if not hmac.compare_digest(self._signature(name, issued, expires), sig):
            return "SignatureDoesNotMatch"
        try:
            expired = time.time() > float(issued) + float(expires)
        except ValueError:
            return "SignatureDoesNotMatch"
        return "AccessDenied" if expired else ""
