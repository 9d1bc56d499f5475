"""Report types, arguments and settings are checked before any request is sent."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ACCOUNTS, MakeReports, MakeSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportbridge import (
    ConfigurationError,
    ReportBridgeError,
    ReportJob,
    Reports,
    ValidationError,
)
from reportbridge.plugins import PluginRegistry
from reportbridge_sailpoint.reports import REPORT_TYPE_NAMES
from reportbridge_sailpoint.simulator import SailPointSimulator

PROVIDER = PluginRegistry().provider("sailpoint")


def test_all_seven_report_types_are_declared() -> None:
    assert set(REPORT_TYPE_NAMES) == {
        "ACCOUNTS",
        "IDENTITIES_DETAILS",
        "IDENTITIES",
        "IDENTITY_PROFILE_IDENTITY_ERROR",
        "ORPHAN_IDENTITIES",
        "UNCORRELATED_ACCOUNTS",
        "SEARCH_EXPORT",
    }
    caps = PROVIDER.capabilities()
    assert caps.cancel and not caps.list
    assert caps.report_type("SEARCH_EXPORT").formats == ("zip",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("report_type", "params", "expected"),
    [
        ("ACCOUNTS", ACCOUNTS, ACCOUNTS),
        ("IDENTITIES_DETAILS", {"correlatedOnly": "true"}, {"correlatedOnly": True}),
        ("IDENTITIES", {}, {"correlatedOnly": False}),  # the declared default is sent
        ("IDENTITIES", {"correlatedOnly": False}, {"correlatedOnly": False}),
        (
            "IDENTITY_PROFILE_IDENTITY_ERROR",
            {"authoritativeSource": "2c91"},
            {"authoritativeSource": "2c91"},
        ),
        ("ORPHAN_IDENTITIES", {}, {}),
        ("ORPHAN_IDENTITIES", {"selectedFormats": "csv"}, {"selectedFormats": ["CSV"]}),
        (
            "UNCORRELATED_ACCOUNTS",
            {"selectedFormats": ["pdf", "CSV", "PDF"]},
            {"selectedFormats": ["PDF", "CSV"]},
        ),
        ("UNCORRELATED_ACCOUNTS", {"selectedFormats": '["csv"]'}, {"selectedFormats": ["CSV"]}),
        (
            "SEARCH_EXPORT",
            {
                "query": "name:a*",
                "indices": "identities,roles",
                "columns": ["name", " access.spread"],
                "sort": ["-name", "+id", "created"],
            },
            {
                "query": "name:a*",
                "indices": ["identities", "roles"],
                "columns": "name,access.spread",
                "sort": ["-name", "+id", "created"],
            },
        ),
        # newer tenants know more indices than the list: unknown names pass
        ("SEARCH_EXPORT", {"query": "*", "indices": ["outliers"]}, None),
    ],
)
def test_accepted_arguments_are_normalised(
    report_type: str, params: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    clean = PROVIDER.validate(report_type, params)
    assert clean == (expected if expected is not None else params)


@pytest.mark.parametrize(
    ("report_type", "params", "needle"),
    [
        ("NOPE", {}, "accepted: ACCOUNTS, IDENTITIES, IDENTITIES_DETAILS"),
        ("accounts", ACCOUNTS, "unknown report type 'accounts'"),
        ("ACCOUNTS", {"application": "x"}, "needs parameter 'sourceName'"),
        ("ACCOUNTS", {**ACCOUNTS, "sourceName": "  "}, "'sourceName' must not be blank"),
        ("ACCOUNTS", {**ACCOUNTS, "source": "x"}, "accepted: application, sourceName"),
        ("ACCOUNTS", {**ACCOUNTS, "application": 7}, "must be a string"),
        ("IDENTITIES_DETAILS", {}, "needs parameter 'correlatedOnly'"),
        ("IDENTITIES_DETAILS", {"correlatedOnly": "maybe"}, "boolean"),
        ("IDENTITIES", {"correlatedOnly": 1}, "boolean"),
        ("IDENTITY_PROFILE_IDENTITY_ERROR", {}, "needs parameter 'authoritativeSource'"),
        ("ORPHAN_IDENTITIES", {"selectedFormats": ["XLSX"]}, "drawn from CSV, PDF"),
        ("ORPHAN_IDENTITIES", {"selectedFormats": []}, "at least one format"),
        ("UNCORRELATED_ACCOUNTS", {"selectedFormats": [1]}, "list of strings"),
        ("SEARCH_EXPORT", {}, "needs parameter 'query'"),
        ("SEARCH_EXPORT", {"query": ""}, "'query' must not be blank"),
        ("SEARCH_EXPORT", {"query": "*", "indices": []}, "non-empty list of index names"),
        ("SEARCH_EXPORT", {"query": "*", "columns": "a,,b"}, "separated by commas"),
        ("SEARCH_EXPORT", {"query": "*", "sort": ["na me"]}, "+field or -field"),
        ("SEARCH_EXPORT", {"query": "*", "columns": [1, 2]}, "must be a string"),
        ("IDENTITIES", {"query": "*"}, "accepted: correlatedOnly"),
    ],
)
def test_bad_requests_are_refused_before_any_request(
    make_sim: MakeSim,
    sp_reports: MakeReports,
    report_type: str,
    params: dict[str, Any],
    needle: str,
) -> None:
    sim = make_sim()
    reports = sp_reports(sim)
    with pytest.raises(ValidationError) as info:
        reports.run("sp", report_type, **params)
    assert needle in str(info.value)
    assert info.value.provider == "sailpoint"
    assert sim.requests == []


def test_bad_formats_are_refused_before_any_request(
    sim: SailPointSimulator, reports: Reports, tmp_path: Any
) -> None:
    job = reports.wait(reports.run("sp", "ORPHAN_IDENTITIES", selectedFormats=["CSV"]), timeout=10)
    search = reports.wait(reports.run("sp", "SEARCH_EXPORT", query="*"), timeout=10)
    before = len(sim.requests)
    with pytest.raises(ValidationError, match="accepted: csv"):
        reports.fetch(job, tmp_path, format="pdf")
    with pytest.raises(ValidationError, match="accepted: zip"):
        reports.fetch(search, tmp_path, format="csv")
    assert len(sim.requests) == before
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("job_id", ["../x", "a/b", "id?x=1", "a#b", "with space", ""])
def test_job_ids_that_cannot_be_a_path_segment_are_refused(
    sim: SailPointSimulator, reports: Reports, job_id: str
) -> None:
    job = ReportJob(provider="sailpoint", profile="sp", job_id=job_id, report_type="ACCOUNTS")
    with pytest.raises(ValidationError, match="task result id"):
        reports.poll(job)
    with pytest.raises(ValidationError, match="task result id"):
        reports.cancel(job)
    assert sim.requests == []


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"api_version": "v4"}, "accepted: beta, reports/v1, v2024, v2025, v2026, v3"),
        ({"base_url": "https://acme.api.identitynow.com/v3"}, "without a version"),
        ({"base_url": "https://acme.api.identitynow.com/reports/v1"}, "without a version"),
        ({"base_url": "acme.api.identitynow.com"}, "absolute https URL"),
        ({"base_url": "https://acme.api.identitynow.com?x=1"}, "query string"),
        ({"token_url": "ftp://acme/oauth"}, "token_url must be an absolute https URL"),
        ({"tenant": "acme"}, "accepted: api_version, auditable_downloads, base_url"),
        ({"client_secret": ""}, "missing required setting(s) client_secret"),
        ({"auditable_downloads": "perhaps"}, "auditable_downloads"),
    ],
)
def test_bad_settings_are_configuration_errors(settings: dict[str, Any], needle: str) -> None:
    table = {
        "provider": "sailpoint",
        "base_url": "https://acme.api.identitynow.com",
        "client_id": "id",
        "client_secret": "s3cr3t-value",
        **settings,
    }
    with pytest.raises(ConfigurationError) as info:
        Reports.from_profiles({"sp": table})
    assert needle in str(info.value)
    assert "s3cr3t-value" not in str(info.value)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("V2025", "v2025"), ("/reports/v1/", "reports/v1"), (" beta ", "beta")],
)
def test_versions_are_normalised(version: str, expected: str) -> None:
    raw = {"base_url": "https://acme.api.identitynow.com/", "client_id": "i", "client_secret": "s"}
    parsed = PROVIDER.parse_settings("p", {**raw, "api_version": version})
    assert parsed.api_version == expected
    assert parsed.base_url == "https://acme.api.identitynow.com"
    assert parsed.effective_token_url == "https://acme.api.identitynow.com/oauth/token"


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
ARGUMENT_NAMES = ("application", "sourceName", "correlatedOnly", "authoritativeSource")
ARGUMENT_NAMES += ("selectedFormats", "query", "indices", "columns", "sort")
names = st.sampled_from(ARGUMENT_NAMES) | st.text(max_size=8)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.sampled_from(REPORT_TYPE_NAMES) | st.text(max_size=20),
    st.dictionaries(names, values, max_size=4),
)
def test_fuzzed_arguments_only_meet_typed_errors(report_type: str, params: dict[str, Any]) -> None:
    try:
        clean = PROVIDER.validate(report_type, params)
    except ReportBridgeError as exc:
        assert isinstance(exc, ValidationError) and exc.provider == "sailpoint"
        return
    for value in clean.values():
        assert value is not None
    if "selectedFormats" in clean:
        assert clean["selectedFormats"] and set(clean["selectedFormats"]) <= {"CSV", "PDF"}
