"""Plugins with bugs (tests only): a provider whose code raises what nobody expects, and an
observer whose hook raises. Loaded with $REPORTBRIDGE_PLUGINS or registered in code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from reportbridge import Capabilities, ReportJob, ReportStatus
from reportbridge.hookspecs import hookimpl
from reportbridge.provider import ProfileContext, Provider, ProviderSession

#: what the crash message carries: a secret that must never be printed
LEAKED_TOKEN = "crashy-secret-token-0123456789"


@attrs.frozen
class CrashySettings:
    base_url: str = "http://127.0.0.1:9"


class CrashyProvider(Provider):
    name = "crashy"
    display_name = "A provider with a bug"
    settings_type = CrashySettings

    def capabilities(self) -> Capabilities:
        raise RuntimeError(
            f"boom\nsecond line Authorization: Bearer {LEAKED_TOKEN} access_token={LEAKED_TOKEN}"
        )

    def connect(self, ctx: ProfileContext) -> ProviderSession:
        raise NotImplementedError

    def validate(self, report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.capabilities()
        return {}


class CrashyPlugin:
    @hookimpl
    def register_providers(self, register: Callable[[Provider], None]) -> None:
        register(CrashyProvider())


class RaisingObserver:
    """Raises from every lifecycle hook (an audit-log plugin whose disk is gone)."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def job_submitted(self, job: ReportJob) -> None:
        self.calls += 1
        raise OSError(f"observer cannot write (token {LEAKED_TOKEN})")

    @hookimpl
    def job_status_changed(self, job: ReportJob, previous: ReportStatus) -> None:
        self.calls += 1
        raise ValueError("observer broke")

    @hookimpl
    def file_fetched(self, job: ReportJob, file: Any) -> None:
        self.calls += 1
        raise RuntimeError("observer broke")


class DupeProvider(CrashyProvider):
    name = "dupe"


@hookimpl
def register_providers_dupe(register: Callable[[Provider], None]) -> None:
    register(DupeProvider())
