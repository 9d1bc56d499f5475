"""`reportbridge providers` names the distribution and version behind each provider,
editable installs included (the workspace's providers are editable installs)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reportbridge.cli.describe import describe_providers
from reportbridge.plugins import PluginRegistry
from tests.toy import ToyPlugin

ROOT = Path(__file__).resolve().parents[1]
BUILT_IN = {
    "sailpoint": ("reportbridge-sailpoint", "reportbridge_sailpoint"),
    "explore": ("reportbridge-explore", "reportbridge_explore"),
    "spaceone": ("reportbridge-spaceone", "reportbridge_spaceone"),
    "tenable": ("reportbridge-tenable", "reportbridge_tenable"),
}


def _editable(dist_name: str) -> bool:
    text = importlib.metadata.distribution(dist_name).read_text("direct_url.json") or "{}"
    return bool(json.loads(text).get("dir_info", {}).get("editable"))


def _providers_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REPORTBRIDGE_PLUGINS": "tests.toy:ToyPlugin",
    }
    return subprocess.run(
        [sys.executable, "-m", "reportbridge.cli.main", "providers", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.parametrize("provider", sorted(BUILT_IN))
def test_editable_install_is_named_with_its_version(provider: str) -> None:
    dist_name, package = BUILT_IN[provider]
    # the case this covers: an editable install lists no files, so the package is unknown
    # to packages_distributions()
    assert _editable(dist_name)
    assert package not in importlib.metadata.packages_distributions()
    rows = {row["name"]: row for row in describe_providers(PluginRegistry())}
    assert rows[provider]["distribution"] == dist_name
    assert rows[provider]["distribution_version"] == importlib.metadata.version(dist_name)


def test_plugin_registered_in_code_has_no_distribution() -> None:
    registry = PluginRegistry(load_entry_points=False)
    registry.register(ToyPlugin())
    (row,) = describe_providers(registry)
    assert row["distribution"] is None and row["distribution_version"] is None


def test_cli_text_and_json_show_name_and_version() -> None:
    text = _providers_cli()
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines() if line[:1].strip()}
    for provider, (dist_name, _) in BUILT_IN.items():
        version = importlib.metadata.version(dist_name)
        assert lines[provider].endswith(f"[{dist_name} {version}]")
    assert lines["toy"].endswith("[in-process]")

    listed = _providers_cli("--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["sailpoint"]["distribution"] == "reportbridge-sailpoint"
    assert rows["sailpoint"]["distribution_version"] == importlib.metadata.version(
        "reportbridge-sailpoint"
    )
    assert rows["toy"]["distribution"] is None
