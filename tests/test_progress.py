"""The progress view: a live table on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

from reportbridge import FetchedFile, ReportJob, ReportStatus
from reportbridge.batch import JobEvent, JobRequest
from reportbridge.cli.progress import ProgressView

REQ = JobRequest("prof", "USERS", key="k1")


def job(status: ReportStatus) -> ReportJob:
    return ReportJob(
        "toy", "prof", "j1", "USERS", status=status, provider_status=status.value.upper()
    )


def feed(view: ProgressView) -> None:
    view.add("k1", "toy", "prof", "USERS")
    view.event(JobEvent("submitting", REQ))
    view.event(JobEvent("submitted", REQ, job(ReportStatus.PENDING)))
    view.event(JobEvent("status", REQ, job(ReportStatus.RUNNING)))
    view.event(JobEvent("status", REQ, job(ReportStatus.SUCCEEDED)))
    view.event(JobEvent("progress", REQ, job(ReportStatus.SUCCEEDED), bytes_done=3 * 2**20))
    f = FetchedFile(Path("/tmp/x.csv"), 3 * 2**20, "0" * 64, "text/csv", "csv")
    view.event(JobEvent("fetched", REQ, job(ReportStatus.SUCCEEDED), file=f))


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with ProgressView(stream=out) as view:
        feed(view)
    lines = out.getvalue().splitlines()
    assert lines == [
        "toy/prof k1: pending (vendor: PENDING)",
        "toy/prof k1: running (vendor: RUNNING)",
        "toy/prof k1: succeeded (vendor: SUCCEEDED)",
        "toy/prof k1: fetched x.csv (3.0 MiB)",
    ]


def test_live_table_on_a_terminal() -> None:
    out = io.StringIO()
    with ProgressView(stream=out, live=True) as view:
        feed(view)
    text = out.getvalue()
    for column in ("provider", "profile", "type", "status", "elapsed", "fetched"):
        assert column in text
    assert "toy" in text and "fetched" in text and "3.0 MiB" in text


def test_a_large_batch_draws_a_bounded_table_with_every_job_counted() -> None:
    from reportbridge.cli.progress import LIVE_ROWS, _live_rows

    view = ProgressView(stream=io.StringIO(), live=False)
    for n in range(5_000):
        view.add(f"k{n}", "toy", "prof", "USERS")
        if n % 2:  # half of them ended
            view.done(f"k{n}", "succeeded")
    shown, caption = _live_rows(list(view.rows.items()))
    assert len(shown) == LIVE_ROWS
    assert all(row.ended is None for _key, row in shown)
    assert [key for key, _row in shown][:2] == ["k0", "k2"]  # waiting longest first
    assert caption == (
        f"5,000 jobs: 2,500 queued, 2,500 succeeded; showing {LIVE_ROWS} of 2,500 unfinished"
    )
    out = io.StringIO()
    with ProgressView(stream=out, live=True) as live:
        live.rows = view.rows
    drawn = out.getvalue()
    assert "5,000 jobs" in drawn and "k0 " in drawn and "k998 " not in drawn
