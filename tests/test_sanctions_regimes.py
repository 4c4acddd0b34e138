"""The sanctions section under the regime the law applies: each rule pinned on both sides of its boundary date.

A regulator reads this page, so every boundary is tested from both sides: the Decree's revenue base (2026-05-19),
the former Arts 34-2 and 39-15 against Art 64-2 (violations ended before or from 2023-09-15, Act 19234 addendum
Art 8), the aggravated cap's dates (Act 21445 addendum Art 3), what happened to the data, and Art 76 per act."""

from compliance.examples import write_example
from compliance.pipeline import audit

from .conftest import CATALOGS, cli

TRILLION = 1_000_000_000_000
# a failing safety control (notice/*) on the as-of date, so the penalty provisions are engaged
BASE = {"as_of": "2026-11-25", "systems": [{"id": "s", "ip_restricted": False}]}


def exposures(tmp_path, name, organization, incident, **extra):
    facts = {**BASE, "organization": organization, "incidents": [{"id": "i", **incident}], **extra}
    return {s.id: s for s in audit(write_example(facts, tmp_path / name), CATALOGS).sanctions}


def leak(ended: str, **kw) -> dict:
    return {"began_on": "2022-01-10", "aware_at": "2026-10-01T09:00:00+09:00", "violation_ended_on": ended,
            "kind": ["leak"], "subjects_affected": 5000, **kw}


def test_revenue_base_is_the_greater_of_last_year_and_the_average_from_decree_36340(tmp_path):
    org = {"revenue_krw": 2 * TRILLION, "revenue_3y_avg_krw": 1 * TRILLION}
    before = exposures(tmp_path, "a", org, leak("2026-05-18"))["pipa/64-2.1.9-2023"]
    after = exposures(tmp_path, "b", org, leak("2026-05-19"))["pipa/64-2.1.9-2023"]
    assert (before.max_krw, before.basis) == (30_000_000_000, "revenue-3y-average")  # the 3-year average alone
    assert (after.max_krw, after.basis) == (60_000_000_000, "greater-of-revenue")  # last year's, the greater
    assert not before.lower_bound and not after.lower_bound


def test_a_missing_figure_under_the_greater_of_rule_gives_a_lower_bound_said_so(tmp_path):
    s = exposures(tmp_path, "a", {"revenue_3y_avg_krw": TRILLION}, leak("2026-06-01"))["pipa/64-2.1.9-2023"]
    assert s.max_krw == 30_000_000_000 and s.lower_bound
    assert any("revenue_krw" in n.en and "lower bound" in n.en for n in s.notes)
    # before the amendment the 3-year average is the whole rule: no lower bound
    s = exposures(tmp_path, "b", {"revenue_3y_avg_krw": TRILLION}, leak("2026-05-01"))["pipa/64-2.1.9-2023"]
    assert s.max_krw == 30_000_000_000 and not s.lower_bound and not s.notes


def test_a_violation_ended_before_2023_09_15_keeps_the_former_ict_provider_rule_though_learned_of_later(tmp_path):
    org = {"ict_service_provider": True, "revenue_krw": 10 * TRILLION, "related_revenue_krw": TRILLION}
    old = exposures(tmp_path, "a", org, leak("2023-09-14"))
    new = exposures(tmp_path, "b", org, leak("2023-09-15"))
    assert "pipa-2020/39-15.1.5" in old and "pipa/64-2.1.9-2023" not in old
    assert "pipa/64-2.1.9-2023" in new and "pipa-2020/39-15.1.5" not in new
    assert (old["pipa-2020/39-15.1.5"].max_krw, old["pipa-2020/39-15.1.5"].basis) == (30_000_000_000, "related-revenue")
    # the former rule is a share of *related* revenue: total revenue is no substitute
    no_related = exposures(tmp_path, "c", {"ict_service_provider": True, "revenue_krw": 10 * TRILLION}, leak("2023-09-14"))
    s = no_related["pipa-2020/39-15.1.5"]
    assert s.max_krw is None and s.basis == "unknown" and any("related_revenue_krw" in n.en for n in s.notes)
    # a processor that was not an ICT provider had no revenue-based 과징금 then
    assert not any(x.kind == "administrative-fine" for x in exposures(tmp_path, "d", {"ict_service_provider": False, "revenue_krw": TRILLION}, leak("2023-09-14")).values())


def test_resident_registration_numbers_lost_before_2023_09_15_engage_the_former_fixed_cap(tmp_path):
    org = {"ict_service_provider": False, "revenue_krw": TRILLION}
    with_rrn = exposures(tmp_path, "a", org, leak("2023-06-30", rrn_involved=True))
    assert with_rrn["pipa-2020/34-2.1"].max_krw == 500_000_000 and with_rrn["pipa-2020/34-2.1"].basis == "fixed"
    assert "pipa-2020/34-2.1" not in exposures(tmp_path, "b", org, leak("2023-06-30", rrn_involved=False))
    assert "pipa-2020/34-2.1" not in exposures(tmp_path, "c", org, leak("2023-09-15", rrn_involved=True))


