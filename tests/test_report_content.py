"""The auditor's report content: incident clocks, sanctions exposure, plan, annexes, PDF/A."""

import io
import shutil

import pytest

from compliance.pipeline import audit
from compliance.render import render

from .conftest import CATALOGS, CLEAN, SEED, write


def test_incident_deadlines_met_missed_and_not_applicable(tmp_path):
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(
        f.read_text().replace(
            "incidents: []",
            "incidents:\n"
            "  - {id: small, aware_at: 2025-10-01T09:00:00+09:00, subjects_affected: 12, sensitive_or_unique: false,\n"
            "     unlawful_external_access: false, subjects_notified_at: 2025-10-03T09:00:00+09:00,\n"
            "     notice_contents: [items, when-how, self-help, response, contact]}\n"
            "  - {id: open, aware_at: 2025-11-29T09:00:00+09:00, subjects_affected: 5000, sensitive_or_unique: false,\n"
            "     unlawful_external_access: false}\n",
        )
    )
    result = audit(f, CATALOGS)
    clocks = {(t.id, d.id): d for t in result.timelines for d in t.deadlines}
    assert clocks[("small", "notify-subjects")].status == "met"
    assert clocks[("small", "notify-subjects")].done_hours == 48.0
    assert clocks[("small", "report-pipc")].status == "not-applicable"  # 12 subjects, no sensitive data, no intrusion
    assert clocks[("open", "report-pipc")].status == "open"  # due after the as-of date, not yet reported
    assert clocks[("open", "report-pipc")].due == "2025-12-02T09:00:00+09:00"


def test_seed_clocks_missed(seed_result):
    (tl,) = seed_result.timelines
    assert {d.id: (d.status, d.done_hours) for d in tl.deadlines} == {
        "notify-subjects": ("missed", 267.0),
        "report-pipc": ("missed", 81.5),
    }


def test_sanctions_from_stated_revenue(seed_result, tmp_path):
    by_id = {s.id: s for s in seed_result.sanctions}
    caps = {s.id: (s.max_krw, s.basis) for s in seed_result.sanctions}
    # the seed's leak became known in 2025: the cap of the law then (3/100), not the 10/100 of Act 21445
    assert caps["pipa/64-2.1.9-2023"] == (41_000_000_000_000 * 3 // 100, "revenue")
    assert "pipa/64-2.1.9" not in caps and "pipa/64-2.2" not in caps
    assert caps["pipa/75.2.17-2023"] == (30_000_000, "fixed")
    # Art 76: the 과태료 for the safety failures cannot add to the 과징금 for the same failures
    assert by_id["pipa/75.2.5"].excluded is not None and "제76조" in by_id["pipa/75.2.5"].excluded.ko
    assert by_id["pipa/75.2.17-2023"].excluded is None  # the notice failure is a different act
    # without revenue the cap is unknown (the KRW 2 bn is only for no revenue); without an incident no 과징금
    text = (SEED / "facts.yaml").read_text().replace("  revenue_krw: 41000000000000\n", "")
    shutil.copytree(SEED / "evidence", tmp_path / "evidence")
    f = write(tmp_path, "facts.yaml", text)
    caps = {s.id: (s.max_krw, s.basis) for s in audit(f, CATALOGS).sanctions}
    assert caps["pipa/64-2.1.9-2023"] == (None, "unknown")
    f = write(tmp_path, "facts.yaml", text.split("\nincidents:")[0] + "\nincidents: []\n")
    assert "pipa/64-2.1.9-2023" not in {s.id for s in audit(f, CATALOGS).sanctions}


def test_clean_report_has_no_sanctions_and_no_findings():
    result = audit(CLEAN / "facts.yaml", CATALOGS)
    assert result.sanctions == [] and result.timelines == []
    html = render(result, "html", "en").decode()
    assert "There are no findings." in html and "No penalty provision is engaged" in html


def test_long_offender_lists_go_to_an_annex(tmp_path):
    rows = "\n".join(f"  - {{id: h-{i:04d}, granted_on: 2020-01-01, left_on: 2025-01-01, trained_on: 2024-12-01}}" for i in range(60))
    f = write(tmp_path, "facts.yaml", f"as_of: 2025-11-30\norganization: {{name: Big}}\nhandlers:\n{rows}\n")
    result = audit(f, CATALOGS)
    html = render(result, "html", "ko").decode()
    assert "전체 60건은 부록 B-1에 수록" in html
    assert html.count("h-0059") == 1  # only in the annex, not inline (inline shows the first 25)
    assert html.count('<tr><td class="mono">h-0') == 25 + 60  # inline excerpt, then the whole list in annex B-1


def test_report_text_comes_from_templates_in_both_languages(seed_result):
    from compliance.render import Options

    ko = render(seed_result, "html", "ko", options=Options(show_statutory_maximum=True)).decode()
    en = render(seed_result, "html", "en").decode()
    for text in ("목차", "관련 제재 규정과 법정 상한", "개선 계획", "확인 및 서명", "유출등 사고 경과"):
        assert text in ko
    for text in ("Contents", "Penalty provisions engaged and their statutory maxima", "Remediation plan", "Sign-off", "Incident timeline"):
        assert text in en
    assert "1,230,000,000,000" in ko


def test_pdfa_embeds_the_json_result(seed_result):
    import pypdf
    data = render(seed_result, "pdf", "ko", pdfa=True)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert list(reader.attachments) == ["audit-result.json"]
    embedded = reader.attachments["audit-result.json"][0]
    assert b'"facts_sha256"' in embedded
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert render(seed_result, "pdf", "ko", pdfa=True) == data


def test_toc_has_page_numbers(seed_pdfs):
    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(seed_pdfs["en"]))
    toc = reader.pages[1].extract_text()
    assert "Contents" in toc
    last_numbers = [line.rstrip().split(".")[-1].strip() for line in toc.splitlines() if "...." in line]
    assert last_numbers and all(n.isdigit() and 1 < int(n) <= len(reader.pages) for n in last_numbers)
    footer = reader.pages[2].extract_text()
    assert f"/ {len(reader.pages)}" in footer


def test_dates_in_the_pdf_come_from_the_as_of_date(seed_result, seed_pdfs):
    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(seed_pdfs["ko"]))
    assert reader.metadata["/CreationDate"] == "D:" + seed_result.as_of.strftime("%Y%m%d")
    assert reader.metadata["/ModDate"] == "D:" + seed_result.as_of.strftime("%Y%m%d")
