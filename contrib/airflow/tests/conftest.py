"""Airflow keeps its home, config and SQLite database in a temporary folder for the tests.

Set before Airflow is first imported (pytest imports this file first); a developer's own
AIRFLOW_HOME is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_HOME = tempfile.mkdtemp(prefix="rb-airflow-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME}/airflow.db"


def pytest_sessionfinish() -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Expose simulators as Airflow connections (AIRFLOW_CONN_*) for one test."""
    from reportbridge.plugins import default_registry
    from reportbridge_airflow.testing import FAST_POLLING, connection_json

    def add(conn_id: str, sim: Any, **extra: Any) -> str:
        table = {"polling": FAST_POLLING, **extra}
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}",
            connection_json(sim.name, sim.profile_settings(), default_registry(), **table),
        )
        return conn_id

    return add


@pytest.fixture
def fresh_shared_reports() -> Iterator[None]:
    """Triggers share one AsyncReports per connection and process: start each test clean."""
    from reportbridge_airflow import hooks

    hooks._shared.clear()
    yield
    for _digest, reports in hooks._shared.values():
        reports.close()
    hooks._shared.clear()
