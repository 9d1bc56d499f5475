"""SpaceONE report states (``ReportInfo.state``) and their neutral meaning.

The protobuf enum is spelled by name in JSON, but gateways configured to emit
integers send the enum number, and protobuf JSON drops the default value, so a
report that is still CREATED may come without any ``state`` at all.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from reportbridge import ErrorDetail, ReportStatus, StatusMap, UnknownStatusError
from reportbridge.logging import redact_text

PROVIDER = "spaceone"

#: enum name -> enum number, as the report protobuf declares them
STATE_NUMBERS: dict[str, int] = {
    "CREATED": 0,
    "IN_PROGRESS": 1,
    "FAILURE": 2,
    "TIMEOUT": 3,
    "CANCELED": 4,
    "FINISHED": 5,
}
STATE_NAMES: dict[int, str] = {n: name for name, n in STATE_NUMBERS.items()}
DEFAULT_STATE = "CREATED"

NEUTRAL: dict[str, ReportStatus] = {
    "CREATED": ReportStatus.PENDING,
    "IN_PROGRESS": ReportStatus.RUNNING,
    "FINISHED": ReportStatus.SUCCEEDED,
    "FAILURE": ReportStatus.FAILED,
    # A run that hit a server-side limit failed; its file never existed, so not EXPIRED.
    "TIMEOUT": ReportStatus.FAILED,
    "CANCELED": ReportStatus.CANCELLED,
}

_TABLE: dict[Hashable, ReportStatus] = {}
for _name, _status in NEUTRAL.items():
    _TABLE[_name] = _TABLE[STATE_NUMBERS[_name]] = _status
STATUS = StatusMap(PROVIDER, _TABLE)


def state_name(raw: object) -> str:
    """The enum name of a raw ``state`` (name in any case, or number); refuses unknown ones."""
    if isinstance(raw, str) and raw.strip().upper() in STATE_NUMBERS:
        return raw.strip().upper()
    # bool is an int, and 5.0 == 5: neither is an enum number on the wire.
    if type(raw) is int and raw in STATE_NAMES:
        return STATE_NAMES[raw]
    raise UnknownStatusError(PROVIDER, raw, STATUS.known)


def read_state(info: Mapping[str, Any]) -> str:
    """The state of a ``ReportInfo``: a missing (or null) state is the enum default, CREATED."""
    raw = info.get("state")
    return DEFAULT_STATE if raw is None else state_name(raw)


def error_detail(state: str, error: object) -> ErrorDetail | None:
    """What went wrong, from the report's ``error {code, message}`` and its state."""
    code = message = None
    if isinstance(error, Mapping):
        code = str(error["code"]) if error.get("code") else None
        message = redact_text(str(error["message"]))[:500] if error.get("message") else None
    if state == "TIMEOUT":
        why = message or "report generation exceeded the server-side time limit"
        return ErrorDetail(f"timeout: {why}", code=code or "TIMEOUT", retryable=True)
    if state in ("FAILURE", "CANCELED") or code or message:
        default = "report generation failed" if state == "FAILURE" else f"report {state.lower()}"
        return ErrorDetail(message or default, code=code)
    return None


__all__ = [
    "DEFAULT_STATE",
    "NEUTRAL",
    "PROVIDER",
    "STATE_NAMES",
    "STATE_NUMBERS",
    "STATUS",
    "error_detail",
    "read_state",
    "state_name",
]
