"""PIPA duties beyond the breach articles (issue 20): the privacy officer's designation, duties and independence
(Art 31, Decree Art 32), trustees (Art 26, Decree Art 28), resident registration numbers displacing Art 24(3)
(Art 24-2(2)), sensitive data judged by the Art 29 measures only (Art 23(2)), and mandatory certification from
2027-07-01 (Art 32-2(1) proviso). Each test names the provision it guards; silence is never a verdict."""

from __future__ import annotations

import itertools

import pytest

from compliance import lawtext
from compliance.examples import write_example
from compliance.pipeline import audit

from . import conftest

_n = itertools.count()

ALL_2024 = ["protection-plan", "regular-survey", "complaints", "internal-control", "training-plan", "file-protection",
            "privacy-policy", "resources-and-information", "destruction"]
ALL_2026 = [*ALL_2024, "staff-and-budget", "reporting"]
ITEMS = ["purpose-limit", "safeguards", "scope", "subcontracting", "access-restriction", "supervision", "liability"]
OFFICER = {"name": "Park CPO", "designated_on": "2023-01-02", "executive": True, "owner_by_law": False,
           "decree_criteria": False, "duties_performed": ALL_2024, "disadvantaged": False, "information_access": True,
           "direct_reporting": True, "resources": True, "systems_outside_remit": []}
CLOUD = {"id": "cloud", "name": "Example Cloud", "tasks": ["hosting"], "contract_on": "2024-03-01", "contract_items": ITEMS,
         "disclosed": True, "trained_on": ["2025-04-10"], "supervised_on": ["2025-09-15"], "subprocessors": [],
         "beyond_scope_use": False}


def controls(tmp_path, fragment: dict, as_of: str = "2025-11-30") -> dict:
    facts = write_example({**fragment, "as_of": as_of}, tmp_path / f"facts-{next(_n)}")
    return {c.id: c for c in audit(facts, conftest.CATALOGS).controls}


def verdict(tmp_path, cid: str, fragment: dict, as_of: str = "2025-11-30") -> str | None:
    got = controls(tmp_path, fragment, as_of).get(cid)
    return None if got is None else got.verdict


def missing(control) -> set[str]:
    return {m.path for ch in control.checks for m in ch.missing}


def officer(**kw) -> dict:
    return {"organization": {"size": "mid", "kind": "private"}, "privacy_officer": {**OFFICER, **kw}}


# ------------------------------------------------------------------------------- Art 31: the privacy officer


def test_a_named_officer_who_carries_out_none_of_the_art_31_duties_is_not_compliant(tmp_path):
    assert verdict(tmp_path, "pipa/31.1", officer(duties_performed=[])) == "compliant"  # named and designated
    assert verdict(tmp_path, "pipa/31.4", officer(duties_performed=[])) == "non-compliant"
    assert verdict(tmp_path, "pipa/31.4", officer()) == "compliant"
    # the duty list in force is the Act's of the as-of date: from 2026-09-11 ¶4 adds staff/budget and reporting
    assert verdict(tmp_path, "pipa/31.4", officer(), "2026-11-25") == "non-compliant"
    assert verdict(tmp_path, "pipa/31.4", officer(duties_performed=ALL_2026), "2026-11-25") == "compliant"
    c = controls(tmp_path, officer(), "2026-11-25")["pipa/31.4"]
    assert c.cite.en == "PIPA Art 31(4)"
    assert controls(tmp_path, officer())["pipa/31.4"].cite.en == "PIPA Art 31(3)"


def test_duties_not_stated_are_unknown_not_compliant(tmp_path):
    fragment = officer()
    del fragment["privacy_officer"]["duties_performed"]
    c = controls(tmp_path, fragment)["pipa/31.4"]
    assert c.verdict == "insufficient-evidence" and missing(c) == {"privacy_officer.duties_performed"}


