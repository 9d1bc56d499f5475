"""Done-when of the proxy work: a profile behind an authenticating proxy runs the demo
audit end to end through it. Every installed simulator serves https (trustme), every
request (token hosts and file storage included) goes through proxy.py's CONNECT tunnel,
and nothing of the vendors' credentials crosses the proxy in clear."""

from __future__ import annotations

from pathlib import Path

import trustme

from reportbridge.audit import run_audit
from reportbridge.cli.simulate import demo_plan, started_simulators
from reportbridge.facade import Reports
from reportbridge.plugins import PluginRegistry
from tests.proxykit import ForwardProxy, clear_authorization, tls_server_context


def test_the_demo_audit_runs_through_an_authenticating_proxy(tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    registry = PluginRegistry()
    with (
        ForwardProxy(tmp_path, user="audit-proxy", password="audit-proxy-pass-61f0") as proxy,
        started_simulators(
            None,
            job_seconds=0.5,
            file_size=16 * 1024,
            ssl_context=tls_server_context(ca, "127.0.0.1"),
        ) as sims,
    ):
        assert len(sims) >= 4
        transport = {"proxy": proxy.url, "ca_bundle": str(ca_file)}
        profiles, plan = demo_plan(sims, registry, transport=transport)
        with Reports.from_profiles(profiles, registry=registry) as reports:
            result = run_audit(reports, plan, tmp_path / "bundle")
        assert result.exit_code == 0, result.manifest["summary"]

        # every origin the vendors were reached at (API, token host, storage) was a
        # CONNECT tunnel through the proxy, and nothing reached a simulator otherwise
        origins = {
            sim.origin_url(origin).rsplit(":", 1)[1]
            for sim in sims.values()
            for origin in {r.origin for r in sim.requests}
        }
        tunnelled = {c.rsplit(":", 1)[1] for c in proxy.connects()}
        assert origins <= tunnelled
        assert {r["method"] for r in proxy.requests()} == {"CONNECT"}
        assert all(
            r["headers"].get("proxy-authorization", "").startswith("Basic")
            for r in proxy.requests()
        )
        # what crossed the proxy: no Authorization header, no credential the vendors
        # issued or accepted, in any byte it received
        sent = {
            v
            for sim in sims.values()
            for r in sim.requests
            for k, v in r.headers.items()
            if k.lower() in ("authorization", "x-apikeys")
        }
        issued = {s for sim in sims.values() for s in sim.secrets()}
        assert sent and issued
        assert not clear_authorization(proxy.received)
        assert proxy.leaks(sent | issued) == []
