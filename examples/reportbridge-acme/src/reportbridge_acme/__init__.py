"""Example reportbridge provider plugin for Acme Audit Cloud, a fictional vendor.

It is the plugin docs/plugins.md walks through: chunked results, custom header
authentication, secret settings, checked parameters, cancel, listing and a simulator.
"""

from reportbridge_acme.provider import AcmeProvider
from reportbridge_acme.settings import AcmeSettings
from reportbridge_acme.status import STATUS, VOCABULARY

__all__ = ["STATUS", "VOCABULARY", "AcmeProvider", "AcmeSettings"]
