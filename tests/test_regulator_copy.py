"""Issue 19, part 4: the regulator copy (report --audience regulator) is signable as printed.

The privacy officer the facts state in ``privacy_officer`` is on the cover and the sign-off; the cover and the annex
name each instrument as in force on the as-of date by its official number (catalog data: the amendments, each with
its number and dates, read from the official texts in controls/law/); the copy shows law, facts, evidence and
findings in Korean, never a check expression or an English engineer's note; a count says what it counts; the
internal copy opens with what is still missing. Read from the PDF as ``pdftotext`` reads it, and from the Markdown."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from compliance.catalog import CatalogMeta
from compliance.pipeline import audit
from compliance.render import Options, render

from .conftest import CATALOGS, SEED, cli

# An officer's own facts file, beyond the examples: Korean throughout but the organisation's registered (English)
# name, the officer stated only in privacy_officer (no legacy organization.privacy_officer), as of 2026-11-25: PIPA as
# amended by Act 21445, the Decree by 36671, the notice by 2026-9. Some duties fail, some lack facts.
FACTS = """\
as_of: 2026-11-25
period_start: 2026-01-01
auditor: "내부감사팀 이감사"
scope: "쇼핑몰 주문·회원 시스템과 관리자 계정, 2026년 접속기록"
not_examined:
  - "배송 위탁사의 시스템(별도 수탁자 점검)"
organization:
  name: "Hanbit Mall Co., Ltd."
  kind: private
  size: mid
  subjects: 420000
  ict_service_provider: true
  key_telecom_operator: false
  unique_identifiers: false
  sensitive_data: false
  daily_users_avg: 35000
  revenue_krw: 180000000000
privacy_officer: {name: "김보호", position: "정보보호 담당 상무", designated_on: 2024-03-04, executive: true, reports_to: "대표이사"}
systems:
  - id: shop
    name: "쇼핑몰 주문·회원 시스템"
    operating_since: 2018-04-01
    subjects: 420000
    user_data: true
    unique_identifiers: false
    sensitive_data: false
    ip_restricted: true
    ip_leak_detection: true
    remote_access: {allowed: true, methods: [password]}
    session_timeout_minutes: 30
    password_storage: one-way-hash
    identifiers_encrypted: true
    transit_encrypted: true
    web_exposure_checked: true
    environment: production
    holds_production_copy: false
    rrn: false
    data_past_retention: false
    internet_separated: true
    read_requires_auth: true
    server_malware_protection: true
    intrusion_detection: true
    vulnerabilities: []
    alerts: []
    auth_data: [{kind: password, storage: one-way-hash, algorithm: bcrypt}]
    access_log:
      retention_days: 365
      tamper_protected: true
      reviews: [2026-01-20, 2026-02-20, 2026-03-20, 2026-04-20, 2026-05-20, 2026-06-20, 2026-07-20, 2026-08-20, 2026-09-20, 2026-10-20]
      downloads_reason_checked: true
handlers:
  - {id: 운영자-01, systems: [shop], granted_on: 2020-02-03, trained_on: 2026-04-02}
  - {id: 운영자-02, systems: [shop], granted_on: 2021-03-02, left_on: 2026-06-30}
  - {id: 상담원-07, systems: [shop], granted_on: 2022-07-11, left_on: 2026-03-14, access_revoked_on: 2026-03-14, trained_on: 2026-01-15}
accounts:
  - {id: 계정-운영1, system: shop, holders: [운영자-01]}
  - {id: 계정-배치, system: shop, holders: [운영자-01, 운영자-02]}
password_policy: {min_length: 10, min_char_classes: 3, lockout_after_failures: 5}
internal_plan:
  established_on: 2024-05-02
  approved_by: "대표이사"
  last_inspected_on: 2026-06-28
  attachment: plan
  revision_history: true
