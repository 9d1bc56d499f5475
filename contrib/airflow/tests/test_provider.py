"""Airflow finds the provider through its entry point; the CLI lists it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def airflow_cli(home: Path, *args: str) -> Any:
    """``airflow ARGS --output json`` in a fresh AIRFLOW_HOME; the parsed output."""
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(proc.stdout)


def test_airflow_providers_list_shows_it(tmp_path: Path) -> None:
    listed = {p["package_name"]: p for p in airflow_cli(tmp_path, "providers", "list")}
    assert listed["reportbridge-airflow"]["version"] == __version__
    by_type = {h["connection_type"]: h for h in airflow_cli(tmp_path, "providers", "hooks")}
    assert by_type["reportbridge"]["class"] == "reportbridge_airflow.hooks.ReportBridgeHook"
