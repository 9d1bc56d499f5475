"""What ``run_many``'s driver knows of each request and each profile, and its tunings."""

from __future__ import annotations

import collections
import concurrent.futures as cf

from reportbridge.engine.records import JobRequest
from reportbridge.model import FetchedFile, ReportJob

#: worker threads per profile; a waiting job holds none
THREADS_PER_PROFILE = 8
#: the tail of a profile's batch: this share of its jobs left, or fewer
TAIL_SHARE = 0.25
#: in the tail, poll at least this often, as a share of the job's age
TAIL_FRACTION = 0.05
#: listings in a row that must miss a job before it is polled on its own
MISSES_BEFORE_POLL = 3
#: how long a start refused by a quota (the profile's max_active_jobs, a vendor's cap on
#: running reports) is tried again when the batch has no timeout: jobs a batch gave up
#: on still hold their slots at the vendor until they end
QUOTA_WAIT_LIMIT = 3600.0


class RunState:
    """One request on its way: its job, poll count, failures, deadline and files."""

    # a batch holds one per request (100,000 and more): no per-instance __dict__
    __slots__ = (
        "deadline",
        "done",
        "errors",
        "fetching",
        "files",
        "hint",
        "job",
        "misses",
        "polls",
        "profile",
        "refusals",
        "request",
        "seen_running",
        "start_by",
        "waiting_since",
    )

    def __init__(self, request: JobRequest) -> None:
        self.request = request
        self.profile = request.profile
        self.job: ReportJob | None = None
        self.polls = 0
        self.errors = 0
        self.hint: float | None = None
        self.waiting_since = 0.0
        self.seen_running = 0.0  # age (since waiting_since) at the last look that saw it run
        self.deadline: float | None = None
        # a start refused by a quota: how often, and until when it is tried again
        self.refusals = 0
        self.start_by: float | None = None
        self.misses = 0
        # parts fetched (format, id), the files written, and whether a fetch is in flight
        # the request's frozenset until a part lands (an empty set costs 216 bytes a job)
        self.done: frozenset[tuple[str, str]] | set[tuple[str, str]] = request.done_parts
        self.files: list[FetchedFile] = []
        self.fetching = False

    def part_done(self, key: tuple[str, str]) -> None:
        if not isinstance(self.done, set):
            self.done = set(self.done)
        self.done.add(key)


class ProfileState:
    """A profile's share of the batch: its queue, workers, listing state and tail."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.queued: collections.deque[RunState] = collections.deque()
        self.active = 0
        self.total = 0
        self.left = 0
        self.pool = cf.ThreadPoolExecutor(
            min(limit, THREADS_PER_PROFILE), thread_name_prefix=f"rb-{name}"
        )
        self.lists: bool | None = None  # None until the provider's answer is known
        # runs waiting on the profile's listings (two requests may share one vendor job)
        self.listed: dict[int, RunState] = {}
        self.listing = False
        self.asked: set[int] = set()  # the runs the listing in flight asks about
        self.next_listing = 0.0
        self.list_errors = 0
        self.tail_pulled = False  # the waiting jobs' timers moved up when the tail began

    @property
    def in_tail(self) -> bool:
        return self.left <= TAIL_SHARE * self.total
