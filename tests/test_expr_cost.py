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
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compliance.catalog import FACTS_TYPE
from compliance.expr import (
    MAX_DEPTH,
    MAX_EXPANDED,
    MAX_LIST_LITERAL,
    MAX_MACRO_NESTING,
    MAX_STRING_LITERAL,
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


def _catalog_with(tmp_path, expect: str, parameters: dict[str, str] | None = None):
    """A copy of the catalogs whose first check of Art 5(2) expects ``expect`` (and with ``parameters`` added to
    pipc-notice's); returns (folder, its line)."""
    shutil.copytree(CATALOGS, tmp_path / "controls")
    path = tmp_path / "controls" / "pipc-notice.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(CHECK_LINE) == 1, "the catalog changed: pick another check for this test"
    text = text.replace(CHECK_LINE, f"expect: {json.dumps(expect)}")
    if parameters:
        assert text.count("\nparameters:\n") == 1, "the catalog changed: it needs a top-level parameters section"
        added = "".join(f"  {name}:\n    expr: {json.dumps(src)}\n    means: {{ko: 시험, en: a test}}\n"
                        for name, src in parameters.items())
        text = text.replace("\nparameters:\n", "\nparameters:\n" + added)
    line = text[: text.index(f"expect: {json.dumps(expect)}")].count("\n") + 1
    path.write_text(text, encoding="utf-8")
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


# ------------------------------------------------------------------ what evaluation builds is charged to the budget

LIMIT_AS = 1 << 30  # address space a bounded check gets: a normal `check` peaks near 45 MB


def _check_bounded(facts, folder, budget: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """`pipa-audit check` with its address space capped (an unbounded build fails fast with MemoryError instead of
    taking the machine's memory); returns (the process, seconds it took)."""
    import resource

    env = dict(os.environ)
    env.pop("PIPA_AUDIT_EVAL_BUDGET", None)
    if budget is not None:
        env["PIPA_AUDIT_EVAL_BUDGET"] = budget
    exe = Path(sys.executable).parent / "pipa-audit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "compliance"]
    started = time.monotonic()
    proc = subprocess.run([*cmd, "check", str(facts), "--catalog", str(folder), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=300,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS)))
    return proc, time.monotonic() - started


def _stopped_at_the_check(proc, took: float, folder, says: str) -> None:
    """Bad input (2), one line naming the catalog file, the line of the check and why; no crash, no memory error."""
    assert proc.returncode == 2, proc.stderr[-2000:]
    text = (folder / "pipc-notice.yaml").read_text(encoding="utf-8")
    id_line = text[: text.index("- id: departed-handlers-revoked")].count("\n") + 1
    (err,) = [ln for ln in proc.stderr.splitlines() if not ln.startswith("warning:")]
    assert err.startswith(f"{folder / 'pipc-notice.yaml'}:{id_line}: check 'departed-handlers-revoked'"), err
    assert says in err, err
    assert "MemoryError" not in proc.stderr and "internal error" not in proc.stderr and took < 60


BIG_LIST = "[" + ", ".join(str(i) for i in range(MAX_LIST_LITERAL)) + "]"  # the largest literal lint allows
TEXT = "'" + "x" * MAX_STRING_LITERAL + "'"


@pytest.mark.parametrize(
    "expect",
    [
        # 256³ lists of 256 items: 4.3*10^9 items (34 GB) built in 1.7*10^7 macro steps, well inside the step budget
        "size(big.map(a, big.map(b, big.map(c, big)))) > 0",
        # 256³ texts of 2,000 characters joined: 34 GB
        f"size(big.map(a, big.map(b, big.map(c, {TEXT} + {TEXT})))) > 0",
        # text repeated where its type is only known at run time: one step, 10 GB
        "((true ? 'xxxxxxxxxx' : 1) * 1000000000) != null",
    ],
    ids=["lists", "joined-text", "repeated-text"],
)
def test_what_an_expression_builds_is_stopped_by_the_budget_at_the_check(tmp_path, expect):
    folder, _ = _catalog_with(tmp_path, expect, {"big": BIG_LIST})
    assert cli("catalog", "lint", "--catalog", folder).returncode == 0  # the data decides: lint cannot refuse it
    proc, took = _check_bounded(CLEAN / "facts.yaml", folder)
    _stopped_at_the_check(proc, took, folder, "the evaluation budget of 50,000,000 steps is spent: the lists and text "
                                              "it builds are too large")


SMALL = "[" + ", ".join(str(i) for i in range(20)) + "]"


@pytest.mark.parametrize(
    "body",
    [
        "big",  # a constant list: built once, but charged each time it is evaluated
        "[" + ", ".join(["c"] * MAX_LIST_LITERAL) + "]",  # a list whose items the evaluation decides
        "missed_months([], date('0001-01-01'), date('9999-12-01'))",  # 120,000 months: 960,000 steps
    ],
    ids=["constant-list", "built-list", "month-list"],
)
def test_a_smaller_budget_stops_what_builds_sooner(tmp_path, body):
    # 20³ bodies cost 16,840 macro steps, far inside a budget of 1,000,000 steps; only what they build exceeds it
    # (2 million list items, or 960 million months)
    folder, _ = _catalog_with(tmp_path, f"size(small.map(a, small.map(b, small.map(c, {body})))) > 0",
                              {"small": SMALL, "big": BIG_LIST})
    proc, took = _check_bounded(CLEAN / "facts.yaml", folder, budget="1000000")
    _stopped_at_the_check(proc, took, folder, "budget of 1,000,000 steps is spent: the lists and text it builds")


def test_text_formatting_is_not_arithmetic(tmp_path):
    # '%' on text is Python's formatting: '%0999999999d' % 1 would build a gigabyte from 14 characters
    folder, _ = _catalog_with(tmp_path, "((true ? '%0999999999d' : 1) % 1) != null")
    proc, took = _check_bounded(CLEAN / "facts.yaml", folder)
    _stopped_at_the_check(proc, took, folder, "'%' needs numbers, got string")


def test_names_built_on_names_fail_lint_at_the_first_that_is_too_big(tmp_path):
    # each use of a name evaluates it again: s13 is s0 written out 8,192 times (16 MB of text built per evaluation),
    # n40 would be 3^40 evaluations (a hang no budget stopped before)
    params = {"s0": TEXT, **{f"s{i}": f"s{i - 1} + s{i - 1}" for i in range(1, 27)}}
    params |= {"n0": "organization.subjects", **{f"n{i}": f"n{i - 1} + n{i - 1} - n{i - 1}" for i in range(1, 41)}}
    folder, _ = _catalog_with(tmp_path, "size(s26) > 0 && n40 > 0", params)
    proc = cli("catalog", "lint", "--catalog", folder)
    assert proc.returncode == 2, proc.stderr
    text = (folder / "pipc-notice.yaml").read_text(encoding="utf-8")
    line = {name: text[: text.index(f"  {name}:\n")].count("\n") + 2 for name in ("s13", "n8")}  # their expr: lines
    too_big = [ln for ln in proc.stderr.splitlines() if "operations with the named conditions" in ln]
    assert [ln.split(": ")[0].rsplit(":", 1)[1] + " " + ln.split(": ")[1] for ln in too_big] == [
        f"{line['s13']} parameters.s13.expr", f"{line['n8']} parameters.n8.expr"], proc.stderr
    assert all(f"(at most {MAX_EXPANDED:,})" in ln for ln in too_big) and "Traceback" not in proc.stderr


def test_a_spent_budget_in_applies_when_is_located_not_an_internal_error(tmp_path, monkeypatch):
    """Only checks turned a spent budget into a located line: in applies_when it was exit 70, 'please report'."""
    import shutil

    from .conftest import CATALOGS, CLEAN, cli

    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipc-notice.yaml"
    text = cat.read_text(encoding="utf-8")
    big = "[" + ", ".join(str(n) for n in range(250)) + "]"  # 250 x 250 visits, each charging the inner literal
    anchor = "  - id: notice/5.2\n"
    assert anchor in text
    cat.write_text(text.replace(anchor, anchor + f"    applies_when: \"{big}.exists(a, {big}.exists(b, a < 0))\"\n"), encoding="utf-8")
    line = cat.read_text(encoding="utf-8").splitlines().index(anchor.rstrip("\n")) + 2
    monkeypatch.setenv("PIPA_AUDIT_EVAL_BUDGET", "100000")
    proc = cli("check", CLEAN / "facts.yaml", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert f"pipc-notice.yaml:{line}: applies_when of notice/5.2 failed to evaluate: the evaluation budget" in proc.stderr