access_rights_records: {retention_days: 1095, records_since: 2020-01-01}
incidents:
  - id: 사고-2026-10
    began_on: 2026-10-01
    aware_at: 2026-10-05T09:00:00+09:00
    contained_at: 2026-10-05T18:00:00+09:00
    subjects_affected: 12000
    items: [name, phone]
    sensitive_or_unique: false
    unlawful_external_access: true
    reported_to_pipc_at: 2026-10-07T10:00:00+09:00
    subjects_notified_at: 2026-10-09T12:00:00+09:00
    notice_contents: [items, when-how, self-help, response, contact]
remediation_plan:
  - {control: notice/5.2, action: "퇴직자 계정 당일 말소 자동화", owner: "인프라팀장", due: 2027-01-31, status: in-progress}
attachments:
  - {id: plan, kind: internal-management-plan, path: evidence/plan.md, dated: 2024-05-02}
"""

OFFICER = "김보호"

EXPRESSION = re.compile(
    r"\bitem\.|&&|\|\||[!=]= ?(null|true|false)\b|\bsize\(|\bfor_each\b|\bduration\(|\bdays\(|\bmissed_months\(|"
    r"\bhas\(|\.(all|exists)\(|\bas_of\b"
)
"""The catalogs' expression syntax: none of it may reach the regulator copy."""

_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_EDGES = "()[]{}.,;:!?\"'“”‘’<>*`|\\"


def english_runs(text: str, allowed_phrases=(), allowed_words=frozenset(), n: int = 3) -> list[str]:
    """Runs of ``n`` or more consecutive English words: prose. Ids, numbers and codes (notice/5.2, ISO27001-2022
    A.5.18, SHA-256, UTC+09:00) are no words; the phrases a facts file states (the organisation's name) are taken
    out first; a run made only of words the facts state (a cell pdftotext interleaved with its neighbour) is theirs."""
    flat = " ".join(text.split())
    for phrase in sorted((" ".join(p.split()) for p in allowed_phrases), key=len, reverse=True):
        if phrase:
            flat = flat.replace(phrase, " \0 ")
    found, run = [], []
    for token in [*flat.split(), "\0"]:
        if _WORD.fullmatch(token.strip(_EDGES)):
            run.append(token)
            continue
        if len(run) >= n and not all(t.strip(_EDGES) in allowed_words for t in run):
            found.append(" ".join(run))
        run = []
    return found


def stated_strings(*files: Path) -> list[str]:
    """Every string value the facts (and waivers) state: names, ids, free text quoted into the report."""

    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from walk(v)
        elif isinstance(value, list):
            for v in value:
                yield from walk(v)

    return [s for f in files for s in walk(yaml.safe_load(f.read_text(encoding="utf-8")))]


def pdf_pages(path: Path) -> list[str]:
    """The PDF's text page by page, as pdftotext reads it (pypdf where poppler is not installed)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")
    import pypdf

    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages]


def facts_file(directory: Path, text: str = FACTS) -> Path:
    (directory / "evidence").mkdir(parents=True, exist_ok=True)
    (directory / "evidence" / "plan.md").write_text("내부 관리계획\n", encoding="utf-8")
    path = directory / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The officer's facts file, and its regulator and internal copies as PDF and Markdown, written by the command."""
    d = tmp_path_factory.mktemp("hanbit")
    f = facts_file(d)
    for audience in ("regulator", "internal"):
        proc = cli("report", f, "--audience", audience, "-o", d / f"{audience}.pdf", "-o", d / f"{audience}.md")
        assert proc.returncode == 0, proc.stderr
    return {
        "facts": f,
        "regulator": pdf_pages(d / "regulator.pdf"), "internal": pdf_pages(d / "internal.pdf"),
        "regulator-md": (d / "regulator.md").read_text(encoding="utf-8"),
        "internal-md": (d / "internal.md").read_text(encoding="utf-8"),
    }


def signoff_page(pages: list[str]) -> str:
    return next(p for p in reversed(pages) if "확인 및 서명" in p and "(서명)" in p)


