"""reportbridge provider plugin for SailPoint Identity Security Cloud.

The provider drives the Reports Data Extraction API (run, poll, cancel, fetch);
:mod:`reportbridge_sailpoint.simulator` is an offline simulator of that API.
"""

from reportbridge_sailpoint.provider import SailPointProvider
from reportbridge_sailpoint.settings import API_VERSIONS, SailPointSettings

__all__ = ["API_VERSIONS", "SailPointProvider", "SailPointSettings"]
