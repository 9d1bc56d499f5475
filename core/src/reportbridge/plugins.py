"""Finding and holding plugins: entry points (group ``reportbridge``) and code.

Each plugin is loaded, registered and asked for its providers on its own: a plugin
whose module fails to import, whose hooks do not match the specification, or whose
``register_providers`` raises is set aside as a :class:`BrokenPlugin` (with its
distribution, version and a one-line, redacted error) and the others keep working.
Observer hooks are called plugin by plugin too: one that raises is logged and skipped.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pluggy

from reportbridge import hookspecs
from reportbridge.errors import ConfigurationError, accepted
from reportbridge.errortext import one_line
from reportbridge.logging import get_logger
from reportbridge.provider import Provider

ENTRY_POINT_GROUP = "reportbridge"
PLUGINS_ENV = "REPORTBRIDGE_PLUGINS"
log = get_logger("reportbridge.plugins")


@attrs.frozen
class BrokenPlugin:
    """A plugin set aside: ``name`` is its entry point's name, ``error`` one line."""

    name: str
    distribution: str | None
    version: str | None
    error: str

    @property
    def source(self) -> str:
        """``distribution version`` (or "in-process") for messages."""
        if self.distribution is None:
            return "in-process"
        return f"{self.distribution} {self.version}" if self.version else self.distribution

    def explain(self) -> str:
        return f"plugin {self.name!r} from {self.source} failed: {self.error}"


@attrs.frozen
class _Origin:
    distribution: str | None = None
    version: str | None = None


class PluginRegistry:
    """A pluggy plugin manager plus the providers its plugins registered."""

    def __init__(self, *, load_entry_points: bool = True, extra: str | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._providers: dict[str, Provider] | None = None
        self._owners: dict[str, str] = {}  # provider name -> plugin name
        self._origins: dict[str, _Origin] = {}  # plugin name -> distribution
        self._broken: list[BrokenPlugin] = []  # set aside when loaded or registered
        self._hook_broken: list[BrokenPlugin] = []  # set aside by register_providers
        self._lock = threading.Lock()
        if load_entry_points:
            self._load_entry_points()
        for spec in (extra or "").split(","):
            if spec.strip():
                self._add(load_plugin_spec(spec.strip()), f"env:{spec.strip()}", _Origin())

    # -- loading -----------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        for dist, ep in _entry_points():
            if self.pm.get_plugin(ep.name) is not None or self.pm.is_blocked(ep.name):
                continue
            if ep.name in self._origins or any(b.name == ep.name for b in self._broken):
                continue  # the same distribution seen twice on sys.path
            origin = _Origin(_dist_name(dist), _dist_version(dist))
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:
                self._set_aside(ep.name, origin, f"cannot be imported: {one_line(exc)}")
                continue
            self._add(plugin, ep.name, origin)

    def _add(self, plugin: object, name: str, origin: _Origin) -> None:
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:
            self._set_aside(name, origin, f"cannot be registered: {one_line(exc)}")
            return
        try:
            self.pm.check_pending()
        except Exception as exc:
            self.pm.unregister(name=name)
            self._set_aside(name, origin, f"implements unknown hooks: {one_line(exc)}")
            return
        self._origins[name] = origin

    def _set_aside(self, name: str, origin: _Origin, error: str) -> None:
        broken = BrokenPlugin(name, origin.distribution, origin.version, error)
        log.warning("plugin set aside", plugin=name, source=broken.source, error=error)
        self._broken.append(broken)

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin object or module in code (tests, embedding)."""
        self.pm.register(plugin, name=name)
        self.pm.check_pending()
        with self._lock:
            self._providers = None

    # -- hooks -------------------------------------------------------------------------
    @property
    def hook(self) -> Any:
        """The hooks, each plugin called on its own: an observer that raises is logged."""
        return _IsolatedHooks(self.pm)

    def broken(self) -> list[BrokenPlugin]:
        """Plugins set aside, with why (after :meth:`providers` has asked every plugin)."""
        self.providers()
        with self._lock:
            return [*self._broken, *self._hook_broken]

    def providers(self) -> dict[str, Provider]:
        """Every registered provider by name."""
        with self._lock:
            if self._providers is None:
                self._providers, self._owners, self._hook_broken = self._collect()
            return dict(self._providers)

    def _collect(self) -> tuple[dict[str, Provider], dict[str, str], list[BrokenPlugin]]:
        offers: list[tuple[str, list[Provider]]] = []
        broken: list[BrokenPlugin] = []
        for name, plugin in self._plugins_with("register_providers"):
            try:
                offers.append((name, self._providers_of(plugin)))
            except Exception as exc:
                broken.append(
                    self._hook_failed(name, f"register_providers failed: {one_line(exc)}")
                )
        # Two plugins naming the same provider: neither is chosen, since either could be
        # the one the profiles' credentials were meant for.
        claims: dict[str, list[str]] = {}
        for name, offered in offers:
            for provider in offered:
                claims.setdefault(provider.name, []).append(name)
        found: dict[str, Provider] = {}
        owners: dict[str, str] = {}
        for name, offered in offers:
            clash = [(p.name, c) for p in offered for c in claims[p.name] if c != name]
            if clash:
                taken, other = clash[0]
                broken.append(
                    self._hook_failed(
                        name,
                        f"registers provider {taken!r}, as plugin {other!r} does; neither "
                        "is used: uninstall one of them",
                    )
                )
                continue
            for provider in offered:
                found[provider.name] = provider
                owners[provider.name] = name
        return found, owners, broken

    def _hook_failed(self, name: str, error: str) -> BrokenPlugin:
        origin = self._origins.get(name, _Origin())
        log.warning("plugin set aside", plugin=name, error=error)
        return BrokenPlugin(name, origin.distribution, origin.version, error)

    def _providers_of(self, plugin: object) -> list[Provider]:
        offered: list[Provider] = []

        def register(provider: Provider) -> None:
            if not isinstance(provider, Provider):
                raise ConfigurationError(
                    f"it registered a {type(provider).__name__}, which is not a "
                    "reportbridge.provider.Provider"
                )
            if any(p.name == provider.name and p is not provider for p in offered):
                raise ConfigurationError(f"it registers two providers named {provider.name!r}")
            offered.append(provider)

        self._only(plugin, "register_providers")(register=register)
        return offered

    def _plugins_with(self, hook: str) -> Iterator[tuple[str, object]]:
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            yield impl.plugin_name, impl.plugin

    def _only(self, plugin: object, hook: str) -> Callable[..., Any]:
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)

    # -- lookup ------------------------------------------------------------------------
    def provider(self, name: str) -> Provider:
        providers = self.providers()
        if name in providers:
            return providers[name]
        broken = self.broken()
        for plugin in broken:
            if _may_offer(plugin, name):
                raise ConfigurationError(
                    f"provider {name!r} is not available: {plugin.explain()}. Fix or reinstall "
                    f"{plugin.distribution or 'the plugin'} (see 'reportbridge providers')"
                )
        also = ""
        if broken:
            also = "; set aside: " + "; ".join(p.explain() for p in broken)
        raise ConfigurationError(
            f"no provider named {name!r} is installed; installed: {accepted(providers)}. "
            f"Install its distribution (e.g. reportbridge-sailpoint){also}"
        )

    def source_of(self, provider_name: str) -> tuple[str | None, str | None]:
        """Distribution and version whose plugin registered ``provider_name``
        (None, None: registered in code or from $REPORTBRIDGE_PLUGINS)."""
        self.providers()
        with self._lock:
            owner = self._owners.get(provider_name)
        origin = self._origins.get(owner or "", _Origin())
        return origin.distribution, origin.version


class _IsolatedHooks:
    """``registry.hook.NAME(**kw)`` calls each plugin's implementation on its own."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm

    def __getattr__(self, hook: str) -> Callable[..., None]:
        caller = getattr(self._pm.hook, hook)

        def call(**kwargs: Any) -> None:
            plugins = self._pm.get_plugins()
            for impl in caller.get_hookimpls():
                others = [p for p in plugins if p is not impl.plugin]
                try:
                    self._pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)
                except Exception as exc:
                    log.warning(
                        "plugin hook failed; skipped",
                        plugin=impl.plugin_name,
                        hook=hook,
                        error=one_line(exc),
                    )

        return call


