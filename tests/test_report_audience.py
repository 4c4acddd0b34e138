"""Issue 11, the report: values not keys, failures said as failures, audience, Korean typography, a live plan,
every format the whole report (self-contained HTML, no binary on a terminal), progress on a terminal only."""

import base64
import io
import os
import pty
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from compliance.pipeline import audit
from compliance.render import Options, render

from .conftest import CATALOGS, SEED, cli

import pypdf
SERVER = SEED.parent / "server-intrusion"


class _Text(HTMLParser):
    """The text a reader sees, per element class: skips style/script, keeps a list of (classes, text)."""

    def __init__(self):
        super().__init__()
        self.stack, self.parts, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.skip += 1
        if tag not in ("br", "meta", "img", "input", "link"):
            self.stack.append((tag, dict(attrs).get("class", "")))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.skip -= 1
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self.parts.append((" ".join(c for _, c in self.stack), data))

    def text(self, without=()):
        return " ".join(d for cls, d in self.parts if not any(w in cls.split() for w in without))


def visible(html: str, without=()) -> str:
    p = _Text()
    p.feed(html)
    return re.sub(r"\s+", " ", p.text(without))


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def server_result():
    return audit(SERVER / "facts.yaml", CATALOGS)


@pytest.fixture(scope="module")
def pdfs(seed_result, seed_pdfs):
    """The seed report as PDF, rendered once per variant the tests read (the default one is shared)."""
    return {
        "ko-internal": pdf_text(seed_pdfs["ko"]),
        "ko-regulator": pdf_text(render(seed_result, "pdf", "ko", options=Options(audience="regulator"))),
        "en-maximum": pdf_text(render(seed_result, "pdf", "en", options=Options(show_statutory_maximum=True))),
    }


# ------------------------------------------------------------------ 1. values, not keys


def test_evidence_tables_show_values_in_the_reports_language(seed_result):
    en = render(seed_result, "html", "en").decode()
    ko = render(seed_result, "html", "ko").decode()
    tables = re.findall(r'<table class="grid offenders">.*?</table>', en, re.S)
    assert tables
    shown = " ".join(visible(t) for t in tables)
    # a nested object is opened to the field the check read, never printed as its key names
    assert "retention_days" not in shown and "tamper_protected" not in shown and "access_log" not in shown
    assert "365 days" in shown and "password only" in shown
    for literal in ("True", "False", "None", "null", "(absent)"):
        assert not re.search(rf"\b{re.escape(literal)}(?!\w)", shown), literal
    assert "still active" in shown  # access_revoked_on stated as null: the handler still has access
    ko_tables = " ".join(visible(t) for t in re.findall(r'<table class="grid offenders">.*?</table>', ko, re.S))
    assert "365일" in ko_tables and "비밀번호만" in ko_tables and "아니오" in ko_tables and "False" not in ko_tables
    # a time series names what is missing: the months without a recorded review, counted within the audit period
    # (period_start 2024-12-01: November 2024 is outside it and is not charged)
    assert "6 months without a recorded review: 2025-04, 2025-05, 2025-06, 2025-07, 2025-09, 2025-10" in shown
    assert "2024-11" not in shown


# ------------------------------------------------------------------ 2. failures said as failures


def test_every_check_carries_its_failure_sentence(catalogs):
    missing = [
        f"{ctl.control.id}/{ch.id}"
        for cat in catalogs
        for ctl in cat.controls
        for ch in ctl.control.checks
        if ch.failure is None or not ch.failure.ko.strip() or not ch.failure.en.strip()
    ]
    assert not missing, missing


def test_summary_says_failures_as_failures(seed_result, pdfs):
    md = render(seed_result, "md", "en").decode()
    summary = md.split("## Executive summary")[1].split("## Scope and method")[0]
    assert "- h-0042: access not revoked within a day of leaving (left 2024-12-31; still active)" in summary
    assert "access was revoked" not in summary.lower() and "(1/2" not in summary
    ko = " ".join(pdfs["ko-internal"]).replace("\n", " ")
    assert "h-0042: 퇴직 다음 날까지 접근 권한 미말소 (퇴직일 2024-12-31; 권한 미말소(유지 중))" in ko


# ------------------------------------------------------------------ 3. audience


