"""Transport and polling numbers: finite, in range, refused at config time by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportbridge import ConfigurationError
from reportbridge.config import load_config, parse_profile
from reportbridge.polling import PollPolicy
from reportbridge.transport import RetryPolicy, TransportOptions

SECONDS = ["connect_timeout", "read_timeout", "request_timeout", "stall_timeout"]
WAITS = ["backoff_initial", "backoff_max", "max_retry_after"]
POLLING = {"initial": "> 0", "cap": "> 0", "backoff": ">= 1", "max_hint": ">= 0"}


@pytest.mark.parametrize("key", SECONDS)
@pytest.mark.parametrize("value", ["0", "-1", "0.0", "inf", "-inf", "nan"])
def test_timeouts_must_be_finite_and_positive(tmp_path: Path, key: str, value: str) -> None:
    path = tmp_path / "rb.toml"
    path.write_text(f"[profiles.p]\nprovider = 'toy'\n[profiles.p.transport]\n{key} = {value}\n")
    with pytest.raises(ConfigurationError) as info:
        load_config(path, {})
    assert f"profile 'p': transport.{key} must be a finite number > 0" in str(info.value)


@pytest.mark.parametrize("key", WAITS)
@pytest.mark.parametrize("value", [-1, float("inf"), float("nan")])
def test_retry_waits_must_be_finite(key: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=f"transport.{key} must be a finite number >= 0"):
        parse_profile("p", {"provider": "toy", "transport": {key: value}}, env={})


@pytest.mark.parametrize(("key", "bound"), POLLING.items())
@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1])
def test_polling_numbers_must_be_finite(key: str, bound: str, value: float) -> None:
    with pytest.raises(ConfigurationError, match=f"polling.{key} must be a finite number"):
        parse_profile("p", {"provider": "toy", "polling": {key: value}}, env={})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_body_bytes", 0),
        ("max_body_bytes", 1.5),
        ("max_body_bytes", True),
        ("max_attempts", 0),
        ("pool_maxsize", 0),
        ("max_redirects", -1),
    ],
)
def test_counts_must_be_whole_numbers_in_range(key: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=f"transport.{key} must be a whole number"):
        parse_profile("p", {"provider": "toy", "transport": {key: value}}, env={})


def test_a_string_where_a_number_belongs_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_profile("p", {"provider": "toy", "transport": {"read_timeout": "hunter2"}}, env={})
    assert "hunter2" not in str(info.value) and "got a str" in str(info.value)


def test_new_settings_are_read_with_their_defaults() -> None:
    plain = parse_profile("p", {"provider": "toy"}, env={}).transport
    assert (plain.request_timeout, plain.stall_timeout, plain.max_body_bytes) == (
        120.0,
        60.0,
        8 * 1024 * 1024,
    )
    tuned = parse_profile(
        "p",
        {
            "provider": "toy",
            "transport": {"request_timeout": 30, "stall_timeout": 5, "max_body_bytes": 1024},
        },
        env={},
    ).transport
    assert (tuned.request_timeout, tuned.stall_timeout, tuned.max_body_bytes) == (30, 5, 1024)


@pytest.mark.parametrize(
    "make",
    [
        lambda: TransportOptions(read_timeout=0),
        lambda: TransportOptions(connect_timeout=float("inf")),
        lambda: TransportOptions(request_timeout=float("nan")),
        lambda: TransportOptions(max_body_bytes=0),
        lambda: TransportOptions(user_agent="rb\r\nX: y"),
        lambda: RetryPolicy(max_retry_after=float("inf")),
        lambda: RetryPolicy(max_attempts=0),
        lambda: PollPolicy(initial=float("nan")),
        lambda: PollPolicy(cap=float("inf")),
    ],
)
def test_options_built_in_code_are_checked_too(make: Any) -> None:
    with pytest.raises(ConfigurationError):
        make()
