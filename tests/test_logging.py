"""No secret reaches log output, whatever the level."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from reportbridge import Reports
from reportbridge.logging import configure_cli_logging, redact_text
from reportbridge.testing import Fault
from tests.toy import ToySimulator


@pytest.fixture
def captured() -> Any:
    stream = io.StringIO()
    configure_cli_logging(json=True, level=logging.DEBUG)
    root = logging.getLogger("reportbridge")
    handler = next(h for h in root.handlers if h.get_name() == "reportbridge-cli")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(logging.NOTSET)


def test_secrets_never_logged(
    captured: io.StringIO, toy_reports: Reports, toy_sim: ToySimulator, tmp_path: Any
) -> None:
    toy_sim.redirect_files = True
    toy_sim.faults.add(Fault(path="^/jobs/", method="GET", status=503))
    job = toy_reports.wait(toy_reports.run("toy", "USERS"), timeout=10)
    toy_reports.fetch(job, tmp_path)
    toy_sim.tokens.clear()
    toy_reports.poll(job)
    log = logging.getLogger("reportbridge.test")
    log.debug("manual %s", f"Authorization: Bearer {next(iter(toy_sim.tokens))}")
    text = captured.getvalue()
    assert "http" in text and "retrying" in text  # something was logged
    secrets = [toy_sim.client_secret, *toy_sim.tokens, "sig=abc123"]
    for secret in secrets:
        assert secret not in text, secret
    assert "[REDACTED]" in text


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.def.ghi",
        "https://bucket.s3.amazonaws.com/f.csv?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA1234",
        "client_secret=hunter2hunter2&grant_type=client_credentials",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature_x",
    ],
)
def test_redact_text(text: str) -> None:
    out = redact_text(text)
    for secret in (
        "abc.def.ghi",
        "deadbeef",
        "AKIA1234",
        "hunter2hunter2",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ):
        assert secret not in out
    assert "[REDACTED]" in out


def test_library_does_not_configure_logging_globally() -> None:
    # In a fresh interpreter: other libraries in this test process (Airflow, for the
    # contrib tests) configure structlog themselves.
    import subprocess
    import sys

    code = (
        "import structlog, reportbridge.facade, reportbridge.aio; "
        "assert not structlog.is_configured()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
