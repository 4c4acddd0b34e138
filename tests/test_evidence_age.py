"""Issue 23: evidence ages. An attachment's date is judged, not only shown.

A kind the catalog names in ``freshness:`` has its own rule (the annual inspection report: within 365 days before the
as-of date; the internal plan: a standing document, any date up to the as-of date); any other kind must be dated
within the audit period (``period_start`` .. ``as_of``). An intact attachment dated before its rule allows is
**stale**; a recurring duty's document with no ``dated`` is **undated** (it cannot show it is recent enough). Either
way the control is judged as for missing evidence (insufficient-evidence) unless its checks already fail, and every
output says so, with the age and the rule; ``check --todo`` lists the document to renew."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

from compliance.examples import write_example
from compliance.pipeline import audit

from .conftest import CATALOGS, cli

AS_OF = dt.date(2025, 11, 30)  # the examples' as-of date (compliance.examples.BASE)
LARGE = {"kind": "private", "size": "large", "subjects": 50000}  # must keep an internal plan (Art 4(1) applies)


def days_before(n: int) -> str:
    return (AS_OF - dt.timedelta(days=n)).isoformat()


def inspection(dated: str | None, tmp_path, **extra):
    """Facts for notice/4.4 whose check passes (inspected 30 days before the as-of date): only the report's age is
    judged. Returns the facts file."""
    att = {"id": "insp", "kind": "internal-plan-inspection-report", "path": "evidence/inspection.pdf"}
    if dated is not None:
        att["dated"] = dated
    fragment = {"organization": LARGE, "internal_plan": {"last_inspected_on": days_before(30)}, "attachments": [att], **extra}
    return write_example(fragment, tmp_path / "facts")


def control(facts, cid: str):
    return next(c for c in audit(facts, CATALOGS).controls if c.id == cid)


# ------------------------------------------------------------------------------------------------ the judgement


def test_an_annual_inspection_report_400_days_old_is_stale_and_the_control_insufficient(tmp_path):
    c = control(inspection(days_before(400), tmp_path), "notice/4.4")
    assert [ch.status for ch in c.checks] == ["pass"]  # the facts say it was inspected: only the document is old
    (e,) = c.evidence
    assert (e.kind, e.status, e.age_days, e.dated) == ("internal-plan-inspection-report", "stale", 400, dt.date(2024, 10, 26))
    assert e.attachments == ["insp"]  # found intact all the same
    assert e.rule.en == "within 365 days before the as-of date" and e.rule.ko == "기준일 전 365일 이내"
    assert "Art 4(4)" in e.basis.en and "연 1회" in e.basis.ko  # where the cycle comes from: the catalog's rule
    assert c.verdict == "insufficient-evidence"


def test_an_inspection_report_200_days_old_is_fresh(tmp_path):
    c = control(inspection(days_before(200), tmp_path), "notice/4.4")
    (e,) = c.evidence
    assert (e.status, e.age_days) == ("ok", 200)
    assert c.verdict == "compliant"


def test_the_cycle_is_kept_to_the_day(tmp_path):
    """Within 365 days: 364 days old is fresh, 365 days old is not (as the attestation rule and the check read it)."""
    assert control(inspection(days_before(364), tmp_path / "a"), "notice/4.4").evidence[0].status == "ok"
    assert control(inspection(days_before(365), tmp_path / "b"), "notice/4.4").evidence[0].status == "stale"


def test_a_failing_check_still_decides_the_verdict(tmp_path):
    facts = inspection(days_before(400), tmp_path, internal_plan={"last_inspected_on": days_before(400)})
    c = control(facts, "notice/4.4")
    assert c.verdict == "non-compliant" and c.evidence[0].status == "stale"


def test_an_undated_report_for_a_recurring_duty_is_not_fresh(tmp_path):
    """No silent pass: without its date a yearly inspection report cannot show the inspection is within the year."""
    c = control(inspection(None, tmp_path), "notice/4.4")
    (e,) = c.evidence
    assert (e.status, e.dated, e.age_days) == ("undated", None, None)
    assert e.rule.en == "within 365 days before the as-of date"
    assert c.verdict == "insufficient-evidence"


def test_the_newest_of_several_counts(tmp_path):
    old = {"id": "old", "kind": "internal-plan-inspection-report", "path": "evidence/old.pdf", "dated": days_before(700)}
    new = {"id": "new", "kind": "internal-plan-inspection-report", "path": "evidence/new.pdf", "dated": days_before(100)}
    facts = write_example({"organization": LARGE, "internal_plan": {"last_inspected_on": days_before(30)},
                           "attachments": [old, new]}, tmp_path / "facts")
    (e,) = control(facts, "notice/4.4").evidence
    assert (e.status, e.age_days, e.attachments) == ("ok", 100, ["old", "new"])


REGISTER_FACTS = {  # notice/5.2 passes: the one leaver's access and key were revoked the day they left
    "period_start": "2024-12-01",
    "handlers": [{"id": "h1", "left_on": "2025-01-10", "access_revoked_on": "2025-01-10"}],
    "credentials": [{"id": "k1", "owner": "h1", "revoked_on": "2025-01-10", "last_used_at": "2025-01-09T18:00:00+09:00"}],
}


def register(dated: str | None, tmp_path, **extra):
    att = {"id": "reg", "kind": "access-rights-register", "path": "evidence/register.csv"}
    if dated is not None:
        att["dated"] = dated
    return write_example({**REGISTER_FACTS, "attachments": [att], **extra}, tmp_path / "facts")


def test_a_kind_without_a_rule_must_be_dated_within_the_audit_period(tmp_path):
    c = control(register("2024-06-30", tmp_path), "notice/5.2")
    assert all(ch.status == "pass" for ch in c.checks)
    (e,) = c.evidence
    assert (e.status, e.age_days) == ("stale", (AS_OF - dt.date(2024, 6, 30)).days)
    assert e.rule.en == "dated within the audit period (from 2024-12-01)" and e.rule.ko == "점검 기간 내 작성(2024-12-01 이후)"
    assert e.basis is None
    assert c.verdict == "insufficient-evidence"
    inside = control(register("2024-12-01", tmp_path / "inside"), "notice/5.2")
    assert inside.evidence[0].status == "ok" and inside.verdict == "compliant"


def test_under_the_audit_period_rule_an_undated_attachment_is_taken_as_of_the_as_of_date(tmp_path):
    (e,) = control(register(None, tmp_path), "notice/5.2").evidence
    assert (e.status, e.dated) == ("ok", None)


def test_without_a_stated_period_the_default_rule_judges_nothing(tmp_path):
    facts = write_example({**{k: v for k, v in REGISTER_FACTS.items() if k != "period_start"},
                           "attachments": [{"id": "reg", "kind": "access-rights-register", "path": "evidence/register.csv",
                                            "dated": "2020-01-01"}]}, tmp_path / "facts")
    (e,) = control(facts, "notice/5.2").evidence
    assert (e.status, e.rule, e.age_days) == ("ok", None, (AS_OF - dt.date(2020, 1, 1)).days)


def test_a_standing_plan_stays_in_force_whatever_its_date(tmp_path):
    plan = {"id": "plan", "kind": "internal-management-plan", "path": "evidence/plan.pdf", "dated": "2019-03-01"}
    facts = write_example({"period_start": "2024-12-01", "organization": LARGE,
                           "internal_plan": {"established_on": "2019-03-01", "approved_by": "CEO"}, "attachments": [plan]},
                          tmp_path / "facts")
    c = control(facts, "notice/4.1")
    (e,) = c.evidence
    assert e.status == "ok" and e.rule.en.startswith("dated on or before the as-of date")
    assert c.verdict == "compliant"


# --------------------------------------------------------------------------------------------- every output says it


@pytest.fixture(scope="module")
def stale_facts(tmp_path_factory):
    return inspection(days_before(400), tmp_path_factory.mktemp("stale"))


RULE_EN = "within 365 days before the as-of date"


def test_the_text_table_says_stale_with_the_age_and_the_rule(stale_facts):
    proc = cli("check", stale_facts, "--fail-on", "none")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if "notice/4.4" in line)
    assert row.startswith("  insufficient-evidence")
    assert (f"      - evidence 'internal-plan-inspection-report' stale: dated 2024-10-26, 400 days old (rule: {RULE_EN})"
            in proc.stdout.splitlines())


def test_the_json_result_carries_the_state_and_passes_its_schema(stale_facts, tmp_path):
    from . import consumers

    out = tmp_path / "result.json"
    assert cli("check", stale_facts, "--fail-on", "none", "-o", out).returncode == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    c = next(c for c in data["controls"] if c["id"] == "notice/4.4")
    assert c["verdict"] == "insufficient-evidence"
    assert c["evidence"] == [{
        "kind": "internal-plan-inspection-report", "attachments": ["insp"], "status": "stale", "dated": "2024-10-26",
        "age_days": 400, "rule": {"ko": "기준일 전 365일 이내", "en": RULE_EN},
        "basis": c["evidence"][0]["basis"],
    }]
    schema = json.loads(cli("schema", "result").stdout)
    assert consumers.errors(consumers.json_schema(schema), data) == []
    assert "stale" in schema["$defs"]["EvidenceResult"]["properties"]["status"]["enum"]


def test_markdown_sarif_junit_and_summary_say_it(stale_facts, tmp_path):
    outs = {ext: tmp_path / f"r.{ext}" for ext in ("md", "sarif", "xml", "summary.md")}
    proc = cli("check", stale_facts, "--fail-on", "none", "--lang", "en", *[x for p in outs.values() for x in ("-o", p)])
    assert proc.returncode == 0, proc.stderr
    md = outs["md"].read_text(encoding="utf-8")
    assert "internal-plan inspection report `internal-plan-inspection-report` (stale (to renew) · 2024-10-26)" in md
    assert f"- internal-plan inspection report: stale evidence — dated 2024-10-26, 400 days old (rule: {RULE_EN})" in md

    sarif = json.loads(outs["sarif"].read_text(encoding="utf-8"))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "notice/4.4"]
    assert result["kind"] == "review"
    text = result["message"]["text"]
    assert f"evidence stale: internal-plan-inspection-report (dated 2024-10-26, 400 days old; rule: {RULE_EN})" in text.splitlines()[0]
    assert f"evidence 'internal-plan-inspection-report' stale: dated 2024-10-26, 400 days old (rule: {RULE_EN})" in text

    case = next(c for c in ET.parse(outs["xml"]).iter("testcase") if c.get("name", "").startswith("notice/4.4 "))
    failure = case.find("failure")
    assert failure.get("type") == "insufficient-evidence" and "evidence stale" in failure.get("message")
    assert "내부 관리계획 이행 실태 점검 보고서: 기한이 지난 증적 — 2024-10-26 작성, 400일 경과(기준: 기준일 전 365일 이내)" in failure.text
    assert f"internal-plan inspection report: stale evidence — dated 2024-10-26, 400 days old (rule: {RULE_EN})" in failure.text

    summary = outs["summary.md"].read_text(encoding="utf-8")
    row = next(line for line in summary.splitlines() if "`notice/4.4`" in line)
    assert "evidence stale: internal-plan-inspection-report (dated 2024-10-26, 400 days old" in row


def test_the_html_report_marks_it(stale_facts, tmp_path):
    out = tmp_path / "r.html"
    assert cli("check", stale_facts, "--fail-on", "none", "--lang", "en", "-o", out).returncode == 0
    html = out.read_text(encoding="utf-8")
    assert '<span class="ev-stale">stale (to renew)</span> · 2024-10-26' in html
    assert f"<li>internal-plan inspection report: stale evidence — dated 2024-10-26, 400 days old (rule: {RULE_EN})</li>" in html


def test_check_todo_lists_the_report_to_renew_with_its_age(stale_facts):
    proc = cli("check", stale_facts, "--todo", "--fail-on", "none")
    assert proc.returncode == 1, proc.stderr  # something is still to be done
    assert (f"internal-plan-inspection-report · attachment to renew (dated 2024-10-26, 400 days old; rule: {RULE_EN}) · "
            "attachments[].kind · PIPC Safety Notice Art 4(4)") in proc.stdout.splitlines()
    ko = cli("check", stale_facts, "--todo", "--fail-on", "none", "--lang", "ko")
    assert ("internal-plan-inspection-report · 첨부 증적 갱신 필요(2024-10-26 작성, 400일 경과; 기준: 기준일 전 365일 이내) · "
            "attachments[].kind · 「개인정보의 안전성 확보조치 기준」 제4조제4항") in ko.stdout.splitlines()


def test_check_todo_asks_for_the_date_of_an_undated_report(tmp_path):
    proc = cli("check", inspection(None, tmp_path), "--todo", "--fail-on", "none")
    assert (f"internal-plan-inspection-report · date of the attachment (rule: {RULE_EN}) · attachments[].dated · "
            "PIPC Safety Notice Art 4(4)") in proc.stdout.splitlines()


def test_the_regulator_copy_says_it_in_korean(stale_facts, tmp_path):
    out = tmp_path / "regulator.md"
    proc = cli("report", stale_facts, "--audience", "regulator", "--lang", "ko", "-o", out)
    assert proc.returncode in (0, 1), proc.stderr
    md = out.read_text(encoding="utf-8")
    assert "내부 관리계획 이행 실태 점검 보고서 (기한 경과(갱신 필요) · 2024-10-26)" in md  # no kind id in the regulator copy
    assert "- 내부 관리계획 이행 실태 점검 보고서: 기한이 지난 증적 — 2024-10-26 작성, 400일 경과(기준: 기준일 전 365일 이내)" in md
    assert "**증적 작성일 기준:** 내부 관리계획 이행 실태 점검 보고서: 기준일 전 365일 이내 (제4조제4항:" in md
    assert "stale" not in md and "internal-plan-inspection-report" not in md


# ------------------------------------------------------------------------------------------------ the catalog rule


def _catalogs_with(tmp_path, freshness_yaml: str):
    folder = tmp_path / "controls"
    shutil.copytree(CATALOGS, folder)
    path = folder / "pipc-notice.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nfreshness:\n")
    end = text.index("\ncontrols:\n")
    path.write_text(text[:start] + "\n" + freshness_yaml + text[end:], encoding="utf-8")
    return folder, path


def test_the_shipped_rules_are_data_in_the_catalog():
    data = yaml.safe_load((CATALOGS / "pipc-notice.yaml").read_text(encoding="utf-8"))
    assert data["freshness"]["internal-plan-inspection-report"]["within"] == "365d"
    assert data["freshness"]["internal-management-plan"]["standing"] is True
    assert cli("catalog", "lint").returncode == 0


def test_lint_refuses_a_rule_for_a_kind_no_control_expects(tmp_path):
    folder, path = _catalogs_with(tmp_path, "freshness:\n  access-log-reveiw-report:\n    within: 31d\n"
                                            "    basis: {ko: 월 1회, en: monthly}\n")
    proc = cli("catalog", "lint", "--catalog", folder)
    assert proc.returncode == 2
    assert "no control of this catalog expects evidence 'access-log-reveiw-report'" in proc.stderr
    assert f"{path.name}:" in proc.stderr


@pytest.mark.parametrize("within, said", [("36h", "whole number of days"), ("0d", "whole number of days"), ("a year", "invalid duration")])
def test_a_rule_is_whole_days(tmp_path, within, said):
    folder, _path = _catalogs_with(tmp_path, f"freshness:\n  internal-plan-inspection-report:\n    within: {within}\n"
                                             "    basis: {ko: 연 1회, en: yearly}\n")
    proc = cli("catalog", "lint", "--catalog", folder)
    assert proc.returncode == 2 and said in proc.stderr


def test_a_rule_is_a_cycle_or_standing_not_both(tmp_path):
    folder, _path = _catalogs_with(tmp_path, "freshness:\n  internal-management-plan:\n    within: 365d\n    standing: true\n"
                                             "    basis: {ko: 계획, en: plan}\n")
    proc = cli("catalog", "lint", "--catalog", folder)
    assert proc.returncode == 2 and "state either 'within'" in proc.stderr


def test_the_oscal_results_say_it_in_the_finding_and_on_the_evidence(stale_facts, tmp_path):
    from . import consumers

    out = tmp_path / "r.oscal.json"
    assert cli("check", stale_facts, "--fail-on", "none", "-o", out).returncode == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    res = doc["assessment-results"]["results"][0]
    (finding,) = [f for f in res["findings"] if {"name": "control-id", "ns": f["props"][0]["ns"], "value": "notice/4.4"} in f["props"]]
    assert f"stale: dated 2024-10-26, 400 days old (rule: {RULE_EN})" in finding["target"]["status"]["remarks"]
    props = [p for o in res["observations"] for ev in o["relevant-evidence"] for p in ev.get("props", [])]
    assert {(p["name"], p["value"]) for p in props} >= {("evidence-status", "stale"), ("evidence-dated", "2024-10-26"),
                                                       ("evidence-age-days", "400")}
    assert consumers.errors(consumers.oscal_assessment_results(), doc) == []
