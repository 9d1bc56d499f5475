"""The example plugin is installed like any third-party plugin and uses only documented API.

"Documented" means what the API reference renders: every ``::: target`` of
docs/reference/*.md. A module target documents the public names of its ``__all__`` (the
package ``reportbridge`` documents its ``__all__`` too); an object target documents that
object. An import is accepted when the object it brings in is one of those.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from reportbridge.plugins import PluginRegistry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
_TARGET = re.compile(r"^:::\s+([\w.]+)\s*$", re.MULTILINE)


def documented_targets() -> list[str]:
    found = []
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        found += _TARGET.findall(page.read_text(encoding="utf-8"))
    return found


def _resolve(target: str) -> Any:
    try:
        return importlib.import_module(target)
    except ImportError:
        module, _, name = target.rpartition(".")
        return getattr(importlib.import_module(module), name)


def _public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return list(names)


def documented_objects() -> dict[int, str]:
    """id(object) -> where the reference documents it."""
    found: dict[int, str] = {}
    for target in documented_targets():
        obj = _resolve(target)
        found[id(obj)] = target
        if isinstance(obj, ModuleType):
            for name in _public_names(obj):
                found.setdefault(id(getattr(obj, name)), f"{target}.{name}")
    return found


def undocumented_imports(source: str, where: str, documented: dict[int, str]) -> list[str]:
    """Imports of reportbridge names in ``source`` that the reference does not document."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in pairs:
            if module != "reportbridge" and not module.startswith("reportbridge."):
                continue
            shown = f"{module}.{name}" if name else module
            if any(part.startswith("_") for part in shown.split(".")):
                problems.append(f"{where}:{node.lineno}: {shown} is private")
                continue
            try:
                obj = getattr(importlib.import_module(module), name) if name else None
                obj = obj if name else importlib.import_module(module)
            except (ImportError, AttributeError):
                problems.append(f"{where}:{node.lineno}: {shown} does not exist")
                continue
            primitive = isinstance(obj, str | int | float | bool | tuple | frozenset)
            if id(obj) not in documented or (primitive and documented[id(obj)] != shown):
                problems.append(f"{where}:{node.lineno}: {shown} is not in the API reference")
    return problems


def example_sources() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*.py") if ".venv" not in p.parts)


def test_the_example_imports_only_documented_reportbridge_api() -> None:
    documented = documented_objects()
    sources = example_sources()
    assert len(sources) >= 10, "the example plugin's modules and tests are scanned"
    problems = [
        problem
        for path in sources
        for problem in undocumented_imports(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), documented
        )
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("from reportbridge.provider import _strict", "is private"),
        ("from reportbridge.engine.driver import BatchDriver", "not in the API reference"),
        ("from reportbridge.transport.watchdog import ExchangeGuard", "not in the API reference"),
        ("from reportbridge.errortext import describe", "does not exist"),
        ("import reportbridge.jsonsafe", "not in the API reference"),
    ],
)
def test_the_scan_catches_undocumented_imports(line: str, words: str) -> None:
    problems = undocumented_imports(line, "x.py", documented_objects())
    assert problems and words in problems[0], problems


def test_documented_names_pass_the_scan() -> None:
    source = (
        "from reportbridge import ReportJob, StatusMap\n"
        "from reportbridge.transport import StaticHeaders, HttpResponse, RateLimit\n"
        "from reportbridge.provider import secret_field, FileStream\n"
        "from reportbridge.testing import Simulator, route\n"
        "from reportbridge.testing.contract import ProviderContract, contract_override\n"
        "from reportbridge.errors import error_for_status\n"
    )
    assert undocumented_imports(source, "x.py", documented_objects()) == []


def test_the_example_is_found_through_its_entry_point_like_any_plugin() -> None:
    registry = PluginRegistry()
    assert "acme" in registry.providers()
    assert registry.source_of("acme") == ("reportbridge-acme", "0.1.0.dev0")


def guide_import_table() -> list[str]:
    """``from MODULE import NAME`` for each name the guide's "What a plugin may import" lists."""
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = text.split("## 17. What a plugin may import", 1)[1]
    lines = []
    for row in re.findall(r"^\| `(reportbridge[\w.]*)` \| (.+) \|$", section, re.MULTILINE):
        module, cell = row
        for name in re.findall(r"`([\w.]+)`", cell):
            if name.startswith("reportbridge."):
                lines.append(f"import {name}")
            elif not name.startswith("."):
                lines.append(f"from {module} import {name}")
    return lines


def test_every_name_the_guide_lists_for_plugins_is_documented() -> None:
    lines = guide_import_table()
    assert len(lines) >= 40, lines
    problems = undocumented_imports("\n".join(lines), "docs/plugins.md", documented_objects())
    assert not problems, "\n".join(problems)


def example_imports() -> set[str]:
    """Every reportbridge name the example plugin imports (its modules and its tests)."""
    names = set()
    for path in example_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if module.startswith("reportbridge") and not module.startswith("reportbridge_"):
                names.update(alias.name for alias in node.names)
    return names


def test_the_guide_explains_every_reportbridge_name_the_example_uses() -> None:
    """What a developer needs to write the example is on the guide's page, not in core's
    source: each name the example imports from reportbridge is named there."""
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```", "", guide, flags=re.MULTILINE | re.DOTALL)  # no code
    names = example_imports()
    assert {"secret_field", "StaticHeaders", "ProviderContract", "Simulator"} <= names
    missing = sorted(n for n in names if not re.search(rf"`[^`\n]*\b{re.escape(n)}\b", prose))
    assert not missing, f"docs/plugins.md never explains {missing}"