# ------------------------------------------------------------------ 1. the officer, on the cover and the sign-off


def test_the_officer_stated_only_in_privacy_officer_is_on_the_cover_and_the_signoff(copies):
    stated = yaml.safe_load(FACTS)
    assert "privacy_officer" not in stated["organization"]  # stated once, where `pipa-audit init` writes it
    for audience in ("regulator", "internal"):
        pages = copies[audience]
        cover, signoff = pages[0], signoff_page(pages)
        for page in (cover, signoff):
            line = next((ln for ln in page.splitlines() if OFFICER in ln), None)
            assert line is not None, (audience, page)
            assert "개인정보 보호책임자" in page and "2024-03-04" in page  # the role, and the date of designation
    for md in (copies["regulator-md"], copies["internal-md"]):
        assert md.count(f"| 개인정보 보호책임자 | {OFFICER}") == 2  # the cover's table and the sign-off's


def test_a_facts_file_naming_no_officer_says_so_on_the_signoff(tmp_path):
    f = facts_file(tmp_path, FACTS.replace('privacy_officer: {name: "김보호"', 'privacy_officer: {name: ""'))
    md = render(audit(f, CATALOGS), "md", "ko", options=Options(audience="regulator")).decode()
    assert OFFICER not in md
    assert md.count("| 개인정보 보호책임자 | 증적에 기재되지 않음") == 2  # said, never a blank line to sign under


# ------------------------------------------------------------------ 2. the law, by the numbers in force


def test_the_cover_and_annex_name_each_instrument_in_force_by_its_official_number(copies):
    cover = " ".join(copies["regulator"][0].split())
    for number, since in (("법률 제21445호", "2026-09-11"), ("대통령령 제36671호", "2026-09-11"),
                          ("개인정보보호위원회 고시 제2026-9호", "2026-07-01")):
        assert re.search(re.escape(number) + r"\s*\(시행\s*" + since + r"\)", cover), (number, cover)
    # not the catalog file's version or the first wording's date
    assert "버전" not in cover and "2023-09-22" not in cover and "2020-08-05" not in cover
    annex = next(" ".join(p.split()) for p in copies["regulator"] if "부록: 적용 법령과 점검 기준" in p and "공포(발령)일" in p)
    for row in ("법률 제21445호 2026-03-10 2026-09-11 법률 제21910호 (2027-03-09)",  # number, promulgated, in force, next
                "대통령령 제36671호 2026-09-10 2026-09-11 —",
                "제2026-9호", "2026-07-01 2026-07-01 —"):
        assert row in annex, (row, annex)
    assert "| 「개인정보의 안전성 확보조치 기준」 | 개인정보보호위원회 고시 제2026-9호 | 2026-07-01 | 2026-07-01 | — |" in copies["regulator-md"]


def test_an_earlier_as_of_date_names_the_earlier_numbers_and_what_is_not_known(tmp_path):
    f = facts_file(tmp_path)
    out = tmp_path / "r.md"
    assert cli("report", f, "--as-of", "2025-11-30", "--audience", "regulator", "-o", out).returncode == 0
    cover = out.read_text(encoding="utf-8").split("## ")[0]
    assert "「개인정보 보호법」 **법률 제20897호** (시행 2025-10-02)" in cover
    assert "「개인정보 보호법 시행령」 **대통령령 제35780호** (시행 2025-10-02)" in cover
    assert "**개인정보보호위원회 고시 제2025-9호** (시행 2025-10-31)" in cover
    # Decree 36121 is named by the official texts without dates: never given one, said to be unsettled
    assert "대통령령 제36121호(공포일·시행일 미확인)" in cover


