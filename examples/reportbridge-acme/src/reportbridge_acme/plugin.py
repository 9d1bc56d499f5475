"""The entry point module (``[project.entry-points.reportbridge]``): registers the provider."""

from __future__ import annotations

from collections.abc import Callable

from reportbridge.hookspecs import hookimpl
from reportbridge.provider import Provider
from reportbridge_acme.provider import AcmeProvider


@hookimpl
def register_providers(register: Callable[[Provider], None]) -> None:
    register(AcmeProvider())
