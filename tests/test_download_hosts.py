"""Where files may come from: the API's own host and the provider's (or the profile's)
allowed download hosts. A vendor answer pointing a download anywhere else is refused
before a byte is requested there, for every built-in provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reportbridge import ConfigurationError, DownloadHostError, ReportStatus
from reportbridge.cli.simulate import started_simulators
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from reportbridge.testing import Fault
from reportbridge.testing.hostile import HostileServer
from reportbridge.transport.hosts import AWS_S3_HOSTS, DownloadHosts, parse_pattern
from reportbridge.transport.urls import parse_origin

FAST = PollPolicy(initial=0.05, backoff=1.3, cap=0.2, jitter=0.0)
API = parse_origin("https://api.vendor.example")


@pytest.mark.parametrize(
    ("patterns", "url", "allowed"),
    [
        ((), "https://api.vendor.example:8443/file", True),  # the API's host, any port
        ((), "https://files.vendor.example/file", False),
        (AWS_S3_HOSTS, "https://bucket.s3.amazonaws.com/x", True),
        (AWS_S3_HOSTS, "https://my.dotted.bucket.s3.amazonaws.com/x", True),
        (AWS_S3_HOSTS, "https://bucket.s3.eu-west-1.amazonaws.com/x", True),
        (AWS_S3_HOSTS, "https://s3.us-east-1.amazonaws.com/bucket/x", True),
        (AWS_S3_HOSTS, "https://bucket.s3.dualstack.us-east-1.amazonaws.com/x", True),
        (AWS_S3_HOSTS, "https://s3.amazonaws.com.evil.net/x", False),
        (AWS_S3_HOSTS, "https://evil-s3.amazonaws.com/x", False),
        (AWS_S3_HOSTS, "https://bucket.s3.a.b.amazonaws.com/x", False),  # * is one label
        (("*.example.com",), "https://example.com/x", False),  # below, not the domain
        (("*.example.com",), "https://a.b.example.com/x", True),
        (("files.example.com:8443",), "https://files.example.com:8443/x", True),
        (("files.example.com:8443",), "https://files.example.com/x", False),
        (("10.1.2.3",), "https://10.1.2.3/x", True),
        (("10.1.2.3",), "https://10.1.2.4/x", False),
        (("[::1]",), "https://[0:0::1]/x", True),
        (("*",), "https://anything.example.net/x", True),
        (("FILES.Example.com.",), "https://files.example.com/x", True),
    ],
)
def test_host_patterns(patterns: tuple[str, ...], url: str, allowed: bool) -> None:
    hosts = DownloadHosts.parse(patterns, source="test")
    assert hosts.allows(parse_origin(url), API) is allowed


@pytest.mark.parametrize("bad", ["*.*", "exa mple.com", "host:0", "a..b", "-x.com", "[::1]x"])
def test_a_bad_pattern_names_the_setting(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="download_hosts"):
        parse_pattern(bad, source="profile 'p': transport.download_hosts")


def test_the_error_names_the_host_and_the_setting_never_the_url() -> None:
    hosts = DownloadHosts.parse(["*.s3.amazonaws.com"], source="test")
    with pytest.raises(DownloadHostError) as info:
        hosts.check(parse_origin("https://evil.example.net/x"), API, what="download", provider="p")
    message = str(info.value)
    assert "evil.example.net" in message and "transport.download_hosts" in message
    assert (info.value.host, info.value.port, info.value.field) == (
        "evil.example.net",
        443,
        "download_hosts",
    )


def test_storage_providers_declare_s3_and_api_providers_nothing() -> None:
    providers = PluginRegistry().providers()
    assert providers["explore"].download_hosts == AWS_S3_HOSTS
    assert providers["spaceone"].download_hosts == AWS_S3_HOSTS
    assert providers["sailpoint"].download_hosts == ()  # files come from the API origin
    assert providers["tenable"].download_hosts == ()


# -- against the simulators ------------------------------------------------------------------
@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Any]]:
    with started_simulators(None, job_seconds=0.2, file_size=4096) as running:
        yield running


@pytest.fixture
def trap() -> Iterator[HostileServer]:
    with HostileServer() as server:  # 127.0.0.2: another host
        yield server


def reports_for(sim: Any, name: str, **transport: Any) -> Reports:
    table = {"provider": name, **sim.profile_settings()}
    if transport:
        table["transport"] = transport
    return Reports.from_profiles({"p": table}, registry=PluginRegistry())


def finished(reports: Reports, name: str) -> Any:
    provider = reports.provider_for("p")
    report_type, params, formats = provider.demo_jobs()[0]
    job = reports.wait(reports.run("p", report_type, **params), timeout=30, policy=FAST)
    assert job.status is ReportStatus.SUCCEEDED
    return job, formats[0] if formats else None


def point_downloads_at(sim: Any, name: str, trap: HostileServer) -> str:
    """Make the vendor's answer send the file download to the trap; returns the label."""
    target = trap.url("/reports/stolen.csv?X-Amz-Signature=abc")
    if name == "explore":  # the files endpoint's redirect names the signed URL
        path = r"^/data/reports/[^/]+/files/[^/]+$"
        sim.faults.add(
            Fault(path=path, status=303, headers={"Location": target}, times=None, label="away")
        )
    elif name == "spaceone":  # get_download_url answers with the signed URL
        body = json.dumps({"download_url": target}).encode()
        sim.faults.add(
            Fault(path=r"/download_url$", status=200, body=body, times=None, label="away")
        )
    else:  # the API's own download answers with a redirect elsewhere
        method, path, _ = sim.fault_paths["download"]
        sim.faults.add(
            Fault(
                path=path,
                method=method,
                status=302,
                headers={"Location": target},
                times=None,
                label="away",
            )
        )
    return "away"


