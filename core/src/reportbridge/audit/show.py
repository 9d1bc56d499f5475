"""`audit show`: a bundle's evidence as plain data, or as one self-contained HTML page.

The page loads nothing: inline CSS allowed by its hash in a Content-Security-Policy
that forbids everything else, no scripts, no links out; every value from the bundle
(vendor text included) is HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path
from typing import Any

from reportbridge.audit.atomic import write_text_atomic
from reportbridge.audit.seal import check_seal
from reportbridge.audit.verification import read_manifest


def evidence_rows(bundle: Path) -> dict[str, Any]:
    """The bundle as plain data: audit, seal state, and per job its evidence."""
    manifest = read_manifest(bundle)
    seal = check_seal(bundle)
    jobs = []
    for job in manifest.get("jobs", []):
        window = job.get("window") or {}
        jobs.append(
            {
                "key": job.get("key"),
                "provider": job.get("provider"),
                "profile": job.get("profile"),
                "report_type": job.get("report_type"),
                "status": job.get("status"),
                "window": [window.get("from"), window.get("to")] if window.get("from") else None,
                "segments": len(job.get("segments") or []) or None,
                "rows_declared": job.get("rows_declared"),
                "rows_counted": job.get("rows_counted") or {},
                "collected_at": job.get("collected_at"),
                "expires_at": job.get("expires_at"),
                "files": [
                    {
                        "path": f.get("path"),
                        "format": f.get("format"),
                        "size": f.get("size"),
                        "sha256": f.get("sha256"),
                        "part": f.get("part"),
                        "rows_declared": f.get("rows"),
                        "rows": (f.get("counted") or {}).get("rows"),
                    }
                    for f in job.get("files", [])
                ],
            }
        )
    return {
        "bundle": str(bundle),
        "audit": manifest.get("audit"),
        "format": manifest.get("format"),
        "created_at": manifest.get("created_at"),
        "seal": seal.state,
        "seal_key_id": seal.key_id,
        "seal_problems": list(seal.problems),
        "custody": manifest.get("custody"),
        "summary": manifest.get("summary"),
        "jobs": jobs,
    }


def rows_text(job: dict[str, Any]) -> tuple[str, str]:
    declared = "—" if job["rows_declared"] is None else str(job["rows_declared"])
    counted = ", ".join(
        f"{fmt} {'?' if n is None else n}" for fmt, n in job["rows_counted"].items()
    )
    return declared, counted or "—"


def window_text(job: dict[str, Any]) -> str:
    if not job["window"]:
        return "—"
    text = f"{job['window'][0]} → {job['window'][1]}"
    return text + (f" ({job['segments']} segments)" if job["segments"] else "")


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:0 0 .3rem}
.meta{color:#57606a;margin:0 0 1.2rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.hash{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.ok{color:#1a7f37}.bad{color:#cf222e}
"""


def render_html(view: dict[str, Any]) -> str:
    """One page, nothing loaded from anywhere."""
    e = _escape
    style_hash = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{style_hash}'; img-src 'none'; "
        "form-action 'none'; base-uri 'none'"
    )
    rows = []
    for job in view["jobs"]:
        declared, counted = rows_text(job)
        files = job["files"] or [{"path": "—", "sha256": "", "size": None}]
        for n, f in enumerate(files):
            span = f"<td rowspan={len(files)}>"
            cells = (
                [
                    f"{span}{e(job['key'])}<br>{e(job['status'] or 'not run')}</td>",
                    f"{span}{e(job['provider'])}<br>{e(job['report_type'])}</td>",
                    f"{span}{e(window_text(job))}</td>",
                    f"{span}{e(declared)}</td>",
                    f"{span}{e(counted)}</td>",
                ]
                if n == 0
                else []
            )
            cells += [
                f"<td>{e(f['path'])}</td>",
                f"<td>{e(f.get('size'))}</td>",
                f"<td class=hash>{e(f['sha256'])}</td>",
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
    sealed = view["seal"] != "unsealed" and not view["seal_problems"]
    seal = e(view["seal"]) + (f" (key {e(view['seal_key_id'])})" if view["seal_key_id"] else "")
    custody = view.get("custody") or {}
    summary = view.get("summary") or {}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<title>Evidence: {e(view["audit"])}</title>
<style>{_CSS}</style></head>
<body>
<h1>Evidence: {e(view["audit"])}</h1>
<p class=meta>bundle format {e(view["format"])}; created {e(view["created_at"])};
{e(summary.get("succeeded"))}/{e(summary.get("jobs"))} jobs succeeded;
{e(summary.get("files"))} files; custody log {e(custody.get("events"))} events
(head {e(custody.get("head"))})</p>
<p>seal: <strong class={"ok" if sealed else "bad"}>{seal}</strong></p>
<table>
<thead><tr><th>job</th><th>vendor</th><th>window</th><th>rows declared</th>
<th>rows counted</th><th>file</th><th>bytes</th><th>sha256</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


def _escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def write_html(path: Path, page: str) -> None:
    write_text_atomic(path, page)


__all__ = ["evidence_rows", "render_html", "rows_text", "window_text", "write_html"]
