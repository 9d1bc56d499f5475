"""The simulator behaves as Tenable documents (and as its switches say where docs are silent)."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import urllib3

from reportbridge_tenable.sim_chunks import ChunkFile
from reportbridge_tenable.simulator import TenableSimulator

Make = Callable[..., TenableSimulator]
HTTP = urllib3.PoolManager(retries=False)


def call(
    sim: TenableSimulator, method: str, path: str, body: Any = None, **headers: str
) -> urllib3.BaseHTTPResponse:
    keys = f"accessKey={sim.access_key};secretKey={sim.secret_key};"
    data = None if body is None else json.dumps(body).encode()
    return HTTP.request(
        method, sim.base_url + path, body=data, headers={"X-ApiKeys": keys, **headers}
    )


def start(sim: TenableSimulator, kind: str = "vulns", body: Any = None) -> str:
    resp = call(
        sim, "POST", f"/{kind}/export", body or ({} if kind == "vulns" else {"chunk_size": 100})
    )
    assert resp.status == 200, resp.data
    return str(resp.json()["export_uuid"])


def status(sim: TenableSimulator, uuid: str, kind: str = "vulns") -> dict[str, Any]:
    resp = call(sim, "GET", f"/{kind}/export/{uuid}/status")
    assert resp.status == 200, resp.data
    body: dict[str, Any] = resp.json()
    return body


def until(
    sim: TenableSimulator, uuid: str, wanted: str, kind: str = "vulns"
) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen.append(status(sim, uuid, kind))
        if seen[-1]["status"] == wanted:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"never {wanted}: {seen[-1]}")


def test_chunks_appear_one_by_one_while_processing_out_of_order(tenable_sim: Make) -> None:
    sim = tenable_sim(job_seconds=0.8, chunks=5)
    uuid = start(sim)
    seen = until(sim, uuid, "FINISHED")
    assert seen[0]["status"] == "QUEUED"
    growing = [tuple(s["chunks_available"]) for s in seen if s["status"] == "PROCESSING"]
    assert any(0 < len(c) < 5 for c in growing)  # available before FINISHED
    for a, b in itertools.pairwise(growing):
        assert b[: len(a)] == a  # a list that only grows
    final = seen[-1]
    assert sorted(final["chunks_available"]) == [1, 2, 3, 4, 5]
    assert final["chunks_available"] != [1, 2, 3, 4, 5]  # completion order, seeded
    assert final["total_chunks"] == 5 and final["finished_chunks"] == 5
    assert final["chunks_failed"] == [] and final["chunks_cancelled"] == []
    assert final["uuid"] == uuid and final["created"] > 1_600_000_000_000


def test_a_chunk_is_refused_until_ready_and_served_as_recorded(tenable_sim: Make) -> None:
    sim = tenable_sim(job_seconds=0.4, chunks=2, out_of_order=False)
    uuid = start(sim)
    early = call(sim, "GET", f"/vulns/export/{uuid}/chunks/2")
    assert early.status == 400 and "not ready" in early.json()["message"]
    until(sim, uuid, "FINISHED")
    resp = call(sim, "GET", f"/vulns/export/{uuid}/chunks/2")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    rows = json.loads(resp.data)
    assert isinstance(rows, list) and rows and {"asset", "plugin", "severity"} <= set(rows[0])
    assert hashlib.sha256(resp.data).hexdigest() == sim.served_sha256(uuid, "json", "2")
    assert ("chunk", uuid, "2") in sim.events
    assert call(sim, "GET", f"/vulns/export/{uuid}/chunks/9").status == 404


def test_content_depends_only_on_the_seed(tenable_sim: Make) -> None:
    one, two = tenable_sim(seed="s1"), tenable_sim(seed="s1")
    a, b = start(one, "assets"), start(two, "assets")
    assert a == b
    assert one.served_sha256(a, "json", "1") == two.served_sha256(b, "json", "1")
    assert start(tenable_sim(seed="s2"), "assets") != a


def test_failed_chunks_end_finished_with_reason_and_cancelled_followers(tenable_sim: Make) -> None:
    sim = tenable_sim(chunks=4, failed_chunks=(2,), out_of_order=False)
    final = until(sim, start(sim), "FINISHED")[-1]
    assert final["chunks_available"] == [1]
    assert final["chunks_failed"] == [2] and final["chunks_cancelled"] == [3, 4]
    assert final["reason"].startswith("1 of 4 chunks failed to process")


def test_error_cancel_and_their_answers(tenable_sim: Make) -> None:
    sim = tenable_sim(outcome="ERROR", job_seconds=0.2)
    final = until(sim, start(sim), "ERROR")[-1]
    assert final["reason"] == "The export request timed out. Try again."
    slow = tenable_sim(job_seconds=30)
    uuid = start(slow, "assets")
    assert call(slow, "POST", f"/assets/export/{uuid}/cancel").json() == {"status": "CANCELLED"}
    assert status(slow, uuid, "assets")["status"] == "CANCELLED"
    done = call(slow, "POST", f"/assets/export/{uuid}/cancel")
    assert done.status == 400 and done.json()["message"] == "Cannot cancel a completed job"
    missing = call(slow, "POST", "/assets/export/0f1e2d3c-4b5a-4968-8776-655443322110/cancel")
    assert missing.status == 404 and "not found" in missing.json()["message"]


def test_keys_permission_and_rate_limit(tenable_sim: Make) -> None:
    sim = tenable_sim(rate_limit=2, retry_after="7", export_permission=("vulns",))
    bad = call(sim, "GET", "/vulns/export/status", **{"X-ApiKeys": "accessKey=x;secretKey=y;"})
    assert bad.status == 401 and bad.json()["message"] == "Invalid credentials."
    assert call(sim, "POST", "/assets/export", {"chunk_size": 100}).status == 403
    assert call(sim, "GET", "/vulns/export/status").status == 200
    limited = call(sim, "GET", "/vulns/export/status")
    assert limited.status == 429 and limited.headers["Retry-After"] == "7"
    assert limited.headers["Content-Type"] == "text/html" and b"nginx" in limited.data


def test_two_concurrent_exports_per_kind_and_duplicates(tenable_sim: Make) -> None:
    sim = tenable_sim(job_seconds=30)
    first = start(sim, "vulns", {"filters": {"since": 1}})
    clash = call(sim, "POST", "/vulns/export", {"filters": {"since": 1}})
    assert clash.status == 409 and clash.json()["active_job_id"] == first
    start(sim, "vulns", {"filters": {"since": 2}})
    start(sim, "assets")  # the limit is per kind
    full = call(sim, "POST", "/vulns/export", {"filters": {"since": 3}})
    assert full.status == 429 and full.headers["Retry-After"] == "30"
    replaced = tenable_sim(job_seconds=30, duplicates="replace")
    old = start(replaced, "assets")
    new = start(replaced, "assets")
    assert old != new and status(replaced, old, "assets")["status"] == "CANCELLED"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("assets", {}),
        ("assets", {"chunk_size": 50}),
        ("assets", {"chunk_size": 2000, "include_resource_tags": True}),
        ("vulns", {"filters": {"since": 1, "last_found": 1}}),
        ("vulns", {"num_assets": "50"}),
        ("vulns", {"nonsense": 1}),
        ("vulns", [1]),
    ],
)
def test_requests_the_vendor_refuses(tenable_sim: Make, kind: str, body: Any) -> None:
    sim = tenable_sim()
    resp = call(sim, "POST", f"/{kind}/export", body)
    assert resp.status == 400 and resp.json()["statusCode"] == 400
    assert sim.jobs_created() == 0


def test_num_assets_out_of_range_is_clamped_as_documented(tenable_sim: Make) -> None:
    sim = tenable_sim()
    uuid = start(sim, "vulns", {"num_assets": 9000})
    assert status(sim, uuid)["num_assets_per_chunk"] == 5000


def test_listing_shows_recent_exports_newest_first(tenable_sim: Make) -> None:
    sim = tenable_sim(job_seconds=30)
    a = start(sim, "assets", {"chunk_size": 100})
    b = start(sim, "assets", {"chunk_size": 200, "filters": {"is_licensed": True}})
    listed = call(sim, "GET", "/assets/export/status").json()["exports"]
    assert [e["uuid"] for e in listed] == [b, a]
    assert listed[0]["filters"] == '{"is_licensed":true}'  # text, as the vendor shows it
    assert call(sim, "GET", "/vulns/export/status").json() == {"exports": []}


def test_switches_for_what_the_docs_leave_open(tenable_sim: Make) -> None:
    sim = tenable_sim(
        job_seconds=0.1, ranges=True, content_length=False, chunks=1, minimal_status=True
    )
    uuid = start(sim, "assets")
    assert until(sim, uuid, "FINISHED", "assets")[-1] == {
        "status": "FINISHED",
        "chunks_available": [1],
    }
    whole = call(sim, "GET", f"/assets/export/{uuid}/chunks/1")
    assert "Content-Length" not in whole.headers and whole.headers["Accept-Ranges"] == "bytes"
    part = call(sim, "GET", f"/assets/export/{uuid}/chunks/1", Range="bytes=10-")
    assert part.status == 206 and part.data == whole.data[10:]
    assert sim.served_sha256(uuid, "json") == hashlib.sha256(whole.data).hexdigest()


def test_garbled_and_expired_chunks(tenable_sim: Make) -> None:
    sim = tenable_sim(job_seconds=0.1, chunks=1, garbled_chunks=1, chunk_ttl=0.3, empty_chunks=(1,))
    uuid = start(sim)
    until(sim, uuid, "FINISHED")
    cut = call(sim, "GET", f"/vulns/export/{uuid}/chunks/1")
    assert cut.status == 200 and int(cut.headers["Content-Length"]) == len(cut.data)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.data)
    assert json.loads(call(sim, "GET", f"/vulns/export/{uuid}/chunks/1").data) == []
    time.sleep(0.35)
    assert call(sim, "GET", f"/vulns/export/{uuid}/chunks/1").status == 404


@pytest.mark.parametrize("kind", ["vulns", "assets"])
def test_a_large_chunk_is_one_json_array_and_any_range_of_it_is_exact(kind: str) -> None:
    chunk = ChunkFile(2_000_000, seed="0f1e2d3c-4b5a-4968-8776-655443322110:1", kind=kind)
    data = chunk.read_all()
    assert len(data) == chunk.size and 1_990_000 < chunk.size <= 2_000_000
    assert len(json.loads(data)) == chunk.count
    assert b"".join(chunk.iter_range(12_345, 777_777, chunk=4096)) == data[12_345:777_777]
