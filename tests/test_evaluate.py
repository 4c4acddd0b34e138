"""The evaluator: each verdict, offenders, waivers (incl. expired), as-of and catalog versions."""

import datetime as dt
import textwrap

import pytest

from compliance.loading import InputError
from compliance.pipeline import audit

from .conftest import write

CONTROL = """
  - id: t/revoke
    ref: {{article: 5, paragraph: 2}}
    title: {{ko: 말소, en: Revoke}}
    wording: [{{kind: summary, basis: {{ko: 시험, en: test}}, ko: 본문, en: gloss}}]
    severity: {severity}
    {applies}
    checks:
      - id: departed-revoked
        description: {{ko: 말소, en: revoked}}
        for_each: handlers
        where: "item.left_on != null"
        expect: "item.access_revoked_on != null && item.access_revoked_on <= item.left_on + days(1)"
    evidence: {evidence}
    remediation: {{ko: 조치, en: act}}
"""


def catalog(tmp_path, *, cid="t", effective="2020-01-01", supersedes="[]", severity="critical", applies="", evidence="[]", name="c.yaml"):
    head = f"catalog: {{id: {cid}, instrument: {{ko: 시험, en: Test}}, cite_as: {{ko: 시험, en: Test}}, version: '{effective}', effective: {effective}, supersedes: {supersedes}}}\ncontrols:"
    body = CONTROL.format(severity=severity, applies=applies, evidence=evidence)
    if cid != "t":
        body = body.replace("t/revoke", f"{cid}/revoke")
    write(tmp_path / "controls", name, head + body)
    return tmp_path / "controls"


def facts(tmp_path, handlers: str, extra: str = "", as_of="2025-11-30"):
    text = f"as_of: {as_of}\norganization: {{name: T, subjects: 10}}\nhandlers:\n{textwrap.indent(handlers, '  ')}\n{extra}"
    return write(tmp_path, "facts.yaml", text)


def verdict(result, cid="t/revoke"):
    return next(c for c in result.controls if c.id == cid)


def test_compliant(tmp_path):
    r = audit(facts(tmp_path, "- {id: a, left_on: 2025-01-01, access_revoked_on: 2025-01-02}\n- {id: b}"), catalog(tmp_path))
    c = verdict(r)
    assert c.verdict == "compliant"
    assert (c.checks[0].in_scope, c.checks[0].total) == (1, 2)


def test_non_compliant_lists_offenders_with_their_facts(tmp_path):
    r = audit(
        facts(tmp_path, "- {id: a, left_on: 2025-01-01, access_revoked_on: 2025-02-01}\n- {id: b, left_on: 2025-03-01}\n- {id: c}"),
        catalog(tmp_path),
    )
    c = verdict(r)
    assert c.verdict == "non-compliant"
    offenders = {o.id: o.values for o in c.checks[0].offenders}
    assert offenders == {
        "a": {"left_on": "2025-01-01", "access_revoked_on": "2025-02-01"},
        "b": {"left_on": "2025-03-01", "access_revoked_on": None},
    }


def test_insufficient_evidence_when_a_needed_fact_is_absent(tmp_path):
    r = audit(facts(tmp_path, "- {id: a}", as_of="2025-11-30").parent / "facts.yaml", catalog(tmp_path))
    assert verdict(r).verdict == "compliant"  # no departures: nothing to revoke
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: T}\n")  # no handlers at all
    c = verdict(audit(f, catalog(tmp_path)))
    assert c.verdict == "insufficient-evidence"
    assert [m.path for m in c.checks[0].missing] == ["handlers"]


def test_stated_null_list_is_unknown_not_empty(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: T}\nhandlers:\n")
    assert verdict(audit(f, catalog(tmp_path))).verdict == "insufficient-evidence"


def test_required_evidence_missing_is_insufficient(tmp_path):
    cat = catalog(tmp_path, evidence="[access-rights-register]")
    f = facts(tmp_path, "- {id: a}")
    c = verdict(audit(f, cat))
    assert c.verdict == "insufficient-evidence"
    assert [(e.kind, e.status) for e in c.evidence] == [("access-rights-register", "missing")]
    write(tmp_path, "ev/reg.csv", "x\n")
    f = facts(tmp_path, "- {id: a}", "attachments:\n  - {id: r, kind: access-rights-register, path: ev/reg.csv}\n")
    assert verdict(audit(f, cat)).verdict == "compliant"


def test_not_applicable_and_unknown_applicability(tmp_path):
    cat = catalog(tmp_path, applies='applies_when: "organization.subjects >= 1000"')
    assert verdict(audit(facts(tmp_path, "- {id: a}"), cat)).verdict == "not-applicable"
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: T}\nhandlers: []\n")
    c = verdict(audit(f, cat))
    assert c.verdict == "insufficient-evidence"
    assert c.checks[0].missing[0].path == "organization.subjects"


def waivers(tmp_path, expires: str, control="t/revoke"):
    return write(
        tmp_path,
        "waivers.yaml",
        f"waivers:\n  - {{control: {control}, owner: CISO, justification: 'accepted until the HR feed is live', approved_by: CPO, expires: {expires}}}\n",
    )


