"""The ``reportbridge`` command line."""
