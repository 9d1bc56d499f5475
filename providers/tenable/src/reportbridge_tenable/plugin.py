"""Entry point module: registers the tenable provider with reportbridge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportbridge.hookspecs import hookimpl
from reportbridge_tenable.provider import TenableProvider


@hookimpl
def register_providers(register: Callable[[Any], None]) -> None:
    register(TenableProvider())
