"""run_many over SailPoint, whose run is get-or-create: two requests may share one task."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ACCOUNTS, MakeReports, MakeSim

from reportbridge.batch import JobEvent, JobRequest
from reportbridge.download import sha256_of


@pytest.mark.parametrize("same_folder", [False, True], ids=["own-folders", "one-folder"])
def test_two_requests_sharing_one_task_both_finish_with_the_file(
    make_sim: MakeSim, sp_reports: MakeReports, tmp_path: Path, same_folder: bool
) -> None:
    sim = make_sim(job_seconds=0.6, file_size=300_000)
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
    served = sim.served_sha256(a.job.job_id, "csv")
    for outcome in (a, twin):
        (file,) = outcome.files
        assert (file.size, file.sha256, sha256_of(file.path)) == (300_000, served, served)
    # each request got its file; in one folder both wrote the same name, atomically
    paths = {o.files[0].path for o in (a, twin)}
    assert len(paths) == (1 if same_folder else 2)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]
