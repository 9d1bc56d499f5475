"""Entry point module: registers the sailpoint provider with reportbridge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportbridge.hookspecs import hookimpl
from reportbridge_sailpoint.provider import SailPointProvider


@hookimpl
def register_providers(register: Callable[[Any], None]) -> None:
    register(SailPointProvider())
