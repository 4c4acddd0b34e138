"""The expression language: compile-time errors with columns, null and missing semantics."""

import datetime as dt

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import ANY, EvalError, ExprError, Missing, T, compile_expr, parse_duration
from compliance.facts import Handler, Incident, System

KST = dt.timezone(dt.timedelta(hours=9))


def run(src: str, root: dict | None = None, item=None):
    scope = {"item": (_handler_type(), "handlers[]")} if item is not None else None
    c = compile_expr(src, FACTS_TYPE, scope)
    return c.fn(root or {}, {"item": item} if item is not None else {})


def _handler_type():
    return T("object", model=Handler)


def test_unknown_field_fails_at_compile_time_with_column_and_hint():
    with pytest.raises(ExprError) as exc:
        compile_expr("item.left_onn != null", FACTS_TYPE, {"item": (_handler_type(), "handlers[]")})
    assert exc.value.column == 6
    assert "unknown field 'left_onn'" in exc.value.message and "did you mean 'left_on'" in exc.value.message


def test_unknown_top_level_name_and_function():
    with pytest.raises(ExprError, match="unknown name 'handler'.*'handlers'"):
        compile_expr("size(handler) > 0", FACTS_TYPE)
    with pytest.raises(ExprError, match="unknown function 'sizeof'"):
        compile_expr("sizeof(handlers) > 0", FACTS_TYPE)


def test_type_errors_are_caught_before_any_audit():
    with pytest.raises(ExprError, match="cannot compare date <= string"):
        compile_expr("as_of <= 'yesterday'", FACTS_TYPE)
    with pytest.raises(ExprError, match="cannot apply '\\+' to date and number"):
        compile_expr("as_of + 1 > as_of", FACTS_TYPE)
    with pytest.raises(ExprError, match="invalid duration"):
        compile_expr("duration('72 hours') > duration('1h')", FACTS_TYPE)
    with pytest.raises(ExprError, match="expected"):
        compile_expr("size(handlers", FACTS_TYPE)


def test_dates_durations_and_timestamps():
    assert run("as_of - days(365) == date('2024-11-30')", {"as_of": dt.date(2025, 11, 30)})
    aware = dt.datetime(2025, 11, 18, 9, tzinfo=KST)
    item = {"id": "i", "aware_at": aware, "reported_to_pipc_at": aware + dt.timedelta(hours=73)}
    c = compile_expr(
        "item.reported_to_pipc_at <= item.aware_at + duration('72h')", FACTS_TYPE, {"item": (T("object", model=Incident), "x")}
    )
    assert c.fn({}, {"item": item}) is False
    item["reported_to_pipc_at"] = aware + dt.timedelta(hours=71, minutes=59)
    assert c.fn({}, {"item": item}) is True
    assert parse_duration("1h30m") == dt.timedelta(minutes=90)
    assert parse_duration("30d") == dt.timedelta(days=30)


def test_absent_fact_raises_missing_but_stated_null_is_a_value():
    with pytest.raises(Missing) as exc:
        run("item.access_revoked_on <= item.left_on", item={"id": "h", "left_on": dt.date(2025, 1, 1)})
    assert exc.value.path == "handlers[].access_revoked_on"
    never_revoked = {"id": "h", "left_on": dt.date(2025, 1, 1), "access_revoked_on": None}
    assert run("item.access_revoked_on <= item.left_on", item=never_revoked) is False
    assert run("item.access_revoked_on == null", item=never_revoked) is True
    assert run("item.access_revoked_on + days(1) == null", item=never_revoked) is True


def test_and_or_absorb_missing_like_cel():
    h = {"id": "h", "left_on": None}
    assert run("item.left_on != null && item.access_revoked_on <= item.left_on", item=h) is False
    assert run("item.left_on == null || item.access_revoked_on <= item.left_on", item=h) is True
    with pytest.raises(Missing):
        run("item.left_on == null && item.access_revoked_on <= item.left_on", item=h)


def test_macros_lookup_and_months():
    root = {
        "as_of": dt.date(2025, 11, 30),
        "handlers": [{"id": "a", "left_on": None}, {"id": "b", "left_on": dt.date(2025, 1, 1)}],
    }
    assert run("handlers.exists(h, h.left_on != null)", root) is True
    assert run("handlers.all(h, h.left_on != null)", root) is False
    assert run("size(handlers.filter(h, h.left_on == null)) == 1", root) is True
    assert run("get(handlers, 'b').left_on == date('2025-01-01')", root) is True
    assert run("get(handlers, 'zz') == null", root) is True
    from compliance.expr import _missed_months

    reviews = [dt.date(2025, 1, 5), dt.date(2025, 3, 9)]
    assert _missed_months(reviews, dt.date(2025, 1, 1), dt.date(2025, 4, 15)) == ["2025-02"]
    gap = compile_expr(
        "longest_gap(item.access_log.reviews, date('2025-01-01'), date('2025-04-15')) == days(63)",
        FACTS_TYPE,
        {"item": (T("object", model=System), "systems[]")},
    )
    assert gap.fn({}, {"item": {"access_log": {"reviews": reviews}}}) is True  # 2025-01-05 -> 2025-03-09
    later = compile_expr("timestamp('2025-11-18T09:00:00+09:00') > item.aware_at", FACTS_TYPE, {"item": (T("object", model=Incident), "x")})
    assert later.fn({}, {"item": {"aware_at": dt.datetime(2025, 11, 18, 8, tzinfo=KST)}}) is True
    with pytest.raises(ExprError, match="needs a timezone"):
        compile_expr("timestamp('2025-11-18T09:00:00') > as_of", FACTS_TYPE)


def test_exists_reports_missing_only_when_no_item_decides():
    root = {"handlers": [{"id": "a"}, {"id": "b", "left_on": dt.date(2025, 1, 1)}]}
    assert run("handlers.exists(h, h.left_on != null)", root) is True
    with pytest.raises(Missing):
        run("handlers.all(h, h.left_on != null)", root)


def test_no_arbitrary_code():
    for src in ("__import__('os')", "open('x')", "item.keys()"):
        with pytest.raises(ExprError):
            compile_expr(src, ANY, {"item": (ANY, "item")})
    # field access reads mapping keys only, never Python attributes
    c = compile_expr("item.__class__ != null", ANY, {"item": (ANY, "item")})
    with pytest.raises(Missing):
        c.fn({}, {"item": {}})


def test_runtime_type_error_is_an_eval_error_not_a_crash():
    c = compile_expr("x < 3", ANY, {"x": (ANY, "x")})
    with pytest.raises(EvalError):
        c.fn({}, {"x": "text"})


def test_has_on_a_top_level_fact():
    assert run("has(period_start) ? period_start : as_of", {"as_of": dt.date(2025, 11, 30), "period_start": dt.date(2024, 12, 1)}) == dt.date(2024, 12, 1)
    assert run("has(period_start) ? period_start : as_of", {"as_of": dt.date(2025, 11, 30)}) == dt.date(2025, 11, 30)



def test_lower_compares_names_in_any_case():
    assert run("lower(item.role) == 'developer'", item={"role": "DevelOper"}) is True
    with pytest.raises(ExprError):
        compile_expr("lower(size(handlers)) == 'a'", FACTS_TYPE)  # a number is not a name
