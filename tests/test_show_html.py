"""`audit show --html` in a real headless browser: it renders, loads nothing, escapes all.

Needs Chromium (`apt-get install -y chromium`, which .ci/run does). Locally, without the
binary the browser tests skip and say why; under CI (CI=true) they fail instead.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportbridge.audit.show import evidence_rows, render_html
from tests.clihelp import cli_env, run_cli
from tests.evidencekit import plan, reports_for, run, sailpoint_jobs

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser tests: .ci/run installs chromium (apt-get)")
    pytest.skip("no chromium binary here; `apt-get install -y chromium` runs these tests")


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that counts every request the page might make."""
    _Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.hits
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def render(browser: str, page: Path) -> tuple[str, str]:
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={page.parent / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


@pytest.fixture
def hostile_bundle(
    provider_simulator: object, make_reports: object, tmp_path: Path, trap: tuple[str, list[str]]
) -> Path:
    sim = provider_simulator("sailpoint", job_seconds=0.2, file_size=3_000)  # type: ignore[operator]
    reports = reports_for(make_reports, {"sp": sim})  # type: ignore[arg-type]
    bundle = tmp_path / "b"
    run(reports, plan(*sailpoint_jobs()), bundle)
    base, _ = trap
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    job = manifest["jobs"][0]
    # vendor-controlled text, as a hostile or broken vendor could send it
    job["report_type"] = f'<img src="{base}/img">'
    job["provider"] = f'<script>fetch("{base}/js")</script>'
    job["files"][0]["path"] = f'<link rel="stylesheet" href="{base}/css">x.csv'
    manifest["audit"] = f'</title><iframe src="{base}/frame"></iframe>'
    path.write_text(json.dumps(manifest))
    return bundle


def test_page_renders_loads_nothing_and_escapes_vendor_text(
    browser: str, hostile_bundle: Path, tmp_path: Path, trap: tuple[str, list[str]]
) -> None:
    page = tmp_path / "evidence.html"
    proc = run_cli(
        "audit", "show", str(hostile_bundle), "--html", str(page), env=cli_env(extra_plugins=None)
    )
    assert proc.returncode == 0, proc.stderr
    dom, log = render(browser, page)
    _, hits = trap
    assert hits == []  # not one request reached the server the page names
    assert "violates the following Content Security Policy" not in log  # our CSS applied
    # it rendered: the table and the evidence are in the DOM, as text
    assert "<table>" in dom and "rows declared" in dom
    assert "&lt;img src=" in dom and "&lt;script&gt;" in dom and "&lt;iframe" in dom
    for tag in ("<img", "<script", "<iframe", "<link"):
        assert tag not in dom
    assert "src=" not in dom.replace("&lt;img src=", "").replace("&lt;iframe src=", "")
    assert "href=" not in dom.replace('&lt;link rel="stylesheet" href=', "")


def test_page_is_self_contained(hostile_bundle: Path) -> None:
    page = render_html(evidence_rows(hostile_bundle))
    head = page.split("</head>")[0]
    assert "default-src 'none'" in head and "<script" not in page
    assert page.count("<style>") == 1 and "<link" not in page and "@import" not in page


def test_a_page_that_loads_something_is_caught(
    browser: str, tmp_path: Path, trap: tuple[str, list[str]]
) -> None:
    """The browser check itself can fail: a page with an external image is blocked and
    logged by the same CSP, and without the CSP the trap server sees the request."""
    base, hits = trap
    blocked = tmp_path / "blocked.html"
    blocked.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src '
        f'\'none\'"><img src="{base}/a">'
    )
    _, log = render(browser, blocked)
    assert "violates the following Content Security Policy" in log and hits == []
    loose = tmp_path / "loose.html"
    loose.write_text(f'<!DOCTYPE html><img src="{base}/b">')
    render(browser, loose)
    assert hits == ["/b"]
