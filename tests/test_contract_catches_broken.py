"""A deliberately broken provider fails the shared contract, with messages saying what to fix.

The contract runs in a child pytest on ``tests/broken/contract_broken_acme.py`` (the Acme
example with a do-nothing cancel, credentials in an error message, unknown states taken as
RUNNING and every format fetched as CSV); its report is read back here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGET = "tests/broken/contract_broken_acme.py"
#: the broken cases, a case it must still pass, and what each failure must tell its reader
EXPECTED = {
    "test_cancel_really_stops_the_job": [
        "after cancel the vendor still holds job",
        "ProviderSession.cancel must send the vendor's cancel request",
    ],
    "test_unknown_vendor_status_is_an_error_naming_it": [
        "returned running (vendor status 'archived')",
        "must raise UnknownStatusError naming the provider and the value",
        "reportbridge.StatusMap",
    ],
    "test_refused_credentials_raise_authentication_error_without_the_secret": [
        "the AuthenticationError message shows the wrong api_key (as is)",
        "name the setting, never its value",
    ],
    "test_every_format_offered_gives_that_format": [
        "is not what the simulator serves as jsonl",
        "must ask the vendor for the format requested",
    ],
    "test_no_secret_in_any_error_log_line_or_reference": [
        "secrets reached logs, errors or references",
        "setting pin in error #",
        "wrong api_key in error #",
        "reportbridge.provider.secret_field()",
    ],
}
PASSING = "test_run_wait_fetch"
#: the sound plugin on a client that never tries again: every 429 case fails
NO_RETRIES = "TestAcmeWithoutRetries"
RATE_LIMITED = "test_rate_limited_operation_waits_as_told_and_succeeds"


@pytest.fixture(scope="module")
def report() -> str:
    broken = " or ".join([*EXPECTED, PASSING])
    selected = f"(TestBrokenAcmeContract and ({broken})) or ({NO_RETRIES} and {RATE_LIMITED})"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", TARGET, "-k", selected, "-q", "--tb=long", "-rfE"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, f"the contract did not fail:\n{proc.stdout[-3000:]}"
    return proc.stdout


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_mistake_fails_its_case_with_what_to_fix(report: str, case: str) -> None:
    assert re.search(rf"FAILED {re.escape(TARGET)}::TestBrokenAcmeContract::{case}\b", report), (
        f"{case} did not fail:\n{report[-3000:]}"
    )
    for words in EXPECTED[case]:
        assert words in report, f"{case}: the failure does not say {words!r}"


@pytest.mark.parametrize("operation", ["submit", "poll", "cancel", "download"])
def test_a_429_not_waited_out_fails_each_operation(report: str, operation: str) -> None:
    case = rf"{NO_RETRIES}::{RATE_LIMITED}\[{operation}\]"
    assert re.search(rf"FAILED {re.escape(TARGET)}::{case}", report), report[-3000:]
    assert (
        f"{operation} answered once with HTTP 429 and Retry-After: 1 must wait that second"
        in report
    )
    assert "Send every request through ctx.http(...)" in report


def test_the_rest_of_the_run_is_sound(report: str) -> None:
    failed = re.findall(rf"FAILED {re.escape(TARGET)}::TestBrokenAcmeContract::(\w+)", report)
    assert sorted(set(failed)) == sorted(EXPECTED), report[-3000:]
    assert re.search(r"\b1 passed\b", report), f"{PASSING} must pass: {report[-2000:]}"
