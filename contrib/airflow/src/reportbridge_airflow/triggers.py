"""``ReportTrigger``: waiting for a report job in the triggerer, holding no worker.

The trigger carries only the job reference, the connection id and the deadline (epoch
seconds): everything else is read again from the connection where it runs. Its wait
sleeps on the triggerer's event loop; the polls run on the connection's shared executor
(see :func:`reportbridge_airflow.hooks.shared_async_reports`), so a triggerer holding
thousands of report tasks keeps a fixed number of threads. The event it fires is
described in :mod:`reportbridge_airflow.events`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from reportbridge.errors import JobTimeoutError, ReportBridgeError
from reportbridge.lifecycle import MAX_POLL_ERRORS
from reportbridge_airflow import events
from reportbridge_airflow.hooks import ReportBridgeHook


class ReportTrigger(BaseTrigger):
    """Fire once the job ``ref`` is terminal, times out at ``deadline``, or cannot be followed.

    :param ref: the job reference (``rb1.…``)
    :param reportbridge_conn_id: the connection whose profile the reference names
    :param deadline: epoch seconds after which the wait ends (None: no deadline)
    :param max_poll_errors: passing poll failures in a row ridden out
    :param cancel_on_kill: ask the vendor to stop the job when a user kills the task
    """

    def __init__(
        self,
        ref: str,
        reportbridge_conn_id: str = ReportBridgeHook.default_conn_name,
        deadline: float | None = None,
        max_poll_errors: int = MAX_POLL_ERRORS,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.ref = ref
        self.reportbridge_conn_id = reportbridge_conn_id
        self.deadline = deadline
        self.max_poll_errors = max_poll_errors
        self.cancel_on_kill = cancel_on_kill

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "ref": self.ref,
                "reportbridge_conn_id": self.reportbridge_conn_id,
                "deadline": self.deadline,
                "max_poll_errors": self.max_poll_errors,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent(await self._wait())

    async def _wait(self) -> dict[str, Any]:
        try:
            reports = await ReportBridgeHook(self.reportbridge_conn_id).aget_async_reports()
            timeout = None if self.deadline is None else max(0.0, self.deadline - time.time())
            job = await reports.wait(
                self.ref, timeout=timeout, max_poll_errors=self.max_poll_errors
            )
        except JobTimeoutError as exc:
            return events.timed_out(self.ref, exc)
        except ReportBridgeError as exc:
            return events.failed(self.ref, exc)
        return events.ended(job)

    async def on_kill(self) -> None:
        """A user killed the task: stop the vendor job where the provider can."""
        if not self.cancel_on_kill:
            return
        reports = await ReportBridgeHook(self.reportbridge_conn_id).aget_async_reports()
        job = reports.job(self.ref)
        if not reports.reports.provider_for(job.profile).capabilities().cancel:
            self.log.warning(
                "provider %s cannot cancel jobs; job %s keeps running at the vendor",
                job.provider,
                job.job_id,
            )
            return
        cancelled = await reports.cancel(job)
        self.log.info("asked the vendor to cancel job %s: %s", job.job_id, cancelled.status.value)


__all__ = ["ReportTrigger"]
