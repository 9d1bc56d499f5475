"""Contract cases on hostile ids and finished results, inherited by every provider.

:class:`~reportbridge.testing.contract.ProviderContract` mixes these in. They hold a
plugin to what DESIGN.md promises: an id from a crafted reference or a vendor answer
never steers a request (it is refused with :class:`ValidationError` before anything is
sent, or it reaches the simulator as exactly one encoded path segment of a route the
simulator serves), and cancelling a finished job sends nothing and keeps its file.

Hostile answers need a simulator switch: a simulator whose constructor takes
``forced_job_id`` gives that id to every job it creates, and the contract then checks
what the client does with an id it was answered.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest

from reportbridge.errors import ProviderProtocolError, ReportBridgeError, ValidationError
from reportbridge.model import ReportJob, ResultPart
from reportbridge.plugins import PluginRegistry
from reportbridge.polling import PollPolicy
from reportbridge.refs import PREFIX, JobRef, encode_ref
from reportbridge.status import ReportStatus
from reportbridge.testing.server import RecordedRequest, Simulator

#: every hostile value carries this marker, so a request built from it can be found
MARKER = "zq9"
#: path-unsafe ids: each must be refused, or travel as one segment decoding to itself
HOSTILE_IDS = (
    f"../../../{MARKER}admin/users/42?force=true#",
    f"../{MARKER}x",
    f"{MARKER}a/b",
    f"{MARKER}x?y=1",
    f"%2e%2e%2f{MARKER}",
    f"{MARKER}%2F..%2Fadmin",
    f"{MARKER}#frag",
    f"{MARKER}\\..\\admin",
    f"{MARKER}\u2215..\u2215admin",
    f"{MARKER}\uff0f..\uff0fadmin",
    f"\uff0e\uff0e/{MARKER}",
    f"{MARKER}\x00x",
    f"{MARKER}\r\nX-Injected: 1",
    f"{MARKER}\tx",
    f"{MARKER};jsessionid=1",
    f"{MARKER}:odd~id@x",
)
#: ids no server may receive: a dot segment cannot be encoded away
DOT_SEGMENTS = (".", "..")
_FAST = PollPolicy(initial=0.05, backoff=1.2, cap=0.2, jitter=0.0)


def handmade_ref(fields: Mapping[str, Any] | str) -> str:
    """A job reference written by hand, as someone could paste it: ``rb1.`` and URL-safe
    base64 of ``fields`` (the short keys ``p n i t s x``) or of JSON text, with none of the
    checks ``reportbridge.refs.encode_ref`` makes."""
    text = fields if isinstance(fields, str) else json.dumps(fields, allow_nan=True)
    return PREFIX + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def stray_requests(simulator: Simulator, requests: list[RecordedRequest], value: str) -> list[str]:
    """Requests that left the simulator's routes, or whose API path carried ``value`` other
    than as one whole segment (the marker finds every piece of it). Paths on other origins
    (storage) are the vendor's own links, not built by the client."""
    routes = simulator._routes
    found = []
    for r in requests:
        served = any(
            method == r.method and origin == r.origin and pattern.fullmatch(r.path)
            for method, pattern, origin, _ in routes
        )
        segments = r.path.split("/") if r.origin == "api" else []
        marked = [s for s in segments if MARKER in unquote(s)]
        if not served or (marked and [unquote(s) for s in marked] != [value]):
            found.append(f"{r.method} {r.origin} {r.path}")
    return found


