"""The evidence table `audit show` prints (vendor text made inert for the terminal)."""

from __future__ import annotations

import sys
from typing import Any

from reportbridge.audit.show import rows_text, window_text
from reportbridge.cli.terminal import clean


def render_table(view: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"evidence: {clean(view['audit'])}", header_style="bold")
    for col in ("job", "vendor", "window", "rows declared", "rows counted", "file", "sha256"):
        table.add_column(col, overflow="fold")
    for job in view["jobs"]:
        declared, counted = rows_text(job)
        files = job["files"] or [{"path": "—", "sha256": ""}]
        for n, f in enumerate(files):
            first = n == 0
            table.add_row(
                clean(f"{job['key']} ({job['status'] or 'not run'})") if first else "",
                clean(f"{job['provider']} {job['report_type']}") if first else "",
                clean(window_text(job)) if first else "",
                declared if first else "",
                clean(counted) if first else "",
                clean(str(f["path"]).rsplit("/", 1)[-1]),
                clean(f["sha256"] or ""),
            )
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)
    console.print(table, markup=False)
    seal = view["seal"] + (f" (key {view['seal_key_id']})" if view["seal_key_id"] else "")
    console.print(f"seal: {clean(seal)}", markup=False)
    custody = view.get("custody") or {}
    if custody:
        console.print(f"custody log: {clean(custody.get('events'))} events", markup=False)


__all__ = ["render_table"]
