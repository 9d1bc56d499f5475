"""A griffe extension for the API reference: docstrings written for Sphinx read as Markdown.

Core's docstrings name other objects the Sphinx way (``:class:`Simulator```,
``:meth:`~reportbridge.provider.ProviderSession.refresh_many```) and show sessions as bare
doctest lines (``>>> reports.run(...)``). mkdocstrings renders Markdown, where a role would
show as raw text and link nowhere and doctest lines would run together as a paragraph. This
extension rewrites each role into an autorefs cross-reference to the object's full path,
resolved in the docstring's own scope, so `mkdocs build --strict` fails on any that points
at nothing; and it fences each run of doctest lines as a ``pycon`` block.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import griffe

# :role:`name`, :role:`~dotted.name` (shown by its last part) or :role:`title <dotted.name>`
_ROLE = re.compile(
    r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([\w.]+|[^`<]+?\s*<([\w.]+)>)`"
)


def _full_path(obj: griffe.Object, name: str) -> str | None:
    """The name's full path; None for another library (no inventory to link it to)."""
    head, _, rest = name.partition(".")
    for candidate in (name, head):
        try:
            resolved = obj.resolve(candidate)
        except (griffe.NameResolutionError, AttributeError, KeyError):
            continue
        path = resolved if candidate == name else f"{resolved}.{rest}"
        return path if path.partition(".")[0] == "reportbridge" else None
    if head != "reportbridge" and importlib.util.find_spec(head) is not None:
        return None  # the standard library or a dependency: shown as code, not linked
    return name  # left for autorefs to report as unresolved


def _fence_doctests(text: str) -> str:
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        stripped = line.lstrip()
        is_doctest = stripped.startswith(">>>") or (inside and stripped.startswith("..."))
        if is_doctest and not inside:
            out.append("```pycon")
        elif not is_doctest and inside:
            out.append("```")
        inside = is_doctest
        out.append(line.strip() if is_doctest else line)
    if inside:
        out.append("```")
    return "\n".join(out)


def _rewrite(obj: griffe.Object, text: str) -> str:
    def link(match: re.Match[str]) -> str:
        short, name, target = match.group(1), match.group(2), match.group(3)
        if target:
            shown, name = name.partition("<")[0].strip(), target
        else:
            shown = name.rpartition(".")[2] if short else name
        path = _full_path(obj, name)
        return f"`{shown}`" if path is None else f"[`{shown}`][{path}]"

    return _fence_doctests(_ROLE.sub(link, text))


class DocstringMarkup(griffe.Extension):
    """Rewrites every docstring once the whole package is loaded (names then resolve)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        seen: set[int] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj, obj.docstring.value)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
