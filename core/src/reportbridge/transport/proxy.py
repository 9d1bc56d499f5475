"""Which proxy a request goes through: the profile's ``transport.proxy``, else the
environment, with the rules of curl and requests.

- The profile's ``proxy`` wins over the environment: a URL (``http://user:pass@proxy:3128``)
  sends every https request of the profile through it, except to hosts of the profile's
  ``no_proxy`` list; ``"none"`` sends everything directly. The environment's NO_PROXY
  does not apply to a profile proxy (the profile says it all).
- Otherwise ``https_proxy``/``HTTPS_PROXY`` (then ``all_proxy``/``ALL_PROXY``) is used
  for https requests, except to hosts that ``no_proxy``/``NO_PROXY`` names; the lower-case
  name wins when both are set, as in curl and requests.
- Plain http never goes through a proxy. reportbridge speaks plain http only to loopback
  addresses (simulators, local test servers), which a proxy elsewhere cannot reach, and
  through a forwarding proxy the whole request (credentials included) would cross it in
  clear. So ``HTTP_PROXY`` is not used, and a profile proxy with a plain-http URL is
  refused unless ``no_proxy`` names its host. https goes through a CONNECT tunnel: the
  proxy sees the host and port, never a header, body or credential of the request.

NO_PROXY entries (comma or space separated, case-insensitive): ``*`` (every host); a
domain, with or without a leading dot or ``*.``, matching the domain and every subdomain
(``example.com`` and ``.example.com`` both match ``example.com`` and
``api.example.com``, not ``badexample.com``); an IP address or a CIDR block
(``10.0.0.0/8``, ``fd00::/8``) matching IP-address hosts; any of these with ``:PORT``
matching that port only.

The proxy's user and password are registered for redaction and sent only to the proxy
(``Proxy-Authorization: Basic``), never to a vendor; messages name a proxy by scheme,
host and port only.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

import attrs

from reportbridge.errors import ConfigurationError, ValidationError
from reportbridge.logging import register_secret
from reportbridge.transport.urls import Origin, parse_origin

NO_PROXY_SETTING = "none"
#: environment variables for https requests, in the order they are looked up
HTTPS_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")
_SCHEMES = ("http", "https")


@attrs.frozen
class ProxySpec:
    """A proxy to send requests through; its credentials never show in a repr or message."""

    scheme: str
    host: str
    port: int
    source: str  # "transport.proxy" or the environment variable it came from
    username: str | None = attrs.field(default=None, repr=False)
    password: str | None = attrs.field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The proxy's URL without credentials (what the HTTP library connects to)."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def shown(self) -> str:
        """How messages and ``config check`` name this proxy."""
        user = " with authentication" if self.username is not None else ""
        return f"{self.url}{user} (from {self.source})"

    def headers(self) -> dict[str, str]:
        """What the proxy itself is sent: Basic authentication, when it has credentials."""
        if self.username is None:
            return {}
        pair = f"{self.username}:{self.password or ''}".encode()
        return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode()}


def parse_proxy(text: str, *, source: str) -> ProxySpec:
    """A proxy URL (``http://[user:password@]host:port``, a bare ``host:port`` taken as
    http). Errors name ``source`` and what is accepted, never the URL (it may hold a
    password)."""

    def bad(problem: str) -> ConfigurationError:
        return ConfigurationError(
            f"{source} is not a usable proxy: {problem}; accepted: http://HOST:PORT or "
            f'https://HOST:PORT, with USER:PASSWORD@ for authentication, or "none"'
        )

    if not isinstance(text, str) or not text.strip():
        raise bad("it is empty")
    text = text.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        split = urlsplit(text)
        split.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise bad("it cannot be read as a URL") from None
    scheme = split.scheme.lower()
    if scheme not in _SCHEMES:
        raise bad(f"scheme {scheme!r} is not supported (SOCKS is not)")
    if split.path not in ("", "/") or split.query or split.fragment:
        raise bad("it has a path, query or fragment")
    userinfo, at, hostport = split.netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username, password = unquote(user), unquote(secret) if colon else None
        if not username:
            raise bad("it has credentials without a user name")
        register_secret(password)
    try:
        origin = parse_origin(f"{scheme}://{hostport}/", what=source)
    except ValidationError as exc:
        raise bad(exc.message.split(": ", 1)[-1]) from None
    spec = ProxySpec(origin.scheme, origin.host, origin.port, source, username, password)
    for value in spec.headers().values():
        register_secret(value.split(" ", 1)[1])
    return spec


@attrs.frozen
class _Entry:
    domain: str | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            address = _ip(host)
            return address is not None and address in self.network
        assert self.domain is not None
        if _ip(host) is not None:  # an address is never a subdomain ("1.2" is no suffix)
            return host == self.domain
        return host == self.domain or host.endswith("." + self.domain)


@attrs.frozen
class NoProxy:
    """The hosts reached directly, as NO_PROXY lists them."""

    entries: tuple[_Entry, ...] = ()
    everything: bool = False

    @classmethod
    def parse(cls, items: str | Iterable[str], *, source: str) -> NoProxy:
        texts = items.replace(",", " ").split() if isinstance(items, str) else list(items)
        entries: list[_Entry] = []
        for raw in texts:
            if not isinstance(raw, str):
                raise ConfigurationError(f"{source}: every entry must be a string")
            item = raw.strip().lower()
            if not item:
                continue
            if item == "*":
                return cls((), True)
            entries.append(_entry(item, source))
        return cls(tuple(entries))

    def matches(self, origin: Origin) -> bool:
        if self.everything:
            return True
        host = origin.host.strip("[]").rstrip(".")
        return any(e.matches(host, origin.port) for e in self.entries)


def _entry(item: str, source: str) -> _Entry:
    host, port = item, None
    if item.startswith("["):  # [v6] or [v6]:port
        inside, _, rest = item[1:].partition("]")
        host = inside
        port = _port(rest[1:], item, source) if rest.startswith(":") else None
    elif item.count(":") == 1 and "/" not in item:
        host, text = item.split(":")
        port = _port(text, item, source)
    host = host.rstrip(".")
    try:
        return _Entry(network=ipaddress.ip_network(host, strict=False), port=port)
    except ValueError:
        pass
    domain = host.removeprefix("*.").lstrip(".")
    if not domain or "/" in domain or "*" in domain or ":" in domain:
        raise ConfigurationError(
            f"{source}: entry {item!r} is not a host, domain, IP address or CIDR block "
            "(examples: example.com, .example.com, 10.0.0.0/8, localhost:8443, *)"
        )
    return _Entry(domain=domain, port=port)


def _port(text: str, item: str, source: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(f"{source}: entry {item!r} has a port that is not 1-65535")
    return int(text)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@attrs.frozen
class ProxyRules:
    """One profile's proxy decision for any origin (see the module docstring)."""

    proxy: ProxySpec | None = None
    bypass: NoProxy = attrs.field(factory=NoProxy)
    from_profile: bool = False

    def for_origin(self, origin: Origin, *, what: str = "request") -> ProxySpec | None:
        """The proxy for ``origin``, or None to connect directly."""
        if self.proxy is None or self.bypass.matches(origin):
            return None
        if origin.scheme == "http":
            if not self.from_profile:
                return None  # plain http (loopback only) never goes through a proxy
            raise ValidationError(
                f"{what} to http://{origin.host}:{origin.port} was not sent: the profile's "
                f"proxy ({self.proxy.url}) would see plain http, credentials included, in "
                "clear. Use https, or list the host in transport.no_proxy",
                field="proxy",
            )
        return self.proxy

    def describe(self, origin: Origin) -> str:
        """For ``config check``: which proxy ``origin`` goes through, in words."""
        try:
            chosen = self.for_origin(origin)
        except ValidationError:
            return "refused (plain http through a proxy)"
        if chosen is not None:
            return chosen.shown()
        if self.proxy is None:
            return "none"
        if origin.scheme == "http" and not self.bypass.matches(origin):
            return "none (plain http is never proxied)"
        return "none (no_proxy)"


