"""Example DAG: report jobs on three vendors, deferred, verified, and an audit bundle.

Connections ``rb_sailpoint``, ``rb_spaceone`` and ``rb_explore`` (type ``reportbridge``)
say which vendor each task reaches. Run it against the built-in simulators, which this
file starts and exposes as those connections when run as a script::

    AIRFLOW_HOME=$(mktemp -d) AIRFLOW__CORE__DAGS_FOLDER=contrib/airflow/examples \\
        uv run airflow db migrate
    AIRFLOW_HOME=... AIRFLOW__CORE__DAGS_FOLDER=contrib/airflow/examples \\
        uv run python contrib/airflow/examples/example_reportbridge.py

Files land under ``$REPORTBRIDGE_EXAMPLE_OUT`` (default: a folder in the temp directory).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from airflow.sdk import DAG, ObjectStoragePath, task

from reportbridge_airflow.audit import AuditBundleOperator, AuditJobOperator, audit_jobs
from reportbridge_airflow.hooks import ReportBridgeHook
from reportbridge_airflow.operators import RunReportOperator
from reportbridge_airflow.sensors import ReportSensor

OUT = Path(
    os.environ.get("REPORTBRIDGE_EXAMPLE_OUT")
    or Path(tempfile.gettempdir(), "reportbridge-airflow-example")
)
PLAN = Path(__file__).with_name("example_plan.toml")
JANUARY = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00"}

with DAG(
    "example_reportbridge",
    schedule=None,
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["reportbridge"],
) as dag:
    # Submit, defer to the triggerer while the vendor works, fetch into a local folder.
    explore_calls = RunReportOperator(
        task_id="explore_calls",
        reportbridge_conn_id="rb_explore",
        report_type="calls",
        report_params={**JANUARY, "timezone": "Europe/Lisbon", "format": "csv"},
        formats=["csv"],
        destination=str(OUT / "explore" / "{{ ds }}"),
        wait_timeout=3600,
    )

    # Wait on the worker instead (no triggerer needed); the reference is kept in the
    # task's state store, so a retry after a crash resumes the same job. The files go
    # to object storage (here a file:// URL), read back and checked by SHA-256.
    sailpoint_accounts = RunReportOperator(
        task_id="sailpoint_accounts",
        reportbridge_conn_id="rb_sailpoint",
        report_type="ACCOUNTS",
        report_params={
            "application": "2c9180897e7742b2017e781782f705b9",
            "sourceName": "Active Directory",
        },
        formats=["csv", "pdf"],
        destination=ObjectStoragePath(f"file://{OUT / 'object-store' / 'sailpoint'}"),
        deferrable=False,
        wait_timeout=3600,
    )

    # A job started elsewhere (here by a task), followed by its reference.
    @task
    def start_spaceone_report() -> str:
        with ReportBridgeHook("rb_spaceone").get_conn() as reports:
            (profile,) = reports.profiles
            job = reports.run(profile, "template-0c5a7e9b2d41", name="Cloud inventory export")
            return job.ref

    spaceone_ref = start_spaceone_report()
    spaceone_done = ReportSensor(
        task_id="spaceone_done", reportbridge_conn_id="rb_spaceone", ref=spaceone_ref, timeout=3600
    )
    spaceone_fetch = RunReportOperator(
        task_id="spaceone_fetch",
        reportbridge_conn_id="rb_spaceone",
        ref=spaceone_ref,
        destination=str(OUT / "spaceone"),
    )
    spaceone_done >> spaceone_fetch

    # An audit plan: one mapped task per job (each waits deferred), then one bundle.
    audit_tasks = AuditJobOperator.partial(task_id="audit_jobs", wait_timeout=3600).expand_kwargs(
        audit_jobs(PLAN)
    )
    audit_bundle = AuditBundleOperator(
        task_id="audit_bundle",
        plan=str(PLAN),
        bundle=str(OUT / "audit-bundle"),
        jobs_task_id="audit_jobs",
    )
    audit_tasks >> audit_bundle


if __name__ == "__main__":
    from reportbridge_airflow.testing import simulator_connections

    with simulator_connections(job_seconds=2):
        run = dag.test()
    print(f"example_reportbridge: {run.state}; files under {OUT}")