class HostileIdsContract:
    """Cases on ids in paths and on cancel; the rest comes from
    :class:`~reportbridge.testing.contract.ProviderContract`."""

    provider_name: ClassVar[str]
    report_type: ClassVar[str]
    params: ClassVar[dict[str, Any]]
    fetch_format: ClassVar[str | None]
    simulator_options: ClassVar[dict[str, Any]]

    def profiles(self, simulator: Simulator) -> dict[str, dict[str, Any]]:
        raise NotImplementedError  # pragma: no cover - ProviderContract's

    # -- helpers -------------------------------------------------------------------------
    def _operations(
        self, reports: Any, registry: PluginRegistry, job_id: str, report_type: str, tmp: Path
    ) -> list[Callable[[], object]]:
        """Poll, cancel and fetch of the job, from a reference and from a finished record."""
        ref = encode_ref(JobRef(self.provider_name, "contract", job_id, report_type))
        finished = ReportJob(
            provider=self.provider_name,
            profile="contract",
            job_id=job_id,
            report_type=report_type,
            status=ReportStatus.SUCCEEDED,
            provider_status="done",
            formats=(self.fetch_format,) if self.fetch_format else (),
        )
        session = reports.session("contract")

        def open_file() -> None:
            # open_part reaches open_file for single-file providers; "1" is a plausible
            # chunk or page id, so only the job id can be refused
            part = ResultPart(id="1", format=self.fetch_format or "csv")
            session.open_part(finished, part).close()

        ops: list[Callable[[], object]] = [
            lambda: reports.poll(ref),
            lambda: reports.fetch(ref, tmp, format=self.fetch_format),
            lambda: reports.fetch(finished, tmp, format=self.fetch_format),
            open_file,
        ]
        if registry.provider(self.provider_name).capabilities().cancel:
            ops += [lambda: reports.cancel(ref), lambda: session.cancel(finished)]
        return ops

    def _check_steering(
        self, simulator: Simulator, ops: list[Callable[[], object]], value: str
    ) -> None:
        for op in ops:
            before = len(simulator.requests)
            # A typed refusal, or the vendor's answer (not found...), is fine: what matters
            # is where the requests went; any other exception fails the case.
            with contextlib.suppress(ReportBridgeError):
                op()
            stray = stray_requests(simulator, simulator.requests[before:], value)
            assert not stray, f"{value!r} steered requests: {stray}"

    # -- the cases -------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("field", "hostile"),
        [("job_id", h) for h in HOSTILE_IDS]
        + [("report_type", h) for h in HOSTILE_IDS[:4] + HOSTILE_IDS[6:8]],
    )
    def test_path_unsafe_values_in_a_reference_never_steer_a_request(
        self,
        reports: Any,
        simulator: Simulator,
        registry: PluginRegistry,
        tmp_path: Path,
        field: str,
        hostile: str,
    ) -> None:
        job = reports.run("contract", self.report_type, **self.params)  # a token is cached
        job_id, report_type = (hostile, self.report_type)
        if field == "report_type":
            job_id, report_type = job.job_id, hostile
        ops = self._operations(reports, registry, job_id, report_type, tmp_path)
        self._check_steering(simulator, ops, hostile)

    @pytest.mark.parametrize("dots", DOT_SEGMENTS)
    def test_dot_segment_ids_are_refused_before_any_request(
        self,
        reports: Any,
        simulator: Simulator,
        registry: PluginRegistry,
        tmp_path: Path,
        dots: str,
    ) -> None:
        reports.run("contract", self.report_type, **self.params)
        before = len(simulator.requests)
        for op in self._operations(reports, registry, dots, self.report_type, tmp_path):
            with pytest.raises(ValidationError):
                op()
        assert simulator.requests[before:] == []

    @pytest.mark.parametrize("hostile", [HOSTILE_IDS[0], HOSTILE_IDS[2], HOSTILE_IDS[-1]])
    def test_hostile_ids_answered_by_the_vendor_never_steer_a_request(
        self, registry: PluginRegistry, tmp_path: Path, hostile: str
    ) -> None:
        from reportbridge.facade import Reports

        provider = registry.provider(self.provider_name)
        probe = provider.simulator()
        if probe is None or "forced_job_id" not in inspect.signature(type(probe)).parameters:
            pytest.skip("the simulator has no forced_job_id switch")
        sim = provider.simulator(**self.simulator_options, forced_job_id=hostile)
        assert sim is not None
        with sim, Reports.from_profiles(self.profiles(sim), registry=registry) as reports:
            try:
                job = reports.run("contract", self.report_type, **self.params)
            except ProviderProtocolError:
                return  # refused when answered: nothing more was sent with it
            assert job.job_id == hostile
            ops = self._operations(reports, registry, hostile, self.report_type, tmp_path)
            self._check_steering(
                sim, [lambda: reports.wait(job, timeout=30, policy=_FAST), *ops], hostile
            )

    def test_cancel_of_a_finished_job_sends_nothing_and_keeps_the_file(
        self, reports: Any, simulator: Simulator, registry: PluginRegistry, tmp_path: Path
    ) -> None:
        if not registry.provider(self.provider_name).capabilities().cancel:
            pytest.skip("the provider cannot cancel")
        done = reports.wait(
            reports.run("contract", self.report_type, **self.params), timeout=30, policy=_FAST
        )
        assert done.is_terminal
        before = len(simulator.requests)
        for target in (done, done.ref):
            assert reports.cancel(target).status is done.status
        looks = simulator.fault_paths.get("poll")  # (method, path regex, origin) of a poll
        for r in simulator.requests[before:]:
            if looks is None:
                assert r.method == "GET", f"cancel sent {r.method} {r.path}"
            else:
                method, path, origin = looks
                is_look = (r.method, r.origin) == (method, origin) and re.search(path, r.path)
                assert is_look, f"cancel of a finished job sent {r.method} {r.path}"
        if done.is_fetchable:
            for f in reports.fetch(done, tmp_path, format=self.fetch_format):
                part = {} if f.part == f.format else {"part": f.part}
                try:
                    served = simulator.served_sha256(done.job_id, f.format, **part)
                except NotImplementedError:
                    served = f.sha256
                assert f.sha256 == served, f"{f.path.name}: the result changed after cancel"


__all__ = [
    "DOT_SEGMENTS",
    "HOSTILE_IDS",
    "MARKER",
    "HostileIdsContract",
    "handmade_ref",
    "stray_requests",
]
