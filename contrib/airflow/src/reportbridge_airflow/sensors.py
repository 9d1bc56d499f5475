"""``ReportSensor``: wait for a report job started elsewhere (by its reference).

Status-safe: the sensor succeeds only when the job ended with files (``succeeded``, or
``partial`` with ``accept_partial=True``).
A job that ended failed, cancelled or expired fails the task — it never counts as done —
and so does a vendor status the provider does not know (the error names it). Deferrable
by default: the wait runs in the triggerer through
:class:`~reportbridge_airflow.triggers.ReportTrigger`, until the sensor's ``timeout``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from reportbridge.errors import ReportBridgeError
from reportbridge.lifecycle import MAX_POLL_ERRORS, poll_error_may_pass
from reportbridge.logging import redact_text
from reportbridge.model import ReportJob
from reportbridge_airflow import events
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.operators import DEFER_MARGIN
from reportbridge_airflow.triggers import ReportTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


class ReportSensor(BaseSensorOperator):
    """Wait until the job ``ref`` has ended with files; returns its reference and status.

    :param ref: the job reference (templated, e.g. another task's XCom ``ref``)
    :param reportbridge_conn_id: the connection whose profile the reference names
    :param deferrable: wait in the triggerer (default) rather than poke from a worker
    :param max_poll_errors: passing poll failures in a row ridden out
    :param cancel_on_kill: ask the vendor to stop the job when the task is killed
        (default False: the job belongs to whoever started it)
    :param accept_partial: count a result with parts lost at the vendor as done
    """

    template_fields: Sequence[str] = ("ref",)
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        ref: str,
        reportbridge_conn_id: str = ReportBridgeHook.default_conn_name,
        deferrable: bool = True,
        max_poll_errors: int = MAX_POLL_ERRORS,
        cancel_on_kill: bool = False,
        accept_partial: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ref = ref
        self.reportbridge_conn_id = reportbridge_conn_id
        self.deferrable = deferrable
        self.max_poll_errors = max_poll_errors
        self.cancel_on_kill = cancel_on_kill
        self.accept_partial = accept_partial
        self._poll_errors = 0

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=ReportTrigger(
                self.ref,
                self.reportbridge_conn_id,
                deadline=time.time() + float(self.timeout),
                max_poll_errors=self.max_poll_errors,
                cancel_on_kill=self.cancel_on_kill,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout) + DEFER_MARGIN),
        )
        return None  # not reached: defer() raises TaskDeferred

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        ref = events.fetchable_ref(event, accept_partial=self.accept_partial)
        assert event is not None
        return {"ref": ref, "status": event["status"], "provider_status": event["provider_status"]}

    def poke(self, context: Context) -> PokeReturnValue | bool:
        try:
            with ReportBridgeHook(self.reportbridge_conn_id).get_conn() as reports:
                job = reports.poll(self.ref)
        except ReportBridgeError as exc:
            if not poll_error_may_pass(exc) or self._poll_errors >= self.max_poll_errors:
                raise events.ReportJobError(
                    f"cannot follow the report job: {type(exc).__name__}: {exc} "
                    f"(reference {self.ref})",
                    ref=self.ref,
                ) from None
            self._poll_errors += 1
            self.log.warning("poll failed (%d in a row); trying again: %s", self._poll_errors, exc)
            return False
        self._poll_errors = 0
        if not job.is_terminal:
            return False
        events.check_status(
            job.ref,
            job.status.value,
            job.provider_status,
            _why(job),
            failed=events.failed_parts(job),
            accept_partial=self.accept_partial,
        )
        return PokeReturnValue(is_done=True, xcom_value=_summary(job))


def _why(job: ReportJob) -> str:
    return redact_text(job.error.message) if job.error else ""


def _summary(job: ReportJob) -> dict[str, Any]:
    return {"ref": job.ref, "status": job.status.value, "provider_status": job.provider_status}


__all__ = ["ReportSensor"]
