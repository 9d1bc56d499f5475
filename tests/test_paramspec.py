"""Declared parameters: defaults sent, numeric bounds and choices, date-time bounds and
windows, and declarations that contradict themselves refused when they are made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from reportbridge import (
    Capabilities,
    DateWindow,
    ParamSpec,
    PluginSpecError,
    ReportTypeSpec,
    ValidationError,
)
from reportbridge.params import validate_params
from reportbridge.plugins import PluginRegistry
from tests.toy import ToyPlugin, ToyProvider, ToySimulator

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)

ASSETS = ParamSpec("num_assets", "integer", minimum=50, maximum=5000, default=500)
RATIO = ParamSpec("ratio", "number", minimum=0, maximum=1)
PAGE = ParamSpec("page_size", "integer", choices=(10, 50, 100))
SEVERITY = ParamSpec("severity", "string", choices=("low", "high"), default="high")
START = ParamSpec("from", "datetime", required=True, not_after="now")
END = ParamSpec("to", "datetime", required=True, not_after="now")
SPEC = ReportTypeSpec(
    "EXPORT",
    params=(ASSETS, RATIO, PAGE, SEVERITY, START, END),
    windows=(DateWindow("from", "to", max_span=dt.timedelta(days=31)),),
)
WINDOW = {"from": "2025-05-01T00:00:00Z", "to": "2025-05-31T00:00:00Z"}


def check(**params: Any) -> dict[str, Any]:
    return validate_params("acme", SPEC, params, now=NOW)


def refused(**params: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(**params)
    return info.value


# -- defaults -----------------------------------------------------------------------------
def test_left_out_parameters_get_their_defaults() -> None:
    clean = check(**WINDOW)
    assert clean["num_assets"] == 500
    assert clean["severity"] == "high"
    assert "ratio" not in clean and "page_size" not in clean  # no default: nothing sent


def test_none_means_default_and_a_given_value_wins() -> None:
    assert check(**WINDOW, num_assets=None)["num_assets"] == 500
    assert check(**WINDOW, num_assets="60")["num_assets"] == 60


def test_mutable_defaults_are_not_shared_between_requests() -> None:
    tags = ParamSpec("tags", "list", default=("a", "b"))
    filters = ParamSpec("filters", "object", default={"state": ["open"]})
    spec = ReportTypeSpec("R", params=(tags, filters))
    first = validate_params("acme", spec, {})
    first["tags"].append("c")
    first["filters"]["state"].append("closed")
    second = validate_params("acme", spec, {})
    assert second == {"tags": ["a", "b"], "filters": {"state": ["open"]}}


class _DefaultsProvider(ToyProvider):
    def capabilities(self) -> Capabilities:
        return Capabilities(
            report_types=(ReportTypeSpec("USERS", params=(ASSETS, SEVERITY), formats=("csv",)),),
            formats=("csv",),
        )


class _DefaultsPlugin(ToyPlugin):
    def __init__(self) -> None:
        super().__init__()
        self.provider = _DefaultsProvider()


def test_defaults_reach_the_vendor_and_the_job_record(
    start_simulator: Callable[[Any], Any], make_reports: Callable[..., Any]
) -> None:
    sim = start_simulator(ToySimulator(job_seconds=0.1))
    registry = PluginRegistry(load_entry_points=False)
    registry.register(_DefaultsPlugin())
    reports = make_reports({"toy": sim}, registry=registry)
    job = reports.run("toy", "USERS", severity="low")
    assert sim.jobs[job.job_id]["params"] == {"num_assets": 500, "severity": "low"}
    assert job.params == {"num_assets": 500, "severity": "low"}


# -- numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [49, 5001, "10", -1, 10**30])
def test_integer_outside_bounds_names_the_range(value: Any) -> None:
    exc = refused(**WINDOW, num_assets=value)
    assert exc.field == "num_assets" and exc.provider == "acme"
    assert "an integer from 50 to 5000" in exc.message


@pytest.mark.parametrize("value", [50, 5000, "4999", " 77 "])
def test_integer_bounds_are_inclusive_and_strings_convert(value: Any) -> None:
    assert check(**WINDOW, num_assets=value)["num_assets"] == int(value)


@pytest.mark.parametrize("value", [True, 60.0, "60.5", "sixty", [60]])
def test_integer_refuses_what_is_not_an_integer(value: Any) -> None:
    exc = refused(**WINDOW, num_assets=value)
    assert exc.field == "num_assets" and "integer" in exc.message


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), "nan", "inf", "-Infinity", "1e999"]
)
def test_numbers_must_be_finite(value: Any) -> None:
    exc = refused(**WINDOW, ratio=value)
    assert exc.field == "ratio" and "finite number" in exc.message


def test_number_bounds_and_conversion() -> None:
    assert check(**WINDOW, ratio="0.25")["ratio"] == 0.25
    assert check(**WINDOW, ratio=1)["ratio"] == 1
    assert "from 0 to 1" in refused(**WINDOW, ratio=1.0001).message


def test_integer_choices_list_what_is_accepted_in_order() -> None:
    assert check(**WINDOW, page_size="50")["page_size"] == 50
    exc = refused(**WINDOW, page_size=20)
    assert exc.field == "page_size"
    assert "one of 10, 50, 100" in exc.message


def test_number_choices() -> None:
    spec = ReportTypeSpec("R", params=(ParamSpec("q", "number", choices=(0.5, 0.9, 0.99)),))
    assert validate_params("acme", spec, {"q": "0.9"}) == {"q": 0.9}
    with pytest.raises(ValidationError, match=r"one of 0\.5, 0\.9, 0\.99"):
        validate_params("acme", spec, {"q": 0.95})


def test_huge_values_are_not_echoed() -> None:
    exc = refused(**WINDOW, num_assets=10**5000)
    assert len(exc.message) < 300 and "digits" in exc.message
    exc = refused(**WINDOW, severity=10**5000)  # its repr() alone raises ValueError
    assert exc.field == "severity" and "digits" in exc.message
    exc = refused(**WINDOW, severity="x" * 100_000)
    assert len(exc.message) < 300 and "100000 characters" in exc.message
    many = ParamSpec("n", "integer", choices=tuple(range(1000)))
    with pytest.raises(ValidationError) as info:
        validate_params("acme", ReportTypeSpec("R", params=(many,)), {"n": 5000})
    assert len(info.value.message) < 300 and "(1000 in all)" in info.value.message


# -- date-times ---------------------------------------------------------------------------
def test_not_after_now_refuses_the_future_beyond_clock_skew() -> None:
    start = "2025-05-20T00:00:00Z"
    soon = (NOW + dt.timedelta(seconds=30)).isoformat()
    assert check(**{"from": start, "to": soon})["to"] == NOW + dt.timedelta(seconds=30)
    exc = refused(**{"from": start, "to": (NOW + dt.timedelta(minutes=5)).isoformat()})
    assert exc.field == "to" and "not after now" in exc.message


def test_relative_and_fixed_bounds() -> None:
    recent = ParamSpec("since", "datetime", not_before=-dt.timedelta(days=90))
    spec = ReportTypeSpec("R", params=(recent,))
    ok = validate_params("acme", spec, {"since": "2025-04-01T00:00:00Z"}, now=NOW)
    assert ok["since"] == dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
    with pytest.raises(ValidationError, match="not before 90 days before now"):
        validate_params("acme", spec, {"since": "2025-01-01T00:00:00Z"}, now=NOW)
    floor = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    fixed = ReportTypeSpec("R", params=(ParamSpec("since", "datetime", not_before=floor),))
    with pytest.raises(ValidationError, match="not before 2020-01-01T00:00:00"):
        validate_params("acme", fixed, {"since": "2019-12-31T23:59:59Z"})


def test_a_bound_needs_an_instant_unless_a_zone_is_declared() -> None:
    exc = refused(**{"from": "2025-05-01T00:00:00", "to": "2025-05-02T00:00:00Z"})
    assert exc.field == "from" and "UTC offset" in exc.message
    zoned = ParamSpec("to", "datetime", not_after="now", naive_zone="Europe/Lisbon")
    clean = validate_params(
        "acme", ReportTypeSpec("R", params=(zoned,)), {"to": "2025-05-01T10:00:00"}, now=NOW
    )
    assert clean["to"].utcoffset() == dt.timedelta(hours=1)  # Lisbon summer time


def test_window_span_order_and_mixes() -> None:
    assert check(**WINDOW)["to"] - check(**WINDOW)["from"] == dt.timedelta(days=30)
    exc = refused(**{"from": "2025-04-01T00:00:00Z", "to": "2025-05-31T00:00:00Z"})
    assert exc.field == "to" and "at most 31 days" in exc.message
    exc = refused(**{"from": WINDOW["to"], "to": WINDOW["from"]})
    assert "'to' (2025-05-01T00:00:00+00:00) must be later than 'from'" in exc.message
    wall_clock = ReportTypeSpec(
        "R",
        params=(ParamSpec("from", "datetime"), ParamSpec("to", "datetime")),
        windows=(DateWindow("from", "to", dt.timedelta(days=1)),),
    )
    both_naive = {"from": "2025-05-01T00:00:00", "to": "2025-05-01T12:00:00"}
    assert validate_params("acme", wall_clock, both_naive)["to"].tzinfo is None
    with pytest.raises(ValidationError, match="must both carry a UTC offset") as info:
        validate_params("acme", wall_clock, {**both_naive, "to": "2025-05-01T12:00:00Z"})
    assert info.value.field == "to"
    # one end left out: nothing to compare
    assert validate_params("acme", wall_clock, {"from": "2025-05-01"}) == {
        "from": dt.datetime(2025, 5, 1)
    }


# -- declarations -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: ParamSpec("n", "integer", minimum=50, maximum=10, default=20), "greater than"),
        (lambda: ParamSpec("n", "integer", minimum=50, default=10), "its default is not"),
        (lambda: ParamSpec("n", "integer", choices=(1, 2), default=3), "its default is not"),
        (lambda: ParamSpec("s", choices=("a",), default="b"), "its default is not"),
        (lambda: ParamSpec("s", max_length=3, default="long"), "its default is not"),
        (lambda: ParamSpec("s", required=True, default="x"), "takes no default"),
        (lambda: ParamSpec("s", minimum=1), "integer and number parameters only"),
        (lambda: ParamSpec("n", "integer", maximum=1.5), "finite integers"),
        (lambda: ParamSpec("n", "number", maximum=float("nan")), "finite numbers"),
        (lambda: ParamSpec("n", "number", minimum=float("-inf")), "finite numbers"),
        (lambda: ParamSpec("b", "boolean", choices=(True,)), "choices apply to"),
        (lambda: ParamSpec("n", "integer", choices=("1",)), "valid integer"),
        (lambda: ParamSpec("n", "integer", max_length=3), "string parameters only"),
        (lambda: ParamSpec("x", "float"), "type 'float' is unknown"),
        (lambda: ParamSpec(""), "non-empty name"),
        (lambda: ParamSpec("s", not_after="now"), "datetime parameters only"),
        (lambda: ParamSpec("t", "datetime", not_after="tomorrow"), "UTC offset"),
        (lambda: ParamSpec("t", "datetime", not_after=dt.datetime(2025, 1, 1)), "UTC offset"),
        (lambda: ParamSpec("t", "datetime", not_before="now", not_after=-dt.timedelta(1)), "later"),
        (lambda: ParamSpec("t", "datetime", not_after=dt.timedelta(days=10**6)), "days from now"),
        (lambda: ParamSpec("t", "datetime", naive_zone="Mars/Olympus"), "IANA"),
        (lambda: DateWindow("a", "a"), "two different"),
        (lambda: DateWindow("a", "b", max_span=dt.timedelta(0)), "positive"),
        (
            lambda: ReportTypeSpec("R", params=(ParamSpec("a"), ParamSpec("a"))),
            "declares parameter(s) a twice",
        ),
        (
            lambda: ReportTypeSpec(
                "R",
                params=(ParamSpec("a", "datetime"), ParamSpec("b")),
                windows=(DateWindow("a", "b"),),
            ),
            "'b', which is not a datetime parameter",
        ),
    ],
)
def test_contradictory_declarations_fail_when_made(build: Callable[[], Any], needle: str) -> None:
    with pytest.raises(PluginSpecError) as info:
        build()
    assert needle in str(info.value)


def test_a_plugin_with_a_broken_declaration_fails_at_import(tmp_path: Any) -> None:
    module = tmp_path / "broken_rb_plugin.py"
    module.write_text(
        "from reportbridge import ParamSpec\n"
        "PARAMS = (ParamSpec('num_assets', 'integer', minimum=50, maximum=5000, default=10),)\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("broken_rb_plugin", module)
    assert spec is not None and spec.loader is not None
    with pytest.raises(PluginSpecError, match="ParamSpec 'num_assets': its default"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_description_of_accepted_values_is_shown_for_missing_parameters() -> None:
    with pytest.raises(ValidationError) as info:
        check(to=WINDOW["to"])
    assert info.value.field == "from"
    assert "needs parameter 'from' (an ISO 8601 date-time not after now)" in info.value.message


def test_the_clock_is_read_when_no_moment_is_given() -> None:
    spec = ReportTypeSpec("R", params=(ParamSpec("to", "datetime", not_after="now"),))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert validate_params("acme", spec, {"to": past})["to"] == past
    with pytest.raises(ValidationError):
        validate_params("acme", spec, {"to": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)})


class _WindowProvider(_DefaultsProvider):
    def capabilities(self) -> Capabilities:
        return Capabilities(report_types=(SPEC,), formats=("csv",))


def test_providers_json_shows_every_rule() -> None:
    import json

    from reportbridge.cli.describe import describe_providers

    registry = PluginRegistry(load_entry_points=False)
    plugin = _DefaultsPlugin()
    plugin.provider = _WindowProvider()
    registry.register(plugin)
    (row,) = json.loads(json.dumps(describe_providers(registry)))
    (export,) = row["report_types"]
    params = {p["name"]: p for p in export["params"]}
    assert params["num_assets"]["minimum"] == 50 and params["num_assets"]["default"] == 500
    assert params["page_size"]["choices"] == [10, 50, 100]
    assert params["to"]["not_after"] == "now"
    assert export["windows"] == [{"start": "from", "end": "to", "max_span": 31 * 86400.0}]
