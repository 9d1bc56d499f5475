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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from reportbridge.errors import UnsupportedOperationError, ValidationError
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from reportbridge.refs import decode_ref
from reportbridge.status import ReportStatus
from reportbridge.testing.server import Simulator

FAST = PollPolicy(initial=0.05, backoff=1.2, cap=0.2, jitter=0.0)


class ProviderContract:
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
