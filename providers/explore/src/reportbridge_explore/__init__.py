"""reportbridge provider plugin for Talkdesk Explore."""
