"""A bare file server on the simulator base: GET /files/SIZE streams SIZE bytes."""

from __future__ import annotations

from typing import Any

from reportbridge.testing import Request, Response, Simulator, SyntheticFile, route


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
        return Response.file(req, self.files[int(size)], content_type="text/csv")
