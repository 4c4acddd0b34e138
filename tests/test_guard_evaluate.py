"""Guards found by mutation testing (benchmarks/mutation.md): what the evaluator reports for a check.

What a user relies on: offenders named by their id, or by their place in the list ("#2") when the item has no id;
the facts a check misses, with the items that miss them; a check that cannot be evaluated reported at the line of
its id in the catalog; offenders that behave like any other result model."""

from __future__ import annotations

import copy
import pickle
import textwrap

import pytest

from compliance.cli import main
from compliance.evaluate import eval_budget
from compliance.loading import InputError
from compliance.pipeline import audit
from compliance.result import Offender

from .conftest import write

HEAD = ("catalog: {id: t, instrument: {ko: 시험, en: Test}, cite_as: {ko: 시험, en: Test}, version: '2020-01-01', "
        "effective: 2020-01-01, supersedes: []}\ncontrols:\n")
CONTROL = """\
  - id: t/duty
    ref: {article: 5, paragraph: 2}
    title: {ko: 의무, en: Duty}
    wording: [{kind: summary, basis: {ko: 시험, en: test}, ko: 본문, en: gloss}]
    severity: high
    checks:
CHECKS
    evidence: []
    remediation: {ko: 조치, en: act}
"""


def _catalog(tmp_path, checks: str):
    text = HEAD + CONTROL.replace("CHECKS\n", textwrap.indent(textwrap.dedent(checks), " " * 6))
    return write(tmp_path / "controls", "c.yaml", text)


def _facts(tmp_path, body: str):
    head = "as_of: 2025-11-30\norganization: {name: T, subjects: 10}\n"
    return write(tmp_path, "facts.yaml", head + textwrap.dedent(body))


def _check(tmp_path, checks: str, facts: str):
    cat = _catalog(tmp_path, checks)
    (control,) = [c for c in audit(_facts(tmp_path, facts), cat.parent).controls if c.id == "t/duty"]
    return control


SYSTEMS = """\
systems:
  - {id: s1, access_log: {retention_days: 400, tamper_protected: true}}
  - {id: s2, access_log: {retention_days: 30, tamper_protected: false}}
  - {id: s3, access_log: {retention_days: 400}}
"""


def test_offenders_carry_their_label_and_the_values_read_and_missing_facts_their_items(tmp_path):
    control = _check(tmp_path, """\
        - id: named-and-kept
          description: {ko: 이름, en: named}
          failure: {ko: 이름 없음, en: unnamed or records kept too briefly}
          for_each: "systems"
          label: "'system ' + item.id"
          expect: "has(item.name) && item.access_log.retention_days >= 365"
        """, """\
        systems:
          - {id: s1, name: A, access_log: {retention_days: 400}}
          - {id: s2, access_log: {retention_days: 400}}
          - {id: s3, name: C}
        """)
    (check,) = control.checks
    assert [(o.id, o.label, o.values) for o in check.offenders] == [
        ("s2", "system s2", {"name": "(absent)", "access_log": {"retention_days": 400}})]
    assert [(m.path, m.items) for m in check.missing] == [("systems[].access_log", ["s3"])]
    assert (control.verdict, check.in_scope, check.total) == ("non-compliant", 3, 3)
    # the report says what a failure means per offender; SARIF finds the offenders' lines through for_each
    assert (check.failure.en, check.for_each, check.where) == ("unnamed or records kept too briefly", "systems", None)


def test_items_without_an_id_are_named_by_their_place_in_the_list(tmp_path):
    control = _check(tmp_path, """\
        - id: logs-protected
          description: {ko: 보호, en: protected}
          for_each: "systems.map(s, s.access_log)"
          expect: "item.tamper_protected == true"
        """, SYSTEMS)
    (check,) = control.checks
    assert control.verdict == "non-compliant"
    assert [(o.id, o.label, o.values) for o in check.offenders] == [("#2", "#2", {"tamper_protected": False})]
    # a mapped list has no fact path: the missing fact is named as the check reads it
    assert [(m.path, m.items) for m in check.missing] == [("item.tamper_protected", ["#3"])]


def test_items_that_are_not_objects_are_named_by_their_place_in_the_list(tmp_path):
    control = _check(tmp_path, """\
        - id: no-short-retention
          description: {ko: 보관, en: retention}
          for_each: "systems.map(s, s.access_log.retention_days)"
          expect: "item >= 365"
        """, SYSTEMS)
    (check,) = control.checks
    assert [(o.id, o.values) for o in check.offenders] == [("#2", {})]
    assert (check.in_scope, check.total, check.status) == (3, 3, "fail")


def test_offenders_behave_like_the_result_model(tmp_path):
    control = _check(tmp_path, """\
        - id: logs-protected
          description: {ko: 보호, en: protected}
          for_each: "systems"
          expect: "item.access_log.tamper_protected == true"
        """, SYSTEMS.replace("retention_days: 400}", "retention_days: 400, tamper_protected: true}"))
    (offender,) = control.checks[0].offenders
    built = Offender(id="s2", label="s2", values={"access_log": {"retention_days": 30, "tamper_protected": False}})
    assert offender == built
    # built without validation for speed, but as pydantic builds it: every field counts as set
    assert offender.model_fields_set == built.model_fields_set == {"id", "label", "values"}
    assert offender.model_dump(exclude_unset=True) == built.model_dump()
    assert copy.deepcopy(offender) == built
    assert pickle.loads(pickle.dumps(offender)) == built


