"""``ReportBridgeHook``: reportbridge's façade over one Airflow connection."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from airflow.sdk import BaseHook

from reportbridge.aio import AsyncReports
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry, default_registry
from reportbridge_airflow.connection import ConnectionFields, async_threads, profile_for
from reportbridge_airflow.provider_info import CONN_TYPE


class ReportBridgeHook(BaseHook):
    """Run report jobs through the profile a ``reportbridge`` connection describes.

    :param reportbridge_conn_id: the connection (see :mod:`reportbridge_airflow.connection`)
    """

    conn_name_attr = "reportbridge_conn_id"
    default_conn_name = "reportbridge_default"
    conn_type = CONN_TYPE
    hook_name = "reportbridge"

    def __init__(
        self,
        reportbridge_conn_id: str = default_conn_name,
        *,
        registry: PluginRegistry | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.reportbridge_conn_id = reportbridge_conn_id
        self.registry = registry

    def fields(self) -> ConnectionFields:
        return ConnectionFields.of(self.get_connection(self.reportbridge_conn_id))

    def get_conn(self) -> Reports:
        """A new façade over the connection's profile; close it when done (``with``)."""
        fields = self.fields()
        registry = self.registry or default_registry()
        return Reports([profile_for(fields, registry)], registry=registry)

    def profile_name(self) -> str:
        return profile_for(self.fields(), self.registry or default_registry()).name

    async def aget_async_reports(self) -> AsyncReports:
        """The process's shared :class:`AsyncReports` for this connection (triggerer side).

        Every trigger of one connection in one triggerer shares it: one executor, one
        session (one token, one rate limiter) however many jobs are waited on. A changed
        connection gets a new one.
        """
        conn = await self.aget_connection(self.reportbridge_conn_id)
        return shared_async_reports(ConnectionFields.of(conn), self.registry)

    def test_connection(self) -> tuple[bool, str]:
        """Whether the connection makes a valid profile (no request is sent to the vendor)."""
        try:
            with self.get_conn() as reports:
                (profile,) = reports.profiles.values()
        except Exception as exc:  # shown in the UI; our errors carry no secret
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"profile {profile.name!r} for provider {profile.provider!r} is valid"


_shared: dict[str, tuple[str, AsyncReports]] = {}
_shared_lock = threading.Lock()


def shared_async_reports(
    fields: ConnectionFields, registry: PluginRegistry | None = None
) -> AsyncReports:
    """One :class:`AsyncReports` per connection and process, rebuilt when it changes."""
    digest = _fingerprint(fields)
    with _shared_lock:
        known = _shared.get(fields.conn_id)
        if known is not None and known[0] == digest:
            return known[1]
        registry = registry or default_registry()
        reports = Reports([profile_for(fields, registry)], registry=registry)
        made = AsyncReports(reports, max_threads=async_threads(fields), owns_reports=True)
        # a replaced one is not closed: waits in flight finish on it, then it is collected
        _shared[fields.conn_id] = (digest, made)
    return made


def _fingerprint(fields: ConnectionFields) -> str:
    blob = json.dumps(
        [fields.host, fields.login, fields.password, fields.port, dict(fields.extra)],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


__all__ = ["ReportBridgeHook", "shared_async_reports"]