def _entry_points() -> Iterator[tuple[importlib.metadata.Distribution, Any]]:
    for dist in importlib.metadata.distributions():
        try:
            eps = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
        except Exception:  # noqa: S112 - unreadable metadata is not ours to report
            continue
        for ep in eps:
            yield dist, ep


def _dist_name(dist: importlib.metadata.Distribution) -> str | None:
    try:
        name = dist.metadata["Name"]
    except Exception:
        return None
    return str(name) if name else None


def _dist_version(dist: importlib.metadata.Distribution) -> str | None:
    try:
        return str(dist.version)
    except Exception:
        return None


def _may_offer(plugin: BrokenPlugin, provider: str) -> bool:
    """Whether a broken plugin is probably the one with ``provider`` (by naming habit)."""
    names = {plugin.name.lower()}
    if plugin.distribution:
        dist = plugin.distribution.lower().replace("_", "-")
        names |= {dist, dist.removeprefix("reportbridge-")}
    return provider.lower() in names


def load_plugin_spec(spec: str) -> object:
    """``module`` or ``module:attribute`` (a class is instantiated), as in $REPORTBRIDGE_PLUGINS."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        obj = getattr(module, attr) if attr else module
    except (Exception, SystemExit) as exc:
        raise ConfigurationError(
            f"cannot load plugin {spec!r} (from ${PLUGINS_ENV}): {one_line(exc)}; give "
            "'module' or 'module:attribute'"
        ) from None
    return obj() if isinstance(obj, type) else obj


@attrs.frozen
class Distribution:
    """An installed distribution: its name and version."""

    name: str
    version: str


def distribution_of(provider: Provider) -> Distribution | None:
    """The distribution that ships ``provider``, or None for one defined in code.

    Found through the ``reportbridge`` entry point whose module lies in the provider's
    top-level package (that works for editable installs, which list no files), else
    through the files installed distributions list.
    """
    package = type(provider).__module__.partition(".")[0]
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.module.partition(".")[0] == package and ep.dist is not None:
            return Distribution(ep.dist.name, ep.dist.version)
    for name in importlib.metadata.packages_distributions().get(package, []):
        try:
            return Distribution(name, importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            continue
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
