"""DAGs for the operator tests (run by dagrun.py against the simulators)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from airflow.sdk import DAG

from reportbridge_airflow.operators import RunReportOperator
from reportbridge_airflow.sensors import ReportSensor

OUT = os.environ.get("RB_TEST_OUT", "/nonexistent")
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class DiesAfterSubmitOnce(RunReportOperator):
    """The first try ends right after the job was submitted and its reference stored, as a
    worker killed at that moment would; the retry must resume the job, not submit another."""

    def poll_until_complete(self, external_id: Any, context: Any) -> Any:
        if context["ti"].try_number == 1:
            raise RuntimeError("worker lost (simulated) after the submit")
        return super().poll_until_complete(external_id, context)


with DAG("rb_resume", schedule=None, start_date=START) as resume_dag:
    for deferrable in (False, True):
        DiesAfterSubmitOnce(
            task_id=f"identities_{'deferred' if deferrable else 'on_worker'}",
            reportbridge_conn_id="rb_sailpoint",
            report_type="IDENTITIES",
            report_params={"correlatedOnly": True},
            destination=f"{OUT}/{deferrable}",
            deferrable=deferrable,
            wait_timeout=120,
            retries=1,
            retry_delay=dt.timedelta(0),
        )

with DAG("rb_failing", schedule=None, start_date=START) as failing_dag:
    for deferrable in (False, True):
        RunReportOperator(
            task_id=f"identities_{'deferred' if deferrable else 'on_worker'}",
            reportbridge_conn_id="rb_sailpoint",
            report_type="IDENTITIES",
            report_params={"correlatedOnly": True},
            destination=OUT,
            deferrable=deferrable,
            wait_timeout=120,
        )
    ReportSensor(
        task_id="sensor_on_a_failed_job",
        reportbridge_conn_id="rb_sailpoint",
        ref="{{ ti.xcom_pull(task_ids='identities_on_worker', key='ref') }}",
        timeout=120,
    )
