"""Audit runs record evidence: custody events, row counts, windows, lifetimes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from reportbridge.audit import PlannedJob
from reportbridge.audit.custody import CUSTODY, read_log
from reportbridge.audit.verification import FORMAT_2, verify_evidence
from reportbridge.errors import ConfigurationError, EvidenceError
from reportbridge.testing import Simulator
from tests.evidencekit import events, kinds, manifest, plan, reports_for, run, sailpoint_jobs

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "bundle-format-1"


@pytest.fixture
def sailpoint(provider_simulator: Callable[..., Simulator]) -> Simulator:
    return provider_simulator("sailpoint", job_seconds=0.2, file_size=30_000)


def test_a_run_records_custody_rows_and_the_head(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    out = run(reports, plan(*sailpoint_jobs()), bundle)
    assert out["format"] == FORMAT_2 and out["summary"]["succeeded"] == 2
    seen = kinds(bundle)
    assert seen[:2] == ["run-started", "plan-loaded"] and seen[-2:] == ["verified", "run-finished"]
    for kind in ("submitting", "submitted", "status", "fetched"):
        assert kind in seen
    started = events(bundle, "run-started")[0]
    assert started["operator"] and started["host"] and started["tool"]["name"] == "reportbridge"
    assert started["providers"]["sailpoint"]["distribution"] == "reportbridge-sailpoint"
    assert started["providers"]["sailpoint"]["version"]
    # the request made: method, origin, path, status; the token request, never the token
    submitted = events(bundle, "submitted")[0]
    paths = [(r["method"], r["path"], r["status"]) for r in submitted["requests"]]
    assert ("POST", "/v3/reports/run", 200) in paths
    assert all(r["origin"].startswith("http://127.0.0.1:") for r in submitted["requests"])
    text = (bundle / CUSTODY).read_text()
    for secret in sailpoint.secrets():  # type: ignore[attr-defined]
        assert secret not in text
    # every status change and every file, with what was counted
    statuses = [(e["key"], e["status"]) for e in events(bundle, "status")]
    assert ("accounts", "succeeded") in statuses
    fetched = {e["path"]: e for e in events(bundle, "fetched")}
    assert len(fetched) == 3
    jobs = {j["key"]: j for j in out["jobs"]}
    accounts = jobs["accounts"]
    assert accounts["rows_declared"] is not None
    assert accounts["rows_counted"] == {"csv": accounts["rows_declared"]}
    assert jobs["search"]["rows_counted"] == {"zip": jobs["search"]["rows_declared"]}
    for f in accounts["files"]:
        assert fetched[f["path"]]["sha256"] == f["sha256"]
    log = read_log(bundle / CUSTODY)
    assert out["custody"] == {"log": CUSTODY, "events": len(log.events), "head": log.head}
    check = verify_evidence(bundle)
    assert check.ok, (check.problems, check.findings)
    assert check.seal.state == "unsealed"


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [
        (
            "short",
            r"job accounts: csv holds (\d+) rows but the vendor declared (\d+) \(\d+ missing\)",
        ),
        ("empty", r"job accounts: csv holds no rows \(empty evidence\)"),
    ],
)
def test_short_and_empty_deliveries_are_reported(
    delivery: str,
    expected: str,
    provider_simulator: Callable[..., Simulator],
    make_reports: Callable[..., Any],
    tmp_path: Path,
) -> None:
    import re

    sim = provider_simulator("sailpoint", job_seconds=0.2, file_size=30_000, delivery=delivery)
    reports = reports_for(make_reports, {"sp": sim})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    check = verify_evidence(bundle)
    assert not check.problems  # the files are intact: what is wrong is the content
    assert any(re.fullmatch(expected, f) for f in check.findings), check.findings
    assert any(f.startswith("job search: zip ") for f in check.findings)
    if delivery == "short":
        job = next(j for j in manifest(bundle)["jobs"] if j["key"] == "accounts")
        assert 0 < job["rows_counted"]["csv"] < job["rows_declared"]


def test_full_delivery_has_no_findings(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    run(reports, plan(*sailpoint_jobs()), tmp_path / "b")
    assert verify_evidence(tmp_path / "b").findings == ()


def test_wide_window_is_split_and_recorded_as_one_item(
    provider_simulator: Callable[..., Simulator], make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    sim = provider_simulator("explore", job_seconds=0.2, file_size=4_000)
    reports = reports_for(make_reports, {"td": sim})
    job = PlannedJob("calls", "td", "calls", {"format": "csv"}, ("csv",), window="previous-quarter")
    relative = PlannedJob(
        "recent", "td", "contacts", {"from": "-P1D", "to": "now", "format": "json"}, ("json",)
    )
    bundle = tmp_path / "b"
    out = run(reports, plan(job, relative, timezone="UTC"), bundle)
    assert sim.count("POST", "/data/reports/calls/jobs$") == 3
    item = next(j for j in out["jobs"] if j["key"] == "calls")
    assert item["status"] == "succeeded" and len(item["segments"]) == 3
    assert [f["segment"] for f in item["files"]] == [1, 2, 3]
    window = item["window"]
    assert window["window"] == "previous-quarter" and len(window["segments"]) == 3
    starts = [dt.datetime.fromisoformat(s["from"]) for s in window["segments"]]
    ends = [dt.datetime.fromisoformat(s["to"]) for s in window["segments"]]
    assert starts[0] == dt.datetime.fromisoformat(window["from"])
    assert ends[-1] == dt.datetime.fromisoformat(window["to"])
    assert all(b - a <= dt.timedelta(days=31) for a, b in zip(starts, ends, strict=True))
    assert item["rows_counted"]["csv"] == sum(f["counted"]["rows"] for f in item["files"])
    recent = next(j for j in out["jobs"] if j["key"] == "recent")
    assert recent["window"]["relative"] == {"from": "-P1D", "to": "now"}
    resolved = dt.datetime.fromisoformat(out["resolution"]["resolved_at"])
    assert dt.datetime.fromisoformat(recent["window"]["to"]) == resolved
    loaded = events(bundle, "plan-loaded")[0]
    assert loaded["windows"]["calls"]["segments"] == window["segments"]
    assert out["summary"] == {
        "jobs": 2,
        "succeeded": 2,
        "partial": 0,
        "failed": 0,
        "incomplete": 0,
        "files": 4,
    }
    assert verify_evidence(bundle).ok


def test_window_needs_a_report_type_with_one(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    job = PlannedJob("ids", "sp", "IDENTITIES", {}, ("csv",), window="previous-month")
    with pytest.raises(ConfigurationError, match="window needs a report type with a time window"):
        run(reports, plan(job), tmp_path / "b")
    assert sailpoint.count("POST") == 0


def test_resume_keeps_the_resolution_and_continues_the_chain(
    provider_simulator: Callable[..., Simulator], make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    sim = provider_simulator("explore", job_seconds=0.2, file_size=4_000)
    reports = reports_for(make_reports, {"td": sim})
    the_plan = plan(PlannedJob("day", "td", "calls", {"format": "csv"}, ("csv",), window="-P1D"))
    bundle = tmp_path / "b"
    first = run(reports, the_plan, bundle)
    again = run(reports, the_plan, bundle)
    assert again["resolution"] == first["resolution"]
    assert sim.count("POST", "/jobs$") == 1
    assert "resumed" in kinds(bundle) and read_log(bundle / CUSTODY).ok
    assert verify_evidence(bundle).ok


def test_a_torn_tail_is_reported_then_repaired_by_the_next_run(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    with open(bundle / CUSTODY, "ab") as fh:
        fh.write(b'{"fields":{"key":"acc')  # as a crash mid-append leaves it
    problems = verify_evidence(bundle).problems
    assert any("ends with an incomplete event (21 bytes)" in p for p in problems), problems
    run(reports, plan(*sailpoint_jobs()), bundle)
    repaired = events(bundle, "log-repaired")
    assert repaired and repaired[0]["discarded_bytes"] == 21
    assert verify_evidence(bundle).ok


def test_a_file_recorded_only_in_the_journal_is_recovered_openly(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    # a crash between the journal write and the custody append: the log lacks the event
    log_path = bundle / CUSTODY
    lines = log_path.read_bytes().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if b'"kind":"fetched"' in line)
    log_path.write_bytes(b"".join(lines[:cut]))
    run(reports, plan(*sailpoint_jobs()), bundle)
    recovered = events(bundle, "recovered")
    assert recovered and "a run stopped between the two" in recovered[0]["reason"]
    assert verify_evidence(bundle).ok


def test_stale_evidence_is_reported_with_its_dates(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    jobs = sailpoint_jobs()
    jobs[1] = attrs.evolve(jobs[1], expires_after="P7D")
    out = run(reports, plan(*jobs, expires_after="P90D"), bundle)
    items = {j["key"]: j for j in out["jobs"]}
    collected = dt.datetime.fromisoformat(items["accounts"]["collected_at"])
    assert (
        items["accounts"]["expires_after"] == "P90D" and items["search"]["expires_after"] == "P7D"
    )
    assert verify_evidence(bundle, now=collected + dt.timedelta(days=1)).ok
    later = verify_evidence(bundle, now=collected + dt.timedelta(days=8))
    assert later.findings == (
        f"job search: stale evidence: collected {collected.date()}, expired "
        f"{(collected + dt.timedelta(days=7)).date()} (expires_after P7D)",
    )
    assert len(verify_evidence(bundle, now=collected + dt.timedelta(days=91)).findings) == 2


def test_a_sealed_bundle_is_never_resumed(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    from reportbridge.audit.keys import generate_keypair, load_signing_key
    from reportbridge.audit.seal import seal_bundle

    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    key, _ = generate_keypair(tmp_path / "key")
    seal_bundle(bundle, load_signing_key(key))
    before = (bundle / CUSTODY).read_bytes()
    with pytest.raises(EvidenceError, match="is sealed, and a sealed bundle is never changed"):
        run(reports, plan(*sailpoint_jobs()), bundle)
    assert (bundle / CUSTODY).read_bytes() == before


def test_a_damaged_custody_log_stops_a_resume(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    text = (bundle / CUSTODY).read_bytes().replace(b'"status":"succeeded"', b'"status":"failed"', 1)
    (bundle / CUSTODY).write_bytes(text)
    before = (bundle / "manifest.json").read_bytes()
    with pytest.raises(EvidenceError, match=r"custody log .* is damaged"):
        run(reports, plan(*sailpoint_jobs()), bundle)
    assert (bundle / "manifest.json").read_bytes() == before  # the evidence of damage stays
    assert any("hash does not match" in p for p in verify_evidence(bundle).problems)


def test_a_run_with_another_plan_leaves_the_manifest_alone(
    sailpoint: Simulator, make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    reports = reports_for(make_reports, {"sp": sailpoint})
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    before = (bundle / "manifest.json").read_bytes()
    with pytest.raises(ConfigurationError, match="made by a different plan"):
        run(reports, plan(*sailpoint_jobs()[:1]), bundle)
    assert (bundle / "manifest.json").read_bytes() == before
    assert verify_evidence(bundle).ok


def test_format_1_bundles_still_verify(tmp_path: Path) -> None:
    bundle = tmp_path / "old"
    shutil.copytree(FIXTURE_V1, bundle)
    check = verify_evidence(bundle)
    assert check.ok and check.format == "reportbridge-audit-bundle/1"
    assert check.files_checked == 9 and check.seal.state == "unsealed"
    victim = next((bundle / "files").rglob("*.csv"))
    victim.write_bytes(victim.read_bytes() + b"x")
    problems = verify_evidence(bundle).problems
    assert problems == (
        f"{victim.relative_to(bundle).as_posix()}: size "
        f"{victim.stat().st_size}, manifest says {victim.stat().st_size - 1}",
    )


def test_resuming_a_format_1_bundle_upgrades_it_openly(
    provider_simulator: Callable[..., Simulator], make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    from reportbridge.audit import parse_plan

    bundle = tmp_path / "old"
    shutil.copytree(FIXTURE_V1, bundle)
    old = manifest(bundle)
    sims = {
        f"{name}-demo": provider_simulator(name, job_seconds=0.2)
        for name in ("explore", "sailpoint", "spaceone")
    }
    reports = reports_for(make_reports, sims)
    raw = old["plan"]
    the_plan = parse_plan(
        {
            "audit": {"name": raw["name"], "timeout": raw["timeout"]},
            "jobs": [
                {k: j[k] for k in ("profile", "report_type", "params", "formats")}
                | {"name": j["key"]}
                for j in raw["jobs"]
            ],
        }
    )
    out = run(reports, the_plan, bundle)
    assert all(sim.count("POST") == 0 for sim in sims.values())  # nothing sent again
    assert out["format"] == FORMAT_2 and out["summary"]["succeeded"] == 8
    assert kinds(bundle)[:2] == ["run-started", "resumed"]
    assert len(events(bundle, "recovered")) == 9
    assert verify_evidence(bundle).ok


def test_plan_keys_for_evidence(tmp_path: Path) -> None:
    from reportbridge.audit import load_plan

    path = tmp_path / "plan.toml"
    path.write_text(
        '[audit]\nexpires_after = "P90D"\ntimezone = "Europe/Lisbon"\n'
        '[[jobs]]\nprofile = "td"\nreport_type = "calls"\nwindow = "previous-month"\n'
        'expires_after = "P1Y"\n',
        encoding="utf-8",
    )
    loaded = load_plan(path)
    assert loaded.expires_after == "P90D" and loaded.timezone == "Europe/Lisbon"
    assert loaded.jobs[0].window == "previous-month" and loaded.jobs[0].expires_after == "P1Y"
    plain = tmp_path / "plain.toml"
    plain.write_text('[[jobs]]\nprofile = "td"\nreport_type = "calls"\n', encoding="utf-8")
    # a plan without the new keys has the digest older bundles recorded
    assert set(load_plan(plain).to_dict()) == {"name", "timeout", "jobs"}
    assert set(load_plan(plain).jobs[0].to_dict()) == {
        "key",
        "profile",
        "report_type",
        "params",
        "formats",
    }


@pytest.mark.parametrize(
    ("snippet", "window", "message"),
    [
        (
            '[audit]\nexpires_after = "90 days"\n',
            "previous-day",
            "audit.expires_after: expires_after '90 days' is not an ISO 8601 duration",
        ),
        (
            '[audit]\ntimezone = "Mars/Base"\n',
            "previous-day",
            "audit.timezone: time zone 'Mars/Base' is not a known IANA name",
        ),
        ("", "last-month", "job 1: window 'last-month' is not understood; accepted: previous-day"),
    ],
)
def test_bad_plan_keys_are_named(tmp_path: Path, snippet: str, window: str, message: str) -> None:
    from reportbridge.audit import load_plan

    job = f'[[jobs]]\nprofile = "td"\nreport_type = "calls"\nwindow = "{window}"\n'
    path = tmp_path / "plan.toml"
    path.write_text(snippet + job, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_plan(path)
    assert message in str(caught.value)


def test_completeness_findings_and_notes_from_a_manifest() -> None:
    from reportbridge.audit.verification import completeness_findings, uncounted_notes

    def job(key: str, declared: int | None, counted: dict[str, Any], rows: dict[str, Any]) -> Any:
        return {
            "key": key,
            "rows_declared": declared,
            "rows_counted": counted,
            "files": [{"path": f"files/{key}.x", "counted": rows}],
        }

    manifest_doc = {
        "jobs": [
            job("ok", 5, {"csv": 5}, {"rows": 5, "method": "csv"}),
            job("more", 5, {"csv": 7}, {"rows": 7, "method": "csv"}),
            job(
                "cut",
                None,
                {"json": None},
                {
                    "rows": None,
                    "method": "json",
                    "problem": "JSON document ends early (cut off)",
                    "truncated": True,
                },
            ),
            job(
                "odd",
                3,
                {"json": None},
                {
                    "rows": None,
                    "method": "json",
                    "problem": "JSON document has no array of records",
                },
            ),
            job("pdf", 3, {}, {"rows": None, "method": "not countable"}),
        ]
    }
    assert completeness_findings(manifest_doc) == [
        "job more: csv holds 7 rows but the vendor declared 5 (2 more than declared)",
        "files/cut.x: the file ends early: JSON document ends early (cut off)",
    ]
    assert uncounted_notes(manifest_doc) == [
        "files/odd.x: rows not counted: JSON document has no array of records"
    ]


def test_http_validators_of_each_file_are_recorded(toy_reports: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    run(toy_reports, plan(PlannedJob("users", "toy", "USERS", {}, ("csv", "json"))), bundle)
    fetched = events(bundle, "fetched")
    assert {(e["format"], e["etag"]) for e in fetched} == {
        ("csv", '"job000001-csv"'),
        ("json", '"job000001-json"'),
    }
    assert {e["last_modified"] for e in fetched} == {"Sun, 06 Dec 2026 10:00:00 GMT"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(jobs={"a": 1}), "jobs must be a list"),
        (lambda m: m["jobs"].append("x"), "must be an object"),
        (lambda m: m["jobs"][0].update(rows_counted=[1]), "rows_counted is not an object"),
        (lambda m: m["jobs"][0].update(rows_declared="9"), "rows_declared is not a number"),
        (lambda m: m["jobs"][0]["files"][0].update(size="1"), ".files[0].size must be an integer"),
        (lambda m: m["jobs"][0].update(expires_after=5), "expires_after is not text"),
    ],
)
def test_a_malformed_manifest_is_an_error_not_a_crash(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    import json

    bundle = tmp_path / "b"
    shutil.copytree(FIXTURE_V1, bundle)
    doc = manifest(bundle)
    change(doc)
    (bundle / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(
        EvidenceError, match="is not an? (audit|bundle) manifest: .*" + re.escape(message)
    ):
        verify_evidence(bundle)


def test_chunked_results_are_evidence_part_by_part(
    provider_simulator: Callable[..., Simulator], make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    sim = provider_simulator("tenable", job_seconds=0.2, failed_chunks=(2,))
    reports = reports_for(make_reports, {"tv": sim})
    provider = reports.provider_for("tv")
    report_type, params, formats = provider.demo_jobs()[0]
    bundle = tmp_path / "b"
    out = run(reports, plan(PlannedJob("vulns", "tv", report_type, params, formats)), bundle)
    item = out["jobs"][0]
    assert out["summary"]["partial"] == 1 and item["status"] == "partial"
    assert [p["id"] for p in item["failed_parts"]] == ["2"]
    parts = {f["part"]: f for f in item["files"]}
    fetched = {e["part"]: e for e in events(bundle, "fetched")}
    assert set(parts) == set(fetched) and "2" not in parts
    for part, f in parts.items():
        assert (
            fetched[part]["sha256"]
            == f["sha256"]
            == sim.served_sha256(  # type: ignore[attr-defined]
                item["job_id"], "json", part
            )
        )
        assert f["counted"]["rows"] == fetched[part]["counted"]["rows"] > 0
    assert item["rows_counted"] == {"json": sum(f["counted"]["rows"] for f in parts.values())}
    assert ("vulns", "partial") in [(e["key"], e["status"]) for e in events(bundle, "status")]
    assert verify_evidence(bundle).ok


def test_a_lost_journal_is_recovered_for_split_windows_too(
    provider_simulator: Callable[..., Simulator], make_reports: Callable[..., Any], tmp_path: Path
) -> None:
    sim = provider_simulator("explore", job_seconds=0.2, file_size=2_000)
    reports = reports_for(make_reports, {"td": sim})
    the_plan = plan(
        PlannedJob("calls", "td", "calls", {"format": "csv"}, ("csv",), window="previous-quarter")
    )
    bundle = tmp_path / "b"
    first = run(reports, the_plan, bundle)
    assert sim.count("POST", "/jobs$") == 3
    (bundle / "journal.sqlite").unlink()
    again = run(reports, the_plan, bundle)
    assert sim.count("POST", "/jobs$") == 3  # polled from the manifest's segments, not re-sent
    assert again["resolution"] == first["resolution"]  # the window as first resolved
    assert again["jobs"][0]["status"] == "succeeded" and len(again["jobs"][0]["files"]) == 3
    assert verify_evidence(bundle).ok
