"""Contract check: the official SDK (``sailpoint`` 1.4.2) runs unmodified against the simulator.

pytest turns warnings into errors, and the SDK's models warn on any enum value they do
not know, so a simulator payload the SDK would not accept fails these tests.
"""

from __future__ import annotations

import importlib
import time
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import ACCOUNTS, MakeSim

from reportbridge_sailpoint.simulator import SailPointSimulator

pytest.importorskip("sailpoint")  # a dev dependency of the workspace

from sailpoint.configuration import Configuration, ConfigurationParams


@pytest.fixture(params=["v3", "v2025"])
def sdk(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"sailpoint.{request.param}")


def sdk_api(sdk: ModuleType, sim: SailPointSimulator) -> Any:
    params = ConfigurationParams()
    params.base_url = sim.base_url  # the SDK adds /v3 or /v2025 and /oauth/token itself
    params.client_id = sim.client_id
    params.client_secret = sim.client_secret
    configuration = Configuration(params)
    assert configuration.access_token, "the SDK got a token from the simulator"
    api_module = importlib.import_module(f"{sdk.__name__}.api.reports_data_extraction_api")
    return api_module.ReportsDataExtractionApi(sdk.ApiClient(configuration))


def details(sdk: ModuleType, report_type: str, arguments: dict[str, Any]) -> Any:
    models = importlib.import_module(f"{sdk.__name__}.models.report_details")
    return models.ReportDetails.from_dict({"reportType": report_type, "arguments": arguments})


def wait_result(api: Any, task_id: str) -> Any:
    for _ in range(300):
        result = api.get_report_result(task_id)
        if result.status is not None:
            return result
        time.sleep(0.02)
    raise AssertionError("the report never finished")


def test_start_result_get_and_cancel(
    sdk: ModuleType, make_sim: MakeSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the SDK saves files in the working directory
    sim = make_sim(job_seconds=0.3, file_size=5000)
    api = sdk_api(sdk, sim)
    task = api.start_report(details(sdk, "ACCOUNTS", ACCOUNTS))
    assert task.report_type == "ACCOUNTS" and task.completion_status is None
    assert task.created is not None and task.created.tzinfo is not None
    early = api.get_report_result(task.id)
    assert early.status is None
    result = wait_result(api, task.id)
    assert result.status == "SUCCESS" and result.available_formats == ["CSV", "PDF"]
    assert result.task_def_name == "Account Export" and result.rows and result.duration
    csv = Path(api.get_report(task.id, "csv"))
    pdf = Path(api.get_report(task.id, "pdf"))
    assert csv.name == "Account Export.csv" and csv.stat().st_size == 5000
    assert pdf.name == "Account Export.pdf" and pdf.read_bytes().startswith(b"%PDF")
    accepts = [r.headers.get("Accept") for r in sim.requests if r.path.endswith(task.id)]
    assert accepts == ["application/csv", "application/pdf"]

    running = api.start_report(details(sdk, "IDENTITIES", {"correlatedOnly": True}))
    adopted = api.start_report(details(sdk, "IDENTITIES", {"correlatedOnly": True}))
    assert adopted.id == running.id
    assert api.cancel_report(running.id) is None
    assert wait_result(api, running.id).status == "TERMINATED"
    version = sdk.__name__.rsplit(".", 1)[1]
    assert sim.count("POST", rf"^/{version}/reports/{running.id}/cancel$") == 1


def test_search_export_zip_through_the_sdk(
    sdk: ModuleType, make_sim: MakeSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sim = make_sim(job_seconds=0.1)
    api = sdk_api(sdk, sim)
    models = importlib.import_module(f"{sdk.__name__}.models")
    # The SDK's untagged argument union would read these as IDENTITIES arguments (all
    # optional) and drop the query, so the arguments model is named explicitly.
    arguments = models.SearchExportReportArguments(
        query="name:a*", indices=["identities", "roles"], sort=["-name"]
    )
    task = api.start_report(
        models.ReportDetails(
            report_type="SEARCH_EXPORT", arguments=models.ReportDetailsArguments(arguments)
        )
    )
    assert wait_result(api, task.id).available_formats == ["CSV"]
    path = Path(api.get_report(task.id, "csv"))
    assert path.name == "Search Export.zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["identities.csv", "roles.csv"]


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("WARNING", "WARNING"), ("ERROR", "FAILURE"), ("TEMP_ERROR", "FAILURE")],
)
def test_every_default_outcome_fits_the_sdk_models(
    sdk: ModuleType, make_sim: MakeSim, outcome: str, status: str
) -> None:
    sim = make_sim(job_seconds=0.1, outcome=outcome, naive_timestamps=True)
    api = sdk_api(sdk, sim)
    task = api.start_report(details(sdk, "ORPHAN_IDENTITIES", {"selectedFormats": ["CSV"]}))
    assert wait_result(api, task.id).status == status


def test_vendor_errors_reach_the_sdk_as_its_exceptions(sdk: ModuleType, make_sim: MakeSim) -> None:
    exceptions = importlib.import_module(f"{sdk.__name__}.exceptions")
    sim = make_sim(job_seconds=5)
    api = sdk_api(sdk, sim)
    task = api.start_report(details(sdk, "IDENTITIES", {}))
    with pytest.raises(exceptions.NotFoundException) as info:
        api.get_report(task.id, "csv")
    assert info.value.data.detail_code == "404 Not found"
    with pytest.raises(exceptions.BadRequestException):
        api.cancel_report("0" * 32)
