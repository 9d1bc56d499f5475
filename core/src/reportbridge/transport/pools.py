"""The connection pools of one HTTP client: one for direct connections and one per proxy.

A pool is chosen per request by the origin it reaches (:mod:`~reportbridge.transport.proxy`
decides which proxy, if any), so two profiles, or one profile's API and its file
storage, never share a connection made for another route: the proxy is part of every
pool's key. https through a proxy is a CONNECT tunnel; TLS is verified end to end with
the profile's CA settings, and the proxy itself (an https proxy) is verified the same way.
"""

from __future__ import annotations

import threading
from typing import TypeVar

import urllib3

from reportbridge.transport.options import TransportOptions
from reportbridge.transport.proxy import ProxyRules, ProxySpec
from reportbridge.transport.tls import make_ssl_context
from reportbridge.transport.urls import Origin
from reportbridge.transport.watchdog import GUARDED_POOLS

M = TypeVar("M", bound=urllib3.PoolManager)


class Pools:
    """Direct and proxied connection pools of one client."""

    def __init__(self, options: TransportOptions, rules: ProxyRules) -> None:
        self.rules = rules
        self._options = options
        self._ssl = make_ssl_context(options.ca_bundle)
        self.direct = self._guarded(
            urllib3.PoolManager(
                num_pools=8,
                maxsize=options.pool_maxsize,
                block=False,
                ssl_context=self._ssl,
                retries=False,
            )
        )
        self._proxied: dict[ProxySpec, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()

    def route(self, origin: Origin, *, what: str) -> tuple[urllib3.PoolManager, ProxySpec | None]:
        """The pools to reach ``origin`` with, and the proxy on the way (None: direct)."""
        proxy = self.rules.for_origin(origin, what=what)
        if proxy is None:
            return self.direct, None
        with self._lock:
            manager = self._proxied.get(proxy)
            if manager is None:
                manager = self._guarded(
                    urllib3.ProxyManager(
                        proxy.url,  # no credentials in the URL: they go in a header
                        num_pools=8,
                        proxy_headers=proxy.headers(),
                        proxy_ssl_context=self._ssl if proxy.scheme == "https" else None,
                        maxsize=self._options.pool_maxsize,
                        block=False,
                        ssl_context=self._ssl,
                        retries=False,
                    )
                )
                self._proxied[proxy] = manager
            return manager, proxy

    def clear(self) -> None:
        self.direct.clear()
        with self._lock:
            for manager in self._proxied.values():
                manager.clear()

    @staticmethod
    def _guarded(manager: M) -> M:
        # connections report their socket to the exchange's watchdog guard
        manager.pool_classes_by_scheme = GUARDED_POOLS
        return manager


__all__ = ["Pools"]
