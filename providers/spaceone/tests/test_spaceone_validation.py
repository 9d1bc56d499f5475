"""Bad input is refused with a typed error before any request; no secret in any message."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from spaceone_testkit import PDF

from reportbridge import ConfigurationError, UnsupportedOperationError, ValidationError
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge_spaceone.settings import token_claims
from reportbridge_spaceone.simulator import SpaceoneSimulator
from reportbridge_spaceone.templates import request_warnings


@pytest.mark.parametrize(
    ("template_id", "why"),
    [
        ("", "non-empty"),
        ("   ", "non-empty"),
        ("../report/v1/reports", "not an id"),
        ("template 1a2b", "not an id"),
        ("template-1a2b3c4d5e6f?x=1", "not an id"),
        ("-template", "not an id"),
        ("x" * 129, "not an id"),
        ("tmpl\n", "not an id"),
    ],
)
def test_bad_template_ids_are_refused(
    reports: Reports, sim: SpaceoneSimulator, template_id: str, why: str
) -> None:
    with pytest.raises(ValidationError) as info:
        reports.run("so", template_id, name="x")
    assert why in str(info.value) or "must" in str(info.value)
    assert sim.requests == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x", "template_options": [1, 2]}, "template_options"),
        ({"name": "x", "template_options": "not json"}, "template_options"),
        ({"name": "x", "template_options": {"when": float("nan")}}, "template_options"),
        ({"name": "x", "template_options": {"when": object()}}, "template_options"),
        ({"name": "x", "storage_id": "../../etc"}, "storage_id"),
        ({"name": "x", "format": "pdf"}, "format"),
        ({"name": "x", "domain_id": "domain-other"}, "domain_id"),
    ],
)
def test_bad_parameters_are_refused(
    reports: Reports, sim: SpaceoneSimulator, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        reports.run("so", PDF, **params)
    assert info.value.field == field
    assert sim.requests == []


def test_parameters_are_coerced_and_trimmed() -> None:
    provider = PluginRegistry().provider("spaceone")
    clean = provider.validate(
        PDF, {"name": "  Monthly  ", "template_options": '{"month": "2025-02"}', "storage_id": ""}
    )
    assert clean == {"name": "Monthly", "template_options": {"month": "2025-02"}}


def test_unusual_but_plausible_ids_are_only_warned_about() -> None:
    provider = PluginRegistry().provider("spaceone")
    assert provider.validate("my_template", {"name": "x"}) == {"name": "x"}
    assert request_warnings("my_template", {})
    assert request_warnings(PDF, {"storage_id": "bucket_a"})
    assert not request_warnings(PDF, {"storage_id": "storage-0f9e8d7c6b5a"})


def test_cancel_is_refused_naming_the_provider(reports: Reports, sim: SpaceoneSimulator) -> None:
    job = reports.run("so", PDF, name="x")
    before = len(sim.requests)
    with pytest.raises(UnsupportedOperationError) as info:
        reports.cancel(job)
    assert "spaceone" in str(info.value)
    assert len(sim.requests) == before


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "done"}, "status"),
        ({"state": "DONE"}, "state"),
        ({"state": 9}, "state"),
        ({"state": "expired"}, "state"),
        ({"state": " , "}, "state"),
        ({"name": "x"}, "name"),
    ],
)
def test_bad_list_filters_are_refused(
    reports: Reports, sim: SpaceoneSimulator, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        next(iter(reports.list("so", **filters)))
    assert info.value.field == field and "accepted" in str(info.value)
    assert sim.requests == []


# -- settings ---------------------------------------------------------------------------


def _profile(sim: SpaceoneSimulator, **changes: Any) -> dict[str, Any]:
    table = {"provider": "spaceone", **sim.profile_settings(), **changes}
    return {k: v for k, v in table.items() if v is not None}


def _jwt(claims: dict[str, Any]) -> str:
    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"token": None}, "missing required setting(s) token"),
        ({"token": "   "}, "token is empty"),
        ({"api_style": "grpc"}, "accepted: gateway, rest"),
        ({"gateway_download_verb": "get/url"}, "one path segment"),
        ({"list_page_size": 0}, "between 1 and"),
        ({"base_url": "http://spaceone.example.com"}, "only https"),
        ({"base_url": "ftp://127.0.0.1"}, "https"),
        ({"domain_id": None, "token": "opaque-api-key-value"}, "no 'did' claim"),
        ({"domain_id": None, "token": _jwt({"aud": "bob"})}, "no 'did' claim"),
        ({"region": "eu"}, "unknown setting(s) region"),
    ],
)
def test_bad_settings_are_configuration_errors(
    sim: SpaceoneSimulator, changes: dict[str, Any], phrase: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        Reports.from_profiles({"so": _profile(sim, **changes)})
    assert phrase in str(info.value)
    assert sim.token not in str(info.value)
    assert "opaque-api-key-value" not in str(info.value)
    assert sim.requests == []


def test_domain_id_is_read_from_the_token(
    sim: SpaceoneSimulator, make_spaceone: Callable[..., Reports]
) -> None:
    assert token_claims(sim.token)["did"] == sim.domain_id
    reports = make_spaceone(sim, domain_id=None)
    assert reports.session("so").settings.domain_id == sim.domain_id
    job = reports.run("so", PDF, name="from the did claim")
    assert job.job_id.startswith("report-")


def test_token_claims_tolerate_non_jwts() -> None:
    assert token_claims("not-a-jwt") == {}
    assert token_claims("a.!!!.c") == {}
    assert token_claims("a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c") == {}


def test_settings_never_show_the_token(sim: SpaceoneSimulator) -> None:
    provider = PluginRegistry().provider("spaceone")
    settings = provider.parse_settings("so", sim.profile_settings())
    assert sim.token not in repr(settings)