def test_a_regime_chosen_without_the_end_of_the_violation_shows_both_and_says_why(tmp_path):
    incident = {"began_on": "2023-06-01", "aware_at": "2024-01-10T09:00:00+09:00", "contained_at": "unknown",
                "kind": ["leak"], "subjects_affected": 5000}
    got = exposures(tmp_path, "a", {"ict_service_provider": True, "revenue_krw": TRILLION, "related_revenue_krw": TRILLION}, incident)
    assert {"pipa-2020/39-15.1.5", "pipa/64-2.1.9-2023"} <= set(got)
    assert all(any("violation_ended_on" in n.en for n in got[k].notes) for k in ("pipa-2020/39-15.1.5", "pipa/64-2.1.9-2023"))
    # a leak that began after the boundary cannot have ended before it
    later = exposures(tmp_path, "b", {"ict_service_provider": True, "revenue_krw": TRILLION}, {**incident, "began_on": "2023-10-01"})
    assert "pipa-2020/39-15.1.5" not in later and "pipa/64-2.1.9-2023" in later


def test_aggravation_counts_only_orders_and_fines_of_act_21445s_time(tmp_path):
    org = {"revenue_krw": TRILLION}
    ordered = {"began_on": "2026-10-01", "aware_at": "2026-10-20T09:00:00+09:00", "violation_ended_on": "2026-10-20",
               "kind": ["leak"], "subjects_affected": 5000, "aggravating_grounds": ["corrective-order-ignored"]}
    assert "pipa/64-2.2" not in exposures(tmp_path, "a", org, {**ordered, "corrective_order_on": "2026-09-10"})
    got = exposures(tmp_path, "b", org, {**ordered, "corrective_order_on": "2026-09-11"})
    assert got["pipa/64-2.2"].max_krw == 100_000_000_000
    assert "pipa/64-2.2" not in exposures(tmp_path, "c", org, ordered)  # the order's date not stated: not established
    repeat = {**ordered, "aggravating_grounds": ["repeat-within-3-years"]}
    prior = {"decided_on": "2026-09-30", "intent_or_gross_negligence": True}
    assert "pipa/64-2.2" not in exposures(tmp_path, "d", org, {**repeat, "prior_fine": {**prior, "violation_on": "2026-09-10"}})
    assert "pipa/64-2.2" in exposures(tmp_path, "e", org, {**repeat, "prior_fine": {**prior, "violation_on": "2026-09-11"}})


def test_what_happened_to_the_data_decides_whether_a_penalty_surcharge_engages(tmp_path):
    org = {"revenue_krw": TRILLION}
    base = {"began_on": "2026-10-01", "aware_at": "2026-10-02T09:00:00+09:00", "violation_ended_on": "2026-10-02"}
    intrusion = exposures(tmp_path, "a", org, {**base, "kind": ["none"]})
    assert not [s for s in intrusion.values() if s.kind == "administrative-fine"]
    assert intrusion["pipa/75.2.5"].excluded is None  # the safety failure still carries its 과태료
    damaged = exposures(tmp_path, "b", org, {**base, "kind": ["damage"], "restored_without_harm": True})
    assert "pipa/64-2.1.9" in damaged and any("restored" in n.en for n in damaged["pipa/64-2.1.9"].notes)
    unstated = exposures(tmp_path, "c", org, base)["pipa/64-2.1.9"]
    assert any("kind" in n.en for n in unstated.notes)


def test_art_76_bars_a_fine_per_act_and_only_where_the_surcharge_of_its_time_bars_it(tmp_path):
    extra = {"systems": [{"id": "s", "ip_restricted": False, "environment": "test", "holds_production_copy": True}]}
    org = {"revenue_krw": TRILLION}
    got = exposures(tmp_path, "a", org, leak("2026-10-02"), **extra)
    assert got["pipa/75.2.5"].excluded is not None and got["pipa/75.2.5"].excluded_acts
    assert "pipa/21.1" in got["pipa/75.2.4"].triggered_by and got["pipa/75.2.4"].excluded is None  # a different act
    # the former Art 76 named only Art 34-2: a 39-15 surcharge left the former 75(2)6 fine standing
    old = exposures(tmp_path, "b", {"ict_service_provider": True, "related_revenue_krw": TRILLION}, leak("2023-09-14"))
    assert "pipa-2020/39-15.1.5" in old
    assert all(s.excluded is None for s in old.values() if s.kind == "fine")


def test_the_report_says_why_a_cap_is_a_lower_bound_or_a_regime_is_open_and_names_the_barred_acts(tmp_path):
    facts = {**BASE, "organization": {"revenue_3y_avg_krw": TRILLION},
             "incidents": [{"id": "i", "began_on": "2023-06-01", "aware_at": "2024-01-10T09:00:00+09:00",
                            "contained_at": "unknown", "kind": ["leak"], "subjects_affected": 5000}]}
    path = write_example(facts, tmp_path / "a")
    proc = cli("report", path, "-o", tmp_path / "r.md", "--audience", "internal", "--lang", "ko")
    assert proc.returncode == 0, proc.stderr
    section = (tmp_path / "r.md").read_text(encoding="utf-8").split("## 관련 제재 규정과 법정 상한")[1].split("\n## ")[0]
    assert "2023. 9. 15.~2026. 9. 10.에 끝난 위반행위에 적용" in section  # the open regime, with its window
    assert "최솟값" in section  # the greater-of rule with one figure missing
    assert "제76조로 과태료가 없는 행위: notice/6.1" in section
