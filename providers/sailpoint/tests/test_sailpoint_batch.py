"""run_many over SailPoint, whose run is get-or-create: two requests may share one task."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import ACCOUNTS, MakeReports, MakeSim

from reportbridge.batch import JobEvent, JobRequest
from reportbridge.download import sha256_of


@pytest.mark.parametrize("same_folder", [False, True], ids=["own-folders", "one-folder"])
def test_two_requests_sharing_one_task_both_finish_with_the_file(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path, same_folder: bool
) -> None:
    # tasks age by clock read, not wall time: a busy machine cannot let the first task end
    # before its twin is submitted (the vendor adopts only a running task)
    ticks = itertools.count()
    sim = make_sim(job_seconds=3, file_size=300_000, clock=lambda: next(ticks) / 10)
    reports = sp_reports(sim, concurrency=3)
    other = {**ACCOUNTS, "sourceName": "LDAP"}
    requests = [
        JobRequest("sp", "ACCOUNTS", dict(ACCOUNTS), ("csv",), key="a"),
        JobRequest("sp", "ACCOUNTS", dict(ACCOUNTS), ("csv",), key="twin"),
        JobRequest("sp", "ACCOUNTS", other, ("csv",), key="other"),
    ]
    events: list[JobEvent] = []

    def folder(request: JobRequest) -> Path:
        return tmp_path if same_folder else tmp_path / str(request.key)

    outcomes = {
        o.request.key: o
        for o in reports.run_many(requests, dest_dir=folder, on_event=events.append)
    }

    assert all(o.ok for o in outcomes.values()), {k: o.error for k, o in outcomes.items()}
    a, twin, lone = outcomes["a"], outcomes["twin"], outcomes["other"]
    assert a.job and twin.job and lone.job
    assert a.job.job_id == twin.job.job_id != lone.job.job_id  # the vendor adopted the twin
    assert sim.jobs_created() == 2 and sim.count("POST", r"/run$") == 3
    submitted = {e.request.key: e.job.job_id for e in events if e.kind == "submitted" and e.job}
    assert submitted["a"] == submitted["twin"]
    for outcome in outcomes.values():
        assert outcome.job
        (file,) = outcome.files
        served = sim.served_sha256(outcome.job.job_id, "csv")
        assert (file.size, file.sha256, sha256_of(file.path)) == (300_000, served, served)
    # the twins share a file; the other job, which the vendor names alike, has its own
    paths = {key: o.files[0].path for key, o in outcomes.items()}
    if same_folder:
        assert paths["a"] == paths["twin"] != paths["other"]
    assert (
        len(set(paths.values())) == len(list(tmp_path.rglob("*.csv"))) == (2 if same_folder else 3)
    )
    for outcome in outcomes.values():
        assert outcome.job
        own = f"Account Export-{outcome.job.job_id}.csv"
        assert outcome.files[0].path.name in ("Account Export.csv", own)
