"""Report defects, read back from what a user gets: a system with no access-record review and no start date of
operation renders in every format (it ended in an internal error, exit 70), and an incident whose report or notice
time is stated as ``unknown`` shows that time as unknown in the timeline, never as a missed deadline."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess

import pytest

from .conftest import CATALOGS, CLEAN, SEED, cli

MONTHS = ["2024-12", *(f"2025-{m:02d}" for m in range(1, 11))]  # the audit period up to the as-of month (2025-11)


def pdf_text(path) -> str:
    """The PDF's text as a reader sees it: poppler's pdftotext with the page layout (one table row a line)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def html_rows(text: str) -> list[str]:
    """Each table row of an HTML report as its visible text."""
    return [re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", row))) for row in re.findall(r"<tr>.*?</tr>", text, re.S)]


def read_back(path, fmt: str) -> str:
    if fmt == "pdf":
        return pdf_text(path)
    if fmt == "html":
        return "\n".join(html_rows(path.read_text(encoding="utf-8")))
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- an access log with no review stated


@pytest.fixture(scope="module")
def no_reviews(tmp_path_factory):
    """The clean example with one system stating ``access_log: {reviews: []}`` and no ``operating_since``."""
    folder = tmp_path_factory.mktemp("no-reviews") / "org"
    shutil.copytree(CLEAN, folder)
    facts = folder / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    text = text.replace("    operating_since: 2024-01-15\n", "", 1)
    text, n = re.subn(r"      reviews: \[2024-11-28.*?2025-10-31\]\n", "      reviews: []\n", text, count=1, flags=re.S)
    assert n == 1 and "operating_since" not in text
    facts.write_text(text, encoding="utf-8")
    return facts


@pytest.mark.parametrize("fmt, ext", [("md", "md"), ("html", "html"), ("pdf", "pdf"), ("json", "json"), ("findings-csv", "csv")])
def test_report_with_no_review_and_no_operating_since(no_reviews, fmt, ext):
    out = no_reviews.parent / f"report-{fmt}.{ext}"
    proc = cli("report", no_reviews, "--format", fmt, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr and out.stat().st_size > 0
    if fmt == "json":
        result = json.loads(out.read_text(encoding="utf-8"))
        (check,) = [ch for c in result["controls"] for ch in c["checks"] if ch["id"] == "monthly-review"]
        assert check["status"] == "fail"
        assert check["offenders"][0]["values"]["access_log"]["reviews"] == []
        return
    text = read_back(out, fmt)
    # the offender's note: every month of the audit period without a review, counted from the period's start
    said = re.sub(r"\s+", " ", text)
    assert "점검 기록이 없는 달 11개" in said
    assert all(m in said for m in MONTHS)


def test_series_note_keeps_the_window_of_a_check_that_ignores_the_period(tmp_path):
    """Notice 2021-2's monthly check looks back a year from the as-of date whatever the audit period: the report
    names the months it found missing (before the period, marked so) instead of leaving the failure unexplained."""
    shutil.copytree(CLEAN, tmp_path / "org")
    facts = tmp_path / "org" / "facts.yaml"
    text = facts.read_text(encoding="utf-8").replace("as_of: 2025-11-30", "as_of: 2023-06-30")
    text = text.replace("period_start: 2024-12-01", "period_start: 2023-01-01").replace("    operating_since: 2024-01-15\n", "", 1)
    text = re.sub(r"      reviews: \[2024-11-28.*?2025-10-31\]\n",
                  "      reviews: [2023-01-31, 2023-02-28, 2023-03-31, 2023-04-28, 2023-05-31]\n", text, count=1, flags=re.S)
    facts.write_text(text, encoding="utf-8")
    out = tmp_path / "report.md"
    proc = cli("report", facts, "-o", out)
    assert proc.returncode == 0, proc.stderr
    (line,) = [x for x in out.read_text(encoding="utf-8").splitlines() if "sys-booking" in x and "점검일" in x]
    assert "점검 기록이 없는 달 7개" in line
    assert "2022-07 (점검 대상 기간 이전)" in line and "2022-12 (점검 대상 기간 이전)" in line


# --------------------------------------------------------------------------- report and notice times unknown

NOTIFY, REPORT = "정보주체 통지 기한(72시간)", "보호위원회·전문기관 신고 기한(72시간)"
NOTIFY_EN, REPORT_EN = "Notify subjects (72 hours)", "Report to the PIPC or KISA (72 hours)"


def _incident(tmp_path_factory, name: str, **stated: str):
    folder = tmp_path_factory.mktemp(name) / "org"
    shutil.copytree(SEED, folder)
    facts = folder / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    for field, value in stated.items():
        text, n = re.subn(rf"(?m)^    {field}: .*$", f"    {field}: {value}" if value else "", text, count=1)
        assert n == 1, field
    facts.write_text(text, encoding="utf-8")
    return facts


@pytest.fixture(scope="module")
def both_unknown(tmp_path_factory):
    return _incident(tmp_path_factory, "both-unknown", reported_to_pipc_at="unknown", subjects_notified_at="unknown")


@pytest.fixture(scope="module")
def notice_unknown(tmp_path_factory):
    """Reported 81.5 hours after awareness (late: the 72-hour clock is missed), notice time unknown."""
    return _incident(tmp_path_factory, "notice-unknown", subjects_notified_at="unknown")


def _render(facts, fmt: str, *lang: str):
    out = facts.parent / f"report-{fmt}{'-' + lang[-1] if lang else ''}.{fmt}"
    proc = cli("report", facts, "--format", fmt, "-o", out, *lang)
    assert proc.returncode == 0, proc.stderr
    return out


def _lines(text: str, title: str) -> list[str]:
    found = [x for x in text.splitlines() if title in x]
    assert found, f"{title!r} not in the report"
    return found


def test_unknown_times_are_unknown_deadlines_in_the_result(both_unknown, notice_unknown, tmp_path_factory):
    clocks = {}
    for facts in (both_unknown, notice_unknown, _incident(tmp_path_factory, "not-notified", subjects_notified_at="")):
        (tl,) = json.loads(_render(facts, "json").read_text(encoding="utf-8"))["timelines"]
        clocks[facts.parent.parent.name] = {d["id"]: (d["status"], d["done_at"], d["done_unknown"]) for d in tl["deadlines"]}
    both, notice, not_notified = (next(v for k, v in clocks.items() if k.startswith(p)) for p in ("both", "notice", "not-notified"))
    assert both == {"notify-subjects": ("unknown", None, True), "report-pipc": ("unknown", None, True)}
    assert notice["notify-subjects"] == ("unknown", None, True)
    assert notice["report-pipc"] == ("missed", "2025-11-21T18:30:00+09:00", False)  # truly late
    assert not_notified["notify-subjects"] == ("missed", None, False)  # not done (omitted) and past due: missed


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_timeline_says_time_unknown_never_missed(both_unknown, fmt):
    text = read_back(_render(both_unknown, fmt), fmt)
    for title in (NOTIFY, REPORT):
        rows = _lines(text, title)
        assert all("기한 도과" not in x and "기한 준수" not in x for x in rows), rows
        assert any("일시 미상" in x for x in rows), rows
    assert "기한 도과" not in text


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_timeline_unknown_notice_beside_a_late_report(notice_unknown, fmt):
    text = read_back(_render(notice_unknown, fmt), fmt)
    notify, report = _lines(text, NOTIFY), _lines(text, REPORT)
    assert all("기한 도과" not in x for x in notify) and any("일시 미상" in x for x in notify), notify
    assert any("기한 도과" in x for x in report), report
    if fmt == "pdf":  # the drawn timeline labels each clock: the notice's as unknown, the report's as missed
        assert any(re.search(r"정보주체 통지 기한\(72시간\)\s*·\s*일시 미상", x) for x in notify), notify
        assert any(re.search(r"신고 기한\(72시간\)\s*·\s*기한 도과", x) for x in report), report


def test_pdf_timeline_labels_stay_inside_the_page(both_unknown):
    """The clocks due near the right end of the drawn timeline are labelled leftwards: the whole label, state
    included, lies within the text column (the running header's right edge), not cut off by the page."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = _render(both_unknown, "pdf")
    boxes = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
    (page,) = [p for p in boxes.split("<page ")[1:] if ">유출등<" in p and ">미상<" in p]
    words = [(float(x0), float(y), float(x1), w) for x0, y, x1, w in word.findall(page)]
    edge = max(x1 for _x0, y, x1, _w in words if y < 50)  # the running header, right-aligned to the text column
    # the drawn clocks' labels: a line of words with a '·' between the deadline and its state
    lines = {y: [(x1, w) for _x0, yy, x1, w in words if yy == y] for y in {y for _x0, y, _x1, _w in words}}
    labels = {y: line for y, line in lines.items() if {"기한(72시간)", "·"} <= {w for _x1, w in line}}
    assert len(labels) == 2, labels
    for line in labels.values():
        assert " ".join(w for _x1, w in line).endswith("· 일시 미상"), line
        assert all(x1 <= edge + 1 for x1, _w in line), (edge, line)


def test_timeline_time_unknown_in_english(notice_unknown):
    text = read_back(_render(notice_unknown, "md", "--lang", "en"), "md")
    (notify,) = _lines(text, NOTIFY_EN)
    (report,) = _lines(text, REPORT_EN)
    assert "time unknown" in notify and "Missed" not in notify and "Met" not in notify
    assert "Missed" in report
