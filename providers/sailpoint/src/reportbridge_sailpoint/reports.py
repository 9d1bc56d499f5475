"""The seven Reports Data Extraction report types, their arguments and checks.

The vendor schema marks no argument required and types ``arguments`` as an untagged
union, so everything the client can know is checked here, before any request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reportbridge.errors import ValidationError, accepted
from reportbridge.model import ParamSpec, ReportTypeSpec
from reportbridge_sailpoint.settings import PROVIDER

FILE_FORMATS = ("csv", "pdf")
#: SEARCH_EXPORT's file is a zip of CSV files, asked for with fileFormat=csv.
ZIP = "zip"
FORMATS = (*FILE_FORMATS, ZIP)
SELECTABLE_FORMATS = ("CSV", "PDF")
KNOWN_INDICES = (
    "accessprofiles",
    "accountactivities",
    "entitlements",
    "events",
    "identities",
    "roles",
    "*",
)
SEARCH_EXPORT = "SEARCH_EXPORT"

_SELECTED_FORMATS = ParamSpec(
    "selectedFormats",
    "list",
    description="formats to produce, CSV and/or PDF (default both)",
    choices=SELECTABLE_FORMATS,
)

REPORT_TYPES: tuple[ReportTypeSpec, ...] = (
    ReportTypeSpec(
        "ACCOUNTS",
        "accounts of one source",
        params=(
            ParamSpec("application", required=True, description="source id"),
            ParamSpec("sourceName", required=True, description="source display name"),
        ),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        "IDENTITIES_DETAILS",
        "identities with their details",
        params=(
            ParamSpec(
                "correlatedOnly", "boolean", required=True, description="only correlated ones"
            ),
        ),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        "IDENTITIES",
        "identities",
        params=(
            ParamSpec(
                "correlatedOnly",
                "boolean",
                description="only correlated identities (default false)",
                default=False,
            ),
        ),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        "IDENTITY_PROFILE_IDENTITY_ERROR",
        "identities in error for one identity profile",
        params=(ParamSpec("authoritativeSource", required=True, description="source id"),),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        "ORPHAN_IDENTITIES",
        "identities without an authoritative account",
        params=(_SELECTED_FORMATS,),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        "UNCORRELATED_ACCOUNTS",
        "accounts not correlated to an identity",
        params=(_SELECTED_FORMATS,),
        formats=FILE_FORMATS,
    ),
    ReportTypeSpec(
        SEARCH_EXPORT,
        "search results as a zip of CSV files",
        params=(
            ParamSpec("query", required=True, description="search query, e.g. name:a*"),
            ParamSpec(
                "indices",
                "list",
                description=f"indices to search (known: {', '.join(KNOWN_INDICES)}; default all)",
            ),
            ParamSpec(
                "columns",
                description="comma-separated attribute names (a list is joined), *.spread "
                "columns expand details",
            ),
            ParamSpec("sort", "list", description="fields to sort on, +field or -field"),
        ),
        formats=(ZIP,),
    ),
)
REPORT_TYPE_NAMES = tuple(t.name for t in REPORT_TYPES)
_SORT_FIELD = re.compile(r"[+-]?[^\s,+-][^\s,]*")


def prepare_arguments(report_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Forgiving spellings turned into the vendor's, before the generic checks run."""
    out = dict(params)
    formats = out.get("selectedFormats")
    if isinstance(formats, str):
        formats = _text_list(formats)
    if isinstance(formats, list | tuple) and all(isinstance(f, str) for f in formats):
        out["selectedFormats"] = [f.strip().upper() for f in formats]
    columns = out.get("columns")
    if report_type == SEARCH_EXPORT and isinstance(columns, list | tuple):
        out["columns"] = _joined(columns)
    return out


def _joined(columns: list[Any] | tuple[Any, ...]) -> Any:
    if all(isinstance(c, str) for c in columns):
        return ",".join(c.strip() for c in columns)
    return columns  # left for the type check to refuse


def _text_list(text: str) -> Any:
    # Command-line values: a JSON array or comma-separated words.
    if text.strip().startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return [part.strip() for part in text.split(",") if part.strip()]


def check_arguments(report_type: str, clean: dict[str, Any]) -> dict[str, Any]:
    """Vendor rules on already type-checked arguments."""
    for name in ("application", "sourceName", "authoritativeSource", "query"):
        if name in clean and not clean[name].strip():
            raise _bad(report_type, name, "must not be blank")
    if "selectedFormats" in clean:
        chosen = list(dict.fromkeys(clean["selectedFormats"]))
        if not chosen:
            raise _bad(
                report_type,
                "selectedFormats",
                f"must name at least one format; accepted: {accepted(SELECTABLE_FORMATS)}",
            )
        clean["selectedFormats"] = chosen
    if "indices" in clean:
        indices = [i.strip() for i in clean["indices"]]
        if not indices or not all(indices):
            raise _bad(
                report_type,
                "indices",
                f"must be a non-empty list of index names (known: {accepted(KNOWN_INDICES)}); "
                "leave it out to search all",
            )
        clean["indices"] = indices
    if "columns" in clean:
        columns = [c.strip() for c in clean["columns"].split(",")]
        if not all(columns):
            raise _bad(report_type, "columns", "must be attribute names separated by commas")
        clean["columns"] = ",".join(columns)
    if "sort" in clean:
        wrong = [s for s in clean["sort"] if not _SORT_FIELD.fullmatch(s)]
        if wrong:
            raise _bad(
                report_type, "sort", f"entries must be field, +field or -field; got {wrong[0]!r}"
            )
    return clean


def formats_for(report_type: str, arguments: Mapping[str, Any]) -> tuple[str, ...]:
    """The formats a job of this type will offer, as far as the request says."""
    if report_type == SEARCH_EXPORT:
        return (ZIP,)
    chosen = arguments.get("selectedFormats")
    if chosen:
        return tuple(f.lower() for f in chosen)
    return FILE_FORMATS


def wire_format(format: str) -> str:
    """The ``fileFormat`` query value for a neutral format name."""
    return "csv" if format == ZIP else format


def accept_header(format: str) -> str:
    """The Accept header the vendor requires for a ``fileFormat`` (anything else is a 500)."""
    return f"application/{wire_format(format)}"


def _bad(report_type: str, name: str, why: str) -> ValidationError:
    return ValidationError(
        f"{PROVIDER} report {report_type!r}: parameter {name!r} {why}",
        provider=PROVIDER,
        field=name,
    )


__all__ = [
    "FORMATS",
    "KNOWN_INDICES",
    "REPORT_TYPES",
    "REPORT_TYPE_NAMES",
    "SEARCH_EXPORT",
    "ZIP",
    "accept_header",
    "check_arguments",
    "formats_for",
    "prepare_arguments",
    "wire_format",
]
