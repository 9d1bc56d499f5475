"""A proxy.py plugin that writes every request the proxy receives to a JSON-lines log.

Loaded inside the proxy process (``--plugins tests.proxylog.RequestLog``); the log file
is named by $RB_PROXY_LOG. Each line: method, host, port, path and the request's
headers (names in lower case; the value of Proxy-Authorization replaced by its scheme:
the test knows it).
For a CONNECT the headers are those of the CONNECT request itself; what then flows in
the tunnel is TLS the proxy cannot read.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from proxy.http.parser import HttpParser
from proxy.http.proxy import HttpProxyBasePlugin

_lock = threading.Lock()


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes | bytearray) else str(value)


class RequestLog(HttpProxyBasePlugin):
    def before_upstream_connection(self, request: HttpParser) -> HttpParser | None:
        self._write(request, "connect-upstream")
        return request

    def handle_client_request(self, request: HttpParser) -> HttpParser | None:
        if not request.is_https_tunnel:
            self._write(request, "forward")
        return request

    @staticmethod
    def _write(request: HttpParser, stage: str) -> None:
        headers: dict[str, str] = {}
        for name, value in (request.headers or {}).values():
            key = _text(name).lower()
            text = _text(value)
            if key.lower() == "proxy-authorization":
                text = text.split(" ", 1)[0] + " <checked by the proxy>"
            headers[key] = text
        entry = {
            "stage": stage,
            "method": _text(request.method or b""),
            "host": _text(request.host or b""),
            "port": request.port,
            "path": _text(request.path or b""),
            "tunnel": bool(request.is_https_tunnel),
            "headers": headers,
        }
        with _lock, open(os.environ["RB_PROXY_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
