"""An audit plan as mapped tasks: the waits spread over the triggerer, one bundle at the end.

The pattern (see ``contrib/airflow/examples/example_reportbridge.py``)::

    jobs = AuditJobOperator.partial(task_id="audit_jobs", pool="reports").expand_kwargs(
        audit_jobs("plan.toml")
    )
    bundle = AuditBundleOperator(
        task_id="audit_bundle", plan="plan.toml", bundle="/data/q4", jobs_task_id="audit_jobs"
    )
    jobs >> bundle

- :func:`audit_jobs` reads the plan when the DAG is parsed: one mapped task per plan job,
  its profile read as the Airflow connection of that name;
- each :class:`AuditJobOperator` submits its job (once: it is a ``RunReportOperator``) and
  defers until the job ends; it fetches nothing, and fails unless the job succeeded;
- :class:`AuditBundleOperator` (trigger rule ``all_done``) writes the mapped tasks' job
  references into the bundle's journal and runs the audit there: each job is polled, never
  submitted again, and its files are downloaded, verified and recorded in the manifest, as
  ``reportbridge audit`` does. A job no task submitted (its task failed first) is submitted
  by this task. It fails when the audit is not complete (``fail_on_incomplete``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from reportbridge.audit import AuditPlan, load_plan, run_audit
from reportbridge.errors import ValidationError
from reportbridge.facade import Reports
from reportbridge.model import ReportJob
from reportbridge.plugins import default_registry
from reportbridge_airflow.connection import ConnectionFields, profile_for
from reportbridge_airflow.events import ReportJobError
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.operators import RunReportOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

AUDIT_XCOM = "audit"


def audit_jobs(plan: str | os.PathLike[str] | AuditPlan) -> list[dict[str, Any]]:
    """One ``expand_kwargs`` entry per plan job (its profile names the connection)."""
    parsed = plan if isinstance(plan, AuditPlan) else load_plan(plan)
    return [
        {
            "audit_key": job.key,
            "reportbridge_conn_id": job.profile,
            "report_type": job.report_type,
            "report_params": dict(job.params),
        }
        for job in parsed.jobs
    ]


class AuditJobOperator(RunReportOperator):
    """One job of an audit plan: submit once, wait (deferred), record its reference."""

    template_fields: Sequence[str] = (*RunReportOperator.template_fields, "audit_key")

    def __init__(self, *, audit_key: str, **kwargs: Any) -> None:
        kwargs.pop("destination", None)  # the bundle task fetches into the bundle
        super().__init__(destination=None, **kwargs)
        self.audit_key = audit_key

    def submit_job(self, context: Context) -> str:
        ref = super().submit_job(context)
        context["ti"].xcom_push(key=AUDIT_XCOM, value={"key": self.audit_key, "ref": ref})
        return ref


class AuditBundleOperator(BaseOperator):
    """Assemble the bundle of an audit whose jobs ran as mapped :class:`AuditJobOperator` s.

    :param plan: the audit plan file (the one the mapped tasks were built from)
    :param bundle: the bundle folder (created; re-running resumes it)
    :param jobs_task_id: the mapped task's id
    :param fail_on_incomplete: fail the task unless every job succeeded with its files
    """

    template_fields: Sequence[str] = ("plan", "bundle")
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        plan: str | os.PathLike[str],
        bundle: str | os.PathLike[str],
        jobs_task_id: str,
        fail_on_incomplete: bool = True,
        trigger_rule: str = "all_done",
        **kwargs: Any,
    ) -> None:
        super().__init__(trigger_rule=trigger_rule, **kwargs)
        self.plan = plan
        self.bundle = bundle
        self.jobs_task_id = jobs_task_id
        self.fail_on_incomplete = fail_on_incomplete

    def execute(self, context: Context) -> dict[str, Any]:
        plan = load_plan(self.plan)
        seeds = context["ti"].xcom_pull(task_ids=self.jobs_task_id, key=AUDIT_XCOM) or []
        if isinstance(seeds, Mapping):  # one mapped task
            seeds = [seeds]
        bundle = Path(os.fspath(self.bundle))
        with reports_for(sorted({job.profile for job in plan.jobs})) as reports:
            adopt = adopted_jobs(reports, [s for s in seeds if s])
            result = run_audit(reports, plan, bundle, adopt=adopt)
        summary = result.summary
        self.log.info("audit %s: %s", plan.name, summary)
        if self.fail_on_incomplete and result.exit_code != 0:
            raise ReportJobError(
                f"audit {plan.name!r} is not complete: {summary}; the bundle {bundle} records "
                "each job's state (re-run this task to resume it)"
            )
        return {"bundle": str(result.bundle), "summary": summary}


def reports_for(conn_ids: Iterable[str]) -> Reports:
    """One façade over several ``reportbridge`` connections (profiles named after them)."""
    registry = default_registry()
    profiles = [
        profile_for(ConnectionFields.of(ReportBridgeHook.get_connection(conn_id)), registry)
        for conn_id in conn_ids
    ]
    return Reports(profiles, registry=registry)


def adopted_jobs(reports: Reports, seeds: Iterable[Mapping[str, Any]]) -> dict[str, ReportJob]:
    """The jobs the mapped tasks submitted (their XCom seeds), by audit key: the audit
    records them under the bundle's lock and polls them, never submits again."""
    adopted: dict[str, ReportJob] = {}
    for seed in seeds:
        key, ref = seed.get("key"), seed.get("ref")
        if not isinstance(key, str) or not isinstance(ref, str):
            raise ValidationError(
                "a mapped task pushed an audit seed without a string key and ref; build the "
                "tasks with AuditJobOperator",
                field="ref",
            )
        adopted[key] = reports.job(ref)
    return adopted


__all__ = ["AuditBundleOperator", "AuditJobOperator", "adopted_jobs", "audit_jobs"]
