"""reportbridge provider plugin for Talkdesk Explore (data reports API)."""

from reportbridge_explore.provider import ExploreProvider
from reportbridge_explore.settings import ExploreSettings
from reportbridge_explore.status import STATUS, VOCABULARY

__all__ = ["STATUS", "VOCABULARY", "ExploreProvider", "ExploreSettings"]
