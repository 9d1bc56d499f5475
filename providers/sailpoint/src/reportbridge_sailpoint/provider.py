"""The SailPoint provider as reportbridge registers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reportbridge.model import Capabilities
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge_sailpoint.limits import VENDOR_RATE_LIMIT
from reportbridge_sailpoint.reports import (
    FORMATS,
    REPORT_TYPES,
    check_arguments,
    prepare_arguments,
)
from reportbridge_sailpoint.settings import (
    PROVIDER,
    SailPointSettings,
    check_raw_settings,
    check_settings,
)

if TYPE_CHECKING:
    from reportbridge.testing.server import Simulator


class SailPointProvider(Provider):
    """SailPoint Identity Security Cloud, Reports Data Extraction API."""

    name = PROVIDER
    display_name = "SailPoint Identity Security Cloud (Reports Data Extraction)"
    settings_type = SailPointSettings
    default_rate_limit = VENDOR_RATE_LIMIT

    def capabilities(self) -> Capabilities:
        # No list: the vendor has no endpoint that lists report tasks.
        return Capabilities(report_types=REPORT_TYPES, formats=FORMATS, cancel=True, list=False)

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> SailPointSettings:
        check_raw_settings(profile, raw)
        return check_settings(profile, super().parse_settings(profile, raw))

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        clean = super().validate(report_type, prepare_arguments(report_type, params))
        return check_arguments(report_type, clean)

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        from reportbridge_sailpoint.session import SailPointSession

        return SailPointSession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        from reportbridge_sailpoint.simulator import SailPointSimulator

        return SailPointSimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        return [
            (
                "ACCOUNTS",
                {
                    "application": "2c9180897e7742b2017e781782f705b9",
                    "sourceName": "Active Directory",
                },
                ("csv", "pdf"),
            ),
            ("IDENTITIES", {"correlatedOnly": True}, ("csv",)),
            ("SEARCH_EXPORT", {"query": "name:a*", "indices": ["identities"]}, ("zip",)),
        ]


__all__ = ["SailPointProvider"]
