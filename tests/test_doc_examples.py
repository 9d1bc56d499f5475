"""Every code example in README.md and docs/ runs, against the built-in simulators.

Each page's python blocks run in order in one fresh interpreter (a new namespace per page),
in a fresh folder holding a ``reportbridge.toml`` whose profiles carry the names the docs
use (``sailpoint-prod``, ``talkdesk-eu``, ``talkdesk``, ``cloudforet``, ``tenable``) and point at
running simulators, with the credentials in the environment variables the docs name.
A block that cannot run says why, in a ``<!-- not-run: REASON -->`` marker; such blocks
are reported as skipped. TOML blocks must parse; profile and plan examples marked
``<!-- check: profiles -->`` / ``<!-- check: plan -->`` are validated too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from reportbridge.audit.plan import parse_plan
from reportbridge.config import parse_config
from reportbridge.plugins import PluginRegistry
from reportbridge_explore.simulator import ExploreSimulator
from reportbridge_sailpoint.simulator import SailPointSimulator
from reportbridge_spaceone.simulator import SpaceoneSimulator
from reportbridge_tenable.simulator import TenableSimulator
from tests.docblocks import Block, blocks, marker_problems, pages

ALL = [b for page in pages() for b in blocks(page)]
RUN_PAGES = sorted({b.page for b in ALL if b.runs})
NOT_RUN = [b for b in ALL if b.lang == "python" and not b.runs]
TOML = [b for b in ALL if b.lang == "toml"]
PAGE_TIMEOUT = 180  # seconds for one page's examples; the simulators finish jobs in ~1 s

# Runs in the child: the blocks of one page, in order, in one namespace. Line numbers in a
# traceback are the page's own.
DRIVER = """
import json, sys, traceback
ns = {"__name__": "__doc_example__"}
for block in json.load(sys.stdin):
    code = "\\n" * block["line"] + block["code"]
    try:
        exec(compile(code, block["page"], "exec"), ns)
    except BaseException:
        print(f"doc example failed: {block['where']}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


@attrs.frozen
class DocsEnv:
    config: str = attrs.field(repr=False)  # the text of reportbridge.toml
    env: dict[str, str] = attrs.field(repr=False)


@pytest.fixture(scope="module")
def docs_env() -> Iterator[DocsEnv]:
    with contextlib.ExitStack() as stack:
        sp = stack.enter_context(SailPointSimulator(job_seconds=0.5, file_size=8192))
        td = stack.enter_context(ExploreSimulator(job_seconds=0.5, file_size=8192))
        so = stack.enter_context(SpaceoneSimulator(job_seconds=0.5, file_size=8192))
        tv = stack.enter_context(TenableSimulator(job_seconds=0.5, file_size=8192))
        polling = "\n[profiles.{0}.polling]\ninitial = 0.1\ncap = 0.5\njitter = 0\n"
        explore = (
            'provider = "explore"\nbase_url = "{base}"\ntoken_url = "{token}"\n'
            'client_id = "${{TALKDESK_CLIENT_ID}}"\nclient_secret = "${{TALKDESK_CLIENT_SECRET}}"\n'
        ).format(base=td.base_url, token=td.profile_settings()["token_url"])
        tables = {
            "sailpoint-prod": (
                f'provider = "sailpoint"\nbase_url = "{sp.base_url}"\n'
                'client_id = "${SAILPOINT_CLIENT_ID}"\n'
                'client_secret = "${SAILPOINT_CLIENT_SECRET}"\n'
            ),
            "talkdesk-eu": explore,
            "talkdesk": explore,
            "cloudforet": (
                f'provider = "spaceone"\nbase_url = "{so.base_url}"\n'
                f'token = "${{SPACEONE_API_KEY}}"\ndomain_id = "{so.domain_id}"\n'
            ),
            "tenable": (
                f'provider = "tenable"\nbase_url = "{tv.base_url}"\n'
                'access_key = "${TENABLE_ACCESS_KEY}"\nsecret_key = "${TENABLE_SECRET_KEY}"\n'
            ),
        }
        config = "".join(
            f"[profiles.{name}]\n{body}{polling.format(name)}\n" for name, body in tables.items()
        )
        env = {
            "SAILPOINT_CLIENT_ID": sp.client_id,
            "SAILPOINT_CLIENT_SECRET": sp.client_secret,
            "TALKDESK_CLIENT_ID": td.client_id,
            "TALKDESK_CLIENT_SECRET": td.client_secret,
            "SPACEONE_API_KEY": so.token,
            "TENABLE_ACCESS_KEY": tv.access_key,
            "TENABLE_SECRET_KEY": tv.secret_key,
        }
        yield DocsEnv(config, env)


def run_page(
    page_blocks: list[Block], env: DocsEnv, folder: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``page_blocks`` in order in a child interpreter working in ``folder``."""
    (folder / "reportbridge.toml").write_text(env.config, encoding="utf-8")
    child_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REPORTBRIDGE_CONFIG", "REPORTBRIDGE_PLUGINS")
    }
    child_env.update(env.env)
    payload = [
        {"page": str(b.page), "where": b.where, "line": b.line, "code": b.code} for b in page_blocks
    ]
    return subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT,
        check=False,
        cwd=folder,
        env=child_env,
    )


def test_markers_are_well_formed() -> None:
    problems = [text for b in ALL for text in marker_problems(b)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: str(p.name))
def test_page_examples_run(page: Path, docs_env: DocsEnv, tmp_path: Path) -> None:
    runnable = [b for b in blocks(page) if b.runs]
    proc = run_page(runnable, docs_env, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda b: b.where)
def test_blocks_marked_not_run(block: Block) -> None:
    assert block.marker is not None
    pytest.skip(f"{block.where} not run: {block.marker[1]}")


@pytest.mark.parametrize("block", TOML, ids=lambda b: b.where)
def test_toml_examples_parse(block: Block) -> None:
    tomllib.loads(block.code)


def _placeholder_env(text: str) -> dict[str, str]:
    """A value for every ${VAR} the example names (as its reader's environment would)."""
    return {name: f"example-{name.lower()}" for name in re.findall(r"\$\{(\w+)", text)}


@pytest.mark.parametrize(
    "block", [b for b in TOML if b.marker == ("check", "profiles")], ids=lambda b: b.where
)
def test_profile_examples_are_accepted_by_their_providers(block: Block) -> None:
    profiles = parse_config(
        tomllib.loads(block.code), env=_placeholder_env(block.code), source=block.where
    )
    registry = PluginRegistry()
    for name, profile in profiles.items():
        registry.provider(profile.provider).parse_settings(name, profile.settings)


@pytest.mark.parametrize(
    "block", [b for b in TOML if b.marker == ("check", "plan")], ids=lambda b: b.where
)
def test_plan_examples_are_accepted(block: Block, docs_env: DocsEnv) -> None:
    plan = parse_plan(tomllib.loads(block.code), source=block.where)
    profiles = parse_config(tomllib.loads(docs_env.config), env=docs_env.env)
    registry = PluginRegistry()
    for job in plan.jobs:
        assert job.profile in profiles, f"{block.where}: no docs profile {job.profile!r}"
        provider = registry.provider(profiles[job.profile].provider)
        provider.validate(job.report_type, job.params)


# -- the machinery itself ---------------------------------------------------------------
def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_a_failing_example_fails_its_page(docs_env: DocsEnv, tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "# t\n\n```python\nx = 1\n```\n\nText.\n\n```python\nassert x == 2, 'wrong'\n```\n",
    )
    found = blocks(page)
    assert [b.line for b in found] == [3, 9]
    proc = run_page(found, docs_env, tmp_path)
    assert proc.returncode == 1
    assert "doc example failed: " in proc.stderr and "page.md:9" in proc.stderr
    assert f'File "{page}", line 10' in proc.stderr  # the page's own line number


def test_blocks_of_a_page_share_one_namespace_and_the_profiles(
    docs_env: DocsEnv, tmp_path: Path
) -> None:
    page = _page(
        tmp_path,
        "```python\nfrom reportbridge import Reports\nreports = Reports.from_config()\n```\n"
        "```python\nassert reports.profile('cloudforet').provider == 'spaceone'\n```\n",
    )
    proc = run_page(blocks(page), docs_env, tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("marker", "needle"),
    [
        ("<!-- not-run: -->", "needs a reason"),
        ("<!-- not-run: todo -->", "needs a reason"),
        ("<!-- skip: because it is slow -->", "unknown marker"),
        ("<!-- check: profiles -->", "check marks a toml block"),
    ],
)
def test_bad_markers_are_reported(tmp_path: Path, marker: str, needle: str) -> None:
    (block,) = blocks(_page(tmp_path, f"{marker}\n```python\npass\n```\n"))
    problems = marker_problems(block)
    assert problems and needle in problems[0]


def test_a_reasoned_marker_skips_the_block(tmp_path: Path) -> None:
    text = "<!-- not-run: needs a real tenant -->\n```python\nraise SystemExit(3)\n```\n"
    (block,) = blocks(_page(tmp_path, text))
    assert not block.runs and marker_problems(block) == []
    assert block.marker == ("not-run", "needs a real tenant")