def test_a_plain_check_shows_the_values_it_read(tmp_path):
    control = _check(tmp_path, """\
        - id: big-enough
          description: {ko: 규모, en: size}
          expect: "organization.subjects >= 1000 && systems.all(s, s.id != '')"
        """, SYSTEMS)
    (check,) = control.checks
    assert (check.status, check.in_scope, check.total, check.offenders) == ("fail", None, None, [])
    assert check.observed == {"organization.subjects": 10}  # the list and its items' facts are not one value


def test_a_check_that_cannot_be_evaluated_is_reported_at_the_line_of_its_id(tmp_path):
    checks = """\
        - description: {ko: 나눗셈, en: division}
          id: divides
          for_each: "systems"
          expect: "item.access_log.retention_days / (size(systems) - 3) > 1"
        """
    with pytest.raises(InputError) as exc:
        _check(tmp_path, checks, SYSTEMS)
    (problem,) = exc.value.problems
    text = (tmp_path / "controls" / "c.yaml").read_text(encoding="utf-8")
    assert problem.line == text.splitlines().index("        id: divides") + 1
    assert str(problem).startswith(f"{tmp_path / 'controls' / 'c.yaml'}:{problem.line}: check 'divides' of t/duty "
                                   "failed to evaluate: ")
    assert "division by zero" in problem.message


@pytest.mark.parametrize("raw", ["0", "-5", "1e6", str(10**15)])
def test_a_budget_outside_1_to_10_to_the_15_is_refused_in_one_line_exit_2(tmp_path, monkeypatch, capsys, raw):
    cat = _catalog(tmp_path, """\
        - id: big-enough
          description: {ko: 규모, en: size}
          expect: "organization.subjects >= 1"
        """)
    monkeypatch.setenv("PIPA_AUDIT_EVAL_BUDGET", raw)
    assert main(["check", str(_facts(tmp_path, "")), "--catalog", str(cat.parent)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"PIPA_AUDIT_EVAL_BUDGET: must be a whole number of steps, got {raw!r}"]


@pytest.mark.parametrize("raw", ["1", str(10**15 - 1)])
def test_a_budget_from_1_to_just_under_10_to_the_15_is_taken(monkeypatch, raw):
    monkeypatch.setenv("PIPA_AUDIT_EVAL_BUDGET", raw)
    assert eval_budget() == int(raw)


DUTY = """\
    - id: big-enough
      description: {ko: 규모, en: size}
      expect: "organization.subjects >= 1"
    """


def test_incident_events_are_in_hours_from_awareness_and_an_unknown_awareness_is_shown_as_unknown(tmp_path):
    cat = _catalog(tmp_path, DUTY)
    facts = _facts(tmp_path, """\
        incidents:
          - {id: inc-1, aware_at: 2025-11-18T09:00:00+09:00, reported_to_pipc_at: 2025-11-21T18:30:00+09:00}
          - {id: inc-2, contained_at: 2025-11-19T02:00:00+09:00}
        """)
    first, second = audit(facts, cat.parent).timelines
    # reported 3 days and 9.5 hours after awareness
    assert [(e.key, e.hours) for e in first.events] == [("aware_at", 0.0), ("reported_to_pipc_at", 81.5)]
    assert (second.id, second.aware_at, [(e.key, e.hours) for e in second.events]) == (
        "inc-2", None, [("contained_at", 0.0)])


def test_a_second_waiver_for_a_control_is_refused_at_its_line(tmp_path):
    cat = _catalog(tmp_path, DUTY)
    entry = ("  - {control: t/duty, owner: CISO, justification: 'accepted until the fix ships', approved_by: CPO, "
             "expires: 2026-01-01}\n")
    waivers = write(tmp_path, "w.yaml", "waivers:\n" + entry + entry)
    with pytest.raises(InputError) as exc:
        audit(_facts(tmp_path, ""), cat.parent, waivers)
    assert [str(p) for p in exc.value.problems] == [f"{waivers}:3: waivers[1].control: second waiver for 't/duty'"]


def test_a_label_that_reads_a_fact_the_offender_lacks_names_it_by_id(tmp_path):
    # a label is presentation: it must not turn a finding into missing evidence (it did: every offender was dropped)
    control = _check(tmp_path, """\
        - id: kept
          description: {ko: 보관, en: kept}
          for_each: "systems"
          label: "item.name"
          expect: "item.access_log.retention_days >= 365"
        """, """\
        systems:
          - {id: s1, access_log: {retention_days: 30}}
          - {id: s2, name: Shop, access_log: {retention_days: 30}}
        """)
    (check,) = control.checks
    assert control.verdict == "non-compliant" and not check.missing
    assert [(o.id, o.label) for o in check.offenders] == [("s1", "s1"), ("s2", "Shop")]


@pytest.mark.parametrize(("date", "counts"), [("2024-11-30", False), ("2024-12-01", True)],
                         ids=["exactly 365 days before: too old", "364 days before: within"])
def test_an_attestation_counts_only_within_its_window_and_shows_who_confirmed(tmp_path, date, counts):
    import shutil

    from .conftest import CATALOGS, CLEAN

    shutil.copytree(CLEAN / "evidence", tmp_path / "evidence")
    text = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    row = "{control: notice/5.1, attester: \"Lee CPO\", role: CPO, date: 2025-10-20,"
    assert row in text and "as_of: 2025-11-30" in text, "the clean example changed"
    facts = write(tmp_path, "facts.yaml", text.replace(row, row.replace("2025-10-20", date)))
    (c51,) = [c for c in audit(facts, CATALOGS).controls if c.id == "notice/5.1"]
    (att,) = [ch for ch in c51.checks if ch.id == "attestation"]
    assert att.status == ("pass" if counts else "insufficient"), att
    assert (att.observed["attester"], att.observed["role"], att.observed["date"]) == ("Lee CPO", "CPO", date)
