"""Guards found by mutation testing (benchmarks/mutation.md): the generated Python of check expressions.

What a user relies on: CEL's && and || (``false && <missing>`` is false, ``true || <missing>`` is true) also when
the left side can never be missing (``has()``, ``as_of``, literals), which the generator compiles to Python's own
short circuit; null ordering and arithmetic; the generated check loop's counts, failures and missing facts."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import (
    ANY,
    MAX_DEPTH,
    MAX_LIST_LITERAL,
    MAX_SOURCE,
    MAX_STRING_LITERAL,
    EvalError,
    ExprError,
    Missing,
    OutOfRange,
    T,
    compile_expr,
    compile_scan,
)
from compliance.facts import Handler

ITEM = {"item": (T("object", model=Handler), "handlers[]")}
DAY = dt.date(2025, 3, 1)
ROOT = {"as_of": dt.date(2025, 11, 30)}


def _run(src: str, item: dict, root: dict = ROOT):
    return compile_expr(src, FACTS_TYPE, ITEM).fn(root, {"item": item})


# a left side that cannot be missing: has() of a field, as_of arithmetic with a function, a literal
AND = {
    "has(item.left_on) && item.access_revoked_on <= item.left_on + days(1)": [
        ({}, False), ({"left_on": DAY}, Missing), ({"left_on": DAY, "access_revoked_on": DAY}, True),
        ({"left_on": DAY, "access_revoked_on": DAY + dt.timedelta(days=5)}, False)],
    "as_of - days(365) < date('2025-01-01') && item.left_on != null": [({}, Missing), ({"left_on": DAY}, True),
                                                                       ({"left_on": None}, False)],
    "false && item.left_on != null": [({}, False)],
    "true && item.can_download": [({"can_download": None}, False), ({"can_download": True}, True), ({}, Missing)],
}
OR = {
    "!has(item.left_on) || item.access_revoked_on <= item.left_on + days(1)": [
        ({}, True), ({"left_on": DAY}, Missing), ({"left_on": DAY, "access_revoked_on": DAY}, True),
        ({"left_on": DAY, "access_revoked_on": DAY + dt.timedelta(days=5)}, False)],
    "as_of - days(365) > date('2025-01-01') || item.left_on != null": [({}, Missing), ({"left_on": DAY}, True),
                                                                       ({"left_on": None}, False)],
    "true || item.left_on != null": [({}, True)],
    "false || item.can_download": [({"can_download": None}, False), ({"can_download": True}, True), ({}, Missing)],
}


@pytest.mark.parametrize("src", [*AND, *OR])
def test_and_or_whose_left_side_cannot_be_missing(src):
    for item, want in {**AND, **OR}[src]:
        if want is Missing:
            with pytest.raises(Missing) as exc:
                _run(src, item)
            assert exc.value.path.startswith("handlers[]."), exc.value.path
        else:
            assert _run(src, item) is want, (src, item)


def test_null_in_an_ordered_comparison_is_false_and_in_arithmetic_null():
    never = {"left_on": DAY, "access_revoked_on": None}
    assert _run("item.access_revoked_on <= item.left_on", never) is False
    assert _run("item.left_on >= item.access_revoked_on", never) is False
    assert _run("item.access_revoked_on - item.left_on == null", never) is True
    assert _run("item.left_on - days(1) < item.left_on", never) is True
    # both sides are read, the left first: the first missing fact is the one reported
    with pytest.raises(Missing) as exc:
        _run("item.left_on <= item.access_revoked_on", {})
    assert exc.value.path == "handlers[].left_on"


# ------------------------------------------------------------------ how deep an expression may nest


def _depth_error(src: str):
    with pytest.raises(ExprError) as exc:
        compile_expr(src, FACTS_TYPE)
    assert f"nested more than {MAX_DEPTH} levels deep" in exc.value.message
    return exc.value.column


def test_nesting_is_allowed_up_to_the_limit_and_refused_beyond_it_at_its_column():
    ok = "(" * (MAX_DEPTH - 1) + "true" + ")" * (MAX_DEPTH - 1)
    assert compile_expr(ok, FACTS_TYPE).fn({}, {}) is True
    assert _depth_error("(" * MAX_DEPTH + "true" + ")" * MAX_DEPTH) == MAX_DEPTH + 1
    negations = MAX_DEPTH - 1
    assert compile_expr("!" * negations + "true", FACTS_TYPE).fn({}, {}) is (negations % 2 == 0)
    assert _depth_error("!" * MAX_DEPTH + "true") == MAX_DEPTH
    # a chain nests without parentheses: MAX_DEPTH operands are MAX_DEPTH levels under the comparison
    chain = " + ".join(["1"] * (MAX_DEPTH - 1))
    assert compile_expr(f"0 < {chain}", FACTS_TYPE).fn({}, {}) is True
    assert 5 <= _depth_error(f"0 < {chain} + 1") <= 9  # the innermost operation: the chain's first "1 + 1"


def test_siblings_do_not_add_up_to_the_nesting_limit():
    for term in ("(1)", "-1", "((1))"):
        items = ", ".join([term] * 3 * MAX_DEPTH)
        assert compile_expr(f"size([{items}]) == {3 * MAX_DEPTH}", FACTS_TYPE).fn({}, {}) is True


# ------------------------------------------------------------------ the generated check loop


def test_the_check_loop_counts_scope_failures_and_missing_facts_by_item():
    where = compile_expr("item.left_on != null", FACTS_TYPE, ITEM)
    expect = compile_expr("item.access_revoked_on <= item.left_on + days(1)", FACTS_TYPE, ITEM)
    items = [{"id": "a", "left_on": DAY, "access_revoked_on": DAY},  # in scope, passes
             {"id": "b", "left_on": None},  # out of scope
             {"id": "c", "left_on": DAY, "access_revoked_on": DAY + dt.timedelta(days=9)},  # fails
             {"id": "d", "left_on": DAY},  # in scope, revocation not stated
             {"id": "e"}]  # scope not known
    assert compile_scan(where, expect)(ROOT, items) == (
        3, [2], [(3, "handlers[].access_revoked_on"), (4, "handlers[].left_on")])
    assert compile_scan(None, expect)(ROOT, items[:3]) == (3, [2], [(1, "handlers[].access_revoked_on")])


def test_run_time_errors_in_the_check_loop_are_evaluation_errors_or_out_of_range_at_the_item():
    anything = {"item": (ANY, "item")}
    compare = compile_scan(None, compile_expr("item.a < 3", FACTS_TYPE, anything))
    assert compare(ROOT, [{"a": 1}, {"a": 5}]) == (2, [1], [])
    with pytest.raises(EvalError, match="'<' not supported"):
        compare(ROOT, [{"a": 1}, {"a": "text"}])
    with pytest.raises(EvalError, match="division by zero"):
        compile_scan(None, compile_expr("item.a / item.b > 1", FACTS_TYPE, anything))(ROOT, [{"a": 1, "b": 0}])
    late = compile_scan(None, compile_expr("item.left_on + days(1) > as_of", FACTS_TYPE, ITEM))
    with pytest.raises(OutOfRange) as exc:
        late(ROOT, [{"left_on": DAY}, {"left_on": dt.date(9999, 12, 31)}])
    assert exc.value.index == 1 and "out of range" in exc.value.message


def test_an_overlong_list_literal_is_refused_at_its_column():
    ok = "[" + ", ".join(["1"] * MAX_LIST_LITERAL) + "]"
    assert compile_expr(f"size({ok}) > 0", FACTS_TYPE).fn({}, {}) is True
    with pytest.raises(ExprError) as exc:
        compile_expr(f"size({ok[:-1]}, 1]) > 0", FACTS_TYPE)
    says = f"a list literal of {MAX_LIST_LITERAL + 1} items (at most {MAX_LIST_LITERAL})"
    assert (exc.value.column, exc.value.message) == (6, says)  # the column of its '['


def test_blank_and_overlong_expressions_are_refused_saying_why():
    for blank in ("", "   "):
        with pytest.raises(ExprError) as exc:
            compile_expr(blank, FACTS_TYPE)
        assert exc.value.message == "empty expression"
    longest = "true" + " " * (MAX_SOURCE - 4)
    assert len(longest) == MAX_SOURCE and compile_expr(longest, FACTS_TYPE).fn({}, {}) is True
    with pytest.raises(ExprError) as exc:
        compile_expr(longest + " ", FACTS_TYPE)
    says = f"{MAX_SOURCE + 1:,} characters long (at most {MAX_SOURCE:,}); split it into named conditions"
    assert exc.value.message == says


# ------------------------------------------------------------------ indexing, negation, list literals, ?:


def _error(src: str, scope=None) -> tuple[int, str]:
    with pytest.raises(ExprError) as exc:
        compile_expr(src, FACTS_TYPE, scope)
    return exc.value.column, exc.value.message


HANDLERS = {"as_of": dt.date(2025, 11, 30), "handlers": [{"id": "a", "left_on": None}, {"id": "b", "left_on": DAY}]}


def test_indexing_reads_the_item_or_null_and_keeps_its_type():
    def run(src, root=HANDLERS):
        return compile_expr(src, FACTS_TYPE).fn(root, {})

    assert run("handlers[1].left_on == date('2025-03-01')") is True
    assert run("handlers[2] == null && handlers[0].left_on == null") is True  # past the end: null
    assert run("handlers.filter(h, h.left_on != null)[0].id == 'b'") is True
    with pytest.raises(Missing) as exc:
        run("handlers[0].left_on != null", {"as_of": HANDLERS["as_of"]})
    assert exc.value.path == "handlers"
    # false && <missing> is false even when the missing fact is the indexed list
    assert run("handlers[0] != null && as_of < date('2000-01-01')", {"as_of": HANDLERS["as_of"]}) is False
    assert _error("handlers[0].left_onn != null")[1].startswith("unknown field 'left_onn' of Handler")
    assert _error("as_of[0] == null") == (6, "cannot index date with number")
    assert _error("handlers['a'] == null") == (9, "cannot index list<Handler> with string")


def test_negation_of_numbers_and_durations_null_stays_null():
    root = {"as_of": dt.date(2025, 11, 30), "organization": {"subjects": 5}}
    assert compile_expr("-organization.subjects < 0", FACTS_TYPE).fn(root, {}) is True
    assert compile_expr("as_of + -days(2) == date('2025-11-28')", FACTS_TYPE).fn(root, {}) is True
    unknown = {"organization": {"subjects": None}}
    assert compile_expr("-organization.subjects == null", FACTS_TYPE).fn(unknown, {}) is True
    assert _error("-'a' == null") == (1, "cannot negate string")


def test_list_literals_type_their_items():
    assert compile_expr("size([]) == 0", FACTS_TYPE).fn({}, {}) is True
    assert compile_expr("[1, 'a'][1] == 'a'", FACTS_TYPE).fn({}, {}) is True  # mixed: any
    # the items' type reaches a macro's variable: comparing numbers with text is refused at lint
    assert _error("[1, 2].all(x, x == 'a')") == (17, "cannot compare number == string")


def test_a_condition_that_is_not_true_or_false_is_refused():
    assert _error("size(handlers) ? true : false") == (16, "'?:' needs bool, got number")


def test_untyped_values_are_taken_where_true_or_false_is_needed():
    anything = {"item": (ANY, "item")}
    assert compile_expr("!item.enabled && true", FACTS_TYPE, anything).fn({}, {"item": {"enabled": False}}) is True


def test_function_calls_are_checked_at_lint_with_their_column():
    assert _error("has(item)", ITEM) == (1, "has() takes one field, e.g. has(item.left_on) or has(period_start)")
    assert _error("size(handlers, 1) > 0") == (1, "size() takes 1 argument(s), got 2")
    assert _error("max() == null") == (1, "max() takes 1 or 2 argument(s), got 0")


def test_get_looks_up_by_id_in_any_list_and_absorbs_like_cel():
    def run(src, root=HANDLERS):
        return compile_expr(src, FACTS_TYPE).fn(root, {})

    assert run("get(handlers.filter(h, h.left_on != null), 'b').left_on == date('2025-03-01')") is True
    assert run("get(handlers.filter(h, h.left_on != null), 'a') == null") is True
    assert run("get(handlers, 'b') != null && as_of < date('2000-01-01')", {"as_of": HANDLERS["as_of"]}) is False


def test_an_overlong_text_literal_is_refused_at_its_column():
    text = "x" * MAX_STRING_LITERAL
    assert compile_expr(f"'{text}' != ''", FACTS_TYPE).fn({}, {}) is True
    says = f"a text literal of {MAX_STRING_LITERAL + 1:,} characters (at most {MAX_STRING_LITERAL:,})"
    assert _error(f"as_of != null && '{text}x' != ''") == (18, says)  # its opening quote


def test_operators_with_the_wrong_operands_are_refused_at_the_operator():
    assert _error("size(handlers) && true") == (16, "'&&' needs bool, got number")
    assert _error("true || 'yes'") == (6, "'||' needs bool, got string")
    assert _error("'a' in 'abc'") == (5, "'in' needs a list on the right, got string")
    column, says = _error("as_of != null && handler == null")
    assert (column, says) == (18, "unknown name 'handler' (did you mean 'handlers'?)")
