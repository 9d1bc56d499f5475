"""Running the real `reportbridge` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cli_env(extra_plugins: str | None = "tests.toy:ToyPlugin", **env: str) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH")]))
    if extra_plugins:
        out["REPORTBRIDGE_PLUGINS"] = extra_plugins
    out.pop("REPORTBRIDGE_CONFIG", None)
    out["COLUMNS"] = "160"
    out.update(env)
    return out


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "reportbridge.cli.main", *args]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_cmd(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
        env=env or cli_env(),
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def write_config(path: Path, profiles: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for name, table in profiles.items():
        lines.append(f"[profiles.{name}]")
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        for k, v in table.items():
            if k not in nested:
                lines.append(f"{k} = {json.dumps(v)}")
        for section, values in nested.items():
            lines.append(f"[profiles.{name}.{section}]")
            lines.extend(f"{k} = {json.dumps(v)}" for k, v in values.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
