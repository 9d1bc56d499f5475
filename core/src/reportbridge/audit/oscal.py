"""`audit export --format oscal`: the bundle as an OSCAL assessment-results document.

One result for the audit; one observation per evidence item (collected, expires,
rows as properties, ``relevant-evidence`` pointing at back-matter resources); one
back-matter resource per file with its SHA-256. Everything, UUIDs and timestamps
included, derives from the bundle's content: identical bundles give identical bytes.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from reportbridge.audit.atomic import write_text_atomic
from reportbridge.audit.custody import CUSTODY
from reportbridge.audit.inventory import file_sha256
from reportbridge.audit.manifest import MANIFEST
from reportbridge.audit.seal import SEAL
from reportbridge.audit.verification import read_manifest

OSCAL_VERSION = "1.1.2"
#: Our namespace for properties and for the UUIDv5 of every object we name.
NS_URI = "https://reportbridge.dev/ns/oscal"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS_URI)
_MEDIA = {
    "csv": "text/csv",
    "json": "application/json",
    "json_bulk": "application/x-ndjson",
    "ndjson": "application/x-ndjson",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


def assessment_results(bundle: Path) -> dict[str, Any]:
    """The OSCAL JSON document (``{"assessment-results": ...}``) for ``bundle``."""
    manifest = read_manifest(bundle)
    base = uuid.uuid5(_ROOT, file_sha256(bundle / MANIFEST))

    def uid(*parts: object) -> str:
        return str(uuid.uuid5(base, "\x1f".join(map(str, parts))))

    resources = [_resource(bundle, uid, MANIFEST, "the bundle manifest", "application/json")]
    for name, title in ((CUSTODY, "custody log"), (SEAL, "seal (DSSE envelope)")):
        if (bundle / name).is_file():
            resources.append(_resource(bundle, uid, name, title, "application/json"))
    plan_resource = {
        "uuid": uid("plan"),
        "title": f"audit plan {manifest.get('audit')}",
        "description": "The reportbridge audit plan this bundle was collected by (in the "
        "manifest's plan member).",
        "rlinks": [{"href": MANIFEST, "media-type": "application/json"}],
    }
    resources.append(plan_resource)
    observations = []
    for job in manifest.get("jobs", []):
        evidence = []
        for f in job.get("files", []):
            res = {
                "uuid": uid("file", f["path"], f["sha256"]),
                "title": f["path"],
                "rlinks": [
                    {
                        "href": f["path"],
                        "media-type": _MEDIA.get(f.get("format", ""), "application/octet-stream"),
                        "hashes": [{"algorithm": "SHA-256", "value": f["sha256"]}],
                    }
                ],
            }
            resources.append(res)
            evidence.append(
                {"href": f"#{res['uuid']}", "description": f"{f['format']} file {f['path']}"}
            )
        collected = job.get("collected_at") or job.get("finished_at")
        if not collected:
            continue  # nothing was collected for this job
        observation: dict[str, Any] = {
            "uuid": uid("observation", job["key"]),
            "title": f"{job.get('provider')} {job.get('report_type')} ({job['key']})",
            "description": _describe(job),
            "props": _props(job),
            "methods": ["EXAMINE"],
            "collected": collected,
            "relevant-evidence": evidence
            or [{"description": "the job produced no file (see the manifest)"}],
        }
        if job.get("expires_at"):
            observation["expires"] = job["expires_at"]
        observations.append(observation)
    result: dict[str, Any] = {
        "uuid": uid("result"),
        "title": f"reportbridge audit {manifest.get('audit')}",
        "description": "Evidence collected from vendor report jobs by reportbridge; integrity "
        "is recorded in the bundle's manifest, custody log and seal.",
        "start": manifest.get("created_at") or manifest.get("generated_at"),
        "end": manifest.get("generated_at"),
        "reviewed-controls": {
            "description": "reportbridge collects evidence; which controls it supports is for "
            "the assessor to decide.",
            "control-selections": [{"include-all": {}}],
        },
    }
    if observations:
        result["observations"] = observations
    return {
        "assessment-results": {
            "uuid": uid("assessment-results"),
            "metadata": {
                "title": f"reportbridge evidence: {manifest.get('audit')}",
                "last-modified": manifest.get("generated_at"),
                "version": str(manifest.get("format")),
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {
                "href": f"#{plan_resource['uuid']}",
                "remarks": "No OSCAL assessment plan: the reportbridge audit plan stands in.",
            },
            "results": [result],
            "back-matter": {"resources": resources},
        }
    }


def _resource(bundle: Path, uid: Any, name: str, title: str, media: str) -> dict[str, Any]:
    return {
        "uuid": uid("bundle-file", name),
        "title": title,
        "rlinks": [
            {
                "href": name,
                "media-type": media,
                "hashes": [{"algorithm": "SHA-256", "value": file_sha256(bundle / name)}],
            }
        ],
    }


def _describe(job: dict[str, Any]) -> str:
    window = job.get("window") or {}
    parts = [
        f"Report {job.get('report_type')} from {job.get('provider')} profile "
        f"{job.get('profile')}; status {job.get('status')}."
    ]
    if window.get("from"):
        parts.append(f"Window {window['from']} to {window['to']}.")
    return " ".join(parts)


def _props(job: dict[str, Any]) -> list[dict[str, str]]:
    props = [{"name": "job-key", "ns": NS_URI, "value": str(job["key"])}]
    if job.get("rows_declared") is not None:
        props.append({"name": "rows-declared", "ns": NS_URI, "value": str(job["rows_declared"])})
    for fmt, rows in sorted((job.get("rows_counted") or {}).items()):
        if rows is not None:
            props.append({"name": "rows-counted", "ns": NS_URI, "value": str(rows), "class": fmt})
    return props


def write_oscal(bundle: Path, out: Path) -> Path:
    doc = assessment_results(bundle)
    return write_text_atomic(out, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


__all__ = ["OSCAL_VERSION", "assessment_results", "write_oscal"]
