"""Run one DAG with ``dag.test()`` against the built-in simulators; print what happened.

    python dagrun.py DAG_FILE DAG_ID '{"explore": {"job_seconds": 1}, ...}'

Used by the tests in a child process (Airflow's configuration, logging and database stay
out of the test process). AIRFLOW_HOME and AIRFLOW__CORE__DAGS_FOLDER come from the
environment; the database must be migrated. The last line of output is JSON: the run's
state, every task instance, the XComs, how many ReportTriggers ran, and for every job the
SHA-256 the simulator served, per format.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
from typing import Any


def main(dag_file: str, dag_id: str, sims_json: str) -> int:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from reportbridge_airflow.testing import simulator_connections
    from reportbridge_airflow.triggers import ReportTrigger

    spec = importlib.util.spec_from_file_location("dag_under_test", dag_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = next(v for v in vars(module).values() if getattr(v, "dag_id", None) == dag_id)

    triggers: list[str] = []
    original_run = ReportTrigger.run

    async def counted_run(self: ReportTrigger) -> Any:
        triggers.append(self.ref)
        async for event in original_run(self):
            yield event

    ReportTrigger.run = counted_run  # type: ignore[method-assign]
    sims: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for provider, options in json.loads(sims_json).items():
            sims |= stack.enter_context(simulator_connections([provider], **options))
        run = dag.test()
        with create_session() as session:
            tis = [
                {
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "state": str(ti.state),
                    "try_number": ti.try_number,
                }
                for ti in run.get_task_instances(session=session)
            ]
            xcoms = [
                {
                    "task_id": x.task_id,
                    "map_index": x.map_index,
                    "key": x.key,
                    "value": XComModel.deserialize_value(x),
                }
                for x in session.scalars(select(XComModel).where(XComModel.run_id == run.run_id))
            ]
        served: dict[str, dict[str, Any]] = {}
        for name, sim in sims.items():
            served[name] = {"jobs_created": sim.jobs_created()}
        for x in xcoms:
            value = x["value"]
            if x["key"] == "return_value" and isinstance(value, dict) and value.get("files"):
                sim = sims[value["provider"]]
                value["served_sha256"] = {
                    f["format"]: sim.served_sha256(value["job_id"], f["format"])
                    for f in value["files"]
                }
    print(
        json.dumps(
            {
                "state": str(run.state),
                "tis": tis,
                "xcoms": xcoms,
                "triggers": triggers,
                "simulators": served,
            },
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