def test_a_number_without_dates_and_a_number_not_found_are_said_as_such(tmp_path):
    """As of 2022-06-01 an ICT provider is judged under Notices 2021-2 and 2021-3: 2021-2's number and date are in the
    official texts; 2021-3's number is (Notice 2023-6's addendum), its dates are not; the Decree's number then is not."""
    f = facts_file(tmp_path)
    out = tmp_path / "r.md"
    assert cli("report", f, "--as-of", "2022-06-01", "--audience", "regulator", "-o", out).returncode == 0
    cover = out.read_text(encoding="utf-8").split("## ")[0]
    assert "「개인정보 보호법」 **법률 제16930호** (시행 2020-08-05)" in cover
    assert "**개인정보보호위원회 고시 제2021-2호** (시행 2021-09-15)" in cover
    assert "**개인정보보호위원회 고시 제2021-3호** (시행일 미확인)" in cover
    assert "「개인정보 보호법 시행령」 기준일에 시행 중인 개정의 번호를 참조한 공식 원문에서 찾지 못했습니다" in cover


def test_rendered_away_from_its_catalogs_the_copy_gives_no_number_it_did_not_read(tmp_path):
    result = audit(facts_file(tmp_path), CATALOGS)
    elsewhere = tmp_path / "other-catalogs"
    elsewhere.mkdir()
    md = render(result, "md", "ko", options=Options(audience="regulator", catalog_dir=elsewhere)).decode()
    cover = md.split("## ")[0]
    assert "제21445호" not in cover and "제2026-9호" not in cover
    assert cover.count("점검 기준 파일을 읽지 못해") == 2  # each catalog, named as it names its law


def test_the_instrument_in_force_is_the_latest_amendment_in_force_that_day(catalogs):
    meta = {c.meta.id: c.meta for c in catalogs}

    def named(catalog: str, day: str) -> list[tuple[str | None, list[str]]]:
        return [
            (f.amendment.title.ko if f.amendment else None, [u.id for u in f.unsettled])
            for f in meta[catalog].in_force_on(dt.date.fromisoformat(day))
        ]

    notice = lambda day: named("pipc-notice", day)[0][0]  # noqa: E731
    assert notice("2025-10-30") == "개인정보보호위원회 고시 제2023-6호"
    assert notice("2025-10-31") == "개인정보보호위원회 고시 제2025-9호"  # on its first day, not the day after
    assert notice("2026-06-30") == "개인정보보호위원회 고시 제2025-9호"
    assert notice("2026-07-01") == "개인정보보호위원회 고시 제2026-9호"
    act, decree = named("pipa", "2026-09-10")
    assert act == ("법률 제20897호", []) and decree == ("대통령령 제36340호", [])
    act, decree = named("pipa", "2026-09-11")
    assert act == ("법률 제21445호", []) and decree == ("대통령령 제36671호", [])
    assert named("pipa", "2027-03-09")[0] == ("법률 제21910호", [])
    assert named("pipa", "2025-11-30")[1] == ("대통령령 제35780호", ["36121"])  # may be as amended by 36121
    assert named("pipa", "2026-05-19")[1] == ("대통령령 제36340호", [])  # from here 36340 is later than 36121
    assert named("pipa", "2025-03-12")[1] == (None, [])  # before any number the texts give: none guessed
    assert named("pipc-notice-2021-3", "2022-06-01") == [(None, ["2021-3"])]  # number known, dates not


def test_every_amendment_number_and_date_is_in_the_official_text_it_cites(catalogs):
    """No number or date is invented: each amendment names (source) the texts in controls/law/ it is read from, and
    its number, promulgation and in-force dates stand in them."""

    def forms(day: dt.date) -> tuple[str, ...]:
        return (day.isoformat(), f"{day.year}. {day.month}. {day.day}.", f"{day.year}.{day.month}.{day.day}",
                f"{day.year}년 {day.month}월 {day.day}일")

    listed = 0
    for cat in catalogs:
        for a in cat.meta.amendments:
            files = re.findall(r"law/[\w.-]+\.md", a.source or "")
            assert files, (cat.meta.id, a.id, "no source in law/")
            text = "\n".join((CATALOGS / f).read_text(encoding="utf-8") for f in files)
            assert a.id in text, (cat.meta.id, a.id)
            for day in (a.issued, a.in_force):
                assert any(x in text for x in forms(day)), (cat.meta.id, a.id, day)
            listed += 1
        for u in cat.meta.undated:
            assert u.note.ko and u.note.en  # why it has no date is said
    assert listed >= 13


