"""reportbridge provider plugin for Tenable Vulnerability Management exports."""

from reportbridge_tenable.provider import TenableProvider
from reportbridge_tenable.settings import TenableSettings
from reportbridge_tenable.status import STATUS, VOCABULARY

__all__ = ["STATUS", "VOCABULARY", "TenableProvider", "TenableSettings"]