def test_waiver_active_then_expired(tmp_path):
    f = facts(tmp_path, "- {id: a, left_on: 2025-01-01}")
    cat = catalog(tmp_path)
    c = verdict(audit(f, cat, waivers(tmp_path, "2025-12-31")))
    assert (c.verdict, c.underlying_verdict, c.waiver.status) == ("waived", "non-compliant", "active")
    c = verdict(audit(f, cat, waivers(tmp_path, "2025-11-29")))
    assert (c.verdict, c.waiver.status) == ("non-compliant", "expired")
    # the same waiver, judged on an earlier as-of date, is still in force
    c = verdict(audit(f, cat, waivers(tmp_path, "2025-11-29"), dt.date(2025, 11, 1)))
    assert c.verdict == "waived"


def test_waiver_needs_justification_and_a_known_control(tmp_path):
    f = facts(tmp_path, "- {id: a}")
    with pytest.raises(InputError, match="no control 't/nope'"):
        audit(f, catalog(tmp_path), waivers(tmp_path, "2026-01-01", control="t/nope"))
    w = write(tmp_path, "w.yaml", "waivers:\n  - {control: t/revoke, owner: X, expires: 2026-01-01}\n")
    with pytest.raises(InputError, match=r"w.yaml:2: waivers\[0\].justification"):
        audit(f, catalog(tmp_path), w)


def test_as_of_changes_what_is_due(tmp_path):
    f = facts(tmp_path, "- {id: a, left_on: 2025-11-20}")
    cat = catalog(tmp_path)
    assert verdict(audit(f, cat)).verdict == "non-compliant"
    # judged before the departure: the handler had not left yet
    write(tmp_path / "controls", "c.yaml", (cat / "c.yaml").read_text().replace('where: "item.left_on != null"', 'where: "item.left_on != null && item.left_on <= as_of"'))
    assert verdict(audit(f, cat, as_of=dt.date(2025, 11, 1))).verdict == "compliant"


def test_catalog_version_in_force_on_the_as_of_date(tmp_path):
    catalog(tmp_path, cid="old", effective="2020-01-01", name="old.yaml")
    cat = catalog(tmp_path, cid="new", effective="2023-09-22", supersedes="[old]", name="new.yaml")
    f = facts(tmp_path, "- {id: a}")
    assert [c.id for c in audit(f, cat).catalogs] == ["new"]
    assert [c.id for c in audit(f, cat, as_of=dt.date(2023, 6, 1)).catalogs] == ["old"]
    with pytest.raises(InputError, match="--as-of 2019-01-01: no catalog is in force on that date: the earliest takes effect on 2020-01-01"):
        audit(f, cat, as_of=dt.date(2019, 1, 1))


def test_catalog_typo_fails_at_load_with_file_line(tmp_path):
    cat = catalog(tmp_path)
    text = (cat / "c.yaml").read_text().replace("item.access_revoked_on != null", "item.acces_revoked_on != null")
    write(cat, "c.yaml", text)
    with pytest.raises(InputError) as exc:
        audit(facts(tmp_path, "- {id: a}"), cat)
    (p,) = exc.value.problems
    lines = text.splitlines()
    assert "acces_revoked_on" in lines[p.line - 1]
    assert "did you mean 'access_revoked_on'" in p.message


def test_attachments_confined_and_hashed(tmp_path):
    write(tmp_path, "ev/a.txt", "hello\n")
    (tmp_path.parent / "outside.txt").write_text("secret")
    ok = facts(tmp_path, "- {id: a}", "attachments:\n  - {id: a, kind: k, path: ev/a.txt}\n")
    r = audit(ok, catalog(tmp_path))
    assert r.attachments[0].sha256 == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    assert r.attachments[0].size == 6
    for bad in ("/etc/passwd", "../outside.txt", "https://example.com/x", "ev/../../outside.txt"):
        f = facts(tmp_path, "- {id: a}", f"attachments:\n  - {{id: a, kind: k, path: '{bad}'}}\n")
        with pytest.raises(InputError) as exc:
            audit(f, catalog(tmp_path))
        assert exc.value.problems[0].line == 6
    (tmp_path / "ev" / "link").symlink_to(tmp_path.parent / "outside.txt")
    f = facts(tmp_path, "- {id: a}", "attachments:\n  - {id: a, kind: k, path: ev/link}\n")
    with pytest.raises(InputError, match="outside the evidence file's folder"):
        audit(f, catalog(tmp_path))


def test_hash_mismatch_is_an_input_error(tmp_path):  # one integrity rule for validate, check, report (issue 11)
    write(tmp_path, "ev/a.txt", "hello\n")
    f = facts(tmp_path, "- {id: a}", f"attachments:\n  - {{id: a, kind: access-rights-register, path: ev/a.txt, sha256: {'f' * 64}}}\n")
    with pytest.raises(InputError, match="does not match the file"):
        audit(f, catalog(tmp_path, evidence="[access-rights-register]"))
