"""``reportbridge config check [PROFILE...]``: a table of what works and what does not.

Exit codes: 0 every profile checked works; 1 some profile fails (a secret that cannot be
resolved, a bad setting, refused credentials, an unreachable API); 2 the config file
itself cannot be used (missing, not TOML, no profiles, an unknown profile named).
"""

from __future__ import annotations

import argparse
from typing import Any

from reportbridge.cli.args import seconds
from reportbridge.cli.terminal import clean

EXIT_OK, EXIT_FAILED = 0, 1
COLUMNS = ("PROFILE", "PROVIDER", "SECRETS", "PROXY", "TOKEN", "API", "LATENCY", "ERROR")


def cmd_config_check(args: argparse.Namespace) -> int:
    from reportbridge.cli.output import emit_json
    from reportbridge.config import find_config, profile_tables, read_toml
    from reportbridge.configcheck import check_profiles
    from reportbridge.plugins import default_registry

    path = find_config(args.config)
    tables = profile_tables(read_toml(path), source=str(path))
    results = check_profiles(
        tables,
        registry=default_registry(),
        base_dir=path.absolute().parent,
        only=args.profiles,
        timeout=args.timeout,
    )
    if args.json:
        for result in results:
            emit_json(result.to_dict())
    else:
        _table([_row(r.to_dict()) for r in results])
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def _row(found: dict[str, Any]) -> list[str]:
    steps = {s["name"]: s for s in found["steps"]}

    def state(name: str) -> str:
        step = steps.get(name)
        if step is None:
            return "-"
        return "ok" if step["ok"] else ("refused" if step["failure"] == "auth" else "failed")

    latency = found["latency_ms"]
    return [
        found["profile"],
        found["provider"] or "?",
        found["secrets"],
        found["proxy"],
        state("token"),
        state("api"),
        "" if latency is None else f"{latency:.0f} ms",
        found["error"] or "",
    ]


def _table(rows: list[list[str]]) -> None:
    cells = [list(COLUMNS), *[[clean(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS) - 1)]
    for row in cells:
        fixed = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
        print(f"{fixed}  {row[-1]}".rstrip())


def add_parser(sub: Any) -> None:
    p = sub.add_parser("config", help="check the config file's profiles")
    inner = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    c = inner.add_parser(
        "check",
        help="resolve each profile (secrets included, never shown) and reach its vendor",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("profiles", nargs="*", metavar="PROFILE", help="only these (default: all)")
    c.add_argument("--json", action="store_true", help="one JSON object per profile")
    c.add_argument("--timeout", type=seconds, default=30.0, help="seconds per profile at most (30)")
    c.set_defaults(func=cmd_config_check)
