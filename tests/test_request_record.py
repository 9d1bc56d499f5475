"""What a submit records of the requests it made: method, origin, path, status, the
vendor's request id, and never a secret."""

from __future__ import annotations

import threading
from typing import Any

from reportbridge.hookspecs import hookimpl
from reportbridge.model import ReportJob
from reportbridge.plugins import PluginRegistry
from reportbridge.transport.observe import SentRequest, note, recording, request_id
from tests.toy import ToySimulator


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple[SentRequest, ...]]] = []

    @hookimpl
    def job_submitted(self, job: ReportJob, requests: tuple[SentRequest, ...]) -> None:
        self.seen.append((job.job_id, requests))


def test_job_submitted_hook_gets_the_requests_made(
    toy_registry: PluginRegistry, toy_reports: Any, toy_sim: ToySimulator
) -> None:
    recorder = Recorder()
    toy_registry.register(recorder, name="recorder")
    job = toy_reports.run("toy", "USERS")
    assert [job_id for job_id, _ in recorder.seen] == [job.job_id]
    requests = recorder.seen[0][1]
    create = next(r for r in requests if r.path == "/jobs")
    assert create.method == "POST" and create.status == 201
    assert create.request_id == f"req-{job.job_id}"
    assert create.origin == f"http://127.0.0.1:{toy_sim.base_url.rsplit(':', 1)[1].rstrip('/')}"
    text = repr(requests)
    assert toy_sim.client_secret not in text and "toy-token" not in text
    # polls are not part of the submit record
    toy_reports.poll(job)
    assert len(recorder.seen) == 1


def test_request_ids_must_be_plain_tokens() -> None:
    assert request_id({"X-Request-Id": " abc-123 "}) == "abc-123"
    assert request_id({"X-Amzn-Trace-Id": "Root=1-67891233-abcdef"}) == "Root=1-67891233-abcdef"
    assert request_id({"X-Request-Id": "two words"}) is None
    assert request_id({"X-Request-Id": "x" * 201}) is None
    assert request_id({"X-Request-Id": "evil\r\nSet-Cookie: a"}) is None
    assert request_id({}) is None


def test_recording_is_per_thread_and_drops_query_strings() -> None:
    with recording() as mine:
        note("GET", "https://api.example.com:8443/a/b?sig=secret", 200, {}, "download")
        other = threading.Thread(
            target=note, args=("GET", "https://api.example.com/x", 200, {}, "poll")
        )
        other.start()
        other.join()
    note("GET", "https://api.example.com/late", 200, {}, "poll")  # nobody records: ignored
    assert mine == [
        SentRequest("GET", "https://api.example.com:8443", "/a/b", 200, None, "download")
    ]
