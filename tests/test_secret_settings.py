"""Secret settings take strings only, for every provider; settings take no value that
cattrs would silently convert (a list into "['x']", "false" into True)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from reportbridge import ConfigurationError
from reportbridge.plugins import PluginRegistry
from reportbridge.provider import Provider, is_secret_setting
from tests.toy import ToyProvider

MARK = "zz-secret-marker-91"


def providers() -> list[Provider]:
    return [*PluginRegistry().providers().values(), ToyProvider()]


def valid_settings(provider: Provider) -> dict[str, Any]:
    """The smallest profile table a provider accepts (strings for every required field)."""
    table: dict[str, Any] = {}
    for field in attrs.fields(provider.settings_type):
        if field.default is attrs.NOTHING:
            table[field.name] = "https://example.test" if "url" in field.name else "value-1"
    if provider.name == "explore":
        table["region"] = "us"
    return table


CASES = {
    provider.name: [f.name for f in attrs.fields(provider.settings_type) if is_secret_setting(f)]
    for provider in providers()
}


def test_every_provider_has_its_credentials_marked_secret() -> None:
    assert CASES["sailpoint"] == ["client_secret"]
    assert CASES["explore"] == ["client_secret"]
    assert CASES["spaceone"] == ["token"]
    assert CASES["toy"] == ["client_secret"]


BAD_VALUES = [[MARK], {"value": MARK}, 123456789, 3.5, True, [[MARK]]]


@pytest.mark.parametrize("provider", providers(), ids=lambda p: p.name)
@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda v: type(v).__name__)
def test_a_secret_that_is_not_a_string_is_refused_without_echo(
    provider: Provider, bad: Any
) -> None:
    for name in CASES[provider.name]:
        table = {**valid_settings(provider), name: bad}
        with pytest.raises(ConfigurationError) as info:
            provider.parse_settings("prof", table)
        message = str(info.value)
        assert name in message and "string" in message
        assert MARK not in message and "123456789" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(["a"], "str"), (5, "str"), ({"a": 1}, "str")],
)
def test_plain_string_settings_are_not_stringified(value: Any, expected: str) -> None:
    provider = ToyProvider()
    table = {**valid_settings(provider), "client_id": value}
    with pytest.raises(ConfigurationError, match=rf"client_id.*{expected}|{expected}.*client_id"):
        provider.parse_settings("prof", table)


def test_a_string_is_not_taken_for_a_boolean_or_a_number() -> None:
    from reportbridge.provider import structure_settings

    @attrs.frozen
    class S:
        flag: bool = False
        count: int = 1
        ratio: float = 1.0

    for raw in ({"flag": "false"}, {"count": "5"}, {"count": 2.5}, {"ratio": float("nan")}):
        with pytest.raises(ConfigurationError, match="bad setting"):
            structure_settings("x", "p", S, raw)
    assert structure_settings("x", "p", S, {"ratio": 2}).ratio == 2.0
