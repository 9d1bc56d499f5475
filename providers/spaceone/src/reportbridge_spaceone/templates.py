"""Report types are template ids: what a valid one and its parameters look like."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reportbridge import ParamSpec, ReportTypeSpec, ValidationError
from reportbridge_spaceone.status import PROVIDER

#: refused: anything that could not be an id (spaces, slashes, dots leading anywhere...)
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]{0,127}")
#: SpaceONE's own ids: a resource prefix and 12 hex digits; others are only warned about
_CANONICAL_ID = re.compile(r"[a-z_]+(?:-[a-z_]+)*-[0-9a-f]{12}")

PARAMS = (
    ParamSpec("name", "string", required=True, description="the report's name (not echoed back)"),
    ParamSpec("template_options", "object", description="options the template defines"),
    ParamSpec("storage_id", "string", description="where the file is stored (default storage)"),
)
EXAMPLE_TEMPLATE = "template-1a2b3c4d5e6f"
EXAMPLE = ReportTypeSpec(
    EXAMPLE_TEMPLATE,
    "an example template id (the simulator's monthly cost summary); report types are the "
    "template ids of your deployment, any of them is accepted",
    params=PARAMS,
)


def check_id(value: str, field: str) -> None:
    if not _PLAUSIBLE_ID.fullmatch(value):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise ValidationError(
            f"{PROVIDER} {field} {shown!r} is not an id: it must be 1-128 letters, digits, "
            f"'-', '_' or ':' starting with a letter or digit, like {EXAMPLE_TEMPLATE}",
            provider=PROVIDER,
            field=field,
        )


def id_warning(value: str, field: str) -> str | None:
    """A warning for ids not shaped like SpaceONE's own (``template-`` + 12 hex)."""
    if _CANONICAL_ID.fullmatch(value):
        return None
    return (
        f"{field} {value!r} does not look like a SpaceONE id (prefix-12 hex digits, "
        f"e.g. {EXAMPLE_TEMPLATE}); sent as given"
    )


def check_request(template_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Vendor rules beyond the ParamSpecs; returns the parameters to send."""
    check_id(template_id, "template_id")
    clean = dict(params)
    name = str(clean.get("name", "")).strip()
    if not name:
        raise ValidationError(
            f"{PROVIDER} report {template_id!r}: parameter 'name' must not be blank",
            provider=PROVIDER,
            field="name",
        )
    clean["name"] = name
    if "template_options" in clean:
        try:
            json.dumps(clean["template_options"], allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"{PROVIDER} report {template_id!r}: parameter 'template_options' must hold "
                f"JSON values only (strings, numbers, booleans, lists, objects): {exc}",
                provider=PROVIDER,
                field="template_options",
            ) from None
    if clean.get("storage_id") is not None:
        clean["storage_id"] = str(clean["storage_id"]).strip()
        if clean["storage_id"]:
            check_id(clean["storage_id"], "storage_id")
        else:
            del clean["storage_id"]
    return clean


def request_warnings(template_id: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    found = [id_warning(template_id, "template_id")]
    if params.get("storage_id"):
        found.append(id_warning(str(params["storage_id"]), "storage_id"))
    return tuple(w for w in found if w)
