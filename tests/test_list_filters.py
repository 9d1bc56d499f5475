"""``check_list_filters``: the one refusal of list filters a provider does not know."""

from __future__ import annotations

import pytest

from reportbridge.errors import ValidationError
from reportbridge.provider import check_list_filters

KNOWN = ("state", "report_type")


@pytest.mark.parametrize("filters", [{}, {"state": "done"}, {"state": None, "report_type": "x"}])
def test_known_filters_pass(filters: dict[str, object]) -> None:
    assert check_list_filters("acme", filters, KNOWN) is None


def test_unknown_filters_are_named_with_the_accepted_ones() -> None:
    with pytest.raises(ValidationError) as info:
        check_list_filters("acme", {"state": "done", "owner": "me", "age": 3}, KNOWN)
    error = info.value
    assert str(error) == "acme cannot filter jobs by age, owner; accepted: report_type, state"
    assert error.field == "age"  # the first unknown filter, in sorted order
    assert error.provider == "acme"


def test_the_message_uses_the_vendors_word_for_its_jobs() -> None:
    with pytest.raises(ValidationError, match=r"^acme cannot filter exports by owner;"):
        check_list_filters("acme", {"owner": "me"}, KNOWN, items="exports")


def test_the_known_filters_may_be_any_iterable_read_once() -> None:
    with pytest.raises(ValidationError, match=r"accepted: report_type, state$"):
        check_list_filters("acme", {"owner": "me"}, (name for name in KNOWN))
    check_list_filters("acme", {"state": "done"}, (name for name in KNOWN))


def test_a_provider_that_accepts_no_filter_says_so() -> None:
    with pytest.raises(ValidationError, match=r"accepted: \(none\)$"):
        check_list_filters("acme", {"state": "done"}, ())
