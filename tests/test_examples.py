"""The bundled examples: the seed breach fails where the law says, each traced to its article."""

from .conftest import CATALOGS, CLEAN


def by_id(result):
    return {c.id: c for c in result.controls}


def offenders(control, check_id):
    return [o.id for ch in control.checks if ch.id == check_id for o in ch.offenders]


def test_departed_developer_and_signing_key(seed_result):
    c = by_id(seed_result)["notice/5.2"]
    assert c.verdict == "non-compliant" and c.cite.ko == "「개인정보의 안전성 확보조치 기준」 제5조제2항"
    assert offenders(c, "departed-handlers-revoked") == ["h-0042"]
    assert offenders(c, "departed-owners-credentials-revoked") == ["sign-key-7"]
    used = next(o for ch in c.checks if ch.id == "no-use-after-departure" for o in ch.offenders)
    assert used.id == "sign-key-7" and used.values["last_used_at"].startswith("2025-11-17")


def test_overseas_use_undetected_and_reviews_missed(seed_result):
    c = by_id(seed_result)
    assert c["notice/6.1"].verdict == "non-compliant"
    assert offenders(c["notice/6.1"], "leak-attempts-detected") == ["sys-commerce", "sys-auth"]
    assert c["notice/8.2"].verdict == "non-compliant"
    assert c["notice/4.4"].checks[0].observed == {"internal_plan.last_inspected_on": "2024-06-28"}


def test_late_report_and_notice_traced_to_pipa_34(seed_result):
    c = by_id(seed_result)
    assert c["pipa/34.4"].verdict == "non-compliant" and c["pipa/34.4"].cite.en == "PIPA Art 34(3)"
    assert offenders(c["pipa/34.4"], "reported-72h") == ["inc-2025-11"]
    assert offenders(c["pipa/34.1"], "subjects-notified-72h") == ["inc-2025-11"]
    assert offenders(c["pipa/34.1"], "notice-contents") == ["inc-2025-11"]


def test_seed_waivers_active_and_expired(seed_result):
    c = by_id(seed_result)
    assert c["notice/6.4"].verdict == "waived" and c["notice/6.4"].underlying_verdict == "non-compliant"
    assert c["notice/5.4"].verdict == "non-compliant" and c["notice/5.4"].waiver.status == "expired"


def test_what_the_seed_does_right_stays_compliant(seed_result):
    c = by_id(seed_result)
    for cid in ("notice/7.1", "notice/7.4", "notice/5.5", "notice/5.3"):
        assert c[cid].verdict == "compliant", cid


def test_clean_example_all_compliant_or_not_applicable():
    from compliance.pipeline import audit

    result = audit(CLEAN / "facts.yaml", CATALOGS)
    assert {c.verdict for c in result.controls} == {"compliant", "not-applicable"}
    assert all(a.status == "ok" and len(a.sha256) == 64 for a in result.attachments)
