"""Acme export states and their neutral meaning.

Acme documents seven states. ``ready_with_errors`` says some chunks failed: the export
ended with part of its result, which is PARTIAL (fetchable, reported as such). Any other
value is an :class:`~reportbridge.errors.UnknownStatusError` naming the provider and the
value, never a guess.
"""

from __future__ import annotations

from reportbridge import ReportStatus, StatusMap

PROVIDER = "acme"

VOCABULARY = {
    "queued": ReportStatus.PENDING,
    "building": ReportStatus.RUNNING,
    "ready": ReportStatus.SUCCEEDED,
    "ready_with_errors": ReportStatus.PARTIAL,
    "failed": ReportStatus.FAILED,
    "cancelled": ReportStatus.CANCELLED,
    "purged": ReportStatus.EXPIRED,
}

STATUS = StatusMap(PROVIDER, VOCABULARY)
