"""Entry point of the ``reportbridge`` command.

Exit codes: 0 success; 1 a job failed or was cancelled (or the vendor refused an
operation); 2 usage or configuration error; 3 partial (a job ended with some result parts
failed, or an audit with some jobs not whole); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

from reportbridge.errors import ConfigurationError, ReportBridgeError, ValidationError

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from reportbridge.cli import audit_cmd, jobs, simulate

    parser = _Parser(
        prog="reportbridge",
        description="Run, poll, cancel and fetch report jobs on many vendors.",
        epilog="exit codes: 0 ok, 1 job failed/cancelled, 2 usage or config error, "
        "3 partial result or audit, 130 interrupted",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $REPORTBRIDGE_CONFIG, else ./reportbridge.toml)",
    )
    parser.add_argument("--log-json", action="store_true", help="structured JSON logs on stderr")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("providers", help="installed providers and their capabilities")
    p.add_argument("--json", action="store_true", help="one JSON object per provider")
    p.set_defaults(func=cmd_providers)
    jobs.add_parsers(sub)
    audit_cmd.add_parser(sub)
    simulate.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from reportbridge.logging import configure_cli_logging

    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    configure_cli_logging(json=args.log_json, level=level)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("reportbridge: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ConfigurationError, ValidationError) as exc:
        print(f"reportbridge: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ReportBridgeError as exc:
        print(f"reportbridge: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_JOB_FAILED


def cmd_providers(args: argparse.Namespace) -> int:
    from reportbridge.cli.describe import describe_providers

    rows = describe_providers()
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return EXIT_OK
    if not rows:
        print("no providers installed (install e.g. reportbridge-sailpoint)")
        return EXIT_OK
    for row in rows:
        print(f"{row['name']:<12} {row['display_name']}  [{row['distribution'] or 'in-process'}]")
        ops, formats = ", ".join(row["operations"]), ", ".join(row["formats"])
        print(f"{'':<12} operations: {ops}; formats: {formats}; results: {row['parts']}")
        for rt in row["report_types"]:
            params = ", ".join(p["name"] + ("*" if p["required"] else "") for p in rt["params"])
            print(f"{'':<14}{rt['name']}({params})")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
