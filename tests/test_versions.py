"""The law in force on any date: which wording and which checks of each provision apply, the former notices
before 2023-09-22, each incident under the law of its own date, and what changed between two dates."""

import datetime as dt

import pytest

from compliance.catalog import load_catalogs
from compliance.examples import write_example
from compliance.pipeline import audit
from compliance.versions import diff

from .conftest import CATALOGS, SEED, cli

CATS = {c.meta.id: c for c in load_catalogs(CATALOGS)}


def control(cid):
    return next(ctl for cat in CATS.values() for ctl in cat.controls if ctl.control.id == cid)


# (date, control, citation of the wording in force or None, checks in force)
TABLE = [
    ("2023-09-21", "notice/6-2.1", None, None),  # before Notice 2023-6: the former notices govern
    ("2023-09-22", "notice/6-2.1", "Art 6(6)", {"internet-cut-off"}),
    ("2024-09-15", "notice/8.2", "Art 8(2)", {"monthly-review", "download-reasons-confirmed"}),
    ("2025-10-30", "notice/6-2.1", "Art 6(6)", {"internet-cut-off"}),
    ("2025-10-31", "notice/6-2.1", "Art 6-2(1)", {"cut-off-or-risk-exception"}),
    ("2025-10-31", "notice/8.2", "Art 8(2)", {"monthly-review", "download-reasons-confirmed"}),
    ("2026-09-11", "pipa/34.2", "Art 34(2)", {"possible-leak-notified-72h"}),
    ("2026-09-10", "pipa/34.2", None, None),
    ("2026-09-10", "pipa/34.4", "Art 34(3)", {"reported-72h"}),
    ("2026-09-11", "pipa/34.4", "Art 34(4)", {"reported-72h"}),
    ("2026-09-11", "pipa/34.1", "Art 34(1)", {"subjects-notified-72h", "notice-contents-seven"}),
    ("2026-10-30", "notice/8.2", "Art 8(2)", {"monthly-review", "download-reasons-confirmed"}),
    ("2026-10-31", "notice/8.2", "Art 8(2)", {"review-rule-in-plan", "review-cycle-kept", "download-reasons-confirmed"}),
    ("2026-10-31", "notice/15", "Art 15", set()),
    ("2026-12-31", "notice/18.1", None, None),
    ("2027-01-01", "notice/18.1", "Art 18(1)", {"vulnerability-checked-on-yearly"}),
]


@pytest.mark.parametrize("day, cid, cite, checks", TABLE)
def test_wording_and_checks_in_force_on_each_date(day, cid, cite, checks):
    ctl = control(cid)
    when = dt.date.fromisoformat(day)
    w = ctl.wording_at(when)
    assert (w.ref.cite("en") if w else None) == cite
    if w is not None:
        assert {cc.check.id for cc in ctl.checks_at(when)} == checks


def test_text_status_is_derived_from_the_comparison_and_the_date():
    w = control("notice/5.2").wording_at(dt.date(2026, 11, 25))
    assert w.text_status(dt.date(2026, 11, 25)) == "verified"  # the official text in force that day
    assert w.text_status(dt.date(2024, 1, 1)) == "inferred"  # same words, a later official copy
    assert control("notice/8.2").wording_at(dt.date(2025, 1, 1)).text_status(dt.date(2025, 1, 1)) == "secondary"


def test_as_of_before_2023_uses_the_former_notices(tmp_path):
    facts = write_example({"as_of": "2023-06-01", "organization": {"ict_service_provider": True}}, tmp_path)
    result = audit(facts, CATALOGS)
    assert {c.id for c in result.catalogs} == {"pipc-notice-2021-2", "pipc-notice-2021-3", "pipa"}
    assert not any(c.id.startswith("notice/") for c in result.controls)
    later = {c.id for c in audit(facts, CATALOGS, as_of=dt.date(2025, 11, 30)).catalogs}
    assert "pipc-notice" in later and "pipc-notice-2021-2" not in later


def test_deferral_of_the_2023_6_addendum_for_former_ict_processors(tmp_path):
    facts = write_example({"as_of": "2024-03-01", "organization": {"ict_service_provider": True}}, tmp_path)
    by_id = {c.id: c for c in audit(facts, CATALOGS).controls}
    assert by_id["notice/8.2"].verdict == "not-applicable" and "2024-09-15" in by_id["notice/8.2"].not_applicable.en
    after = {c.id: c for c in audit(facts, CATALOGS, as_of=dt.date(2024, 9, 15)).controls}
    assert after["notice/8.2"].verdict != "not-applicable"


