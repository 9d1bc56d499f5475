"""The Tenable Vulnerability Management provider as reportbridge registers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reportbridge import Capabilities
from reportbridge.params import resolve_report_type, validate_params
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge_tenable.params import FORMATS, REPORT_TYPES, check_request, prepare
from reportbridge_tenable.settings import TenableSettings, check_settings
from reportbridge_tenable.status import PROVIDER

if TYPE_CHECKING:
    from reportbridge_tenable.simulator import TenableSimulator

#: 2023-11-14T22:13:20Z: a fixed "since" keeps the demo's exports identical run to run
DEMO_SINCE = 1_700_000_000


class TenableProvider(Provider):
    name = PROVIDER
    display_name = "Tenable Vulnerability Management exports"
    settings_type = TenableSettings
    # The vendor sizes its per-user request rate from its own load and publishes no number;
    # its 429 answers carry Retry-After, which the transport honours. A profile can set one.
    default_rate_limit = None
    #: Two concurrent exports of each kind per container; two per profile never exceeds it.
    default_max_active_jobs = 2

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=REPORT_TYPES, formats=FORMATS, cancel=True, list=True, parts="chunked"
        )

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> TenableSettings:
        table = dict(raw)
        if isinstance(table.get("export_kinds"), str):  # "vulns assets" is a list, not letters
            table["export_kinds"] = table["export_kinds"].replace(",", " ").split()
        return check_settings(profile, super().parse_settings(profile, table))

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        spec = resolve_report_type(self.name, self.capabilities(), report_type)
        checked = validate_params(self.name, spec, prepare(spec.name, params))
        return check_request(spec.name, checked)

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        from reportbridge_tenable.session import TenableSession

        return TenableSession(self, ctx)

    def simulator(self, **options: Any) -> TenableSimulator:
        from reportbridge_tenable.simulator import TenableSimulator

        return TenableSimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        return [
            (
                "vulns",
                {
                    "severity": ["high", "critical"],
                    "state": ["OPEN", "REOPENED"],
                    "since": DEMO_SINCE,
                },
                FORMATS,
            ),
            ("assets", {"chunk_size": 500, "updated_at": DEMO_SINCE}, FORMATS),
        ]
