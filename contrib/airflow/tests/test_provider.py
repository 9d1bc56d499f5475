"""Airflow finds the provider through its entry point; the CLI lists it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from reportbridge_airflow import __version__
from reportbridge_airflow.provider_info import get_provider_info


def test_provider_info_follows_airflows_schema() -> None:
    import airflow

    schema = json.loads(
        (Path(airflow.__file__).parent / "provider_info.schema.json").read_text(encoding="utf-8")
    )
    info = get_provider_info()
    jsonschema.validate(info, schema)
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == "reportbridge"
    assert conn["hook-class-name"] == "reportbridge_airflow.hooks.ReportBridgeHook"


def test_airflow_providers_list_shows_it(tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    listed = {p["package_name"]: p for p in json.loads(proc.stdout)}
    assert listed["reportbridge-airflow"]["version"] == __version__
    hooks = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "hooks", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    by_type = {h["connection_type"]: h for h in json.loads(hooks.stdout)}
    assert by_type["reportbridge"]["class"] == "reportbridge_airflow.hooks.ReportBridgeHook"