def test_audience_sets_stamp_signoff_and_sanctions(pdfs):
    internal, regulator, maximum = (" ".join(p).replace("\n", " ") for p in (pdfs["ko-internal"], pdfs["ko-regulator"], pdfs["en-maximum"]))
    assert "대외비 — 규제기관 제출용" in pdfs["ko-regulator"][0] and "대외비 — 규제기관 제출용" not in internal
    assert "대외비 — 내부 검토용" in pdfs["ko-internal"][0]
    assert "관련 제재 규정과 법정 상한" in internal and "관련 제재 규정과 법정 상한" not in regulator
    assert "사실과 다름없음을 확인하고 제출합니다" in regulator and "내부 검토용이며" in internal
    # the statutory maximum is opt-in, and labelled as a legal maximum, never an expected fine
    assert "1,230,000,000,000" not in internal and "1,230,000,000,000" not in regulator
    assert "--show-statutory-maximum" in internal
    assert "1,230,000,000,000 KRW" in maximum
    near = maximum.split("1,230,000,000,000 KRW", 1)[1][:80]
    assert "a legal maximum, not the expected fine" in near


def test_audience_on_the_command_line(tmp_path):
    out = tmp_path / "r.md"
    proc = cli("report", SEED / "facts.yaml", "--waivers", SEED / "waivers.yaml", "--audience", "regulator", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "대외비 — 규제기관 제출용" in out.read_text() and "법정 상한" not in out.read_text()
    assert cli("report", SEED / "facts.yaml", "--audience", "press", "-o", out).returncode == 2


# ------------------------------------------------------------------ 4. Korean typography


def test_korean_words_are_never_broken_and_states_are_translated(seed_result, pdfs):
    pages = pdfs["ko-internal"]
    result = seed_result
    # a line of the PDF breaks only where the text has a space: the remediation sentences, lines joined with a space,
    # read back word for word (a break inside a word would read "말 소" for "말소")
    flat = re.sub(r"\s*\n\s*", " ", "\n".join(pages))
    sentences = [c.remediation.ko for c in result.controls if c.verdict in ("non-compliant", "insufficient-evidence")]
    assert sentences
    wrapped = 0
    for sentence in sentences:
        assert sentence in flat, sentence
        wrapped += any(sentence not in page.replace("\n", "") and sentence in re.sub(r"\s*\n\s*", " ", page) for page in pages)
    assert wrapped  # at least one sentence runs over several lines, so the test sees line breaks
    body = " ".join(pages)
    assert "진행 중" in body and "in-progress" not in body  # the plan's status, translated
    html = render(result, "html", "ko").decode()
    assert "word-break: keep-all" in html
    # counts are said with their unit and what they count ("대상 2건 중 위반 1건"), never as "1/2" or "1 / 2", which
    # reads as a page number, nor as a bare "2건 중 1건" (of what? in scope of the list, or failing of those in scope?)
    findings = visible(html.split('id="findings"')[1].split('id="incidents"')[0], without=("mono",))
    assert not re.search(r"\d\s*/\s*\d", findings), re.search(r".{20}\d\s*/\s*\d.{20}", findings)
    assert "대상 2건 중 위반 1건" in findings
    bare = r"(?<![\d,])(?<!대상 )\d[\d,]*건 중 |대상 \d[\d,]*건 중 (?!위반 )"
    assert not re.search(bare, findings), re.search(r".{20}(" + bare + r").{10}", findings)


# ------------------------------------------------------------------ 5. the remediation plan is live


def test_plan_item_whose_control_passes_is_marked(tmp_path):
    shutil.copytree(SEED, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(
        f.read_text().replace(
            "remediation_plan:\n",
            'remediation_plan:\n  - {control: notice/4.1, action: "Approve the plan", owner: "CEO", due: 2025-01-31, status: done}\n',
        )
    )
    result = audit(f, CATALOGS, tmp_path / "org" / "waivers.yaml")
    html = render(result, "html", "en").decode()
    plan = html.split('id="plan"')[1].split("</section>")[0]
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*notice/4\.1(?:(?!</tr>).)*</tr>", plan, re.S).group(0)
    assert "control now passes" in visible(row)
    failing = re.search(r"<tr[^>]*>(?:(?!</tr>).)*notice/5\.2(?:(?!</tr>).)*</tr>", plan, re.S).group(0)
    assert "control now passes" not in visible(failing) and "Non-compliant" in visible(failing)
    unplanned = visible(plan.split("Findings with no planned action")[1])
    assert "notice/6.2" in unplanned and "notice/5.2" not in unplanned


# ------------------------------------------------------------------ 6. every format the whole report


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_markdown_is_the_whole_report(seed_result, lang):
    md = render(seed_result, "md", lang, options=Options(show_statutory_maximum=True)).decode()
    html = render(seed_result, "html", lang, options=Options(show_statutory_maximum=True)).decode()
    headings = re.findall(r"<h2>(.*?)</h2>", html)  # the sections (not the table of contents' own title)
    assert len(headings) >= 10
    for heading in headings:  # every section of the HTML report is a section of the Markdown report
        assert f"## {heading}" in md, heading
    for needle in ("inc-2025-11", "Golfzon", "1,230,000,000,000", "Head of Platform Engineering", "2026-9", "notice/6-2.1"):
        assert needle in md, needle
    lines = md.splitlines()
    labelled = [i for i, line in enumerate(lines) if line.startswith("**")]
    assert len(labelled) > 20
    for i in labelled:  # a paragraph starting with a bold label never runs into the line above
        assert not lines[i - 1].strip(), (lines[i - 1], lines[i])


def test_markdown_of_the_regulator_copy(seed_result):
    md = render(seed_result, "md", "en", options=Options(audience="regulator")).decode()
    assert "for submission to the regulator" in md and "## Sign-off" in md and "Penalty provisions" not in md


@pytest.mark.parametrize("example", ["seed", "server"])
def test_html_is_self_contained_with_a_font_chromium_accepts(seed_result, server_result, example):
    from fontTools.ttLib import TTFont

    result = seed_result if example == "seed" else server_result
    html = render(result, "html", "ko").decode()
    assert 'url("fonts/' not in html and not re.search(r"""(src|href)=["'](?!#|data:)""", html)
    fonts = re.findall(r'url\("data:font/ttf;base64,([A-Za-z0-9+/=]+)"\)', html)
    assert len(fonts) == 2
    text = visible(html)
    hangul = {ch for ch in text if "\uac00" <= ch <= "\ud7a3"}
    assert len(hangul) > 100
    for data in fonts:
        raw = base64.b64decode(data)
        assert len(raw) < 400_000  # subset: the whole font is 4.7 MB
        font = TTFont(io.BytesIO(raw))
        assert not [t for t in font.keys() if t.startswith("TSI")]  # Chromium's sanitiser rejects VTT tables
        cmap = font.getBestCmap()
        assert not [ch for ch in hangul if ord(ch) not in cmap]


def _pty_run(args, stdout_tty: bool, stderr_tty: bool):
    """Run the console script with stdout and/or stderr on a pseudo-terminal; returns (code, stdout, stderr)."""
    exe = shutil.which("pipa-audit", path=os.path.dirname(os.sys.executable)) or shutil.which("pipa-audit")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [exe, *map(str, args)],
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, err = proc.communicate(timeout=300)
    os.close(master)
    return proc.returncode, (seen if stdout_tty else out or b""), (seen if stderr_tty else err or b"")


def test_binary_never_goes_to_a_terminal():
    code, out, err = _pty_run(["report", SEED / "facts.yaml", "-o", "-"], stdout_tty=True, stderr_tty=False)
    assert code == 2 and b"%PDF" not in out and b"terminal" in err
    proc = subprocess.run(
        [shutil.which("pipa-audit", path=os.path.dirname(os.sys.executable)) or "pipa-audit", "report", SEED / "facts.yaml", "-o", "-"],
        capture_output=True, timeout=300,
    )
    assert proc.returncode == 0 and proc.stdout.startswith(b"%PDF-")  # a pipe gets the bytes


# ------------------------------------------------------------------ 7. progress on a terminal only


def test_progress_on_a_terminal_only(tmp_path):
    out = tmp_path / "r.md"
    code, _, err = _pty_run(["report", SEED / "facts.yaml", "-o", out], stdout_tty=False, stderr_tty=True)
    assert code == 0
    for step in (b"loading", b"evaluating", b"rendering"):
        assert step in err, err
    code, _, err = _pty_run(["report", SEED / "facts.yaml", "-o", out, "--quiet"], stdout_tty=False, stderr_tty=True)
    assert code == 0 and b"evaluating" not in err and b"\x1b[K" not in err
    proc = cli("report", SEED / "facts.yaml", "-o", out)
    assert proc.returncode == 0 and "evaluating" not in proc.stderr and "\x1b" not in proc.stderr
