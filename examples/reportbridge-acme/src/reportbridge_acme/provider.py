"""The Acme provider as reportbridge registers it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reportbridge import Capabilities
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge.transport import RateLimit
from reportbridge_acme.reports import FORMATS, REPORT_TYPES
from reportbridge_acme.settings import AcmeSettings, check_settings
from reportbridge_acme.status import PROVIDER

if TYPE_CHECKING:
    from reportbridge_acme.simulator import AcmeSimulator


class AcmeProvider(Provider):
    name = PROVIDER
    display_name = "Acme Audit Cloud (example plugin)"
    settings_type = AcmeSettings
    # Acme allows 20 requests a second per API key, and three unfinished exports.
    default_rate_limit = RateLimit(20, 1.0)
    default_max_active_jobs = 3

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=REPORT_TYPES, formats=FORMATS, cancel=True, list=True, parts="chunked"
        )

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> AcmeSettings:
        return check_settings(profile, super().parse_settings(profile, raw))

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        from reportbridge_acme.session import AcmeSession

        return AcmeSession(self, ctx)

    def simulator(self, **options: Any) -> AcmeSimulator:
        from reportbridge_acme.simulator import AcmeSimulator

        return AcmeSimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
        return [
            ("users", {"status": "active"}, FORMATS),
            ("audit_events", {"since": week_ago, "severity": ["warning", "critical"]}, ("csv",)),
        ]
