"""Entry point module: registers the spaceone provider with reportbridge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportbridge.hookspecs import hookimpl


@hookimpl
def register_providers(register: Callable[[Any], None]) -> None:
    # The provider is added by the spaceone provider issue.
    return None
