"""``RunReportOperator``: run one report job and land its files, verified.

Deferrable by default: the task submits the job, stores its reference, and hands the wait
to :class:`~reportbridge_airflow.triggers.ReportTrigger` (no worker slot is held while the
vendor works); it resumes on a worker only to fetch. With ``deferrable=False`` it waits on
the worker.

Either way it never submits twice for one try: through Airflow's ``ResumableJobMixin``,
the reference is written to the task's ``task_state_store`` right after the submit, and a
retry (after a worker crash, a timeout, a triggerer restart) first looks there: a job still
pending or running is waited on again, a succeeded one is only fetched, and only a job
that ended without files (failed, cancelled, expired) is submitted afresh.

The task returns (as XCom) the job reference and one record per file: path or URI, size,
SHA-256, format, content type. The reference is also pushed as XCom ``ref`` as soon as
the job exists.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, ResumableJobMixin

from reportbridge.cli.output import job_dict
from reportbridge.errors import ReportBridgeError
from reportbridge.lifecycle import MAX_POLL_ERRORS
from reportbridge.logging import redact_text
from reportbridge.model import ReportJob
from reportbridge.status import ReportStatus
from reportbridge_airflow import events
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.storage import Destination, fetch_into
from reportbridge_airflow.triggers import ReportTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

#: the longest a task waits for its job unless told otherwise (every wait has a deadline)
DEFAULT_WAIT_TIMEOUT = 24 * 3600.0
#: Airflow's own deferral timeout is this much longer than the trigger's deadline, so the
#: trigger's clearer timeout event comes first
DEFER_MARGIN = 120.0
_ACTIVE = {ReportStatus.PENDING.value, ReportStatus.RUNNING.value}


class RunReportOperator(ResumableJobMixin, BaseOperator):
    """Submit a report (or take over ``ref``), wait for it, fetch its files into ``destination``.

    :param report_type: the provider's report type
    :param report_params: its parameters (checked before anything is sent)
    :param destination: a local folder, or an object-storage path/URL (``s3://…``)
    :param formats: formats to fetch (default: the provider's first for this report)
    :param ref: follow this existing job instead of submitting one
    :param reportbridge_conn_id: the ``reportbridge`` connection
    :param deferrable: wait in the triggerer (default) rather than on the worker
    :param wait_timeout: seconds to wait for the job before the task fails
    :param max_poll_errors: passing poll failures in a row ridden out
    :param cancel_on_kill: ask the vendor to stop the job when the task is killed
    :param accept_partial: a result with parts lost at the vendor (``partial``) fetches its
        good parts and succeeds (they are listed in ``failed_parts``); by default it fails
    :param durable: keep the reference in ``task_state_store`` so retries resume it
    """

    template_fields: Sequence[str] = ("report_type", "report_params", "destination", "ref")
    template_fields_renderers = {"report_params": "json"}
    ui_color = "#e8f1fb"
    external_id_key = "reportbridge_ref"

    def __init__(
        self,
        *,
        report_type: str | None = None,
        report_params: Mapping[str, Any] | None = None,
        destination: Destination | None = None,
        formats: Sequence[str] = (),
        ref: str | None = None,
        reportbridge_conn_id: str = ReportBridgeHook.default_conn_name,
        deferrable: bool = True,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        max_poll_errors: int = MAX_POLL_ERRORS,
        cancel_on_kill: bool = True,
        accept_partial: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not report_type and not ref:
            raise ValueError(f"{self.task_id}: give report_type (to submit) or ref (to follow)")
        if wait_timeout <= 0:
            raise ValueError(f"{self.task_id}: wait_timeout must be > 0 seconds")
        self.report_type = report_type
        self.report_params = dict(report_params or {})
        self.destination = destination
        self.formats = tuple(formats)
        self.ref = ref
        self.reportbridge_conn_id = reportbridge_conn_id
        self.deferrable = deferrable
        self.wait_timeout = wait_timeout
        self.max_poll_errors = max_poll_errors
        self.cancel_on_kill = cancel_on_kill
        self.accept_partial = accept_partial
        self._current_ref: str | None = None
        self._result: dict[str, Any] | None = None

    @property
    def hook(self) -> ReportBridgeHook:
        return ReportBridgeHook(self.reportbridge_conn_id)

    def execute(self, context: Context) -> Any:
        return self.execute_resumable(context)

    # -- ResumableJobMixin ---------------------------------------------------------------
    def submit_job(self, context: Context) -> str:
        if self.ref:
            ref = self.ref
        else:
            assert self.report_type is not None
            with self.hook.get_conn() as reports:
                (profile,) = reports.profiles
                ref = reports.run(profile, self.report_type, **self.report_params).ref
        self._current_ref = ref
        context["ti"].xcom_push(key="ref", value=ref)
        return ref

    def get_job_status(self, external_id: Any, context: Context) -> str:
        self._current_ref = str(external_id)
        with self.hook.get_conn() as reports:
            return reports.poll(str(external_id)).status.value

    def is_job_active(self, status: str) -> bool:
        return status in _ACTIVE

    def is_job_succeeded(self, status: str) -> bool:
        done = {ReportStatus.SUCCEEDED.value}
        if self.accept_partial:
            done.add(ReportStatus.PARTIAL.value)
        return status in done

    def poll_until_complete(self, external_id: Any, context: Context) -> Any:
        """Defer to the trigger, or wait here; then fetch.

        Returns the task's result too: on a reconnect the mixin returns this method's value
        instead of calling ``get_job_result`` (Airflow 3.3.0-3.3.2).
        """
        ref = self._current_ref = str(external_id)
        if self.deferrable:
            self.defer(
                trigger=ReportTrigger(
                    ref,
                    self.reportbridge_conn_id,
                    deadline=time.time() + self.wait_timeout,
                    max_poll_errors=self.max_poll_errors,
                    cancel_on_kill=self.cancel_on_kill,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.wait_timeout + DEFER_MARGIN),
            )
        with self.hook.get_conn() as reports:
            try:
                job = reports.wait(
                    ref, timeout=self.wait_timeout, max_poll_errors=self.max_poll_errors
                )
            except ReportBridgeError as exc:
                raise events.ReportJobError(
                    f"waiting for the report job failed: {type(exc).__name__}: {exc} "
                    f"(reference {ref})",
                    ref=ref,
                ) from None
        self._check(job)
        return self.get_job_result(ref, context)

    def get_job_result(self, external_id: Any, context: Context) -> dict[str, Any]:
        ref = str(external_id)
        if self._result is None or self._result["ref"] != ref:
            self._result = self._fetch(ref)
        return self._result

    # -- resumed from the trigger ----------------------------------------------------------
    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        ref = events.fetchable_ref(event, accept_partial=self.accept_partial)
        self._current_ref = ref
        return self.get_job_result(ref, context)

    def _fetch(self, ref: str) -> dict[str, Any]:
        with self.hook.get_conn() as reports:
            job = reports.poll(ref)  # the parts and their addresses, as the vendor has them now
            self._check(job)
            files = []
            if self.destination is not None:
                files = fetch_into(reports, job, self.destination, self.formats or (None,))
        self.log.info("report job %s: %d file(s) fetched", job.job_id, len(files))
        return {**job_dict(job), "files": files}  # the command line's JSON form of a job

    def _check(self, job: ReportJob) -> None:
        events.check_status(
            job.ref,
            job.status.value,
            job.provider_status,
            redact_text(job.error.message) if job.error else "",
            failed=events.failed_parts(job),
            accept_partial=self.accept_partial,
        )

    def on_kill(self) -> None:
        """The task is being killed while it waits on the worker: stop the vendor job."""
        ref = self._current_ref
        if not self.cancel_on_kill or ref is None:
            return
        with self.hook.get_conn() as reports:
            job = reports.job(ref)
            if not reports.provider_for(job.profile).capabilities().cancel:
                self.log.warning(
                    "provider %s cannot cancel jobs; job %s keeps running (reference %s)",
                    job.provider,
                    job.job_id,
                    ref,
                )
                return
            self.log.info("cancelling report job %s: %s", job.job_id, reports.cancel(job).status)


__all__ = ["DEFAULT_WAIT_TIMEOUT", "RunReportOperator"]