def test_incidents_under_three_laws_in_one_audit(tmp_path):
    notice = ["items", "when-how", "self-help", "response", "contact"]
    facts = write_example(
        {
            "as_of": "2026-11-25",
            "organization": {"ict_service_provider": True},
            "incidents": [
                # 2023: ICT providers had 24 hours (Art 39-4) — 48 hours is late
                {"id": "old", "aware_at": "2023-08-01T09:00:00+09:00", "subjects_affected": 50, "sensitive_or_unique": False,
                 "unlawful_external_access": False, "subjects_notified_at": "2023-08-03T09:00:00+09:00",
                 "reported_to_pipc_at": "2023-08-03T09:00:00+09:00", "notice_contents": list(notice)},
                # 2025: 72 hours, five items — on time and complete
                {"id": "mid", "aware_at": "2025-08-01T09:00:00+09:00", "subjects_affected": 50, "sensitive_or_unique": False,
                 "unlawful_external_access": False, "subjects_notified_at": "2025-08-03T09:00:00+09:00",
                 "reported_to_pipc_at": "2025-08-03T09:00:00+09:00", "notice_contents": list(notice)},
                # 2026, after Act 21445: the same five items are now incomplete, and a possible leak had 72 hours
                {"id": "new", "aware_at": "2026-10-05T09:00:00+09:00", "possible_leak_aware_at": "2026-10-01T09:00:00+09:00",
                 "subjects_affected": 50, "sensitive_or_unique": False, "unlawful_external_access": False,
                 "subjects_notified_at": "2026-10-06T09:00:00+09:00", "reported_to_pipc_at": "2026-10-06T09:00:00+09:00",
                 "notice_contents": list(notice)},
            ],
        },
        tmp_path,
    )
    result = audit(facts, CATALOGS)
    by_id = {c.id: c for c in result.controls}
    old = by_id["pipa/39-4.1"]
    assert old.verdict == "non-compliant" and {o.id for ch in old.checks for o in ch.offenders} == {"old"}
    notify = by_id["pipa/34.1"]
    # the 2020 wording judged "old" (and found Art 39-4 governs ICT providers), 2023 "mid", 2026 "new"
    assert [(law.start.isoformat(), law.incidents) for law in notify.law] == [
        ("2020-08-05", ["old"]), ("2023-09-15", ["mid"]), ("2026-09-11", ["new"])]
    # each wording is read (and its text status judged) on one day inside its own window, never after the as-of date
    assert [law.judged_on.isoformat() for law in notify.law] == ["2023-09-14", "2026-09-10", "2026-11-25"]
    assert [law.text_status for law in notify.law] == ["verified"] * 3
    failing = {(ch.id, o.id) for ch in notify.checks for o in ch.offenders}
    assert failing == {("notice-contents-seven", "new")}
    assert {o.id for ch in by_id["pipa/34.2"].checks for o in ch.offenders} == {"new"}  # 5 days after the possibility
    clocks = {(t.id, d.id): d.status for t in result.timelines for d in t.deadlines}
    assert clocks[("old", "notify-24h")] == "missed" and clocks[("mid", "notify-subjects")] == "met"
    assert clocks[("new", "notify-possible-leak")] == "missed" and ("mid", "notify-possible-leak") not in clocks


def test_the_seed_is_judged_under_notice_2025_9():
    result = audit(SEED / "facts.yaml", CATALOGS)
    assert sorted(c.id for c in result.catalogs) == ["pipa", "pipc-notice"]
    cut_off = next(c for c in result.controls if c.id == "notice/6-2.1")
    assert cut_off.cite.en == "PIPC Safety Notice Art 6-2(1)" and cut_off.checks[0].id == "cut-off-or-risk-exception"
    assert any("2025-10-31" in line and "notice/6-2.1" in line for line in result.law_changes)


def test_catalog_diff_lists_what_changed(tmp_path):
    changes = diff(list(CATS.values()), dt.date(2026, 9, 10), dt.date(2026, 11, 25))
    kinds = {(c.control, c.kind) for c in changes}
    assert ("pipa/34.2", "added") in kinds and ("pipa/34.4", "renumbered") in kinds
    assert ("notice/8.2", "re-checked") in kinds and ("notice/8.2", "reworded") in kinds
    assert not any(c.control == "notice/5.2" for c in changes)
    proc = cli("catalog", "diff", "--from", "2026-09-10", "--to", "2026-11-25", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert '"pipa/34.2"' in proc.stdout


def test_a_quote_that_differs_from_the_official_text_fails_lint(tmp_path):
    import shutil

    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipc-notice.yaml"
    text = cat.read_text()
    assert text.count("지체 없이 개인정보처리시스템의 접근 권한을") == 1
    cat.write_text(text.replace("지체 없이 개인정보처리시스템의 접근 권한을", "지체없이 개인정보처리시스템의 접근권한을"))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "differs from notice-2026-9 Art 5(2)" in line
    assert "지체없이" in cat.read_text().splitlines()[int(line.split(":")[1]) - 1]
    # middle-dot variants and line breaks are typography, not law
    cat.write_text(text.replace("반출ㆍ입", "반출·입"))
    assert cli("catalog", "lint", "--catalog", tmp_path / "controls").returncode == 0


def test_lint_checks_that_an_id_agrees_with_its_provision(tmp_path):
    import shutil

    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipc-notice.yaml"
    cat.write_text(cat.read_text().replace("  - id: notice/5.3\n", "  - id: notice/5.9\n", 1))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2 and "expected 'notice/5.3'" in proc.stderr