def test_a_small_business_may_leave_the_officer_undesignated_its_owner_is_the_officer(tmp_path):
    owner = {"organization": {"size": "micro"}, "privacy_officer": {"owner_by_law": True, "duties_performed": ALL_2024}}
    got = controls(tmp_path, owner)
    assert got["pipa/31.1"].verdict == "compliant"  # Art 31(1) proviso, (2); Decree Art 32(1)
    assert got["pipa/31.7"].verdict == "insufficient-evidence"  # no-disadvantage still owed; Decree Art 32(6) is not
    assert missing(got["pipa/31.7"]) == {"privacy_officer.disadvantaged"}
    # a business that is not small must designate: no name, no officer
    big = {"organization": {"size": "mid"}, "privacy_officer": {"owner_by_law": True, "name": ""}}
    assert verdict(tmp_path, "pipa/31.1", big) == "non-compliant"


def test_the_officer_is_of_the_rank_and_qualification_the_decree_sets(tmp_path):
    assert verdict(tmp_path, "pipa/31.1", officer(executive=False)) == "non-compliant"  # Decree Art 32(3)
    unqualified = officer(decree_criteria=True, qualified=False, designated_on="2024-06-01")
    assert verdict(tmp_path, "pipa/31.1", unqualified) == "non-compliant"  # Decree Art 32(4), Annex 1
    # designated before 2024-03-15: counted as qualified until 2026-03-14 (Decree 34309 addendum Art 2(1))
    old = officer(decree_criteria=True, qualified=False, designated_on="2023-01-02")
    assert verdict(tmp_path, "pipa/31.1", old, "2026-03-14") == "compliant"
    assert verdict(tmp_path, "pipa/31.1", old, "2026-03-15") == "non-compliant"
    unknown = officer(designated_on="2024-06-01")
    del unknown["privacy_officer"]["decree_criteria"]
    c = controls(tmp_path, unknown)["pipa/31.1"]
    assert c.verdict == "insufficient-evidence"
    assert missing(c) <= {"privacy_officer.decree_criteria", "privacy_officer.qualified"} and missing(c)


def test_independence_and_no_disadvantage(tmp_path):
    assert verdict(tmp_path, "pipa/31.7", officer()) == "compliant"
    assert verdict(tmp_path, "pipa/31.7", officer(disadvantaged=True)) == "non-compliant"
    assert verdict(tmp_path, "pipa/31.7", officer(direct_reporting=False)) == "non-compliant"  # Decree Art 32(6) item 2
    assert verdict(tmp_path, "pipa/31.7", officer(resources=False), "2026-11-25") == "non-compliant"  # now ¶7
    assert controls(tmp_path, officer(), "2026-11-25")["pipa/31.7"].cite.en == "PIPA Art 31(7)"
    silent = officer()
    del silent["privacy_officer"]["direct_reporting"]
    assert verdict(tmp_path, "pipa/31.7", silent) == "insufficient-evidence"


def test_board_resolution_and_report_apply_from_2026_09_11_to_the_processors_the_decree_names(tmp_path):
    assert verdict(tmp_path, "pipa/31.3", officer(decree_criteria=True)) is None  # not law before 2026-09-11
    assert verdict(tmp_path, "pipa/31.3", officer(decree_criteria=False), "2026-11-25") == "not-applicable"
    new = officer(decree_criteria=True, designated_on="2026-10-01", board_resolution="not-resolved")
    assert verdict(tmp_path, "pipa/31.3", new, "2026-11-25") == "non-compliant"  # Art 31(3) item 1
    ok = officer(decree_criteria=True, designated_on="2026-10-01", board_resolution="resolved", pipc_report_filed=False)
    assert verdict(tmp_path, "pipa/31.3", ok, "2026-11-25") == "compliant"  # the 6 months have not run out
    assert verdict(tmp_path, "pipa/31.3", ok, "2027-05-01") == "non-compliant"  # Decree Art 32(4)
    extended = officer(decree_criteria=True, designated_on="2026-10-01", board_resolution="resolved",
                       pipc_report_filed=False, pipc_report_extended_until="2027-09-30")
    assert verdict(tmp_path, "pipa/31.3", extended, "2027-05-01") == "compliant"
    # an officer designated before 2026-09-11 needs no new resolution; the report is due within 6 months of that day
    earlier = officer(decree_criteria=True, designated_on="2022-01-03", pipc_report_filed=False)
    assert verdict(tmp_path, "pipa/31.3", earlier, "2026-11-25") == "compliant"
    assert verdict(tmp_path, "pipa/31.3", earlier, "2027-03-20") == "non-compliant"


