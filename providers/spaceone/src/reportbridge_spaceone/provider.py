"""The ``spaceone`` provider: SpaceONE (Cloudforet) report service, ``spaceone.api.report.v1``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reportbridge import Capabilities
from reportbridge.errors import ConfigurationError, ValidationError
from reportbridge.logging import get_logger
from reportbridge.provider import ProfileContext, Provider, ProviderSession
from reportbridge.transport.tls import check_url_allowed
from reportbridge_spaceone.settings import SpaceoneSettings, complete_settings
from reportbridge_spaceone.status import PROVIDER
from reportbridge_spaceone.templates import EXAMPLE, check_request, request_warnings

if TYPE_CHECKING:
    from reportbridge_spaceone.simulator import SpaceoneSimulator

log = get_logger("reportbridge.spaceone")

#: what templates commonly render; the template decides, the storage's Content-Type tells
FORMATS = ("pdf", "csv", "xlsx", "html", "json", "zip")


class SpaceoneProvider(Provider):
    name = PROVIDER
    display_name = "SpaceONE (Cloudforet) reports"
    settings_type = SpaceoneSettings
    # No rate limit or quota is documented; the profile can set one.
    default_rate_limit = None
    default_max_active_jobs = None

    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=(EXAMPLE,),
            formats=FORMATS,
            cancel=False,  # the API has no cancel, delete or update RPC
            list=True,
            open_report_types=True,  # template ids are deployment-specific
        )

    def parse_settings(self, profile: str, raw: Mapping[str, Any]) -> SpaceoneSettings:
        if not isinstance(raw.get("strict_ids", True), bool):  # cattrs reads "no" as True
            raise ConfigurationError(
                f"profile {profile!r} (provider {PROVIDER!r}): strict_ids must be true or false",
                provider=PROVIDER,
            )
        settings: SpaceoneSettings = super().parse_settings(profile, raw)
        try:
            check_url_allowed(settings.base_url, what="base_url")
        except ValidationError as exc:
            raise ConfigurationError(
                f"profile {profile!r} (provider {PROVIDER!r}): {exc.message}", provider=PROVIDER
            ) from None
        return complete_settings(profile, settings)

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        clean = check_request(report_type, super().validate(report_type, params))
        for warning in request_warnings(report_type, clean):
            log.warning("unusual id", provider=PROVIDER, detail=warning)
        return clean

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        from reportbridge_spaceone.session import SpaceoneSession

        return SpaceoneSession(self, ctx)

    def simulator(self, **options: Any) -> SpaceoneSimulator:
        from reportbridge_spaceone.simulator import SpaceoneSimulator

        return SpaceoneSimulator(**options)

    def demo_jobs(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        from reportbridge_spaceone.sim_store import CSV_TEMPLATE, PDF_TEMPLATE

        return [
            (PDF_TEMPLATE, {"name": "Monthly cost summary", "template_options": {}}, ()),
            (CSV_TEMPLATE, {"name": "Cloud inventory export"}, ()),
        ]