PROVIDERS = ["explore", "sailpoint", "spaceone", "tenable"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_download_pointed_at_another_host_is_refused_before_any_byte(
    sims: dict[str, Any], trap: HostileServer, name: str, tmp_path: Path
) -> None:
    sim = sims[name]
    with reports_for(sim, name) as reports:
        job, fmt = finished(reports, name)
        label = point_downloads_at(sim, name, trap)
        try:
            with pytest.raises(DownloadHostError) as info:
                reports.fetch(job, tmp_path, format=fmt)
        finally:
            sim.faults.clear()
    assert sim.faults.injected.get(label), "the hostile answer was given"
    assert trap.received == b"", "not a byte was requested from the other host"
    assert info.value.host == "127.0.0.2"
    assert not any(tmp_path.iterdir()), "nothing was kept"


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_profile_may_allow_another_download_host(
    sims: dict[str, Any], trap: HostileServer, name: str, tmp_path: Path
) -> None:
    sim = sims[name]
    with reports_for(sim, name, download_hosts=["127.0.0.2"]) as reports:
        job, fmt = finished(reports, name)
        point_downloads_at(sim, name, trap)
        try:
            with pytest.raises(Exception):  # noqa: B017,PT011 - the trap answers 404
                reports.fetch(job, tmp_path, format=fmt, download_attempts=1)
        finally:
            sim.faults.clear()
    assert trap.requests, "the allowed host was asked for the file"
    assert trap.leaks(sim.secrets()) == []


def test_simulators_serve_files_from_their_own_host(sims: dict[str, Any], tmp_path: Path) -> None:
    """Storage on the API's host (another port) is the API's host: the demo works."""
    sim = sims["explore"]
    with reports_for(sim, "explore") as reports:
        job, fmt = finished(reports, "explore")
        files = reports.fetch(job, tmp_path, format=fmt)
    assert files and files[0].size > 0
    assert sim.count("GET", "^/_s3/", origin="storage") >= 1
