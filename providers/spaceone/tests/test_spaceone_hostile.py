"""Hostile report ids in references and answers: SpaceONE sends only what the vendor meant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spaceone_testkit import FAST, PDF

from reportbridge import (
    ConfigurationError,
    ProviderProtocolError,
    ReportJob,
    ReportStatus,
    ValidationError,
)
from reportbridge.facade import Reports
from reportbridge.testing.contract_ids import handmade_ref
from reportbridge_spaceone.simulator import SpaceoneSimulator

MakeSim = Callable[..., SpaceoneSimulator]
MakeReports = Callable[..., Reports]

PATH_UNSAFE = [
    "../../../admin/users/42?force=true#",
    "report-4f2a9c1d7b30/download_url",
    "../report-4f2a9c1d7b30",
    "report-4f2a9c1d7b30?domain_id=other",
    "report-4f2a9c1d7b30#",
    "%2e%2e",
    "..",
    "report\u2215..",
    "report-4f2a9c1d7b30\x00",
]
WRONG_SHAPE = ["report-4F2A9C1D7B30", "report-4f2a9c1d7b3", "template-4f2a9c1d7b30", "42"]


def crafted(report_id: str) -> str:
    return handmade_ref({"p": "spaceone", "n": "so", "i": report_id, "t": PDF})


@pytest.mark.parametrize("api_style", ["rest", "gateway"])
@pytest.mark.parametrize("report_id", PATH_UNSAFE + WRONG_SHAPE)
def test_a_crafted_report_id_is_refused_before_any_request(
    spaceone_sim: MakeSim,
    make_spaceone: MakeReports,
    report_id: str,
    api_style: str,
    tmp_path: Path,
) -> None:
    sim = spaceone_sim(api_style=api_style)
    reports = make_spaceone(sim)
    finished = ReportJob(
        provider="spaceone",
        profile="so",
        job_id=report_id,
        report_type=PDF,
        status=ReportStatus.SUCCEEDED,
        provider_status="FINISHED",
        formats=("pdf",),
    )
    for operation in (
        lambda: reports.poll(crafted(report_id)),
        lambda: reports.fetch(crafted(report_id), tmp_path),
        lambda: reports.fetch(finished, tmp_path),
    ):
        with pytest.raises(ValidationError, match="report id") as info:
            operation()
        assert "report-[0-9a-f]{12}" in str(info.value)
    assert sim.requests == []


@pytest.mark.parametrize("report_id", PATH_UNSAFE)
def test_path_characters_are_refused_even_without_strict_ids(
    sim: SpaceoneSimulator, make_spaceone: MakeReports, report_id: str
) -> None:
    reports = make_spaceone(sim, strict_ids=False)
    with pytest.raises(ValidationError, match="report id"):
        reports.poll(crafted(report_id))
    assert sim.requests == []


@pytest.mark.parametrize("answered", PATH_UNSAFE[:5] + WRONG_SHAPE[:2])
def test_a_hostile_id_in_the_create_answer_is_a_protocol_error(
    spaceone_sim: MakeSim, make_spaceone: MakeReports, answered: str
) -> None:
    sim = spaceone_sim(forced_job_id=answered)
    reports = make_spaceone(sim)
    with pytest.raises(ProviderProtocolError, match="cannot address it"):
        reports.run("so", PDF, name="x")
    assert [r.path for r in sim.requests] == ["/report/v1/reports"]
    # a listing that holds it is refused too: the id would be used in a path later
    with pytest.raises(ProviderProtocolError, match="cannot address it"):
        list(reports.list("so"))


def test_another_id_shape_works_without_strict_ids(
    spaceone_sim: MakeSim, make_spaceone: MakeReports, tmp_path: Path
) -> None:
    odd = "Report:Ünï~0001"
    sim = spaceone_sim(forced_job_id=odd)
    reports = make_spaceone(sim, strict_ids=False)
    done = reports.wait(reports.run("so", PDF, name="x"), timeout=20, policy=FAST)
    assert done.job_id == odd and done.status is ReportStatus.SUCCEEDED
    (fetched,) = reports.fetch(done, tmp_path)
    assert fetched.sha256 == sim.served_sha256(odd, "pdf")
    gets = [r.path for r in sim.requests if r.method == "GET" and r.origin == "api"]
    assert gets and all(p.startswith("/report/v1/report/Report%3A%C3%9Cn%C3%AF~0001") for p in gets)


def test_strict_ids_must_be_a_boolean(sim: SpaceoneSimulator, make_spaceone: MakeReports) -> None:
    with pytest.raises(ConfigurationError, match="strict_ids must be true or false"):
        make_spaceone(sim, strict_ids="no")