# ------------------------------------------------------------------------------- Art 26: trustees


def test_a_processor_with_no_contract_items_fails_art_26_1(tmp_path):
    got = controls(tmp_path, {"processors": [{**CLOUD, "contract_items": []}]})
    assert got["pipa/26.1"].verdict == "non-compliant"
    assert [o.id for ch in got["pipa/26.1"].checks for o in ch.offenders] == ["cloud"]
    # the Decree Art 28(1) terms count too: the Act's two items alone are not enough
    assert verdict(tmp_path, "pipa/26.1", {"processors": [{**CLOUD, "contract_items": ["purpose-limit", "safeguards"]}]}) == "non-compliant"
    for cid in ("pipa/26.1", "pipa/26.2", "pipa/26.4", "pipa/26.5", "pipa/26.6"):
        assert got.get(cid) is not None and (cid == "pipa/26.1" or got[cid].verdict == "compliant"), cid


def test_no_trustee_stated_is_unknown_none_stated_is_not_applicable(tmp_path):
    absent = controls(tmp_path, {})
    none = controls(tmp_path, {"processors": []})
    for cid in ("pipa/26.1", "pipa/26.2", "pipa/26.4", "pipa/26.5", "pipa/26.6"):
        assert absent[cid].verdict == "insufficient-evidence", cid
        assert none[cid].verdict == "not-applicable", cid
    unknown_items = {k: v for k, v in CLOUD.items() if k != "contract_items"}
    assert verdict(tmp_path, "pipa/26.1", {"processors": [unknown_items]}) == "insufficient-evidence"


def test_disclosure_covers_re_entrusted_third_parties(tmp_path):
    assert verdict(tmp_path, "pipa/26.2", {"processors": [{**CLOUD, "disclosed": False}]}) == "non-compliant"
    sub = {**CLOUD, "subprocessors": ["cdn"], "subprocessors_disclosed": False, "subcontracting_consented": True}
    assert verdict(tmp_path, "pipa/26.2", {"processors": [sub]}) == "non-compliant"  # Art 26(2): '수탁자' includes them
    assert verdict(tmp_path, "pipa/26.6", {"processors": [sub]}) == "compliant"
    assert verdict(tmp_path, "pipa/26.6", {"processors": [{**sub, "subcontracting_consented": False}]}) == "non-compliant"


def test_trustees_are_trained_and_their_processing_inspected(tmp_path):
    assert verdict(tmp_path, "pipa/26.4", {"processors": [{**CLOUD, "supervised_on": []}]}) == "non-compliant"
    assert verdict(tmp_path, "pipa/26.4", {"processors": [{**CLOUD, "trained_on": []}]}, "2026-11-25") == "non-compliant"
    # an inspection after the as-of date does not count
    assert verdict(tmp_path, "pipa/26.4", {"processors": [{**CLOUD, "supervised_on": ["2026-01-10"]}]}) == "non-compliant"
    assert verdict(tmp_path, "pipa/26.5", {"processors": [{**CLOUD, "beyond_scope_use": True}]}) == "non-compliant"


# ------------------------------------------------------------------------------- Arts 23(2), 24(3), 24-2(2)


