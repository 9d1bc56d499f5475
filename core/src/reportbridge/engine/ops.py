"""What the batch engine needs from the layer above it: the façade's job operations.

The engine drives jobs through this protocol, never through a concrete class, so that
it sits below the façade (which calls it) with one direction of dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    from reportbridge.config import Profile
    from reportbridge.model import FetchedFile, ReportJob, ResultPart


class JobOperations(Protocol):
    """The operations ``run_many`` uses; :class:`reportbridge.facade.Reports` has them all."""

    def profile(self, name: str) -> Profile: ...

    def max_active_jobs(self, profile: str) -> int | None: ...

    def job(self, ref: ReportJob | str) -> ReportJob: ...

    def run(self, profile: str, report_type: str, /, **params: Any) -> ReportJob: ...

    def poll(self, job: ReportJob | str) -> ReportJob: ...

    def poll_many(
        self, profile: str, jobs: Sequence[ReportJob | str]
    ) -> dict[str, ReportJob] | None: ...

    def parts(self, job: ReportJob | str, *, format: str | None = None) -> list[ResultPart]: ...

    def fetch(
        self,
        job: ReportJob | str,
        dest_dir: str | os.PathLike[str],
        *,
        format: str | None = None,
        parts: Iterable[str | ResultPart] | None = None,
        skip: Iterable[str] = (),
        filename: str | Callable[[str], str] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_file: Callable[[FetchedFile], None] | None = None,
        download_attempts: int = 3,
    ) -> list[FetchedFile]: ...

    def fetch_available(
        self,
        job: ReportJob | str,
        dest_dir: str | os.PathLike[str],
        *,
        format: str | None = None,
        skip: Iterable[str] = (),
        **kw: Any,
    ) -> list[FetchedFile]: ...


__all__ = ["JobOperations"]
