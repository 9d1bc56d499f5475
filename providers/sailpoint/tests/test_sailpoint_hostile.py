"""Hostile task result ids and finished results: SailPoint sends only what the vendor meant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reportbridge import (
    ConfigurationError,
    ProviderProtocolError,
    ReportJob,
    ReportStatus,
    ValidationError,
)
from reportbridge.facade import Reports
from reportbridge.polling import PollPolicy
from reportbridge.testing.contract_ids import handmade_ref
from reportbridge_sailpoint.simulator import SailPointSimulator

# Not imported from conftest: "conftest" names another provider's module in mixed runs.
MakeSim = Callable[..., SailPointSimulator]
MakeReports = Callable[..., Reports]
FAST = PollPolicy(initial=0.02, backoff=1.3, cap=0.1, jitter=0.0)
ACCOUNTS = {"application": "2c9180897e7742b2017e781782f705b9", "sourceName": "Active Directory"}
GOOD_ID = "ef38f94347e94562b5bb8424a56397d8"
PATH_UNSAFE = [
    "../../../admin/users/42?force=true#",
    f"../{GOOD_ID}",
    f"{GOOD_ID}/cancel",
    f"{GOOD_ID}?fileFormat=pdf",
    f"{GOOD_ID}#",
    "%2e%2e",
    "..",
    f"{GOOD_ID[:16]}\u2215{GOOD_ID[16:]}",
    f"{GOOD_ID}\x00",
    f"{GOOD_ID}\r\n",
]
WRONG_SHAPE = [GOOD_ID.upper(), GOOD_ID[:-1], GOOD_ID + "0", "report-4f2a9c1d7b30", "1"]


def crafted(job_id: str) -> str:
    return handmade_ref({"p": "sailpoint", "n": "sp", "i": job_id, "t": "ACCOUNTS"})


@pytest.mark.parametrize("job_id", PATH_UNSAFE + WRONG_SHAPE)
def test_a_crafted_id_is_refused_before_any_request(
    sim: SailPointSimulator, reports: Reports, job_id: str, tmp_path: Path
) -> None:
    ref = crafted(job_id)
    finished = ReportJob(
        provider="sailpoint",
        profile="sp",
        job_id=job_id,
        report_type="ACCOUNTS",
        status=ReportStatus.SUCCEEDED,
        provider_status="SUCCESS",
        formats=("csv",),
    )
    for operation in (
        lambda: reports.poll(ref),
        lambda: reports.cancel(ref),
        lambda: reports.fetch(ref, tmp_path),
        lambda: reports.fetch(finished, tmp_path, format="csv"),
        lambda: reports.session("sp").cancel(finished),
    ):
        with pytest.raises(ValidationError, match="task result id") as info:
            operation()
        assert "[0-9a-f]{32}" in str(info.value)
    assert sim.requests == []


@pytest.mark.parametrize("job_id", PATH_UNSAFE)
def test_path_characters_are_refused_even_without_strict_ids(
    sim: SailPointSimulator, sp_reports: MakeReports, job_id: str
) -> None:
    reports = sp_reports(sim, strict_ids=False)
    for operation in (reports.poll, reports.cancel):
        with pytest.raises(ValidationError, match="task result id"):
            operation(crafted(job_id))
    assert sim.requests == []


@pytest.mark.parametrize("answered", PATH_UNSAFE[:6] + WRONG_SHAPE[:2])
def test_a_hostile_id_in_the_run_answer_is_a_protocol_error(
    make_sim: MakeSim, sp_reports: MakeReports, answered: str
) -> None:
    sim = make_sim(forced_job_id=answered)
    reports = sp_reports(sim)
    with pytest.raises(ProviderProtocolError, match="cannot address it"):
        reports.run("sp", "ACCOUNTS", **ACCOUNTS)
    assert [r.path for r in sim.requests] == ["/oauth/token", "/v3/reports/run"]


def test_another_shape_works_without_strict_ids(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path
) -> None:
    odd = "TASK:Ünï~" + GOOD_ID.upper()
    sim = make_sim(forced_job_id=odd)
    with pytest.raises(ProviderProtocolError):
        sp_reports(sim).run("sp", "ACCOUNTS", **ACCOUNTS)
    reports = sp_reports(sim, strict_ids=False)
    done = reports.wait(reports.run("sp", "ACCOUNTS", **ACCOUNTS), timeout=20, policy=FAST)
    assert done.job_id == odd and done.status is ReportStatus.SUCCEEDED
    (fetched,) = reports.fetch(done, tmp_path, format="csv")
    assert fetched.sha256 == sim.served_sha256(odd, "csv")
    segment = "TASK%3A%C3%9Cn%C3%AF~" + GOOD_ID.upper()
    assert sim.count("GET", f"^/v3/reports/{segment}/result$") >= 1


def test_strict_ids_must_be_a_boolean(make_reports: object) -> None:
    with pytest.raises(ConfigurationError, match="strict_ids"):
        Reports.from_profiles(
            {
                "sp": {
                    "provider": "sailpoint",
                    "base_url": "https://acme.api.identitynow.com",
                    "client_id": "id",
                    "client_secret": "s3cr3t-value",
                    "strict_ids": "no",
                }
            }
        )


@pytest.mark.parametrize("cancel_finished", ["refuse", "purge"])
def test_cancel_never_destroys_a_finished_result(
    make_sim: MakeSim, sp_reports: MakeReports, cancel_finished: str, tmp_path: Path
) -> None:
    # A tenant that purges a finished task's files on cancel (undocumented) loses nothing.
    sim = make_sim(cancel_finished=cancel_finished)
    reports = sp_reports(sim)
    done = reports.wait(reports.run("sp", "ACCOUNTS", **ACCOUNTS), timeout=20, policy=FAST)
    for target in (done, done.ref):
        assert reports.cancel(target).status is ReportStatus.SUCCEEDED
    assert sim.count("POST", "/cancel$") == 0
    (fetched,) = reports.fetch(done, tmp_path, format="csv")
    assert fetched.sha256 == sim.served_sha256(done.job_id, "csv")