def test_an_unencrypted_rrn_is_one_finding_under_24_2_not_also_under_24_3(tmp_path):
    system = {"id": "hr", "user_data": True, "unique_identifiers": True, "rrn": True, "rrn_encrypted": False,
              "identifiers_encrypted": False, "other_identifiers": False}
    for as_of in ("2025-11-30", "2026-11-25"):
        got = controls(tmp_path, {"systems": [system]}, as_of)
        assert got["pipa/24-2.2"].verdict == "non-compliant"
        assert got["pipa/24.3"].verdict == "compliant"
    # whether the system also holds other identifiers is unknown: 24(3) cannot be judged, and it is not a finding
    unknown = {k: v for k, v in system.items() if k != "other_identifiers"}
    got = controls(tmp_path, {"systems": [unknown]})
    assert got["pipa/24-2.2"].verdict == "non-compliant"
    assert got["pipa/24.3"].verdict == "insufficient-evidence"
    # other identifiers unencrypted beside the RRNs: that part is Art 24(3)'s
    both = {**system, "other_identifiers": True, "other_identifiers_encrypted": False}
    assert verdict(tmp_path, "pipa/24.3", {"systems": [both]}) == "non-compliant"


def test_other_identifiers_may_stay_unencrypted_inside_only_by_a_risk_analysis(tmp_path):
    hr = {"id": "hr", "unique_identifiers": True, "rrn": False, "identifiers_encrypted": False, "user_data": False,
          "network_zone": "internal", "identifiers_encryption_basis": "risk-analysis"}
    assert verdict(tmp_path, "pipa/24.3", {"systems": [hr]}) == "compliant"  # Notice Art 7(3) item 2 proviso
    assert verdict(tmp_path, "pipa/24.3", {"systems": [{**hr, "network_zone": "dmz"}]}) == "non-compliant"  # item 1
    assert verdict(tmp_path, "pipa/24.3", {"systems": [{**hr, "user_data": True}]}) == "non-compliant"  # Art 7(2)
    no_analysis = {k: v for k, v in hr.items() if k != "identifiers_encryption_basis"}
    assert verdict(tmp_path, "pipa/24.3", {"systems": [no_analysis]}) == "insufficient-evidence"


def test_sensitive_data_is_judged_by_the_art_29_measures_not_by_encryption(tmp_path):
    system = {"id": "s1", "sensitive_data": True, "sensitive_encrypted": False, "ip_restricted": True,
              "ip_leak_detection": True, "access_log": {"retention_days": 730}}
    assert verdict(tmp_path, "pipa/23.2", {"systems": [system]}) == "compliant"  # encryption is not required by Art 23(2)
    assert verdict(tmp_path, "pipa/23.2", {"systems": [{**system, "ip_restricted": False}]}) == "non-compliant"
    assert verdict(tmp_path, "pipa/23.2", {"systems": [{**system, "access_log": {"retention_days": 400}}]}, "2026-11-25") == "non-compliant"


# ------------------------------------------------------------------------------- Art 32-2(1) proviso


def test_mandatory_certification_is_a_duty_only_from_2027_07_01(tmp_path):
    bound = {"organization": {"isms_p_mandatory": True, "isms_p_certified": False}}
    assert verdict(tmp_path, "pipa/32-2.1", bound, "2026-11-25") is None
    assert verdict(tmp_path, "pipa/32-2.1", bound, "2027-06-30") is None  # Act 21445 addendum Art 1 proviso
    assert verdict(tmp_path, "pipa/32-2.1", bound, "2027-07-01") == "non-compliant"
    valid = {"organization": {"isms_p_mandatory": True, "isms_p_certified": True, "isms_p_certified_until": "2029-06-30"}}
    assert verdict(tmp_path, "pipa/32-2.1", valid, "2027-07-01") == "compliant"
    assert verdict(tmp_path, "pipa/32-2.1", valid, "2029-07-01") == "non-compliant"  # lapsed (valid 3 years, ¶2)
    assert verdict(tmp_path, "pipa/32-2.1", {"organization": {"isms_p_mandatory": False}}, "2027-07-01") == "not-applicable"
    assert verdict(tmp_path, "pipa/32-2.1", {"organization": {"isms_p_certified": False}}, "2027-07-01") == "insufficient-evidence"
    assert verdict(tmp_path, "pipa/32-2.1", {"organization": {"isms_p_mandatory": True}}, "2027-07-01") == "insufficient-evidence"


