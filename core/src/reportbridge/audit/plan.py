"""Audit plans: which reports to run on which profiles, in which formats.

```toml
[audit]
name = "Q4 access review"     # optional
timeout = 3600                # optional: seconds to wait for each job

[[jobs]]
profile = "sailpoint-prod"
report_type = "IDENTITIES"
params = { correlatedOnly = true }
formats = ["csv", "pdf"]      # optional: default = the provider's first format
name = "identities"           # optional: a stable key for resume (default: derived)
```

A job's key (its ``name``) names its folder in the bundle, so it is a plain name:
1-128 letters, digits, ``.``, ``_`` or ``-``, starting and ending with a letter or digit
(``_`` and ``-`` may end it too), without ``..``; keys may not differ only in case.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from reportbridge.errors import ConfigurationError, ValidationError, accepted

_JOB_KEYS = {"profile", "report_type", "params", "formats", "name"}
#: what a job key may be: it becomes a folder name in the bundle on every system
KEY_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9_-])?")
KEY_RULE = (
    "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, not ending "
    "with '.', without '..', not a device name such as CON or NUL"
)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(10))}
_AUDIT_KEYS = {"name", "timeout"}


def _valid_key(_obj: Any, _attr: Any, key: str) -> None:
    if not is_safe_key(key):
        shown = repr(key) if isinstance(key, str) else type(key).__name__
        raise ValidationError(f"job key {shown[:140]} is not accepted; use {KEY_RULE}", field="key")


def _distinct_keys(_obj: Any, _attr: Any, jobs: tuple[PlannedJob, ...]) -> None:
    seen: set[str] = set()
    for job in jobs:
        if job.key.casefold() in seen:
            raise ValidationError(
                f"two jobs share the key {job.key!r} (keys are compared ignoring case)",
                field="key",
            )
        seen.add(job.key.casefold())


@attrs.frozen
class PlannedJob:
    key: str = attrs.field(validator=_valid_key)
    profile: str
    report_type: str
    params: dict[str, Any] = attrs.field(factory=dict)
    formats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "profile": self.profile,
            "report_type": self.report_type,
            "params": self.params,
            "formats": list(self.formats),
        }


@attrs.frozen
class AuditPlan:
    name: str
    jobs: tuple[PlannedJob, ...] = attrs.field(validator=_distinct_keys)
    timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timeout": self.timeout,
            "jobs": [j.to_dict() for j in self.jobs],
        }

    def digest(self) -> str:
        """SHA-256 of the plan as a bundle records it (a bundle resumes only its own plan)."""
        return plan_digest(self.to_dict())


def plan_digest(plan: Any) -> str:
    """SHA-256 of a plan's dict form (``AuditPlan.to_dict`` or as read from a manifest)."""
    blob = json.dumps(plan, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def load_plan(path: str | os.PathLike[str]) -> AuditPlan:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"audit plan {str(file)!r} does not exist") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise ConfigurationError(f"audit plan {str(file)!r} is not a UTF-8 TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"audit plan {str(file)!r} is not valid TOML: {exc}") from None
    return parse_plan(data, source=str(file), default_name=file.stem)


def parse_plan(
    data: Mapping[str, Any], *, source: str = "plan", default_name: str = "audit"
) -> AuditPlan:
    unknown = sorted(set(data) - {"audit", "jobs"})
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown key(s) {', '.join(unknown)}; accepted: audit, jobs"
        )
    head = data.get("audit", {})
    if not isinstance(head, Mapping) or set(head) - _AUDIT_KEYS:
        raise ConfigurationError(f"{source}: [audit] accepts only {accepted(_AUDIT_KEYS)}")
    timeout = head.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ConfigurationError(f"{source}: audit.timeout must be a finite number of seconds > 0")
    jobs_raw = data.get("jobs")
    if not isinstance(jobs_raw, list) or not jobs_raw:
        raise ConfigurationError(
            f"{source}: no jobs; add [[jobs]] tables with profile and report_type"
        )
    jobs: list[PlannedJob] = []
    seen: set[str] = set()
    for i, raw in enumerate(jobs_raw, 1):
        job = _job(source, i, raw)
        if job.key.casefold() in seen:
            raise ConfigurationError(
                f"{source}: job {i} repeats key {job.key!r} (keys are compared ignoring case); "
                "give each job a distinct name"
            )
        seen.add(job.key.casefold())
        jobs.append(job)
    name = head.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{source}: audit.name must be a non-empty string")
    return AuditPlan(name=name, jobs=tuple(jobs), timeout=float(timeout) if timeout else None)


def _job(source: str, i: int, raw: Any) -> PlannedJob:
    where = f"{source}: job {i}"
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where} must be a table ([[jobs]])")
    unknown = sorted(set(raw) - _JOB_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown key(s) {', '.join(unknown)}; accepted: {accepted(_JOB_KEYS)}"
        )
    for key in ("profile", "report_type"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigurationError(f'{where} needs {key} = "..."')
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise ConfigurationError(f"{where}: params must be a table")
    formats = raw.get("formats", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
        raise ConfigurationError(f"{where}: formats must be a list of format names")
    name = raw.get("name")
    if name is not None and not is_safe_key(name):
        shown = repr(name) if isinstance(name, str) else type(name).__name__
        raise ConfigurationError(
            f"{where}: name {shown[:140]} is not accepted as a job key; use {KEY_RULE}"
        )
    key = name or _derived_key(i, raw["profile"], raw["report_type"], dict(params))
    return PlannedJob(
        key=key,
        profile=raw["profile"],
        report_type=raw["report_type"],
        params=dict(params),
        formats=tuple(f.lower() for f in formats),
    )


def is_safe_key(key: object) -> bool:
    """Whether ``key`` may name a job (and so a folder of the bundle): see ``KEY_RULE``."""
    return (
        isinstance(key, str)
        and KEY_PATTERN.fullmatch(key) is not None
        and ".." not in key
        and key.split(".")[0].upper() not in _RESERVED
    )


def _derived_key(i: int, profile: str, report_type: str, params: dict[str, Any]) -> str:
    try:
        blob = json.dumps([profile, report_type, params], sort_keys=True, default=str)
    except (TypeError, ValueError):
        raise ValidationError(f"job {i}: params cannot be represented", field="params") from None
    return f"{i:03d}-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"
