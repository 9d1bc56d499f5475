"""The rule for changing the shared contract: never silently.

A plugin configures :class:`~reportbridge.testing.contract.ProviderContract` through its
class attributes and fixtures. Redefining one of the contract's own ``test_*`` methods in
a subclass would replace a check with anything at all, so it is refused when the class
is created (pytest reports it as a collection error) unless the new method says why:

- ``@pytest.mark.xfail(reason="...")``: the vendor cannot meet this case yet; the run
  shows it as an expected failure (and, with ``xfail_strict``, fails once it passes);
- ``@contract_override(reason="...")``: the vendor documents a different behaviour and
  this method checks that behaviour instead.

A reason is a sentence: at least :data:`MIN_REASON` characters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

#: the shortest reason accepted (a few words, not "todo")
MIN_REASON = 10
_ATTR = "__contract_override__"
_CORE_PREFIX = "reportbridge.testing."


class ContractOverrideError(TypeError):
    """A contract subclass redefined a contract test without saying why."""


def contract_override(*, reason: str) -> Callable[[_F], _F]:
    """Mark a method that replaces a shared contract test on purpose, with the reason.

    ```python
    class TestAcmeContract(ProviderContract):
        @contract_override(reason="Acme keeps cancelled jobs RUNNING for 5 minutes")
        def test_cancel_really_stops_the_job(self, ...): ...
    ```
    """
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise ContractOverrideError(
            f"contract_override needs a reason of at least {MIN_REASON} characters "
            "saying how the vendor differs"
        )

    def mark(fn: _F) -> _F:
        setattr(fn, _ATTR, reason.strip())
        return fn

    return mark


def override_reason(member: object) -> str | None:
    """The reason ``member`` gives for replacing a contract test, or None."""
    reason = getattr(member, _ATTR, None)
    if isinstance(reason, str):
        return reason
    for mark in getattr(member, "pytestmark", ()):
        if getattr(mark, "name", None) != "xfail":
            continue
        text = mark.kwargs.get("reason")
        if isinstance(text, str) and len(text.strip()) >= MIN_REASON:
            return text.strip()
    return None


def contract_tests(cls: type) -> dict[str, str]:
    """The shared contract's test names among ``cls``'s bases, with the class defining each."""
    found: dict[str, str] = {}
    for base in reversed(cls.__mro__[1:]):
        if not base.__module__.startswith(_CORE_PREFIX):
            continue
        for name in vars(base):
            if name.startswith("test_"):
                found[name] = base.__qualname__
    return found


def check_overrides(cls: type) -> None:
    """Raise :class:`ContractOverrideError` for each contract test ``cls`` redefines
    without a reason (called by ``ProviderContract.__init_subclass__``)."""
    if cls.__module__.startswith(_CORE_PREFIX):
        return
    core = contract_tests(cls)
    bad = [
        f"{cls.__qualname__}.{name} (from {core[name]})"
        for name, member in vars(cls).items()
        if name in core and override_reason(member) is None
    ]
    if bad:
        raise ContractOverrideError(
            f"{', '.join(bad)} redefine(s) a shared contract test without a reason. Configure "
            "the contract through its class attributes (report_type, params, fetch_format, "
            "bad_params, simulator_options) and fixtures instead; if the vendor really "
            "differs, decorate the method with @pytest.mark.xfail(reason='why it fails') or "
            "@contract_override(reason='what the vendor does instead'), from "
            "reportbridge.testing.contract"
        )


__all__ = [
    "MIN_REASON",
    "ContractOverrideError",
    "check_overrides",
    "contract_override",
    "contract_tests",
    "override_reason",
]
