"""The Talkdesk Explore provider as reportbridge registers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reportbridge import Capabilities
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge.transport.hosts import AWS_S3_HOSTS
from reportbridge_explore.params import REPORT_TYPES, check_timespan, report_type_spec
from reportbridge_explore.settings import FORMATS, ExploreSettings, check_settings
from reportbridge_explore.status import PROVIDER

if TYPE_CHECKING:
    from reportbridge.testing.server import Simulator


class ExploreProvider(Provider):
    name = PROVIDER
    display_name = "Talkdesk Explore"
    settings_type = ExploreSettings
    #: The vendor runs at most 15 reports (queued + running) per account.
    default_max_active_jobs = 15
    #: files come from short-lived signed S3 URLs [C]; nowhere else
    download_hosts = AWS_S3_HOSTS

    def __init__(self) -> None:
        # Report types added by any profile's extra_report_types (the vendor adds types
        # faster than this list is updated). validate() has no profile, so it accepts them
        # all; the session then refuses, before sending, a type its own profile lacks.
        self._extra_types: dict[str, None] = {}
        self._capabilities: tuple[tuple[str, ...], Capabilities] | None = None

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> ExploreSettings:
        table = dict(raw)
        for key in ("scopes", "extra_report_types"):
            if isinstance(table.get(key), str):  # "a b" means ["a", "b"], never its letters
                table[key] = table[key].replace(",", " ").split()
        settings = check_settings(profile, super().parse_settings(profile, table))
        for name in settings.extra_report_types:
            if name not in REPORT_TYPES:
                self._extra_types.setdefault(name)
        return settings

    def capabilities(self) -> Capabilities:
        # asked on every fetch and format check: built again only when a profile has added
        # report types since
        extra = tuple(self._extra_types)
        if self._capabilities is None or self._capabilities[0] != extra:
            known = [report_type_spec(name, text) for name, text in REPORT_TYPES.items()]
            added = [report_type_spec(name, "added by extra_report_types") for name in extra]
            caps = Capabilities(
                report_types=(*known, *added), formats=FORMATS, cancel=True, list=True
            )
            self._capabilities = (extra, caps)
        return self._capabilities[1]

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_timespan(report_type, super().validate(report_type, params))

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        from reportbridge_explore.session import ExploreSession

        return ExploreSession(self, ctx)

    def simulator(self, **options: Any) -> Simulator:
        from reportbridge_explore.simulator import ExploreSimulator

        return ExploreSimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        january = {"from": "2025-01-01T00:00:00", "to": "2025-02-01T00:00:00"}
        return [
            ("calls", {**january, "timezone": "Europe/Lisbon", "format": "csv"}, ("csv",)),
            ("contacts", {**january, "format": "json"}, ("json",)),
            ("user_status", {**january, "format": "json_bulk"}, ("json_bulk",)),
        ]
