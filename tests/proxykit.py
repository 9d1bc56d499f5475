"""A real forward proxy for tests: proxy.py in a subprocess, with Basic authentication,
its own request log (:mod:`tests.proxylog`), and a tap in front of it that keeps every
byte clients send, so a test can prove what crossed the proxy in clear.

```python
with ForwardProxy(user="px", password="secret") as proxy:
    proxy.url            # http://px:secret@127.0.0.1:PORT (what a profile's proxy = ... takes)
    proxy.requests()     # the proxy's log: one dict per request it received
    proxy.received       # every byte clients sent to the proxy
```
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


class ForwardProxy:
    def __init__(self, tmp: Path, *, user: str | None = None, password: str | None = None) -> None:
        self.tmp = tmp
        self.user = user
        self.password = password
        self.log_path = tmp / "proxy-requests.jsonl"
        self.access_log = tmp / "proxy.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._tap: _Tap | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> ForwardProxy:
        port_file = self.tmp / "proxy.port"
        args = [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-acceptors",
            "1",
            "--num-workers",
            "1",
            "--log-level",
            "INFO",
            "--log-file",
            str(self.access_log),
            "--plugins",
            "tests.proxylog.RequestLog",
        ]
        if self.user is not None:
            args += ["--basic-auth", f"{self.user}:{self.password}"]
        env = {
            **os.environ,
            "RB_PROXY_LOG": str(self.log_path),
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore",
        }
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            env.pop(name, None)
        self._proc = subprocess.Popen(
            args, cwd=self.tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        port = self._wait_for_port(port_file)
        self._tap = _Tap(("127.0.0.1", port)).start()
        return self

    def _wait_for_port(self, port_file: Path) -> int:
        assert self._proc is not None
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise RuntimeError(f"proxy.py exited with {self._proc.returncode}: {err[-2000:]}")
            with contextlib.suppress(OSError, ValueError):
                text = port_file.read_text().strip()
                if text:
                    port = int(text.split()[0])
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        return port
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("proxy.py did not start listening within 30 s")

    def stop(self) -> None:
        if self._tap is not None:
            self._tap.stop()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None and self._proc.stderr is not None:
            self._proc.stderr.close()

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------
    @property
    def address(self) -> str:
        assert self._tap is not None, "start the proxy first"
        return f"127.0.0.1:{self._tap.port}"

    @property
    def url(self) -> str:
        """The proxy's URL, with its credentials when it asks for them."""
        if self.user is None:
            return f"http://{self.address}"
        creds = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}"
        return f"http://{creds}@{self.address}"

    # -- what the proxy saw --------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """The proxy's own log of the requests it received (proxy.py plugin)."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def connects(self) -> list[str]:
        """host:port of every CONNECT the proxy accepted and opened upstream."""
        return [
            f"{r['host']}:{r['port']}"
            for r in self.requests()
            if r["method"] == "CONNECT" and r["stage"] == "connect-upstream"
        ]

    @property
    def received(self) -> bytes:
        """Every byte clients sent to the proxy (CONNECT heads and tunnelled TLS)."""
        assert self._tap is not None
        return self._tap.received

    def leaks(self, secrets: Iterable[str]) -> list[str]:
        """The secrets (and their Basic/percent forms are not needed: TLS hides all) that
        appear in clear in what clients sent to the proxy."""
        data = self.received
        return [s for s in secrets if s and s.encode() in data]


class _Tap:
    """A TCP relay in front of the proxy that records what clients send (not a mock: the
    bytes go on to the real proxy unchanged)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._conns: list[socket.socket] = []

    def start(self) -> _Tap:
        threading.Thread(target=self._accept, name="proxy-tap", daemon=True).start()
        return self

    def stop(self) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._buf)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._conns += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record:
                    with self._lock:
                        self._buf += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


def tls_server_context(ca: Any, *hosts: str) -> Any:
    """A server TLS context with a certificate ``ca`` (trustme) issued for ``hosts``."""
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(ctx)
    return ctx


def clear_authorization(data: bytes) -> bool:
    """Whether an ``Authorization:`` header line appears in ``data`` in clear (a
    ``Proxy-Authorization:`` line, meant for the proxy, is not one)."""
    return b"\nauthorization:" in data.lower()