# ------------------------------------------------------------------------------- the texts the controls quote


@pytest.mark.parametrize("source, article, paragraph, words", [
    ("pipa-2026", "26", 1, "다음 각 호의 내용이 포함된 문서로 하여야 한다"),
    ("pipa-2025", "26", 4, "분실ㆍ도난ㆍ유출ㆍ위조ㆍ변조 또는 훼손되지 아니하도록 수탁자를 교육하고"),
    ("pipa-2026", "32-2", 1, "대통령령으로 정하는 기준에 해당하는 개인정보처리자는 인증을 받아야 한다"),
    ("decree-2026", "28", 1, "재위탁 제한에 관한 사항"),
    ("decree-2026", "32", 7, "정기적으로 대표자 또는 이사회에 직접 보고할 수 있는 체계의 구축"),
    ("decree-2025", "32", 6, "정기적으로 대표자 또는 이사회에 직접 보고할 수 있는 체계의 구축"),
    ("decree-2025", "21-2", 1, "주민등록번호를 전자적인 방법으로 보관하는 개인정보처리자"),
    ("decree-2026", "21", 1, "제30조를 준용한다"),
])
def test_the_added_articles_are_in_the_official_texts(source, article, paragraph, words):
    library = lawtext.load_library(str(conftest.CATALOGS))
    node = library.texts[source].find(article, paragraph)
    assert node is not None and words in lawtext.normalise(node.full())


def test_trustees_have_a_korean_sheet():
    from compliance import workbook

    assert workbook.SHEET_NAMES["processors"] == "수탁자"
    assert any(t.path == "processors" and t.sheet == "수탁자" for t in workbook.layout().tables)


def test_systems_left_outside_the_officers_remit_fail_the_designation_and_silence_is_not_a_pass(tmp_path):
    """Art 31(1): an officer 'in overall charge' — network infrastructure left outside the remit (SK Telecom 2025)."""
    systems = {"systems": [{"id": "hss"}, {"id": "shop"}]}
    outside = {**officer(systems_outside_remit=["hss"]), **systems}
    assert verdict(tmp_path, "pipa/31.1", outside) == "non-compliant"
    assert verdict(tmp_path, "pipa/31.1", {**officer(systems_outside_remit=[]), **systems}) == "compliant"
    unstated = officer()
    del unstated["privacy_officer"]["systems_outside_remit"]
    assert verdict(tmp_path, "pipa/31.1", unstated) == "insufficient-evidence"


def test_resident_numbers_in_a_file_store_are_judged_under_art_24_2(tmp_path):
    """Art 24-2(2) asks RRNs be kept encrypted wherever kept: a file server of RRNs in clear fails it (Golfzon 2024)."""
    store = {"id": "fs", "kind": "file-server", "unique_identifiers": True, "rrn": True, "encrypted": False}
    base = {"systems": [{"id": "s1", "rrn": False}]}
    assert verdict(tmp_path, "pipa/24-2.2", {**base, "data_stores": [store]}) == "non-compliant"
    assert verdict(tmp_path, "pipa/24-2.2", {**base, "data_stores": [{**store, "encrypted": True}]}) == "compliant"
    assert verdict(tmp_path, "pipa/24-2.2", {**base, "data_stores": [{**store, "rrn": None}]}) == "insufficient-evidence"


def test_a_system_named_outside_the_officers_remit_must_exist(tmp_path):
    """A typo there would read as 'a system outside the remit' and fail 31.1 for a system nobody has: refused at its line."""
    from compliance.loading import InputError
    fragment = {**officer(systems_outside_remit=["hsss"]), "systems": [{"id": "hss"}]}
    with pytest.raises(InputError, match=r"privacy_officer.systems_outside_remit\[0\]: no system with id 'hsss'"):
        audit(write_example(fragment, tmp_path / "a"), conftest.CATALOGS)
