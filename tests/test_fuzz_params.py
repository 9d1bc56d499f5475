"""Fuzzed report parameters only ever meet typed errors, before any request."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportbridge import ReportBridgeError, ValidationError
from reportbridge.plugins import PluginRegistry
from tests.toy import ToyPlugin

_REG = PluginRegistry(load_entry_points=False)
_REG.register(ToyPlugin())
PROVIDER = _REG.provider("toy")

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
names = st.sampled_from(["active_only", "label", "since", "colour"]) | st.text(max_size=10)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["USERS", "AUDIT", "", "users", "NOPE"]) | st.text(max_size=20),
    st.dictionaries(names, values, max_size=4),
)
def test_validate_raises_only_typed_errors(report_type: str, params: dict[str, Any]) -> None:
    try:
        clean = PROVIDER.validate(report_type, params)
    except ValidationError as exc:
        assert exc.provider == "toy"
        assert str(exc)
        return
    except ReportBridgeError:
        return
    assert set(clean) <= {"active_only", "label", "since"}
    if "active_only" in clean:
        assert isinstance(clean["active_only"], bool)
