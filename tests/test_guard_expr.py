"""Guards found by mutation testing (benchmarks/mutation.md): the expression language's messages name the
types involved, a hint appears only when there is one, and longest_gap counts only the window."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import ExprError, T, compile_expr
from compliance.facts import Handler, System

SYSTEM = {"item": (T("object", model=System), "systems[]")}


def test_an_unknown_field_names_the_model_it_is_not_in():
    with pytest.raises(ExprError) as exc:
        compile_expr("item.left_onn != null", FACTS_TYPE, {"item": (T("object", model=Handler), "handlers[]")})
    assert exc.value.message == "unknown field 'left_onn' of Handler (did you mean 'left_on'?)"


def test_a_type_error_on_a_list_names_the_element_type():
    with pytest.raises(ExprError) as exc:
        compile_expr("handlers == 1", FACTS_TYPE)
    assert "list<Handler>" in exc.value.message, exc.value.message


def test_no_hint_when_nothing_is_close():
    with pytest.raises(ExprError) as exc:
        compile_expr("qqqqqqqq(handlers) > 0", FACTS_TYPE)
    assert exc.value.message == "unknown function 'qqqqqqqq'"



def _longest_gap(reviews, start, end):
    """longest_gap over a system's access-log reviews, bounds given as literals or null."""
    src = f"longest_gap(item.access_log.reviews, {start}, {end})"
    c = compile_expr(src, FACTS_TYPE, SYSTEM)
    return c.fn({}, {"item": {"access_log": {"reviews": reviews}}})


def test_longest_gap_ignores_reviews_outside_the_window():
    reviews = [dt.date(2024, 6, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 9, 1)]
    # window 2025-01-01 .. 2025-04-01: gaps 31, 28, 31 days; the reviews before and after do not count
    assert _longest_gap(reviews, "date('2025-01-01')", "date('2025-04-01')") == dt.timedelta(days=31)


def test_longest_gap_is_null_when_the_reviews_or_a_bound_are_null():
    reviews = [dt.date(2025, 2, 1)]
    assert _longest_gap(None, "date('2025-01-01')", "date('2025-04-01')") is None
    assert _longest_gap(reviews, "date('2025-01-01')", "null") is None
    assert _longest_gap(reviews, "null", "date('2025-04-01')") is None
