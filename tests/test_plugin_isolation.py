"""Broken third-party plugins, installed as real distributions (a dist-info folder on
PYTHONPATH): each is set aside with its distribution, version and error; the others,
and every command, keep working."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reportbridge import ConfigurationError, Reports
from reportbridge.audit import AuditPlan, PlannedJob, run_audit
from reportbridge.plugins import PluginRegistry
from tests.clihelp import cli_env, json_lines, run_cli, write_config
from tests.crashy import LEAKED_TOKEN, RaisingObserver
from tests.toy import ToyPlugin, ToySimulator

GOOD = """
from reportbridge.hookspecs import hookimpl
from tests.toy import ToyProvider

@hookimpl
def register_providers(register):
    register(ToyProvider())
"""

BROKEN: dict[str, tuple[str, str]] = {
    # distribution: (entry point value, module source)
    "rb-broken-import": (
        "rb_broken_import",
        f'raise RuntimeError("cannot start\\nAuthorization: Bearer {LEAKED_TOKEN}")\n',
    ),
    "rb-exits-on-import": ("rb_exits", "import sys\nsys.exit(3)\n"),
    "rb-missing-module": ("rb_not_there_at_all", ""),
    "rb-missing-attr": ("rb_missing_attr:Plugin", "x = 1\n"),
    "rb-hook-raises": (
        "rb_hook_raises",
        "from reportbridge.hookspecs import hookimpl\n"
        "@hookimpl\ndef register_providers(register):\n"
        f"    raise ValueError('no license: token={LEAKED_TOKEN}')\n",
    ),
    "rb-not-a-provider": (
        "rb_not_provider",
        "from reportbridge.hookspecs import hookimpl\n"
        "@hookimpl\ndef register_providers(register):\n    register('sailpoint')\n",
    ),
    "rb-unknown-hook": (
        "rb_unknown_hook",
        "from reportbridge.hookspecs import hookimpl\n"
        "@hookimpl\ndef no_such_hook(job):\n    pass\n",
    ),
    # two distributions claiming one provider name: neither is trusted with it
    "rb-dupe-one": (
        "rb_dupe_one",
        "from tests.crashy import register_providers_dupe as register_providers\n",
    ),
    "rb-dupe-two": (
        "rb_dupe_two",
        "from tests.crashy import register_providers_dupe as register_providers\n",
    ),
}


def install(site: Path, dist: str, ep_name: str, value: str, source: str) -> None:
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[reportbridge]\n{ep_name} = {value}\n")
    module = value.split(":")[0]
    if source:
        (site / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    install(site, "rb-good", "goodtoy", "rb_good", GOOD)
    for dist, (value, source) in BROKEN.items():
        install(site, dist, dist.removeprefix("rb-").replace("-", ""), value, source)
    return site


def env_with(site: Path) -> dict[str, str]:
    env = cli_env(extra_plugins=None)
    env["PYTHONPATH"] = f"{site}:{env['PYTHONPATH']}"
    return env


def test_providers_lists_the_broken_plugins_and_the_rest(site: Path) -> None:
    proc = run_cli("providers", "--json", env=env_with(site))
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json_lines(proc.stdout)}
    for name in ("explore", "sailpoint", "spaceone", "toy"):
        assert rows[name]["broken"] is False
    broken = {row["distribution"]: row for row in rows.values() if row["broken"]}
    assert set(broken) == set(BROKEN)
    for dist, row in broken.items():
        assert row["distribution_version"] == "1.2.3", dist
        assert row["error"] and "\n" not in row["error"], dist
    assert "RuntimeError: cannot start" in broken["rb-broken-import"]["error"]
    assert "SystemExit" in broken["rb-exits-on-import"]["error"]
    assert "ModuleNotFoundError" in broken["rb-missing-module"]["error"]
    assert "no_such_hook" in broken["rb-unknown-hook"]["error"]
    assert "not a reportbridge.provider.Provider" in broken["rb-not-a-provider"]["error"]
    assert (
        "'dupe'" in broken["rb-dupe-one"]["error"] and "uninstall" in broken["rb-dupe-two"]["error"]
    )
    assert LEAKED_TOKEN not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    human = run_cli("providers", env=env_with(site))
    assert human.returncode == 0, human.stderr
    assert "BROKEN  [rb-broken-import 1.2.3]" in human.stdout
    assert "sailpoint" in human.stdout and LEAKED_TOKEN not in human.stdout


def test_a_profile_on_a_broken_plugin_names_its_distribution(site: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "rb.toml", {"p": {"provider": "brokenimport"}})
    proc = run_cli("--config", str(config), "run", "p", "X", env=env_with(site))
    assert proc.returncode == 2, proc.stderr
    assert "rb-broken-import 1.2.3" in proc.stderr and "Traceback" not in proc.stderr
    assert LEAKED_TOKEN not in proc.stderr
    config = write_config(tmp_path / "rb2.toml", {"p": {"provider": "nosuch"}})
    proc = run_cli("--config", str(config), "run", "p", "X", env=env_with(site))
    assert proc.returncode == 2 and "rb-hook-raises 1.2.3" in proc.stderr, proc.stderr


def test_the_working_plugins_keep_working(
    site: Path, tmp_path: Path, toy_sim: ToySimulator
) -> None:
    config = write_config(
        tmp_path / "rb.toml", {"t": {"provider": "toy", **toy_sim.profile_settings()}}
    )
    proc = run_cli(
        "--config",
        str(config),
        "run",
        "t",
        "USERS",
        "--fetch",
        str(tmp_path / "out"),
        "--json",
        env=env_with(site),
    )
    assert proc.returncode == 0, proc.stderr
    assert json_lines(proc.stdout)[0]["status"] == "succeeded"


def test_an_observer_that_raises_never_costs_a_job(
    toy_sim: ToySimulator, make_reports: Any, tmp_path: Path
) -> None:
    registry = PluginRegistry(load_entry_points=False)
    registry.register(ToyPlugin(), name="toy")
    observer = RaisingObserver()
    registry.register(observer, name="observer")
    reports: Reports = make_reports({"toy": toy_sim}, registry=registry)
    job = reports.run("toy", "USERS")  # job_submitted raises: the job is still returned
    job = reports.wait(job, timeout=30)
    [fetched] = reports.fetch(job, tmp_path / "out")
    assert fetched.size == toy_sim.file_size and observer.calls >= 3
    plan = AuditPlan("o", tuple(PlannedJob(f"j{i}", "toy", "USERS") for i in range(3)))
    result = run_audit(reports, plan, tmp_path / "bundle")
    assert result.summary["succeeded"] == 3
    assert toy_sim.count("POST", "^/jobs$") == 4


def test_the_registry_reports_broken_plugins_in_process(site: Path) -> None:
    import sys

    sys.path.insert(0, str(site))
    try:
        registry = PluginRegistry()
        broken = {b.distribution: b for b in registry.broken()}
        assert set(broken) >= set(BROKEN)
        assert "toy" in registry.providers()
        with pytest.raises(ConfigurationError, match=r"rb-broken-import 1\.2\.3"):
            registry.provider("brokenimport")
    finally:
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m.startswith("rb_")]:
            del sys.modules[name]


def test_json_rows_are_plain_data(site: Path) -> None:
    proc = run_cli("providers", "--json", env=env_with(site))
    for line in proc.stdout.splitlines():
        assert json.loads(line)["name"]