def test_the_catalog_meta_refuses_an_unknown_instrument_and_dates_out_of_order():
    base = {"id": "x", "instrument": {"ko": "법", "en": "law"}, "cite_as": {"ko": "법", "en": "law"}, "version": "1",
            "effective": "2020-01-01", "instruments": {"act": {"ko": "「법」", "en": "Act"}}}
    good = {"id": "1", "instrument": "act", "title": {"ko": "법률 제1호", "en": "Act 1"}, "issued": "2020-01-01", "in_force": "2020-02-01"}
    CatalogMeta.model_validate({**base, "amendments": [good]})
    for bad, needle in (({**good, "instrument": "decree"}, "instrument must be one of act"),
                        ({**good, "in_force": "2019-12-31"}, "before issued"),
                        ({k: v for k, v in good.items() if k != "instrument"}, "instrument must be one of act")):
        with pytest.raises(ValueError, match=needle):
            CatalogMeta.model_validate({**base, "amendments": [bad]})
    with pytest.raises(ValueError, match="listed twice"):
        CatalogMeta.model_validate({**base, "amendments": [good, good]})


# ------------------------------------------------------------------ 3. law, facts, evidence and findings, in Korean


def test_the_regulator_copy_shows_no_check_expression_and_no_english_prose(copies):
    org = ["Hanbit Mall Co., Ltd."]
    for name in ("regulator", "regulator-md"):
        text = "\n".join(copies[name]) if isinstance(copies[name], list) else copies[name]
        assert not EXPRESSION.search(text), (name, EXPRESSION.search(text))
        assert english_runs(text, org) == [], name
        assert "영문 요지" not in text and "Enforcement Decree" not in text
    # the internal copy keeps the machinery: the same checks find it there, so they can fail
    internal = "\n".join(copies["internal"])
    assert EXPRESSION.search(internal) and "item." in internal
    assert len(english_runs(internal, org)) > 10


def test_the_seeds_regulator_copy_quotes_only_the_facts_in_english(tmp_path):
    """The seed (its facts written in English), with what its access records show (--derived): only the facts'
    own words are English."""
    records, derived = tmp_path / "records", tmp_path / "derived.json"
    assert cli("logs", "ingest", SEED / "evidence" / "access-records-sys-auth.csv", "-o", records, "-q").returncode == 0
    analyze = cli("logs", "analyze", records, "--facts", SEED / "facts.yaml",
                  "--params", SEED / "evidence" / "access-log-analysis.yaml", "-o", derived, "-q")
    assert analyze.returncode == 0, analyze.stderr
    out = tmp_path / "seed.pdf"
    waivers = SEED / "waivers.yaml"
    proc = cli("report", SEED / "facts.yaml", "--waivers", waivers, "--derived", derived, "--audience", "regulator", "-o", out)
    assert proc.returncode == 0, proc.stderr
    text = "\n".join(pdf_pages(out))
    stated = stated_strings(SEED / "facts.yaml", waivers)
    words = frozenset(w for s in stated for w in _WORD.findall(s))
    assert not EXPRESSION.search(text), EXPRESSION.search(text)
    assert english_runs(text, stated, words) == []
    assert "Park CPO" in pdf_pages(out)[0]
    assert "접속기록 분석 결과: sys-commerce: 제출된 접속기록 없음" in text  # an observation not judged, said in Korean
    assert "개인정보보호위원회 고시 제2025-9호" in " ".join(pdf_pages(out)[0].split())


