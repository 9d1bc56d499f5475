"""The contract every provider plugin must pass; subclass :class:`ProviderContract`.

```python
from reportbridge.testing.contract import ProviderContract

class TestMyProviderContract(ProviderContract):
    provider_name = "myvendor"
    report_type = "USERS"          # succeeds on the simulator
    params = {"since": "2025-01-01"}
    fetch_format = "csv"
```

The provider's simulator must accept the keyword options ``job_seconds`` (how long a
job runs) and ``file_size`` (bytes of each report file), and say what it served
(``served_sha256``): every file ``fetch`` returns, one per result part, is checked
against it.

The provider's simulator must also declare its fault paths
(``Simulator.fault_paths``: "poll", "download", and "token" where there is a token
endpoint) for the hostile-server cases, which every provider inherits:

- a poll, a download and a token request redirected to a foreign origin (a recording
  server on 127.0.0.2, named plainly or behind a ``\\@`` that ``urllib.parse`` reads as
  the vendor's own host) bring no credential there: no secret of ``simulator.secrets()``,
  no Authorization value the simulator received, in any encoding; a token request
  sends nothing there at all;
- a poll answer that never ends, or a gzip bomb, stops at ``transport.max_body_bytes``
  with ``ResponseTooLargeError`` and bounded memory;
- ``wait(timeout=)`` ends with ``JobTimeoutError`` by its deadline against a poll
  answered ``429 Retry-After: 1000`` or trickled a byte at a time.

With ``forced_job_id`` (the id every new job gets) the contract also checks hostile ids
in the vendor's answers; the cases on ids, references and cancel live in
:mod:`reportbridge.testing.contract_ids`.
"""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from reportbridge.errors import (
    AuthenticationError,
    JobTimeoutError,
    ReportBridgeError,
    ResponseTooLargeError,
    UnsupportedOperationError,
    ValidationError,
)
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from reportbridge.refs import decode_ref
from reportbridge.status import ReportStatus
from reportbridge.testing import hostile
from reportbridge.testing.contract_ids import HostileIdsContract
from reportbridge.testing.faults import Fault
from reportbridge.testing.hostile import HostileServer, call_bounded
from reportbridge.testing.server import Simulator

FAST = PollPolicy(initial=0.05, backoff=1.2, cap=0.2, jitter=0.0)
#: a hang guard for the deadline cases: far beyond every deadline they set
HANG_GUARD = 60.0
SMALL_CAP = 64 * 1024


