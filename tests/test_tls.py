"""TLS: verification on by default, custom CA bundles, host names, TLS >= 1.2."""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from reportbridge import ConfigurationError, ReportStatus, TransportError
from reportbridge.plugins import PluginRegistry
from reportbridge.transport import HttpClient, TransportOptions
from reportbridge.transport.tls import make_ssl_context
from tests.toy import ToySimulator


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(
    ca: trustme.CA, *hosts: str, max_version: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(ctx)
    if max_version is not None:
        with warnings.catch_warnings():  # setting an old version is itself deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = max_version
    return ctx


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def tls_sim(ca: trustme.CA) -> Iterator[ToySimulator]:
    with ToySimulator(
        job_seconds=0.1, ssl_context=server_context(ca, "127.0.0.1", "localhost")
    ) as sim:
        yield sim  # type: ignore[misc]


def test_verification_is_on_by_default(tls_sim: ToySimulator) -> None:
    assert tls_sim.base_url.startswith("https://")
    with pytest.raises(TransportError) as info:
        HttpClient(tls_sim.base_url).request("GET", "jobs")
    assert "certificate verify failed" in str(info.value)


def test_custom_ca_bundle(
    tls_sim: ToySimulator,
    ca_file: Path,
    toy_registry: PluginRegistry,
    make_reports: Any,
    tmp_path: Path,
) -> None:
    assert (
        HttpClient(tls_sim.base_url, options=TransportOptions(ca_bundle=str(ca_file)))
        .request("GET", "jobs")
        .status
        == 401
    )
    reports = make_reports(
        {"tls": tls_sim}, registry=toy_registry, transport={"ca_bundle": str(ca_file)}
    )
    job = reports.wait(reports.run("tls", "USERS"), timeout=10)
    assert job.status is ReportStatus.SUCCEEDED
    assert reports.fetch(job, tmp_path)[0].size == tls_sim.file_size


def test_hostname_mismatch_refused(ca: trustme.CA, ca_file: Path) -> None:
    with ToySimulator(ssl_context=server_context(ca, "reports.example.com")) as sim:
        client = HttpClient(sim.base_url, options=TransportOptions(ca_bundle=str(ca_file)))
        with pytest.raises(TransportError) as info:
            client.request("GET", "jobs")
    assert "host name" in str(info.value) or "certificate verify failed" in str(info.value)


def test_tls_below_1_2_refused(ca: trustme.CA, ca_file: Path) -> None:
    ctx = make_ssl_context(ca_file)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname
    try:
        old = server_context(ca, "127.0.0.1", max_version=ssl.TLSVersion.TLSv1_1)
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    with ToySimulator(ssl_context=old) as sim:
        client = HttpClient(sim.base_url, options=TransportOptions(ca_bundle=str(ca_file)))
        with pytest.raises(TransportError) as info:
            client.request("GET", "jobs")
    assert "TLS" in str(info.value)


def test_bad_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a readable file"):
        make_ssl_context(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="no usable PEM"):
        make_ssl_context(junk)
