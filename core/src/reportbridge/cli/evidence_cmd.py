"""`keygen`, and `audit seal | verify | show | export` on evidence bundles."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from reportbridge.cli.output import emit_json
from reportbridge.cli.terminal import clean
from reportbridge.errors import ValidationError

EXIT_OK, EXIT_FAILED = 0, 1
COMMANDS = ("verify", "seal", "show", "export")
USAGE = {
    "verify": "reportbridge audit verify DIR [--key PUB] [--as-of TIME] [--json]",
    "seal": "reportbridge audit seal DIR [--key KEY]   (default key: $REPORTBRIDGE_SIGNING_KEY)",
    "show": "reportbridge audit show DIR [--html FILE] [--json]",
    "export": "reportbridge audit export DIR --format oscal|bagit --out PATH",
}


def dispatch(args: argparse.Namespace) -> int:
    command, rest = args.args[0], args.args[1:]
    if len(rest) != 1:
        raise ValidationError(f"usage: {USAGE[command]}", field="args")
    bundle = Path(rest[0])
    if command == "verify":
        return verify(bundle, as_json=args.json, key=args.key, as_of=args.as_of)
    if command == "seal":
        return seal(bundle, args.key, as_json=args.json)
    if command == "show":
        return show(bundle, html=args.html, as_json=args.json)
    return export(bundle, args.format, args.out)


def verify(bundle: Path, *, as_json: bool, key: str | None = None, as_of: str | None = None) -> int:
    from reportbridge.audit.verification import verify_evidence

    public = None
    if key:
        from reportbridge.audit.keys import load_public_key

        public = load_public_key(key)
    result = verify_evidence(bundle, public_key=public, now=_moment(as_of))
    if as_json:
        emit_json(result.to_dict())
        return EXIT_OK if result.ok else EXIT_FAILED
    for problem in result.problems:
        print(f"PROBLEM {clean(problem)}")
    for finding in result.findings:
        print(f"FINDING {clean(finding)}")
    for note in result.notes:
        print(f"NOTE {clean(note)}")
    seal = result.seal.state
    if result.seal.state.startswith("sealed (") and not key:
        seal += ": give --key PUB to check the signature"
    if result.seal.key_id:
        seal += f" (key {result.seal.key_id})"
    print(f"seal: {seal}")
    if result.custody_events is not None:
        print(f"custody log: {result.custody_events} events")
    verdict = (
        "OK"
        if result.ok
        else f"{len(result.problems)} problem(s), {len(result.findings)} finding(s)"
    )
    print(f"{result.files_checked} files checked in {clean(bundle)}: {verdict}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"--as-of {text[:40]!r} is not an ISO 8601 date or date-time (e.g. 2027-01-31)",
            field="as_of",
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def seal(bundle: Path, key: str | None, *, as_json: bool) -> int:
    from reportbridge.audit.keys import key_id, load_signing_key
    from reportbridge.audit.lock import BundleLock
    from reportbridge.audit.seal import seal_bundle
    from reportbridge.audit.verification import verify_evidence
    from reportbridge.errors import EvidenceError

    signing = load_signing_key(key)
    with BundleLock(bundle):  # no run writes the bundle while it is checked and sealed
        check = verify_evidence(bundle, now=dt.datetime.min.replace(tzinfo=dt.UTC))
        if check.problems:
            for problem in check.problems:
                print(f"PROBLEM {clean(problem)}", file=sys.stderr)
            raise EvidenceError(
                f"bundle {str(bundle)!r} fails verification; sealing it would vouch for damage"
            )
        path = seal_bundle(bundle, signing)
    ident = key_id(signing.public_key())
    if as_json:
        emit_json({"bundle": str(bundle), "seal": str(path), "key_id": ident})
    else:
        print(f"sealed {bundle} with key {ident}: {path}")
    return EXIT_OK


def show(bundle: Path, *, html: str | None, as_json: bool) -> int:
    from reportbridge.audit.show import evidence_rows, render_html
    from reportbridge.cli.evidence_view import render_table

    view = evidence_rows(bundle)
    if html:
        from reportbridge.audit.show import write_html

        write_html(Path(html), render_html(view))
        print(f"wrote {html}", file=sys.stderr)
    if as_json:
        emit_json(view)
    elif not html:
        render_table(view)
    return EXIT_OK


def export(bundle: Path, fmt: str | None, out: str | None) -> int:
    if fmt not in ("oscal", "bagit") or not out:
        raise ValidationError(f"usage: {USAGE['export']}", field="format")
    if fmt == "oscal":
        from reportbridge.audit.oscal import write_oscal

        path = write_oscal(bundle, Path(out))
    else:
        from reportbridge.audit.bag import write_bag

        path = write_bag(bundle, Path(out))
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def seal_after_run(bundle: Path, key: str, manifest: dict[str, Any], *, as_json: bool) -> int:
    """``audit PLAN --sign-key KEY``: seal once every job has ended; a bundle with jobs
    still running stays unsealed so that a re-run can resume it."""
    waiting = manifest["summary"].get("incomplete", 0)
    if waiting:
        print(
            f"not sealed: {waiting} job(s) incomplete; re-run the same command to resume, "
            "it seals the bundle once every job has ended",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return seal(bundle, key, as_json=as_json)


def cmd_keygen(args: argparse.Namespace) -> int:
    from reportbridge.audit.keys import generate_keypair, key_id, load_public_key

    private, public = generate_keypair(args.out)
    ident = key_id(load_public_key(public))
    if args.json:
        emit_json({"private_key": str(private), "public_key": str(public), "key_id": ident})
    else:
        print(f"private key: {private} (mode 0600; keep it secret)")
        print(f"public key:  {public} (give it to whoever verifies)")
        print(f"key id:      {ident}")
    return EXIT_OK


def add_arguments(p: Any) -> None:
    """The options ``audit`` takes for evidence commands."""
    p.add_argument("--key", metavar="KEY", help="seal: private key (or env:NAME); verify: public")
    p.add_argument("--sign-key", metavar="KEY", help="seal the bundle when the run ends")
    p.add_argument("--as-of", metavar="TIME", help="verify: judge freshness at this time")
    p.add_argument("--html", metavar="FILE", help="show: write one self-contained HTML page")
    p.add_argument("--format", metavar="FMT", help="export: oscal or bagit")


def add_keygen_parser(sub: Any) -> None:
    p = sub.add_parser("keygen", help="make an ed25519 key pair for sealing bundles")
    p.add_argument("--out", metavar="KEY", required=True, help="private key file (KEY.pub too)")
    p.add_argument("--json", action="store_true", help="machine output")
    p.set_defaults(func=cmd_keygen)
