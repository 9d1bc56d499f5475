"""reportbridge provider plugin for SpaceONE (Cloudforet) reports (``spaceone.api.report.v1``)."""

from reportbridge_spaceone.provider import SpaceoneProvider
from reportbridge_spaceone.settings import SpaceoneSettings

__all__ = ["SpaceoneProvider", "SpaceoneSettings"]
