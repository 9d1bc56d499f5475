"""Single-job commands: run, status, wait, cancel, fetch, list."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reportbridge.cli.args import positive_int, seconds
from reportbridge.cli.output import emit_json, human_bytes, job_dict, print_job
from reportbridge.cli.terminal import clean
from reportbridge.errors import JobTimeoutError, ValidationError
from reportbridge.model import FetchedFile, ReportJob
from reportbridge.status import ReportStatus

EXIT_OK, EXIT_JOB_FAILED, EXIT_PARTIAL, EXIT_TIMEOUT = 0, 1, 3, 4


def reports_from(args: argparse.Namespace) -> Any:
    from reportbridge.facade import Reports

    return Reports.from_config(args.config)


def parse_params(pairs: list[str] | None, params_json: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if params_json:
        from reportbridge import jsonsafe

        try:
            loaded = jsonsafe.loads(params_json, what="--params-json", field="params")
        except ValidationError:
            raise  # nested too deeply: says so, with the bound
        except ValueError as exc:
            raise ValidationError(
                f"--params-json is not valid JSON: {exc}", field="params"
            ) from None
        if not isinstance(loaded, dict):
            raise ValidationError("--params-json must be a JSON object", field="params")
        params.update(loaded)
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"-p {pair!r} is not NAME=VALUE (for example -p correlatedOnly=true)",
                field="params",
            )
        params[key.strip()] = value
    return params


def _status_printer(args: argparse.Namespace) -> Any:
    last: list[str] = []

    def show(job: ReportJob) -> None:
        text = f"{job.status.value} (vendor: {job.provider_status})"
        if not last or last[-1] != text:
            last.append(text)
            print(
                f"{clean(job.profile)} {clean(job.job_id)}: {clean(text)}",
                file=sys.stderr,
                flush=True,
            )

    return show


def _progress_printer() -> Any:
    state = {"next": 0, "last": 0}

    def show(done: int, total: int | None) -> None:
        if done < state["last"]:  # the next part of the result started
            state["next"] = 0
        state["last"] = done
        if done >= state["next"] or (total is not None and done == total):
            state["next"] = done + 64 * 1024 * 1024
            of = f" of {human_bytes(total)}" if total else ""
            print(f"  fetched {human_bytes(done)}{of}", file=sys.stderr, flush=True)

    return show


def _finish(reports: Any, job: ReportJob, args: argparse.Namespace) -> int:
    """Wait and/or fetch as the flags ask, print the result, return the exit code.

    With --fetch, parts of the result that are ready while the job runs (chunked exports)
    are written as they appear; the rest when it ends.
    """
    files: list[FetchedFile] = []
    dest = getattr(args, "fetch", None)
    status = _status_printer(args)
    progress = _progress_printer()

    def seen(current: ReportJob) -> None:
        status(current)
        if dest and not current.is_terminal:
            done = [f.part for f in files if f.part]
            files.extend(
                reports.fetch_available(
                    current, dest, format=args.format, skip=done, on_progress=progress
                )
            )

    try:
        if getattr(args, "wait", False) or dest:
            job = reports.wait(job, timeout=args.timeout, on_update=seen)
        if dest and job.is_fetchable:
            done = [f.part for f in files if f.part]
            files += reports.fetch(job, dest, format=args.format, skip=done, on_progress=progress)
    except KeyboardInterrupt:
        print(f"interrupted; resume with: reportbridge wait {clean(job.ref)}", file=sys.stderr)
        raise
    except JobTimeoutError as exc:
        last = exc.job if isinstance(exc.job, ReportJob) else job
        show(last, [], args)
        print(f"reportbridge: {clean(exc)}", file=sys.stderr)
        print(f"resume with: reportbridge wait {clean(last.ref)}", file=sys.stderr)
        return EXIT_TIMEOUT
    show(job, files, args)
    return exit_code(job)


def exit_code(job: ReportJob) -> int:
    """0 succeeded or still running, 1 failed/cancelled/expired, 3 partial (some parts failed)."""
    if job.status is ReportStatus.PARTIAL:
        return EXIT_PARTIAL
    return EXIT_JOB_FAILED if job.is_terminal and not job.is_fetchable else EXIT_OK


def show(job: ReportJob, files: list[FetchedFile], args: argparse.Namespace) -> None:
    """The job, and every file written; with --json one line per file (the job's record
    with that file), or one line for the job when no file was written."""
    if args.json:
        for record in [job_dict(job, [f]) for f in files] or [job_dict(job)]:
            emit_json(record)
    else:
        print_job(job, files)


def cmd_run(args: argparse.Namespace) -> int:
    params = parse_params(args.param, args.params_json)
    with reports_from(args) as reports:
        job = reports.run(args.profile, args.report_type, **params)
        if not args.json:
            print(f"submitted {clean(job.job_id)}; ref: {clean(job.ref)}", file=sys.stderr)
        return _finish(reports, job, args)


def cmd_status(args: argparse.Namespace) -> int:
    with reports_from(args) as reports:
        job = reports.poll(args.ref)
        show(job, [], args)
        return exit_code(job)


def cmd_wait(args: argparse.Namespace) -> int:
    args.wait = True
    with reports_from(args) as reports:
        return _finish(reports, reports.job(args.ref), args)


def cmd_cancel(args: argparse.Namespace) -> int:
    with reports_from(args) as reports:
        job = reports.cancel(args.ref)  # a finished job is returned as it is, nothing sent
        show(job, [], args)
        if job.is_terminal and job.status is not ReportStatus.CANCELLED:
            print(
                f"reportbridge: job {job.job_id} already {job.status.value}; nothing cancelled",
                file=sys.stderr,
            )
            return EXIT_JOB_FAILED
        return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    with reports_from(args) as reports:
        job = reports.poll(args.ref)
        if not job.is_fetchable:
            show(job, [], args)
            print(
                f"reportbridge: job {clean(job.job_id)} is {job.status.value}; nothing to fetch",
                file=sys.stderr,
            )
            return EXIT_JOB_FAILED
        try:
            files = reports.fetch(
                job, args.out, format=args.format, on_progress=_progress_printer()
            )
        except KeyboardInterrupt:
            print(
                f"interrupted; the file being written was not kept. Fetch again with: "
                f"reportbridge fetch {clean(job.ref)} --out {clean(args.out)}",
                file=sys.stderr,
            )
            raise
        show(job, files, args)
        return exit_code(job)


def cmd_list(args: argparse.Namespace) -> int:
    filters = parse_params(args.filter, None)
    if args.state:
        filters["state"] = args.state
    with reports_from(args) as reports:
        for job in reports.list(args.profile, limit=args.limit, **filters):
            if args.json:
                emit_json(job_dict(job))
            else:
                raw = f" (vendor: {job.provider_status})" if job.provider_status else ""
                print(
                    f"{clean(job.job_id)}  {clean(job.report_type)}  {job.status.value}"
                    f"{clean(raw)}  {clean(job.ref)}"
                )
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print one JSON object per result")

    p = sub.add_parser("run", help="start a report (and optionally wait and fetch it)")
    p.add_argument("profile")
    p.add_argument("report_type")
    p.add_argument(
        "-p", "--param", action="append", metavar="NAME=VALUE", help="a report parameter"
    )
    p.add_argument("--params-json", metavar="JSON", help="parameters as one JSON object")
    p.add_argument("--wait", action="store_true", help="wait until the job finishes")
    p.add_argument(
        "--timeout", type=seconds, metavar="S", help="give up waiting after S seconds (exit 4)"
    )
    p.add_argument(
        "--fetch", metavar="DIR", help="wait, then download the result (every part) into DIR"
    )
    p.add_argument(
        "--format", metavar="FMT", help="file format to fetch (default: the first offered)"
    )
    common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", help="ask the vendor once where a job stands")
    p.add_argument("ref", help="the job reference printed by 'run'")
    common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("wait", help="wait until a job finishes")
    p.add_argument("ref")
    p.add_argument(
        "--timeout", type=seconds, metavar="S", help="give up waiting after S seconds (exit 4)"
    )
    p.add_argument("--fetch", metavar="DIR", help="then download the result into DIR")
    p.add_argument("--format", metavar="FMT")
    common(p)
    p.set_defaults(func=cmd_wait)

    p = sub.add_parser("cancel", help="ask the vendor to stop a job")
    p.add_argument("ref")
    common(p)
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("fetch", help="download a finished job's result (every part)")
    p.add_argument("ref")
    p.add_argument("--format", metavar="FMT")
    p.add_argument("--out", metavar="DIR", required=True)
    common(p)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("list", help="jobs the vendor knows for a profile")
    p.add_argument("profile")
    p.add_argument("--state", help="only jobs in this vendor state")
    p.add_argument("--limit", type=positive_int, default=50, help="at most this many (default 50)")
    p.add_argument(
        "-f", "--filter", action="append", metavar="NAME=VALUE", help="a provider filter"
    )
    common(p)
    p.set_defaults(func=cmd_list)
