"""A bare file server on the simulator base: GET /files/SIZE streams SIZE bytes.

``GET /files/SIZE?mbps=N`` paces the body at N megabits per second (decimal: N * 10**6
bit/s), as a network link of that rate would deliver it; without ``mbps`` the body goes
out as fast as the loopback takes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route


def paced(chunks: Iterable[bytes], mbps: float) -> Iterator[bytes]:
    """Yield ``chunks`` no faster than ``mbps`` Mbit/s on average.

    Each chunk is held until the link would have carried it, i.e. until
    ``start + bytes_sent * 8 / (mbps * 1e6)`` where ``bytes_sent`` counts the bytes up to
    the end of that chunk; the schedule is absolute, so oversleeping one chunk is made
    up by the next ones (no drift) and the whole body takes size * 8 / (mbps * 1e6) s.
    """
    seconds_per_byte = 8 / (mbps * 1e6)
    start = time.perf_counter()
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        wait = start + sent * seconds_per_byte - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        yield chunk


class FileServer(Simulator):
    name = "files"
    token = "bench-token-0123456789"

    def __init__(self, sizes: list[int], **kw: Any) -> None:
        super().__init__(**kw)
        self.files = {size: SyntheticFile(size, seed=str(size)) for size in sizes}

    def profile_settings(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "token": self.token}

    @route("GET", r"/files/(?P<size>\d+)")
    def get(self, req: Request, size: str) -> Response:
        if req.bearer != self.token:
            return Response.json({"error": "unauthorized"}, 401)
        resp = Response.file(req, self.files[int(size)], content_type="text/csv")
        mbps = req.arg("mbps")
        if mbps is None:
            return resp
        try:
            rate = float(mbps)
        except ValueError:
            rate = 0.0
        if not 0 < rate < float("inf"):
            return Response.json({"error": f"mbps must be a positive number, not {mbps!r}"}, 400)
        if not isinstance(resp.body, bytes):  # bytes: an empty 416 answer, nothing to pace
            resp.body = paced(resp.body, rate)
        return resp
