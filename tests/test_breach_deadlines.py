"""Notice and report deadlines as the Decree writes them: a lawful delay (Decree Arts 39(1), 40(1) provisos) stated
with its document moves the deadline; a ground the Decree does not give, or one without its document, does not;
what happened to the data decides whether Art 34 reaches the incident; a not-applicable verdict gives its real reason."""

from compliance.examples import write_example
from compliance.pipeline import audit

from .conftest import CATALOGS

AWARE = "2026-10-01T09:00:00+09:00"
DOC = [{"id": "containment-log", "kind": "incident-response-report", "path": "evidence/containment.pdf"},
       {"id": "notice", "kind": "breach-notification-record", "path": "evidence/notice.pdf"},
       {"id": "receipt", "kind": "pipc-report-receipt", "path": "evidence/receipt.pdf"}]


def verdict(tmp_path, name, incident, control, attachments=DOC, as_of="2026-11-25", organization=None):
    facts = {"as_of": as_of, "incidents": [{"id": "i", "aware_at": AWARE, **incident}], "attachments": attachments,
             **({"organization": organization} if organization else {})}
    result = audit(write_example(facts, tmp_path / name), CATALOGS)
    return next(c for c in result.controls if c.id == control)


def test_notice_after_a_documented_urgent_containment_is_on_time(tmp_path):
    late = {"subjects_notified_at": "2026-10-06T09:00:00+09:00", "kind": ["leak"],
            "notice_contents": ["items", "when-how", "self-help", "response", "contact", "legal-rights", "decree-items"]}
    ground = {"ground": "urgent-containment", "ended_at": "2026-10-05T18:00:00+09:00", "attachment": "containment-log"}
    assert verdict(tmp_path, "a", late, "pipa/34.1").verdict == "non-compliant"  # 120 h, no ground stated
    assert verdict(tmp_path, "b", {**late, "notice_delay": ground}, "pipa/34.1").verdict == "compliant"
    # the ground without its document, or notice long after the ground ended, is still late
    assert verdict(tmp_path, "c", {**late, "notice_delay": {k: v for k, v in ground.items() if k != "attachment"}}, "pipa/34.1").verdict == "non-compliant"
    early_end = {**ground, "ended_at": "2026-10-02T09:00:00+09:00"}
    assert verdict(tmp_path, "d", {**late, "notice_delay": early_end}, "pipa/34.1").verdict == "non-compliant"


def test_a_report_delay_needs_force_majeure_not_containment(tmp_path):
    late = {"reported_to_pipc_at": "2026-10-06T09:00:00+09:00", "subjects_affected": 5000, "kind": ["leak"]}
    ended = {"ended_at": "2026-10-05T18:00:00+09:00", "attachment": "containment-log"}
    # Decree Art 40(1) allows a later report only for force majeure; urgent containment is a ground for notice only
    assert verdict(tmp_path, "a", {**late, "report_delay": {"ground": "urgent-containment", **ended}}, "pipa/34.4").verdict == "non-compliant"
    assert verdict(tmp_path, "b", {**late, "report_delay": {"ground": "force-majeure", **ended}}, "pipa/34.4").verdict == "compliant"


def test_damage_alone_was_not_a_reportable_leak_before_act_21445_but_is_after(tmp_path):
    damaged = {"subjects_affected": 5000, "kind": ["damage"]}
    before = verdict(tmp_path, "a", {**damaged, "aware_at": "2025-10-01T09:00:00+09:00"}, "pipa/34.4", as_of="2025-11-30")
    assert before.verdict != "non-compliant"  # 2023-2026: 유출등 was loss, theft or leak only
    after = verdict(tmp_path, "b", damaged, "pipa/34.4")
    assert after.verdict == "non-compliant"  # from 2026-09-11 damage is a 유출등


def test_an_ict_provider_before_2023_is_not_applicable_for_the_real_reason(tmp_path):
    result = verdict(tmp_path, "a", {"aware_at": "2023-08-01T09:00:00+09:00", "subjects_notified_at": "2023-08-01T20:00:00+09:00",
                                     "reported_to_pipc_at": "2023-08-01T21:00:00+09:00"},
                     "pipa/34.1", as_of="2023-09-01", organization={"ict_service_provider": True})
    assert result.verdict == "not-applicable"
    assert "39-4" in result.not_applicable.en and "no leak" not in result.not_applicable.en


def test_a_delay_grounds_document_that_is_not_listed_is_an_input_error(tmp_path):
    from .conftest import cli
    facts = {"as_of": "2026-11-25", "attachments": DOC,
             "incidents": [{"id": "i", "aware_at": AWARE, "notice_delay": {"ground": "force-majeure", "ended_at": AWARE, "attachment": "contaiment-log"}}]}
    proc = cli("check", write_example(facts, tmp_path / "a"))
    assert proc.returncode == 2 and "contaiment-log" in proc.stderr and "notice_delay" in proc.stderr