def proxy_rules(
    setting: str | None,
    no_proxy: Iterable[str] | None,
    env: Mapping[str, str] | None = None,
) -> ProxyRules:
    """The rules for a profile: its ``transport.proxy`` and ``transport.no_proxy``, else
    the environment (``env``, default ``os.environ``)."""
    env = os.environ if env is None else env
    if setting is not None:
        if setting.strip().lower() == NO_PROXY_SETTING:
            return ProxyRules()
        proxy = parse_proxy(setting, source="transport.proxy")
        bypass = NoProxy.parse(no_proxy or (), source="transport.no_proxy")
        return ProxyRules(proxy, bypass, from_profile=True)
    found = next(((name, env[name]) for name in HTTPS_PROXY_VARS if env.get(name)), None)
    if found is None:
        return ProxyRules()
    name, value = found
    bypass_var = next((n for n in NO_PROXY_VARS if n in env), None)
    bypass = (
        NoProxy.parse(no_proxy, source="transport.no_proxy")
        if no_proxy is not None
        else NoProxy.parse(env[bypass_var], source=bypass_var)
        if bypass_var is not None
        else NoProxy()
    )
    return ProxyRules(parse_proxy(value, source=f"${name}"), bypass)


__all__ = [
    "HTTPS_PROXY_VARS",
    "NO_PROXY_SETTING",
    "NO_PROXY_VARS",
    "NoProxy",
    "ProxyRules",
    "ProxySpec",
    "parse_proxy",
    "proxy_rules",
]