def test_the_english_check_catches_prose_and_spares_ids():
    assert english_runs("부칙: Art 34 applies to every processor from 2023-09-15") == ["applies to every processor from"]
    assert english_runs("부칙: applies to every processor") == ["applies to every processor"]
    assert english_runs("re-checked: PIPC Safety Notice Art 6(6)") == ["re-checked: PIPC Safety Notice Art"]
    assert english_runs("ISMS-P 2.2.5, 2.5.1 · ISO27001-2022 A.5.18, A.6.5 · notice/5.2 · SHA-256 · UTC+09:00") == []
    assert english_runs("기관명 Hanbit Mall Co., Ltd. 점검", ["Hanbit Mall Co., Ltd."]) == []


# ------------------------------------------------------------------ 4. counts that say what they count


def test_a_count_says_how_many_were_in_scope_and_how_many_failed(copies):
    findings = " ".join(" ".join(copies["regulator"]).split())
    # 3 handlers listed, 2 left, 1 of those still has access
    assert "퇴직한 개인정보취급자의 접근 권한이 퇴직일 또는 그 다음 날까지 말소됨 대상 2건 중 위반 1건" in findings
    assert "전체 3건" in findings
    assert "퇴직 다음 날까지 접근 권한 미말소 — 대상 2건 중 위반 1건" in findings
    bare = r"(?<![\d,])(?<!대상 )\d[\d,]*건 중 |대상 \d[\d,]*건 중 (?!위반 )"
    assert not re.search(bare, findings), re.search(r".{30}(" + bare + r").{10}", findings)
    md = copies["regulator-md"]
    assert "| 대상 2건 중 위반 1건 (전체 3건) | 미충족 |" in md


# ------------------------------------------------------------------ 5. the internal copy opens with what is missing


def test_the_internal_copy_opens_with_what_is_still_missing_and_the_regulator_copy_does_not(copies):
    from compliance.result import TodoItem

    result = audit(copies["facts"], CATALOGS)
    row = TodoItem(
        kind="fact", item="shop", label={"ko": "망 구분", "en": "network zone"}, field="systems[].network_zone",
        provision={"ko": "「개인정보의 안전성 확보조치 기준」 제6조제1항", "en": "PIPC Safety Notice Art 6(1)"}, controls=["notice/6.1"],
    )
    result = result.model_copy(update={"todo": [row]})
    md = render(result, "md", "ko", options=Options(audience="internal")).decode()
    sections = re.findall(r"^## (.+)$", md, re.M)
    assert sections[0] == "아직 기재·제출되지 않은 항목", sections[:3]
    first = md.split("## 아직 기재·제출되지 않은 항목", 1)[1].split("\n## ", 1)[0]
    assert "| 항목 | 내용 | 필드 | 조항 |" in first
    assert "| shop (사실) | 망 구분 | `systems[].network_zone` | 「개인정보의 안전성 확보조치 기준」 제6조제1항 (notice/6.1) |" in first
    html = render(result, "html", "ko", options=Options(audience="internal")).decode()
    assert re.findall(r'<section id="([^"]+)"', html)[0] == "todo"
    for fmt in ("md", "html"):
        regulator = render(result, fmt, "ko", options=Options(audience="regulator")).decode()
        assert "아직 기재·제출되지 않은 항목" not in regulator and "systems[].network_zone" not in regulator
    nothing = render(result.model_copy(update={"todo": []}), "md", "ko", options=Options(audience="internal")).decode()
    assert "## 아직 기재·제출되지 않은 항목\n\n> 내부 검토용 목록입니다." in nothing and "빠진 항목이 없습니다." in nothing


# ------------------------------------------------------------------ 6. one language default for documents


def test_check_and_report_write_documents_in_korean_by_default(tmp_path):
    f = facts_file(tmp_path)
    for command in ("check", "report"):
        out = tmp_path / f"{command}.md"
        proc = cli(command, f, "-o", out)
        assert proc.returncode in (0, 1), proc.stderr
        assert out.read_text(encoding="utf-8").startswith("# 개인정보 안전성 확보조치 점검 보고서"), command
