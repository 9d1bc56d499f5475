"""DAG runs (``dag.test()``, deferral included) against the built-in simulators.

Each run is a child process (dagrun.py) with its own AIRFLOW_HOME and SQLite database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reportbridge.audit import verify_bundle

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    return env


def run_dag(
    env: dict[str, str], dag_file: Path, dag_id: str, sims: dict[str, Any], **extra: str
) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(HERE / "dagrun.py"), str(dag_file), dag_id, json.dumps(sims)],
        env={**env, "AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent), **extra},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def states(result: dict[str, Any]) -> dict[str, str]:
    return {
        f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]: t["state"]
        for t in result["tis"]
    }


def returned(result: dict[str, Any], task_id: str) -> Any:
    (value,) = [
        x["value"]
        for x in result["xcoms"]
        if x["task_id"] == task_id and x["key"] == "return_value"
    ]
    return value


def test_example_dag_end_to_end(airflow_env: dict[str, str], tmp_path: Path) -> None:
    """The example DAG: deferred and worker waits, a sensor, object storage, an audit."""
    out = tmp_path / "out"
    sims = {name: {"job_seconds": 1} for name in ("explore", "sailpoint", "spaceone")}
    result = run_dag(
        airflow_env,
        EXAMPLES / "example_reportbridge.py",
        "example_reportbridge",
        sims,
        REPORTBRIDGE_EXAMPLE_OUT=str(out),
    )
    assert result["state"] == "success", states(result)
    assert set(states(result).values()) == {"success"}
    # deferred tasks: explore_calls, the sensor, spaceone_fetch, three audit jobs
    assert len(result["triggers"]) == 6
    for task_id in ("explore_calls", "sailpoint_accounts", "spaceone_fetch"):
        value = returned(result, task_id)
        assert value["status"] == "succeeded" and value["ref"].startswith("rb1.")
        for record in value["files"]:
            assert record["sha256"] == value["served_sha256"][record["format"]]
            path = Path(record["path"].removeprefix("file://"))
            assert path.is_file() and path.stat().st_size == record["size"]
    assert {f["format"] for f in returned(result, "sailpoint_accounts")["files"]} == {"csv", "pdf"}
    assert returned(result, "sailpoint_accounts")["files"][0]["path"].startswith("file://")
    bundle = returned(result, "audit_bundle")
    assert bundle["summary"]["succeeded"] == bundle["summary"]["jobs"] == 3
    assert verify_bundle(bundle["bundle"]).ok
    # every job was submitted once: 3 audit + explore_calls; 1 + 3 audit + 1 via the hook
    jobs = {name: s["jobs_created"] for name, s in result["simulators"].items()}
    assert jobs == {"explore": 2, "sailpoint": 2, "spaceone": 2}


def test_a_retry_resumes_the_job_it_submitted(airflow_env: dict[str, str], tmp_path: Path) -> None:
    result = run_dag(
        airflow_env,
        HERE / "dags" / "resume_dags.py",
        "rb_resume",
        {"sailpoint": {"job_seconds": 1, "dedupe": "off"}},  # two tasks, two vendor jobs
        RB_TEST_OUT=str(tmp_path),
    )
    assert states(result) == {
        "identities_on_worker": "success",
        "identities_deferred": "success",
    }
    assert all(t["try_number"] == 2 for t in result["tis"])
    assert result["simulators"]["sailpoint"]["jobs_created"] == 2  # one per task, not four
    for task_id in ("identities_on_worker", "identities_deferred"):
        (record,) = returned(result, task_id)["files"]
        assert record["sha256"] == returned(result, task_id)["served_sha256"]["csv"]


def test_failed_vendor_jobs_fail_the_tasks(airflow_env: dict[str, str], tmp_path: Path) -> None:
    result = run_dag(
        airflow_env,
        HERE / "dags" / "resume_dags.py",
        "rb_failing",
        {"sailpoint": {"job_seconds": 1, "outcome": "ERROR"}},
        RB_TEST_OUT=str(tmp_path),
    )
    assert result["state"] == "failed"
    assert states(result) == {
        "identities_on_worker": "failed",
        "identities_deferred": "failed",
        "sensor_on_a_failed_job": "failed",
    }
    assert not list(tmp_path.iterdir())  # nothing fetched
