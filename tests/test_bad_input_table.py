"""Every row of the bad-input table in docs/reliability.md, as a test.

Each case feeds one kind of bad input through the public surface (library or CLI)
and checks the typed error and that its message names what was wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportbridge import ConfigurationError, Reports, ValidationError
from reportbridge.audit import load_plan, parse_plan
from reportbridge.plugins import PluginRegistry
from tests.toy import ToySimulator

CASES: list[tuple[str, str, Any, type[Exception], str]] = [
    # (input class, case, input, error, text the message must contain)
    (
        "profile",
        "unknown provider",
        {"p": {"provider": "ghost"}},
        ConfigurationError,
        "no provider named 'ghost'",
    ),
    (
        "profile",
        "missing setting",
        {"p": {"provider": "toy"}},
        ConfigurationError,
        "missing required setting(s) base_url",
    ),
    (
        "profile",
        "unknown setting",
        {
            "p": {
                "provider": "toy",
                "base_url": "http://127.0.0.1:9",
                "client_id": "a",
                "client_secret": "b",
                "tenant": 1,
            }
        },
        ConfigurationError,
        "accepted: base_url, client_id, client_secret",
    ),
    ("profile", "bad name", {"a b": {"provider": "toy"}}, ConfigurationError, "profile name 'a b'"),
    (
        "profile",
        "unset env var",
        {"p": {"provider": "toy", "client_id": "${RB_UNSET_VAR}"}},
        ConfigurationError,
        "RB_UNSET_VAR, which is not set",
    ),
    (
        "profile",
        "bad transport value",
        {"p": {"provider": "toy", "transport": {"read_timeout": "slow"}}},
        ConfigurationError,
        "read_timeout must be a finite number",
    ),
    (
        "profile",
        "bad polling value",
        {"p": {"provider": "toy", "polling": {"jitter": 3}}},
        ConfigurationError,
        "jitter",
    ),
]


@pytest.mark.parametrize(
    ("kind", "case", "value", "error", "needle"), CASES, ids=[c[1] for c in CASES]
)
def test_profile_inputs(
    toy_registry: PluginRegistry,
    kind: str,
    case: str,
    value: Any,
    error: type[Exception],
    needle: str,
) -> None:
    with pytest.raises(error) as info:
        Reports.from_profiles(value, env={}, registry=toy_registry)
    assert needle in str(info.value)


def test_base_url_plain_http_to_remote_host(toy_registry: PluginRegistry) -> None:
    reports = Reports.from_profiles(
        {
            "p": {
                "provider": "toy",
                "base_url": "http://reports.example.com",
                "client_id": "a",
                "client_secret": "b",
            }
        },
        registry=toy_registry,
    )
    with pytest.raises(ValidationError, match="only https is accepted, except for loopback"):
        reports.run("p", "USERS")


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda r: r.run("toy", "NOPE"), "accepted: AUDIT, USERS"),
        (lambda r: r.run("toy", ""), "non-empty"),
        (lambda r: r.run("toy", "AUDIT"), "needs parameter 'since'"),
        (lambda r: r.run("toy", "USERS", active_only="perhaps"), "boolean"),
        (lambda r: r.run("toy", "USERS", label=5), "must be a string"),
        (lambda r: r.run("toy", "USERS", extra=1), "accepted: active_only, label"),
        (lambda r: r.poll("rb1.%%%"), "damaged"),
        (lambda r: r.poll("job-123"), "starting with 'rb1.'"),
        (lambda r: r.poll("rb1.eyJ4Ijp7fX0"), "incomplete"),
        (lambda r: r.run("other", "USERS"), "configured profiles: toy"),
    ],
)
def test_request_inputs(
    toy_reports: Reports, toy_sim: ToySimulator, call: Any, needle: str
) -> None:
    before = len(toy_sim.requests)
    with pytest.raises((ValidationError, ConfigurationError)) as info:
        call(toy_reports)
    assert needle in str(info.value)
    assert len(toy_sim.requests) == before


def test_format_and_destination(toy_reports: Reports, tmp_path: Path) -> None:
    job = toy_reports.wait(toy_reports.run("toy", "USERS"), timeout=10)
    with pytest.raises(ValidationError, match="accepted: csv, json"):
        toy_reports.fetch(job, tmp_path, format="xlsx")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValidationError, match="cannot create destination folder"):
        toy_reports.fetch(job, blocker / "sub")


@pytest.mark.parametrize(
    ("plan", "needle"),
    [
        ({}, "no jobs"),
        ({"jobs": []}, "no jobs"),
        ({"jobs": [{"profile": "p"}]}, "needs report_type"),
        ({"jobs": [{"profile": "p", "report_type": "T", "when": 1}]}, "unknown key(s) when"),
        (
            {"jobs": [{"profile": "p", "report_type": "T", "formats": [1]}]},
            "formats must be a list",
        ),
        ({"jobs": [{"profile": "p", "report_type": "T", "params": 3}]}, "params must be a table"),
        ({"jobs": [{"name": "a", "profile": "p", "report_type": "T"}] * 2}, "repeats key 'a'"),
        (
            {"audit": {"timeout": -1}, "jobs": [{"profile": "p", "report_type": "T"}]},
            "timeout must be",
        ),
        ({"extra": 1}, "unknown key(s) extra"),
    ],
)
def test_plan_inputs(plan: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_plan(plan)
    assert needle in str(info.value)


def test_plan_file_not_toml(tmp_path: Path) -> None:
    bad = tmp_path / "plan.toml"
    bad.write_text("[[jobs]\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_plan(bad)


def test_plan_checked_against_providers_before_sending(
    toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Path
) -> None:
    from reportbridge.audit import run_audit

    plan = parse_plan(
        {
            "jobs": [
                {"profile": "toy", "report_type": "USERS"},
                {"profile": "toy", "report_type": "USERS", "formats": ["pdf"]},
            ]
        }
    )
    with pytest.raises(ValidationError, match="format"):
        run_audit(toy_reports, plan, tmp_path / "b")
    assert toy_sim.count("POST") == 0
