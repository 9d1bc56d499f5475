"""reportbridge provider plugin for SpaceONE (Cloudforet)."""
