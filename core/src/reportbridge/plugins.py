"""Finding and holding plugins: entry points (group ``reportbridge``) and code."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from typing import Any

import pluggy

from reportbridge import hookspecs
from reportbridge.errors import ConfigurationError, accepted
from reportbridge.provider import Provider

ENTRY_POINT_GROUP = "reportbridge"
PLUGINS_ENV = "REPORTBRIDGE_PLUGINS"


class PluginRegistry:
    """A pluggy plugin manager plus the providers its plugins registered."""

    def __init__(self, *, load_entry_points: bool = True, extra: str | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._providers: dict[str, Provider] | None = None
        self._lock = threading.Lock()
        if load_entry_points:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for spec in (extra or "").split(","):
            if spec.strip():
                self.pm.register(load_plugin_spec(spec.strip()), name=f"env:{spec.strip()}")
        self.pm.check_pending()

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin object or module in code (tests, embedding)."""
        self.pm.register(plugin, name=name)
        self.pm.check_pending()
        with self._lock:
            self._providers = None

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def providers(self) -> dict[str, Provider]:
        """Every registered provider by name."""
        with self._lock:
            if self._providers is None:
                found: dict[str, Provider] = {}

                def register(provider: Provider) -> None:
                    if not isinstance(provider, Provider):
                        raise ConfigurationError(
                            f"a plugin registered {provider!r}, which is not a "
                            "reportbridge.provider.Provider"
                        )
                    if provider.name in found and found[provider.name] is not provider:
                        raise ConfigurationError(
                            f"two plugins register a provider named {provider.name!r}"
                        )
                    found[provider.name] = provider

                self.pm.hook.register_providers(register=register)
                self._providers = found
            return dict(self._providers)

    def provider(self, name: str) -> Provider:
        providers = self.providers()
        try:
            return providers[name]
        except KeyError:
            raise ConfigurationError(
                f"no provider named {name!r} is installed; installed: {accepted(providers)}. "
                "Install its distribution (e.g. reportbridge-sailpoint)"
            ) from None


def load_plugin_spec(spec: str) -> object:
    """``module`` or ``module:attribute`` (a class is instantiated), as in $REPORTBRIDGE_PLUGINS."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        obj = getattr(module, attr) if attr else module
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"cannot load plugin {spec!r} (from ${PLUGINS_ENV}): {exc}; give 'module' or "
            "'module:attribute'"
        ) from None
    return obj() if isinstance(obj, type) else obj


def distribution_of(provider: Provider) -> str | None:
    """The distribution that ships ``provider`` (for `providers` output)."""
    module = type(provider).__module__.split(".")[0]
    for dist_name in importlib.metadata.packages_distributions().get(module, []):
        return dist_name
    # Editable installs list no top-level names; the entry point still names its distribution.
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.module.split(".")[0] == module and ep.dist is not None:
            return str(ep.dist.name)
    return None


_default: PluginRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> PluginRegistry:
    """The process-wide registry built from installed entry points."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PluginRegistry(extra=os.environ.get(PLUGINS_ENV))
        return _default
