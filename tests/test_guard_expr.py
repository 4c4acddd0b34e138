"""Guards found by mutation testing (benchmarks/mutation.md): the expression language's messages name the
types involved, a hint appears only when there is one, and longest_gap counts only the window."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import Budget, EvalError, ExprError, T, compile_expr
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


# what evaluation builds is charged to the run's budget, item by item and character by character: the exact counts
# (each case gives true with exactly that budget and runs out with one step less)
BUILT = [
    ("size([1, 2, 3].map(x, [x, x])) == 3", 3 + 2 * 3 + 3 * 2),  # literal, map (visit + item), [x, x] each time
    ("size([1, 2, 3, 4].filter(x, x > 2)) == 2", 4 + 4 + 2),  # literal, visits, items kept
    ("size(handlers.map(h, h.id)) == 100", 2 * 100),
    ("size('ab' + 'cde') == 5", 5),
    ("size([[1, 2], 'a'][0] + [3]) == 3", 2 + 1 + 3),  # lists joined where the type is only known at run time
    ("size((true ? 'ab' : 1) * 3) == 6", 6),  # text repeated where the type is only known at run time
    ("size(missed_months([], date('2025-01-01'), date('2026-01-01'))) == 12", 12 * 8),  # a month: item + 7 characters
    # a membership test and arithmetic build nothing: only the literal, the visits and the items kept count
    ("size([1, 2, 3].filter(x, x in [2, 3] && x + 1 > 2 && days(x) * 2 >= days(4))) == 2", 3 + 3 + 2),
    ("size([7, 8].filter(x, (true ? x : 'a') % 4 == 3)) == 1", 2 + 2 + 1),
]


@pytest.mark.parametrize(("src", "steps"), BUILT, ids=[b[0] for b in BUILT])
def test_the_budget_counts_what_evaluation_builds(src, steps):
    c = compile_expr(src, FACTS_TYPE)
    root = {"handlers": [{"id": str(i)} for i in range(100)]}
    try:
        Budget.reset(steps)
        assert c.fn(root, {}) is True
        assert Budget.left == 0
        Budget.reset(steps - 1)
        with pytest.raises(EvalError, match=f"budget of {steps - 1:,} steps is spent"):
            c.fn(root, {})
    finally:
        Budget.reset()


def test_text_is_charged_before_it_is_built():
    # 10 MB of text asked for in one step: refused before Python allocates it (so 10 GB would be too)
    import tracemalloc

    c = compile_expr("size((true ? 'xxxxxxxxxx' : 1) * 1000000) > 0", FACTS_TYPE)
    c.fn  # noqa: B018 - built here, outside the measurement
    try:
        Budget.reset(1000)
        tracemalloc.start()
        with pytest.raises(EvalError, match="lists and text it builds are too large"):
            c.fn({}, {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        Budget.reset()
    assert peak < 1_000_000, peak
