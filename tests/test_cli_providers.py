"""`reportbridge providers` lists what is installed, as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys

from reportbridge.cli.describe import describe_providers
from reportbridge.plugins import PluginRegistry
from tests.toy import ToyPlugin


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reportbridge.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_providers_json_lists_every_installed_provider() -> None:
    proc = run_cli("providers", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    installed = PluginRegistry().providers()
    assert {r["name"] for r in rows} == set(installed)
    for row in rows:
        assert row["display_name"]
        assert {"run", "poll", "fetch"} <= set(row["operations"])
        assert isinstance(row["report_types"], list)


def test_describe_includes_capabilities() -> None:
    reg = PluginRegistry(load_entry_points=False)
    reg.register(ToyPlugin())
    (row,) = describe_providers(reg)
    assert row["name"] == "toy"
    assert row["cancel"] is True and row["list"] is True
    assert "cancel" in row["operations"]
    users = next(t for t in row["report_types"] if t["name"] == "USERS")
    assert {p["name"] for p in users["params"]} == {"active_only", "label"}
    audit = next(t for t in row["report_types"] if t["name"] == "AUDIT")
    assert audit["params"][0]["required"] is True


def test_no_command_is_a_usage_error() -> None:
    assert run_cli().returncode == 2
    assert run_cli("nonsense").returncode == 2
