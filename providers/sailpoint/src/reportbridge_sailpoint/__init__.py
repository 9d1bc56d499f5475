"""reportbridge provider plugin for SailPoint Identity Security Cloud."""
