"""Reports: Korean PDF with the bundled font, extractable Hangul, same bytes for same inputs,
escaped fact values, no fetching outside the templates, and the machine formats."""

import io
import re
import json
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from compliance.render import render

from .conftest import SEED, cli, write


@pytest.fixture(scope="module")
def seed_pdf(seed_pdfs):
    return seed_pdfs["ko"]


def test_pdf_hangul_extractable_and_font_embedded(seed_pdf):
    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(seed_pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "개인정보 안전성 확보조치 점검 보고서" in text
    assert "퇴직·업무 변경 시 접근 권한의 지체 없는 변경·말소" in text
    assert "h-0042" in text and "sign-key-7" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in desc, "font not embedded"
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert fonts <= {"NanumGothic", "NanumGothic-Bold"}, fonts
    assert len(reader.pages) >= 4


def test_pdf_is_reproducible(seed_result, seed_pdf):
    assert render(seed_result, "pdf", "ko") == seed_pdf


def test_english_report(seed_result):
    html = render(seed_result, "html", "en").decode()
    assert "Personal Information Safety Measures Audit Report" in html
    assert "Non-compliant" in html and "PIPC Safety Notice Art 5(2)" in html


def test_fact_values_are_escaped(tmp_path):
    evil = "<script>alert(1)</script><img src='file:///etc/passwd'>{{ 7*7 }}"
    f = write(tmp_path, "facts.yaml", f'as_of: 2025-11-30\norganization: {{name: "{evil}"}}\nhandlers:\n  - {{id: "{evil}", left_on: 2025-01-01}}\n')
    from compliance.bundled import bundled_dir
    from compliance.pipeline import audit

    result = audit(f, bundled_dir("controls"))
    html = render(result, "html", "ko").decode()
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html  # fact text is never evaluated as a template
    md = render(result, "md", "ko").decode()
    outside_code = re.sub(r"`[^`]*`", "", md)
    assert not re.search(r"(?<!\\)<(script|img)", outside_code)  # every '<' outside code is escaped


def test_pdf_fetcher_refuses_files_outside_templates(tmp_path):
    import weasyprint  # noqa: F401  (declared: a broken install must fail here, not skip)
    from compliance.render import templates_dir
    from compliance.render.pdf import _confined_fetcher

    fetch = _confined_fetcher(templates_dir())
    assert fetch.fetch((templates_dir() / "style.css").as_uri()) is not None
    for url in ("file:///etc/passwd", (templates_dir() / ".." / ".." / "README.md").as_uri(), "https://example.com/x.png"):
        with pytest.raises(ValueError):
            fetch.fetch(url)


def test_junit_and_sarif(seed_result):
    root = ET.fromstring(render(seed_result, "junit"))
    cases = root.findall(".//testcase")
    assert len(cases) == seed_result.summary.total
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == sum(1 for c in seed_result.controls if c.verdict in ("non-compliant", "insufficient-evidence"))
    sarif = json.loads(render(seed_result, "sarif"))
    assert sarif["version"] == "2.1.0"
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} <= {r["id"] for r in rules}
    assert any(r["ruleId"] == "notice/5.2" and r["level"] == "error" for r in sarif["runs"][0]["results"])


def test_report_command_writes_pdf_atomically(tmp_path):
    out = tmp_path / "report.pdf"
    proc = cli("report", SEED / "facts.yaml", "--waivers", SEED / "waivers.yaml", "-o", out, "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    md = tmp_path / "report.md"
    assert cli("report", SEED / "facts.yaml", "-o", md).returncode == 0
    assert "# 개인정보 안전성 확보조치 점검 보고서" in md.read_text()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = cli("demo", "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_demo_writes_the_seed_pdf(demo):
    assert (demo / "ecommerce-breach-report.ko.pdf").read_bytes().startswith(b"%PDF-")
    result = json.loads((demo / "ecommerce-breach-result.json").read_text())
    assert result["summary"]["total"] > 0


def test_demo_reads_the_seed_access_records_and_the_pdf_shows_what_they_show(demo):
    """The seed's CP949 export is ingested and analysed by the demo itself: the departed key's use from the
    overseas address is a finding of Art 5(2) in the result and a line of the PDF's access-record section."""
    out = demo
    derived = json.loads((out / "ecommerce-breach-derived.json").read_text(encoding="utf-8"))
    assert derived["kind"] == "pipa-audit/derived-facts" and derived["engine"]["name"] == "duckdb"
    result = json.loads((out / "ecommerce-breach-result.json").read_text(encoding="utf-8"))
    c52 = next(c for c in result["controls"] if c["id"] == "notice/5.2")
    seen = next(ch for ch in c52["checks"] if ch["id"] == "access-records")
    assert seen["status"] == "fail" and [o["id"] for o in seen["offenders"]] == ["sign-key-7"]
    text = "".join(p.extract_text() for p in PdfReader(out / "ecommerce-breach-report.ko.pdf").pages)
    assert "접속기록 분석 결과" in text and "198.51.100.23" in text
    assert "sign-key-7: h-0042 퇴직(2024-12-31) 이후" in text  # the access-record section, in Korean
    assert "기재된 권한 종료일 2024-12-31" in text  # the finding's stated facts, labelled


BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_bidi_controls_in_fact_text_are_shown_escaped_in_every_human_format(tmp_path):
    """An organisation name holding U+202E (right-to-left override) or U+2066 (left-to-right isolate) would reorder
    the rest of its line where a reader shows it (an HTML report, a GitLab job summary of the Markdown): every
    format a person reads shows the escape instead, as the text table always did."""
    import shutil

    from compliance.render import visible

    from .conftest import CLEAN

    org = tmp_path / "org"
    shutil.copytree(CLEAN, org)  # attachments are relative to the facts file
    facts = org / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    name = 'name: "Small Clinic Booking Ltd. (example)"'
    assert name in text
    facts.write_text(text.replace(name, 'name: "Clinic \u202eevil\u202c \u2066isolated\u2069 Ltd."', 1), encoding="utf-8")
    out = {suffix: tmp_path / f"report{suffix}" for suffix in (".html", ".md", ".summary.md")}
    proc = cli("check", facts, *[arg for path in out.values() for arg in ("-o", path)], "-o", "-")
    assert proc.returncode == 0, proc.stderr
    shown = {suffix: path.read_text(encoding="utf-8") for suffix, path in out.items()} | {"text table": proc.stdout}
    for where, body in shown.items():
        assert "Clinic \\u202eevil\\u202c \\u2066isolated\\u2069 Ltd." in body, where
        assert not any(ch in body for ch in BIDI), where
    assert visible(BIDI) == "".join(f"\\u{ord(ch):04x}" for ch in BIDI)
