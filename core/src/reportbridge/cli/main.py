"""Entry point of the ``reportbridge`` command.

Exit codes: 0 success; 1 a job failed or was cancelled, the vendor refused an
operation, or something failed at run time; 2 usage, configuration or bundle error
(nothing was sent); 3 partial (a job ended with some result parts failed, or an
audit with some jobs not whole); 4 a wait timed out (the job still runs; its
reference is printed); 130 interrupted (SIGINT); 141 stdout closed; 143 terminated
(SIGTERM). No traceback is shown unless asked for with -vv, and then redacted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import traceback
from collections.abc import Callable, Sequence

from reportbridge.cli.signals import (
    EXIT_SIGINT,
    interrupted_exit,
    sigterm_as_interrupt,
    stdout_closed,
)
from reportbridge.cli.terminal import clean
from reportbridge.errors import (
    BundleError,
    ConfigurationError,
    JobTimeoutError,
    ReportBridgeError,
    ValidationError,
)

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_TIMEOUT = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = EXIT_SIGINT
EXIT_CODES_HELP = (
    "exit codes: 0 ok, 1 job failed/cancelled or run-time failure, 2 usage, config or bundle "
    "error, 3 partial result or audit, 4 wait timed out, 130 interrupted, 141 stdout closed, "
    "143 terminated"
)


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
        epilog=EXIT_CODES_HELP,
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
    with sigterm_as_interrupt():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    verbose = 0
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            return EXIT_USAGE if exc.code else EXIT_OK
        verbose = args.verbose
        if not args.command:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        from reportbridge.logging import configure_cli_logging

        level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
        configure_cli_logging(json=args.log_json, level=level)
        _clean_log_lines()
        func: Callable[[argparse.Namespace], int] = args.func
        code = func(args)
        sys.stdout.flush()  # a closed stdout shows here, not at exit
        return code
    except KeyboardInterrupt as exc:
        _error("interrupted")
        return interrupted_exit(exc)
    except BrokenPipeError:
        return stdout_closed()
    except (ConfigurationError, ValidationError, BundleError) as exc:
        _error(f"error: {exc}")
        return EXIT_USAGE
    except JobTimeoutError as exc:
        _error(f"{type(exc).__name__}: {exc}")
        return EXIT_TIMEOUT
    except ReportBridgeError as exc:
        _error(f"{type(exc).__name__}: {exc}")
        return EXIT_JOB_FAILED
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        return _unexpected(exc, verbose)


def _clean_log_lines() -> None:
    """Log lines quote vendor errors: their control characters are shown, never acted on."""
    from reportbridge.cli.terminal import CleanStream

    for handler in logging.getLogger("reportbridge").handlers:
        if handler.get_name() == "reportbridge-cli" and isinstance(handler, logging.StreamHandler):
            handler.setStream(CleanStream(sys.stderr))


def _error(message: str) -> None:
    from reportbridge.logging import redact_text

    # if stderr is gone too, the exit status is all that is left
    with contextlib.suppress(OSError, ValueError):
        print(f"reportbridge: {clean(redact_text(message))}", file=sys.stderr)


def _unexpected(exc: Exception, verbose: int) -> int:
    from reportbridge.logging import redact_text

    if verbose >= 2:
        rendered = "".join(traceback.format_exception(exc))
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(clean(redact_text(rendered), multiline=True))
    from reportbridge.errortext import one_line

    hint = "" if verbose >= 2 else " (run with -vv for details)"
    _error(f"unexpected error: {one_line(exc)}{hint}")
    return EXIT_JOB_FAILED


def cmd_providers(args: argparse.Namespace) -> int:
    from reportbridge.cli.describe import describe_providers
    from reportbridge.cli.output import emit_json

    rows = describe_providers()
    if args.json:
        for row in rows:
            emit_json(row, sort_keys=True)
        return EXIT_OK
    if not rows:
        print("no providers installed (install e.g. reportbridge-sailpoint)")
        return EXIT_OK
    for row in rows:
        source = clean(row["distribution"] or "in-process")
        if row["distribution_version"]:
            source += f" {clean(row['distribution_version'])}"
        if row["broken"]:
            print(f"{clean(row['name']):<12} BROKEN  [{source}]: {clean(row['error'])}")
            continue
        print(f"{clean(row['name']):<12} {clean(row['display_name'])}  [{source}]")
        ops, formats = ", ".join(row["operations"]), ", ".join(row["formats"])
        shape = clean(row["parts"])
        print(f"{'':<12} operations: {clean(ops)}; formats: {clean(formats)}; results: {shape}")
        for rt in row["report_types"]:
            params = ", ".join(p["name"] + ("*" if p["required"] else "") for p in rt["params"])
            print(f"{'':<14}{clean(rt['name'])}({clean(params)})")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
