"""Fenced code blocks of the Markdown docs, with the marker that may precede each.

A marker is an HTML comment (invisible once rendered) on the line right above the fence:

- ``<!-- not-run: REASON -->``: a python block the tests do not run; the reason is required.
- ``<!-- check: profiles -->``: a TOML block of ``[profiles.NAME]`` tables, validated against
  the installed providers' settings.
- ``<!-- check: plan -->``: a TOML audit plan, validated against the docs' profiles.

Every other python block runs in the tests; every TOML block must at least parse.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!--\s*(?P<kind>[a-z-]+)\s*:\s*(?P<value>.*?)\s*-->$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
KINDS = {"not-run", "check"}
CHECKS = {"profiles", "plan"}


@attrs.frozen
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    marker: tuple[str, str] | None = None

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang == "python" and (self.marker is None or self.marker[0] != "not-run")


def pages() -> list[Path]:
    """README.md and every Markdown page of docs/ (the docs' helper code excluded)."""
    found = [ROOT / "README.md"]
    found += sorted(p for p in (ROOT / "docs").rglob("*.md") if "_ext" not in p.parts)
    return found


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = "\n".join(line[indent:] for line in lines[i + 1 : end])
        out.append(
            Block(page, i + 1, opening.group("lang").lower(), body + "\n", _marker(lines, i))
        )
        i = end + 1
    return out


def _marker(lines: list[str], fence_index: int) -> tuple[str, str] | None:
    above = fence_index - 1
    if above < 0:
        return None
    found = MARKER.match(lines[above].strip())
    return (found.group("kind"), found.group("value")) if found else None


def marker_problems(block: Block) -> list[str]:
    """What is wrong with a block's marker (empty when it is fine or absent)."""
    if block.marker is None:
        return []
    kind, value = block.marker
    if kind not in KINDS:
        return [f"{block.where}: unknown marker {kind!r}; use not-run: REASON or check: KIND"]
    if kind == "not-run":
        if block.lang != "python":
            return [f"{block.where}: not-run marks python blocks only"]
        if len(value) < 10:
            return [f"{block.where}: not-run needs a reason (a few words); got {value!r}"]
    if kind == "check" and (value not in CHECKS or block.lang != "toml"):
        return [f"{block.where}: check marks a toml block as one of {', '.join(sorted(CHECKS))}"]
    return []