class ProviderContract(HostileIdsContract):
    provider_name: ClassVar[str]
    report_type: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}
    fetch_format: ClassVar[str | None] = None
    #: parameters that must be refused before any request is sent
    bad_params: ClassVar[dict[str, Any]] = {"no_such_parameter_xyz": 1}
    simulator_options: ClassVar[dict[str, Any]] = {"job_seconds": 0.3, "file_size": 4096}

    @pytest.fixture
    def registry(self) -> PluginRegistry:
        return PluginRegistry()

    @pytest.fixture
    def simulator(self, registry: PluginRegistry) -> Iterator[Simulator]:
        sim = registry.provider(self.provider_name).simulator(**self.simulator_options)
        assert sim is not None, f"provider {self.provider_name} must ship a simulator"
        with sim:
            yield sim

    def profiles(self, simulator: Simulator) -> dict[str, dict[str, Any]]:
        return {
            "contract": {
                "provider": self.provider_name,
                **simulator.profile_settings(),
                "polling": {"initial": 0.05, "backoff": 1.2, "cap": 0.2, "jitter": 0.0},
            }
        }

    @pytest.fixture
    def reports(self, simulator: Simulator, registry: PluginRegistry) -> Iterator[Any]:
        from reportbridge.facade import Reports

        with Reports.from_profiles(self.profiles(simulator), registry=registry) as reports:
            yield reports

    # -- the contract ------------------------------------------------------------------
    def test_registered_with_capabilities(self, registry: PluginRegistry) -> None:
        provider = registry.provider(self.provider_name)
        caps = provider.capabilities()
        assert provider.name == self.provider_name
        assert provider.display_name
        assert caps.report_types, "a provider lists at least one report type"
        assert caps.formats
        assert {"run", "poll", "fetch"} <= set(caps.operations)
        assert caps.report_type(self.report_type) is not None or caps.open_report_types

    def test_unknown_report_type_refused_before_any_request(
        self, reports: Any, simulator: Simulator
    ) -> None:
        before = len(simulator.requests)
        with pytest.raises(ValidationError) as info:
            reports.run("contract", "NO_SUCH_REPORT_TYPE_xyz/../", **self.params)
        assert "accepted" in str(info.value) or "must" in str(info.value)
        assert len(simulator.requests) == before

    def test_bad_parameters_refused_before_any_request(
        self, reports: Any, simulator: Simulator
    ) -> None:
        before = len(simulator.requests)
        with pytest.raises(ValidationError):
            reports.run("contract", self.report_type, **{**self.params, **self.bad_params})
        assert len(simulator.requests) == before

    def test_run_wait_fetch(self, reports: Any, simulator: Simulator, tmp_path: Any) -> None:
        import hashlib

        job = reports.run("contract", self.report_type, **self.params)
        assert job.provider == self.provider_name
        assert job.status in (ReportStatus.PENDING, ReportStatus.RUNNING, ReportStatus.SUCCEEDED)
        done = reports.wait(job, timeout=30, policy=FAST)
        assert done.status is ReportStatus.SUCCEEDED, done
        assert done.provider_status
        files = reports.fetch(done, tmp_path, format=self.fetch_format)
        expected = [p.id for p in reports.parts(done, format=self.fetch_format)]
        assert files, "a succeeded job has at least one file"
        assert [f.part for f in files][: len(expected)] == expected, "every part, in order"
        assert len({f.path for f in files}) == len(files), "one file per part"
        for f in files:
            assert f.path.is_file() and f.path.parent == tmp_path
            assert f.size == f.path.stat().st_size > 0
            assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
            single = f.part == f.format
            served = simulator.served_sha256(
                done.job_id, f.format, **({} if single else {"part": f.part})
            )
            assert f.sha256 == served, f"{f.path.name} differs from what the simulator served"
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.path.name for f in files), (
            "no temporary files left"
        )

    def test_reference_addresses_the_job_from_a_new_facade(
        self, reports: Any, simulator: Simulator, registry: PluginRegistry
    ) -> None:
        from reportbridge.facade import Reports

        job = reports.run("contract", self.report_type, **self.params)
        ref = job.ref
        assert decode_ref(ref).job_id == job.job_id
        with Reports.from_profiles(self.profiles(simulator), registry=registry) as other:
            again = other.wait(ref, timeout=30, policy=FAST)
        assert again.job_id == job.job_id
        assert again.status is ReportStatus.SUCCEEDED

    def test_reference_and_errors_hold_no_secret(self, reports: Any, simulator: Simulator) -> None:
        job = reports.run("contract", self.report_type, **self.params)
        secrets = [
            str(v)
            for k, v in simulator.profile_settings().items()
            if any(s in k for s in ("secret", "token", "password"))
        ]
        import base64

        body = job.ref[4:]
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        for secret in secrets:
            assert secret not in job.ref and secret not in decoded

    def test_cancel_or_clear_refusal(
        self, reports: Any, simulator: Simulator, registry: PluginRegistry
    ) -> None:
        caps = registry.provider(self.provider_name).capabilities()
        job = reports.run("contract", self.report_type, **self.params)
        if caps.cancel:
            cancelled = reports.cancel(job)
            final = reports.wait(cancelled, timeout=30, policy=FAST)
            assert final.status in (ReportStatus.CANCELLED, ReportStatus.SUCCEEDED)
        else:
            before = len(simulator.requests)
            with pytest.raises(UnsupportedOperationError) as info:
                reports.cancel(job)
            assert self.provider_name in str(info.value)
            assert len(simulator.requests) == before

    def test_list_or_clear_refusal(self, reports: Any, registry: PluginRegistry) -> None:
        caps = registry.provider(self.provider_name).capabilities()
        job = reports.run("contract", self.report_type, **self.params)
        if caps.list:
            ids = [j.job_id for j in reports.list("contract", limit=50)]
            assert job.job_id in ids
        else:
            with pytest.raises(UnsupportedOperationError):
                list(reports.list("contract"))

    def test_fetch_refused_until_succeeded(self, reports: Any, tmp_path: Any) -> None:
        job = reports.run("contract", self.report_type, **self.params)
        if job.status is not ReportStatus.SUCCEEDED:
            with pytest.raises(ValidationError):
                reports.fetch(job, tmp_path, format=self.fetch_format)
            assert not any(tmp_path.iterdir())

    # -- hostile servers (see the module docstring) ------------------------------------
    @pytest.fixture
    def trap(self) -> Iterator[HostileServer]:
        with HostileServer() as server:
            yield server

    def inject(self, simulator: Simulator, kind: str, **fault: Any) -> str:
        """Add a fault on the simulator's ``kind`` path; skips when it declares none."""
        if kind not in simulator.fault_paths:
            pytest.skip(f"the {self.provider_name} simulator declares no {kind!r} fault path")
        method, path, _origin = simulator.fault_paths[kind]
        label = f"contract-{kind}"
        simulator.faults.add(Fault(path=path, method=method, label=label, **fault))
        return label

    def assert_injected(self, simulator: Simulator, label: str) -> None:
        assert simulator.faults.injected.get(label), (
            f"the {label} fault never met a request: check the simulator's fault_paths"
        )

    def assert_nothing_leaked(self, simulator: Simulator, trap: HostileServer) -> None:
        issued = {
            v
            for r in simulator.requests
            for k, v in r.headers.items()
            if k.lower() == "authorization"
        }
        assert trap.leaks([*simulator.secrets(), *issued]) == []

    def other_reports(
        self, simulator: Simulator, registry: PluginRegistry, **transport: Any
    ) -> Any:
        from reportbridge.facade import Reports

        profiles = self.profiles(simulator)
        profiles["contract"]["transport"] = {
            **profiles["contract"].get("transport", {}),
            **transport,
        }
        return Reports.from_profiles(profiles, registry=registry)

    def foreign_location(
        self, simulator: Simulator, kind: str, trap: HostileServer, shape: str
    ) -> dict[str, str]:
        """A Location on the trap: plainly, or written so that urllib.parse reads the
        faulted path's own origin while urllib3 connects to the trap."""
        if shape == "plain":
            return {"Location": trap.url("/stolen")}
        home = simulator.origin_url(simulator.fault_paths[kind][2]).split("//", 1)[1]
        return {"Location": f"{trap.origin}\\@{home}/stolen"}

    @pytest.mark.parametrize("shape", ["plain", "parser-confusion"])
    @pytest.mark.parametrize("status", [302, 307, 308])
    def test_poll_redirected_to_a_foreign_origin_carries_no_credential(
        self, reports: Any, simulator: Simulator, trap: HostileServer, status: int, shape: str
    ) -> None:
        job = reports.run("contract", self.report_type, **self.params)
        location = self.foreign_location(simulator, "poll", trap, shape)
        label = self.inject(simulator, "poll", status=status, headers=location, times=None)
        with contextlib.suppress(ReportBridgeError):  # any typed outcome; never a leak
            reports.poll(job)
        self.assert_injected(simulator, label)
        self.assert_nothing_leaked(simulator, trap)

    @pytest.mark.parametrize("shape", ["plain", "parser-confusion"])
    @pytest.mark.parametrize("status", [302, 307])
    def test_download_redirected_to_a_foreign_origin_carries_no_credential(
        self,
        reports: Any,
        simulator: Simulator,
        trap: HostileServer,
        status: int,
        shape: str,
        tmp_path: Any,
    ) -> None:
        done = reports.wait(
            reports.run("contract", self.report_type, **self.params), timeout=30, policy=FAST
        )
        location = self.foreign_location(simulator, "download", trap, shape)
        label = self.inject(simulator, "download", status=status, headers=location, times=None)
        with contextlib.suppress(ReportBridgeError):
            reports.fetch(done, tmp_path, format=self.fetch_format, download_attempts=1)
        self.assert_injected(simulator, label)
        self.assert_nothing_leaked(simulator, trap)
        assert not any(tmp_path.iterdir()), "nothing from the foreign origin was kept"

    @pytest.mark.parametrize("status", [301, 302, 307, 308])
    def test_token_request_redirected_anywhere_sends_nothing_there(
        self, simulator: Simulator, registry: PluginRegistry, trap: HostileServer, status: int
    ) -> None:
        location = {"Location": trap.url("/token")}
        label = self.inject(simulator, "token", status=status, headers=location, times=None)
        with self.other_reports(simulator, registry) as fresh, pytest.raises(AuthenticationError):
            fresh.run("contract", self.report_type, **self.params)
        self.assert_injected(simulator, label)
        assert trap.received == b"", "a token request followed a redirect"

    @pytest.mark.parametrize("body", ["endless", "gzip-bomb"])
    def test_poll_answer_is_capped_with_bounded_memory(
        self, simulator: Simulator, registry: PluginRegistry, body: str
    ) -> None:
        hostile_body = {
            "endless": ({}, hostile.endless_json_body),
            "gzip-bomb": ({"Content-Encoding": "gzip"}, hostile.gzip_bomb_body),
        }
        headers, stream = hostile_body[body]
        with self.other_reports(simulator, registry, max_body_bytes=SMALL_CAP) as capped:
            job = capped.run("contract", self.report_type, **self.params)
            label = self.inject(
                simulator, "poll", status=200, headers=headers, stream=stream, times=None
            )
            tracemalloc.start()
            try:
                with pytest.raises(ResponseTooLargeError) as info:
                    call_bounded(lambda: capped.poll(job), limit=HANG_GUARD)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        self.assert_injected(simulator, label)
        assert info.value.limit == SMALL_CAP and "max_body_bytes" in str(info.value)
        assert peak < 16 * SMALL_CAP, f"{peak} bytes held for a {SMALL_CAP}-byte cap"

    @pytest.mark.parametrize("answer", ["retry-after", "trickle"])
    def test_wait_returns_by_its_deadline(
        self, reports: Any, simulator: Simulator, answer: str
    ) -> None:
        job = reports.run("contract", self.report_type, **self.params)
        fault: dict[str, Any] = (
            {"status": 429, "retry_after": "1000"} if answer == "retry-after" else {"trickle": 0.3}
        )
        label = self.inject(simulator, "poll", times=None, **fault)
        with pytest.raises(JobTimeoutError) as info:
            call_bounded(lambda: reports.wait(job, timeout=1, policy=FAST), limit=HANG_GUARD)
        self.assert_injected(simulator, label)
        assert getattr(info.value.job, "job_id", None) == job.job_id
