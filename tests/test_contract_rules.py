"""Redefining a shared contract test needs a stated reason, or the subclass is refused."""

from __future__ import annotations

from typing import Any

import pytest

from reportbridge.testing.contract import (
    ContractOverrideError,
    ProviderContract,
    contract_override,
)
from reportbridge.testing.contract_rules import contract_tests


def test_a_silent_override_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(ContractOverrideError) as info:

        class TestSilenced(ProviderContract):  # pragma: no cover - never created
            provider_name = "toy"

            def test_cancel_really_stops_the_job(self, registry: Any) -> None:
                pass

    text = str(info.value)
    assert "TestSilenced.test_cancel_really_stops_the_job" in text
    assert "from LifecycleContract" in text
    assert "contract_override(reason=" in text and "xfail(reason=" in text


def test_a_test_switched_off_by_assignment_is_refused_too() -> None:
    with pytest.raises(ContractOverrideError, match="test_run_wait_fetch"):

        class TestOff(ProviderContract):  # pragma: no cover - never created
            provider_name = "toy"
            test_run_wait_fetch = None


def test_an_override_with_a_reason_is_accepted() -> None:
    class TestDiffers(ProviderContract):
        provider_name = "toy"

        @contract_override(reason="the vendor keeps cancelled jobs visible as RUNNING")
        def test_cancel_really_stops_the_job(self, registry: Any) -> None:
            pass

        @pytest.mark.xfail(reason="the vendor answers 429 without Retry-After")
        def test_rate_limited_operation_waits_as_told_and_succeeds(self) -> None:
            pass

    class TestDeeper(TestDiffers):  # inherits the overrides; redefines nothing
        report_type = "USERS"

    assert TestDeeper.report_type == "USERS"


@pytest.mark.parametrize(
    "mark",
    [pytest.mark.xfail(reason="short"), pytest.mark.xfail, pytest.mark.skip(reason="long enough?")],
    ids=["short reason", "no reason", "skip is not a reason"],
)
def test_a_marker_without_a_real_reason_is_refused(mark: Any) -> None:
    with pytest.raises(ContractOverrideError):

        class TestWeak(ProviderContract):  # pragma: no cover - never created
            provider_name = "toy"

            @mark
            def test_list_or_clear_refusal(self) -> None:
                pass


def test_contract_override_itself_needs_a_reason() -> None:
    with pytest.raises(ContractOverrideError, match="at least"):
        contract_override(reason="todo")


def test_new_tests_and_helpers_of_a_subclass_are_free() -> None:
    class TestMore(ProviderContract):
        provider_name = "toy"

        def test_vendor_specific_thing(self) -> None:
            pass

        def profiles(self, simulator: Any) -> dict[str, dict[str, Any]]:
            return super().profiles(simulator)

    core = contract_tests(TestMore)
    assert "test_vendor_specific_thing" not in core
    assert {"test_run_wait_fetch", "test_cancel_really_stops_the_job"} <= set(core)


def test_a_simulator_without_job_state_says_what_to_implement() -> None:
    from reportbridge.testing import Simulator

    with pytest.raises(NotImplementedError, match=r"implement job_state\(job_id\)"):
        Simulator().job_state("j1")
