"""Where a file may be downloaded from: the API's own host, and the hosts the provider
declares (:attr:`~reportbridge.provider.Provider.download_hosts`) or the profile sets
(``transport.download_hosts``, which replaces the provider's list).

A streamed request (a report file, a chunk, a page) to any other host is refused
before it is sent, on the first URL and on every redirect: a compromised or spoofed
vendor answer cannot make reportbridge fetch, and keep as evidence, a file from a host
the vendor does not serve files from.

Patterns (case-insensitive; the port, when given, must match too):

- ``files.example.com``: that host; ``files.example.com:8443``: that host and port;
- ``*.example.com``: any host one or more labels below example.com (not example.com);
- ``*`` inside a name stands for exactly one label: ``*.s3.*.amazonaws.com`` matches
  ``bucket.s3.eu-west-1.amazonaws.com``;
- an IP address (``10.1.2.3``, ``[::1]``) matches itself only;
- ``*`` alone allows any host: the check is off.

>>> allowed = DownloadHosts.parse(["*.s3.amazonaws.com"], source="example")
>>> from reportbridge.transport.urls import parse_origin
>>> api = parse_origin("https://api.example.com")
>>> allowed.allows(parse_origin("https://reports.s3.amazonaws.com/x"), api)
True
>>> allowed.allows(parse_origin("https://evil.example.net/x"), api)
False
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import attrs

from reportbridge.errors import ConfigurationError, DownloadHostError
from reportbridge.transport.urls import Origin

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\*")

#: Amazon S3's hosts for pre-signed object URLs: virtual-hosted (``bucket.s3.amazonaws.com``,
#: ``bucket.s3.REGION.amazonaws.com``, dual-stack) and path-style (``s3.REGION.amazonaws.com``)
AWS_S3_HOSTS = (
    "*.s3.amazonaws.com",
    "*.s3.*.amazonaws.com",
    "*.s3.dualstack.*.amazonaws.com",
    "s3.amazonaws.com",
    "s3.*.amazonaws.com",
    "s3.dualstack.*.amazonaws.com",
)


@attrs.frozen
class HostPattern:
    """One allowed download host (see the module docstring)."""

    text: str
    labels: tuple[str, ...] = ()
    below: bool = False  # a leading "*.": one or more labels under the rest
    port: int | None = None
    anything: bool = False

    def matches(self, origin: Origin) -> bool:
        if self.anything:
            return True
        if self.port is not None and origin.port != self.port:
            return False
        host = origin.host.strip("[]").rstrip(".").split(".")
        if _is_ip(origin.host):
            address = str(ipaddress.ip_address(origin.host.strip("[]")))
            return not self.below and (address,) == self.labels
        if self.below:
            if len(host) <= len(self.labels):
                return False
            host = host[len(host) - len(self.labels) :]
        return len(host) == len(self.labels) and all(
            p in ("*", h) for p, h in zip(self.labels, host, strict=True)
        )


def parse_pattern(text: str, *, source: str) -> HostPattern:
    def bad(problem: str) -> ConfigurationError:
        return ConfigurationError(
            f"{source}: {text!r} is not a host pattern ({problem}); examples: "
            "files.example.com, *.s3.amazonaws.com, *.s3.*.amazonaws.com, 10.1.2.3, "
            "storage.example.com:8443"
        )

    if not isinstance(text, str):
        raise ConfigurationError(f"{source}: every entry must be a string")
    item = text.strip().lower()
    if item == "*":
        return HostPattern(text, anything=True)
    host, port = item, None
    if item.startswith("["):
        inside, _, rest = item[1:].partition("]")
        host, port_text = inside, rest[1:] if rest.startswith(":") else None
        if rest and not rest.startswith(":"):
            raise bad("text follows the ']'")
    else:
        host, colon, port_text = item.partition(":")
        port_text = port_text if colon else None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise bad("its port is not 1-65535")
        port = int(port_text)
    host = host.rstrip(".")
    if _is_ip(host):
        return HostPattern(text, (str(ipaddress.ip_address(host)),), port=port)
    below = host.startswith("*.")
    labels = tuple(host[2:].split(".") if below else host.split("."))
    if not host or not all(_LABEL.fullmatch(label) for label in labels):
        raise bad("use letters, digits, hyphens, dots and * for one label")
    if all(label == "*" for label in labels):
        raise bad("name at least one label; '*' alone allows every host")
    return HostPattern(text, labels, below=below, port=port)


@attrs.frozen
class DownloadHosts:
    """The hosts files may come from, besides the API's own host."""

    patterns: tuple[HostPattern, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str], *, source: str) -> DownloadHosts:
        if isinstance(items, str):
            raise ConfigurationError(f"{source} must be a list of host patterns")
        return cls(tuple(parse_pattern(item, source=source) for item in items))

    def allows(self, origin: Origin, api: Origin) -> bool:
        return origin.host == api.host or any(p.matches(origin) for p in self.patterns)

    def check(self, origin: Origin, api: Origin, *, what: str, provider: str | None) -> None:
        """Raise :class:`DownloadHostError` unless a file may come from ``origin``."""
        if self.allows(origin, api):
            return
        listed = ", ".join(p.text for p in self.patterns) or "none"
        raise DownloadHostError(
            f"{what} refused before anything was sent: the file is at host {origin.host} "
            f"(port {origin.port}), which is neither the API's host ({api.host}) nor an "
            f"allowed download host ({listed}). If the vendor really serves files from "
            "there, add the host to the profile's transport.download_hosts",
            provider=provider,
            host=origin.host,
            port=origin.port,
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


__all__ = ["AWS_S3_HOSTS", "DownloadHosts", "HostPattern", "parse_pattern"]
