"""Profile settings: keys are secrets, bad values are refused by name, never echoed."""

from __future__ import annotations

from typing import Any

import pytest

from reportbridge import ConfigurationError
from reportbridge.plugins import PluginRegistry
from reportbridge_tenable import TenableProvider, TenableSettings

KEYS = {"access_key": "a1" * 32, "secret_key": "5ec7" * 16}


def parse(**table: Any) -> TenableSettings:
    return TenableProvider().parse_settings("p", {**KEYS, **table})


def test_defaults() -> None:
    s = parse()
    assert s.base_url == "https://cloud.tenable.com"
    assert s.export_kinds == ["vulns", "assets"]
    assert s.on_duplicate == "adopt"
    assert s.api_keys == f"accessKey={KEYS['access_key']};secretKey={KEYS['secret_key']};"
    assert KEYS["secret_key"] not in repr(s) and KEYS["access_key"] not in repr(s)


def test_registered_through_the_entry_point() -> None:
    provider = PluginRegistry().provider("tenable")
    assert isinstance(provider, TenableProvider)
    caps = provider.capabilities()
    assert caps.parts == "chunked" and caps.cancel and caps.list
    assert [t.name for t in caps.report_types] == ["vulns", "assets"]
    assert provider.default_max_active_jobs == 2


def test_export_kinds_as_text_is_a_list() -> None:
    assert parse(export_kinds="Vulns, assets vulns").export_kinds == ["vulns", "assets"]


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"secret_key": ""}, "secret_key"),
        ({"access_key": "   "}, "access_key is empty"),
        ({"secret_key": "abc;def"}, "secret_key holds"),
        ({"access_key": "ab=cd"}, "access_key holds"),
        ({"secret_key": "abc\r\nX-Evil: 1"}, "secret_key holds"),
        ({"secret_key": "cl\u00e9"}, "secret_key holds"),
        ({"base_url": "http://cloud.tenable.com"}, "https"),
        ({"base_url": "cloud.tenable.com"}, "https"),
        ({"export_kinds": ["vulns", "scans"]}, "export_kinds"),
        ({"export_kinds": []}, "export_kinds"),
        ({"on_duplicate": "ignore"}, "on_duplicate"),
        ({"api_key": "x"}, "unknown setting"),
    ],
)
def test_bad_settings_are_named_and_keys_never_echoed(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse(**table)
    assert needle in str(info.value)
    for key, value in table.items():
        if key in KEYS and value.strip():
            assert value not in str(info.value)


def test_missing_keys_are_named() -> None:
    with pytest.raises(ConfigurationError) as info:
        TenableProvider().parse_settings("p", {"access_key": "x" * 64})
    assert "secret_key" in str(info.value)
