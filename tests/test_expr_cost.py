"""What a catalog expression may cost: bounded at lint time (file:line), and by a budget at run time.

Also holds the generated check loop (``compile_scan``) to the meaning of evaluating the same where/expect
expressions one item at a time."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import shutil
import time

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import (
    MAX_DEPTH,
    MAX_LIST_LITERAL,
    MAX_MACRO_NESTING,
    Budget,
    EvalError,
    ExprError,
    Missing,
    T,
    compile_expr,
    compile_scan,
)
from compliance.facts import Handler
from tests.conftest import CATALOGS, CLEAN, cli

ITEM = {"item": (T("object", model=Handler), "handlers[]")}
CHECK_LINE = 'expect: "item.access_revoked_on != null && item.access_revoked_on <= item.left_on + revocation_grace"'


def _catalog_with(tmp_path, expect: str):
    """A copy of the catalogs whose first check of Art 5(2) expects ``expect``; returns (folder, its line)."""
    shutil.copytree(CATALOGS, tmp_path / "controls")
    path = tmp_path / "controls" / "pipc-notice.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(CHECK_LINE) == 1, "the catalog changed: pick another check for this test"
    line = text[: text.index(CHECK_LINE)].count("\n") + 1
    path.write_text(text.replace(CHECK_LINE, f"expect: {json.dumps(expect)}"), encoding="utf-8")
    return tmp_path / "controls", line


@pytest.mark.parametrize(
    ("expect", "says"),
    [
        ("(" * 1000 + "true" + ")" * 1000, f"nested more than {MAX_DEPTH} levels"),
        ("!" * 200 + "true", f"nested more than {MAX_DEPTH} levels"),
        (" + ".join(["1"] * 200) + " > 0", f"nested more than {MAX_DEPTH} levels"),
        ("size([" + ", ".join(["1"] * (MAX_LIST_LITERAL + 1)) + "]) > 0", "list literal"),
        ("9" * 100 + " > 0", "number literal"),
        ("handlers.all(a, handlers.all(b, handlers.all(c, handlers.exists(d, d.id == a.id))))", "inside 3 other"),
        ("item.id == '" + "x" * 5000 + "'", "characters long"),
    ],
    ids=["parentheses", "prefix-operators", "operator-chain", "list-literal", "number-literal", "macro-nesting", "length"],
)
def test_costly_expressions_fail_lint_at_their_line(tmp_path, expect, says):
    folder, line = _catalog_with(tmp_path, expect)
    proc = cli("catalog", "lint", "--catalog", folder)
    assert proc.returncode == 2, proc.stderr
    assert f"pipc-notice.yaml:{line}:" in proc.stderr and says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr and len(proc.stderr) < 1000


def test_the_bounds_leave_room_for_real_expressions():
    deep = "(" * (MAX_DEPTH - 2) + "true" + ")" * (MAX_DEPTH - 2)
    assert compile_expr(deep, FACTS_TYPE).fn({}, {}) is True
    nested = "handlers.all(a, handlers.exists(b, handlers.exists(c, c.id == a.id)))"
    assert MAX_MACRO_NESTING == 3 and compile_expr(nested, FACTS_TYPE).fn({"handlers": [{"id": "x"}]}, {}) is True
    with pytest.raises(ExprError, match="inside 3 other"):
        compile_expr("handlers.all(a, " + nested[:-1] + ".exists(d, true)))", FACTS_TYPE)


def test_a_quadratic_check_is_stopped_by_the_budget_with_the_check_named(tmp_path):
    folder, _ = _catalog_with(tmp_path, "handlers.exists(h, h.id == item.id)")  # passes lint: n² steps
    facts = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    rows = "".join(f"  - {{id: h{i}, role: clerk, systems: [sys-booking], granted_on: 2024-01-15, left_on: 2025-01-10, "
                   f"access_revoked_on: 2025-01-10, trained_on: 2024-03-10}}\n" for i in range(3000))
    head, sep, _ = facts.partition("\nhandlers:\n")
    assert sep, "the clean example changed: it needs a top-level handlers list"
    tail = facts.split("\nhandlers:\n", 1)[1]
    big = tmp_path / "facts.yaml"
    big.write_text(head + "\nhandlers:\n" + rows + tail, encoding="utf-8")
    shutil.copytree(CLEAN / "evidence", tmp_path / "evidence")
    assert cli("catalog", "lint", "--catalog", folder).returncode == 0
    env_before = os.environ.get("PIPA_AUDIT_EVAL_BUDGET")
    os.environ["PIPA_AUDIT_EVAL_BUDGET"] = "200000"
    try:
        started = time.monotonic()
        proc = cli("check", big, "--catalog", folder)
        took = time.monotonic() - started
    finally:
        if env_before is None:
            del os.environ["PIPA_AUDIT_EVAL_BUDGET"]
        else:
            os.environ["PIPA_AUDIT_EVAL_BUDGET"] = env_before
    assert proc.returncode == 2, proc.stderr
    text = (folder / "pipc-notice.yaml").read_text(encoding="utf-8")
    id_line = text[: text.index("- id: departed-handlers-revoked")].count("\n") + 1
    assert proc.stderr.startswith(f"{folder / 'pipc-notice.yaml'}:{id_line}: check 'departed-handlers-revoked'"), proc.stderr
    assert "budget of 200,000 steps" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and took < 60


def test_a_bad_budget_setting_is_an_input_error(tmp_path):
    env = dict(os.environ, PIPA_AUDIT_EVAL_BUDGET="lots")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "compliance", "check", str(CLEAN / "facts.yaml")], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "PIPA_AUDIT_EVAL_BUDGET" in proc.stderr and "'lots'" in proc.stderr


def test_budget_counts_every_macro_step():
    c = compile_expr("handlers.all(a, handlers.exists(b, b.id == a.id))", FACTS_TYPE)
    root = {"handlers": [{"id": str(i)} for i in range(100)]}
    try:
        Budget.reset(100 + 100 * 100)  # the outer list once, the inner list once per outer item
        assert c.fn(root, {}) is True
        Budget.reset(100 + 100 * 100 - 1)
        with pytest.raises(EvalError, match="budget of 10,099 steps"):
            c.fn(root, {})
    finally:
        Budget.reset()


# ------------------------------------------------------------------ the generated loop means the same


WHERES = [None, "item.left_on != null && item.left_on <= as_of", "item.left_on != null || item.access_revoked_on != null",
          "has(item.left_on)", "!(item.can_download == true)"]
EXPECTS = [
    "item.access_revoked_on != null && item.access_revoked_on <= item.left_on + days(1)",
    "item.access_revoked_on <= item.left_on || item.can_download == true",
    "item.systems.exists(s, s == 'a') && size(item.systems) < 3",
    "item.left_on == null ? true : item.access_revoked_on != null",
    "(item.access_revoked_on - item.left_on) <= days(1)",
]


def _random_handlers(seed: int, n: int) -> list[dict]:
    rnd = random.Random(seed)
    day = lambda: dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(700))  # noqa: E731
    rows = []
    for i in range(n):
        row: dict = {"id": f"h{i}"}
        for key, make in (("left_on", day), ("access_revoked_on", day), ("can_download", lambda: rnd.random() < 0.5),
                          ("systems", lambda: rnd.sample(["a", "b", "c"], rnd.randrange(4)))):
            roll = rnd.random()
            if roll < 0.2:
                continue  # absent: a missing fact
            row[key] = None if roll < 0.4 else make()
        rows.append(row)
    return rows


def _one_by_one(where, expect, root, items):
    in_scope, failed, missing = 0, [], []
    for n, item in enumerate(items):
        scope = {"item": item}
        try:
            if where is not None and not where.fn(root, scope):
                continue
            in_scope += 1
            if not expect.fn(root, scope):
                failed.append(n)
        except Missing as exc:
            missing.append((n, exc.path))
    return in_scope, failed, missing


@pytest.mark.parametrize(("w", "e"), list(itertools.product(range(len(WHERES)), range(len(EXPECTS)))))
def test_generated_loop_matches_item_by_item_evaluation(w, e):
    where = compile_expr(WHERES[w], FACTS_TYPE, ITEM) if WHERES[w] else None
    expect = compile_expr(EXPECTS[e], FACTS_TYPE, ITEM)
    root = {"as_of": dt.date(2025, 6, 1)}
    items = _random_handlers(w * 10 + e, 400)
    got = compile_scan(where, expect)(root, items)
    assert got == _one_by_one(where, expect, root, items)
    assert got[1] or got[2], "the random rows should produce some failures or missing facts"


def test_and_or_keep_cels_missing_semantics_in_generated_code():
    # false && <missing> is false, true || <missing> is true; otherwise missing wins, whichever side it is on
    cases = {
        "item.left_on != null && item.access_revoked_on != null": [({"left_on": None}, False), ({"left_on": dt.date(2024, 1, 1)}, Missing)],
        "item.access_revoked_on != null && item.left_on != null": [({"left_on": None}, False), ({"left_on": dt.date(2024, 1, 1)}, Missing)],
        "item.left_on == null || item.access_revoked_on != null": [({"left_on": None}, True), ({"left_on": dt.date(2024, 1, 1)}, Missing)],
        "item.access_revoked_on != null || item.left_on == null": [({"left_on": None}, True), ({"left_on": dt.date(2024, 1, 1)}, Missing)],
    }
    for src, rows in cases.items():
        c = compile_expr(src, FACTS_TYPE, ITEM)
        for row, want in rows:
            if want is Missing:
                with pytest.raises(Missing, match="access_revoked_on"):
                    c.fn({}, {"item": row})
            else:
                assert c.fn({}, {"item": row}) is want, (src, row)


def test_both_operands_are_evaluated_before_null_decides():
    # an ordered comparison with null is false, but a missing right operand is still missing (not false)
    c = compile_expr("item.left_on <= item.access_revoked_on", FACTS_TYPE, ITEM)
    assert c.fn({}, {"item": {"left_on": None, "access_revoked_on": dt.date(2024, 1, 1)}}) is False
    with pytest.raises(Missing):
        c.fn({}, {"item": {"left_on": None}})


def test_date_arithmetic_past_year_9999_is_located_at_the_item(tmp_path):
    text = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    row = "left_on: 2025-04-30, access_revoked_on: 2025-04-30"
    assert text.count(row) == 1, "the clean example changed: it needs one departed handler"
    facts = tmp_path / "facts.yaml"
    facts.write_text(text.replace(row, "left_on: 9999-12-31, access_revoked_on: 9999-12-31"), encoding="utf-8")
    shutil.copytree(CLEAN / "evidence", tmp_path / "evidence")
    line = text[: text.index(row)].count("\n") + 1
    proc = cli("check", facts, "--as-of", "9999-12-31")
    assert proc.returncode == 2, proc.stderr
    (err,) = [ln for ln in proc.stderr.splitlines() if not ln.startswith("warning:")]
    assert err.startswith(f"{facts}:{line}: handlers[2]: a date computed by check 'departed-handlers-revoked'"), err
