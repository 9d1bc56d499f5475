"""The neutral status of a report job and the rules for moving between statuses."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Mapping

from reportbridge.errors import UnknownStatusError


class ReportStatus(enum.Enum):
    """Where a report job stands, whatever the vendor."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    #: ended with some result parts good and some failed: fetchable, reported as such
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """No further change is expected, except SUCCEEDED or PARTIAL -> EXPIRED."""
        return self not in (ReportStatus.PENDING, ReportStatus.RUNNING)

    @property
    def is_fetchable(self) -> bool:
        """Files can be downloaded (every part, or the good parts of a partial result)."""
        return self in (ReportStatus.SUCCEEDED, ReportStatus.PARTIAL)


_RANK = {ReportStatus.PENDING: 0, ReportStatus.RUNNING: 1}


def can_transition(current: ReportStatus, new: ReportStatus) -> bool:
    """Whether the lifecycle allows ``current`` -> ``new`` (staying put is allowed)."""
    if current is new:
        return True
    if current.is_fetchable:  # the vendor may delete the files later, nothing else
        return new is ReportStatus.EXPIRED
    if current.is_terminal:
        return False
    if new.is_terminal:
        return True
    return _RANK[new] > _RANK[current]


def advance(current: ReportStatus, observed: ReportStatus) -> ReportStatus:
    """The status a job takes when ``observed`` is seen while it is ``current``.

    An observation that would move the job backwards (an eventually consistent
    read showing an older state, or a terminal state followed by anything but
    SUCCEEDED/PARTIAL -> EXPIRED) is ignored: the job keeps ``current``.
    """
    return observed if can_transition(current, observed) else current


class StatusMap:
    """A vendor's status vocabulary mapped onto :class:`ReportStatus`.

    Lookups are case-insensitive for strings; anything not in the table raises
    :class:`~reportbridge.errors.UnknownStatusError` naming the provider and the value.
    """

    def __init__(
        self,
        provider: str,
        table: Mapping[Hashable, ReportStatus],
        *,
        case_sensitive: bool = False,
    ) -> None:
        self.provider = provider
        self.case_sensitive = case_sensitive
        self._table = {self._key(k): v for k, v in table.items()}
        self._known = tuple(table.keys())

    def _key(self, raw: Hashable) -> Hashable:
        if isinstance(raw, str) and not self.case_sensitive:
            return raw.strip().casefold()
        return raw

    @property
    def known(self) -> tuple[Hashable, ...]:
        """The vendor values this map accepts, as declared."""
        return self._known

    def __contains__(self, raw: object) -> bool:
        return isinstance(raw, Hashable) and self._key(raw) in self._table

    def __call__(self, raw: object) -> ReportStatus:
        # bool is an int subclass; a vendor sending true/false never means an enum number.
        if isinstance(raw, Hashable) and not isinstance(raw, bool):
            found = self._table.get(self._key(raw))
            if found is not None:
                return found
        raise UnknownStatusError(self.provider, raw, _printable(self._known))


def _printable(values: Iterable[Hashable]) -> list[str]:
    return [str(v) for v in values]


__all__ = ["ReportStatus", "StatusMap", "advance", "can_transition"]
