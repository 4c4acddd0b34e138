"""The findings export for auditors (issue 23): ``-o findings.csv`` and ``-o findings.xlsx``, one row per offending
item with its control, provision, verdict, evidence and remediation; formula-safe in both formats."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile

import pytest

from compliance.render import Options, labels, render
from compliance.render.findings import CELL_MAX, COLUMNS, column_key, neutralised, risky
from compliance.result import FAILING

from .conftest import CATALOGS, ROOT, SEED, cli

BOM = "\ufeff".encode()
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HOSTILE = '=HYPERLINK("http://evil.example/","x")'


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM), "UTF-8 with a byte order mark: Korean Excel reads it as UTF-8"
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    return [[_text(v) for v in row] for row in sheet]


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def by_key(rows: list[list[str]]) -> list[dict[str, str]]:
    keys = [column_key(h) for h in rows[0]]
    return [dict(zip(keys, row)) for row in rows[1:]]


def same_width(rows: list[list[str]]) -> list[list[str]]:
    return [row + [""] * (len(COLUMNS) - len(row)) for row in rows]


@pytest.fixture(scope="module")
def seed_files(seed_result):
    options = Options(lang="ko")
    return render(seed_result, "findings-csv", "ko", options=options), render(seed_result, "findings-xlsx", "ko", options=options)


# ------------------------------------------------------------------------------------ rows


def test_every_offender_of_every_failing_check_is_a_row_with_its_control_and_provision(seed_result, seed_files):
    rows = by_key(csv_rows(seed_files[0]))
    lab = labels()
    assert [r["row"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    offenders = 0
    for c in seed_result.controls:
        mine = [r for r in rows if r["control"] == c.id]
        assert mine, f"{c.id}: every control has a row"
        for r in mine:
            assert (r["provision_ko"], r["provision_en"], r["title"]) == (c.cite.ko, c.cite.en, c.title.ko)
            assert r["verdict"] == lab["verdicts"][c.verdict]["ko"] and r["severity"] == lab["severities"][c.severity]["ko"]
        if c.verdict not in FAILING and c.verdict != "waived":
            assert len(mine) == 1 and not mine[0]["remediation"]  # compliant, not applicable: one row with the verdict
            continue
        assert all(r["remediation"] == c.remediation.ko for r in mine)
        for ch in c.checks:
            if ch.status != "fail":
                continue
            for o in ch.offenders:
                offenders += 1
                (row,) = [r for r in mine if r["check"] == ch.id and r["item"] == o.id]
                assert (ch.failure.ko if ch.failure else ch.description.ko) in row["finding"]
            if not ch.offenders:  # a plain check: one row, no item
                assert [r for r in mine if r["check"] == ch.id and r["item"] == ""]
        for e in c.evidence:
            if e.status != "ok":
                assert [r for r in mine if e.kind in r["missing"]], (c.id, e.kind)
    assert offenders >= 10
    departed = next(r for r in rows if r["item"] == "h-0042")  # the report's words, not the facts file's keys
    assert "퇴직일 2024-12-31" in departed["finding"] and "left_on" not in departed["finding"]
    waived = [r for r in rows if r["verdict"] == lab["verdicts"]["waived"]["ko"]]
    assert waived and all("만료일: 2026-03-31" in r["waiver"] and "예외 전 판정: 미준수" in r["waiver"] for r in waived)
    plan = next(r for r in rows if r["control"] == "pipa/34.4")
    assert re.search(r"pipc-report \S+ SHA-256 [0-9a-f]{64}", plan["evidence"])
    order = [r["verdict"] for r in rows]
    failing = {lab["verdicts"][v]["ko"] for v in FAILING}
    assert order == sorted(order, key=lambda v: v not in failing), "the findings come first"


def test_headers_read_in_the_report_language_and_parse_by_key(seed_result):
    for lang in ("ko", "en"):
        rows = csv_rows(render(seed_result, "findings-csv", lang))
        assert tuple(column_key(h) for h in rows[0]) == COLUMNS
        assert rows[0][6] == f"{labels()['findings_columns']['verdict'][lang]} (verdict)"
    assert column_key("근거 조문 영문 표기 (provision_en)") == "provision_en"


def test_csv_and_xlsx_hold_the_same_rows(seed_files):
    data_csv, data_xlsx = seed_files
    assert b"\r\n" in data_csv and not re.search(rb"[^\r]\n(?=\d+,)", data_csv), "CRLF between records"
    from_csv = csv_rows(data_csv)
    from_xlsx = same_width(xlsx_rows(data_xlsx))
    assert len(from_csv) == len(from_xlsx) > 10
    assert from_csv == [[neutralised(cell) for cell in row] for row in from_xlsx]


def test_insufficient_evidence_rows_name_each_missing_fact_and_document(tmp_path):
    from compliance.pipeline import audit

    facts = tmp_path / "facts.yaml"
    facts.write_text("as_of: 2025-11-30\norganization: {name: Gap Co}\n", encoding="utf-8")
    result = audit(facts, CATALOGS)
    rows = by_key(xlsx_rows(render(result, "findings-xlsx", "ko")))
    for c in result.controls:
        if c.verdict != "insufficient-evidence":
            continue
        mine = [r for r in rows if r["control"] == c.id]
        expected = sum(max(1, len(m.items)) for ch in c.checks for m in ch.missing)
        expected += sum(1 for e in c.evidence if e.status != "ok")
        assert len(mine) == expected and all(r["missing"] for r in mine), c.id
    attested = [r for r in rows if "attestations[]" in r["missing"]]
    assert attested and all(r["missing"].startswith("확인서: ") for r in attested)


def test_a_finding_from_observed_facts_says_where_it_was_observed():
    from compliance.pipeline import audit

    folder = ROOT / "examples" / "ecommerce-breach-observed"
    result = audit(folder / "facts.yaml", CATALOGS)
    rows = by_key(csv_rows(render(result, "findings-csv", "en")))
    seen = {(r["check"], r["item"]): r["location"] for r in rows if r["location"]}
    observed = [(ch.id, o.id, o.values["observed at"]) for c in result.controls for ch in c.checks for o in ch.offenders
                if "observed at" in o.values]
    assert observed
    for check, item, at in observed:
        assert seen[(check, item)] == at
    assert not any("observed at" in r["finding"] for r in rows)


# ------------------------------------------------------------------------------------ formula-safe


@pytest.mark.parametrize("text, inert", [
    ("=1+1", True), ("+1", True), ("-1", True), ("@SUM(A1)", True), ("\t=1", True), ("\r=1", True),
    ("＝1+1", True), ("＠SUM(A1)", True), ("  =1+1", True), ("\u3000-1", True),
    ("a=1", False), ("h-0042", False), ("", False), ("'=1", False), ("pipa/34.1", False),
])
def test_what_a_spreadsheet_would_read_as_a_formula(text, inert):
    assert risky(text) is inert
    assert neutralised(text) == ("'" + text if inert else text)


def _hostile(seed_result):
    result = seed_result.model_copy(deep=True)
    first, second = [o for c in result.controls if c.verdict == "non-compliant" for ch in c.checks for o in ch.offenders][:2]
    first.id, first.label = HOSTILE, "@SUM(1+1)*cmd|' /C calc'!A0"  # a label expression's text comes first
    first.values["observed at"] = "-2+3"  # where a tool's output showed it
    second.label = "x\u202ey\x1b[31m\ud800\U0001f600" + "z" * (CELL_MAX + 10)  # bidi override, escape, lone surrogate, too long
    return result


def test_hostile_values_are_inert_text_in_both_formats(seed_result):
    result = _hostile(seed_result)
    data_csv, data_xlsx = render(result, "findings-csv", "ko"), render(result, "findings-xlsx", "ko")
    from_csv = csv_rows(data_csv)
    assert ["'" + HOSTILE] == [cell for row in from_csv for cell in row if HOSTILE in cell and cell.endswith(")")]
    assert not [cell for row in from_csv for cell in row if risky(cell)]
    assert all(len(cell.encode("utf-16-le")) <= 2 * CELL_MAX for row in from_csv for cell in row)
    assert [cell for row in from_csv for cell in row if cell.endswith("z …")]
    assert "\u202e" not in data_csv.decode("utf-8") and "\\u202e" in data_csv.decode("utf-8")
    from_xlsx = same_width(xlsx_rows(data_xlsx))
    assert from_csv == [[neutralised(cell) for cell in row] for row in from_xlsx]
    assert_string_cells(data_xlsx, HOSTILE)


def assert_string_cells(data: bytes, hostile: str) -> None:
    """The XML itself: no formula anywhere, the hostile text an inline string marked quotePrefix (Excel keeps it text
    when the cell is edited)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        styles = ET.fromstring(z.read("xl/styles.xml"))
        about = z.read("xl/worksheets/sheet2.xml")
    assert sheet.find(f".//{MAIN}f") is None and b"<f>" not in about and b"<f " not in about
    xfs = styles.find(f"{MAIN}cellXfs").findall(f"{MAIN}xf")
    found = 0
    for c in sheet.iter(f"{MAIN}c"):
        text = "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
        if c.get("t") != "inlineStr":
            assert c.get("t") in (None, "n") and re.fullmatch(r"\d+", c.findtext(f"{MAIN}v") or ""), c.attrib
            continue
        quoted = xfs[int(c.get("s", 0))].get("quotePrefix") == "1"
        assert quoted == risky(text), text[:40]
        found += text == hostile
    assert found == 1


def test_a_hostile_facts_file_gives_inert_exports_in_one_run(tmp_path):
    folder = tmp_path / "hostile"
    shutil.copytree(SEED, folder)
    facts = folder / "facts.yaml"
    quoted = '"' + HOSTILE.replace('"', '\\"') + '"'
    facts.write_text(facts.read_text(encoding="utf-8").replace("h-0042", quoted), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = cli("check", facts, "--waivers", folder / "waivers.yaml", "--fail-on", "none",
               "-o", out / "findings.csv", "-o", out / "findings.xlsx", "-o", out / "r.json")
    assert proc.returncode == 0, proc.stderr
    import json

    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["summary"]["total"] > 0
    from_csv = csv_rows((out / "findings.csv").read_bytes())
    rows = by_key(from_csv)
    assert [r["item"] for r in rows if HOSTILE in r["item"]] == ["'" + HOSTILE]
    assert rows[0]["control"] and column_key(from_csv[0][9]) == "item" and "대상" in from_csv[0][9]  # Korean by default
    assert not [cell for row in from_csv for cell in row if risky(cell)]
    data = (out / "findings.xlsx").read_bytes()
    assert_string_cells(data, HOSTILE)
    assert from_csv == [[neutralised(cell) for cell in row] for row in same_width(xlsx_rows(data))]


# ------------------------------------------------------------------------------------ the workbook


def test_the_same_inputs_give_the_same_bytes(seed_result, seed_files):
    time.sleep(1.1)  # zip entries and the document's properties would otherwise carry the time of writing
    assert render(seed_result, "findings-xlsx", "ko", options=Options(lang="ko")) == seed_files[1]
    assert render(seed_result, "findings-csv", "ko") == seed_files[0]


def test_the_workbook_names_the_audit_on_a_second_sheet(seed_result, seed_files):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(seed_files[1]))
    assert book.sheet_names == [labels()["findings_sheet"]["ko"], labels()["findings_about_sheet"]["ko"]]
    about = {row[0]: row[1] for row in book.get_sheet_by_index(1).to_python()}
    assert about["증적 파일 SHA-256"] == seed_result.facts_sha256
    assert about["점검 기준일"] == seed_result.as_of.isoformat()


def test_the_xlsx_opens_in_libreoffice_with_the_same_rows(seed_result, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the workbook is read by python-calamine only")
    result = _hostile(seed_result)
    book = tmp_path / "findings.xlsx"
    book.write_bytes(render(result, "findings-xlsx", "ko"))
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: another soffice running does not block this one
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to",
         'csv:Text - txt - csv (StarCalc):44,34,76,1', "--outdir", str(tmp_path / "lo"), str(book)],
        capture_output=True, text=True, timeout=240,
    )
    converted = tmp_path / "lo" / "findings.csv"
    assert converted.exists(), proc.stdout + proc.stderr
    from_lo = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"), newline="")))
    assert [row for row in from_lo] == same_width(xlsx_rows(book.read_bytes()))
    assert any(HOSTILE in row for row in from_lo), "LibreOffice read the hostile id as text, not as a formula"


def test_the_findings_workbook_never_overwrites_the_facts_workbook(tmp_path):
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    proc = cli("init", "--from", folder / "facts.yaml", "-o", folder / "점검표.xlsx")
    assert proc.returncode == 0, proc.stderr
    book = folder / "점검표.xlsx"
    before = book.read_bytes()
    for command in ("check", "report"):
        refused = cli(command, book, "-o", book)
        assert refused.returncode == 2 and "is an input of this run" in refused.stderr, refused.stderr
        assert book.read_bytes() == before
    proc = cli("check", book, "--fail-on", "none", "-o", folder / "findings.xlsx")
    assert proc.returncode == 0, proc.stderr
    header = xlsx_rows((folder / "findings.xlsx").read_bytes())[0]
    assert tuple(column_key(h) for h in header) == COLUMNS


# ------------------------------------------------------------------------------------ at scale


def _awkward(seed_result):
    """The hostile offenders, and texts that test how a cell is written: blanks at either end, only blanks, XML's own
    characters, Excel's ``_xHHHH_`` escape, a tab and a line break inside."""
    result = _hostile(seed_result)
    offenders = [o for c in result.controls if c.verdict == "non-compliant" for ch in c.checks for o in ch.offenders]
    texts = ["  lead", "trail  ", "   ", "a & <b> \"c\" 'd'", "_x0041_ and _X0041_", "tab\there", "two\nlines", "\u3000전각"]
    for o, text in zip(offenders[2:], texts):
        o.label = text
    assert len(offenders) >= 2 + len(texts)
    return result


def test_a_repeated_text_is_cleaned_once_and_gives_the_same_table(seed_result, monkeypatch):
    """rows_of remembers the clean form of a control's and a check's texts: remembered or not (cleared at every new
    text), the table is each row's cells cleaned one by one."""
    from compliance.render import findings

    result, options = _awkward(seed_result), Options(lang="ko")
    plain = [[findings.clean(h) for h in findings.header(options)]]
    for n, row in enumerate(findings._Rows(result, options).rows(), start=1):
        row["row"] = str(n)
        plain.append([findings.clean(row.get(k, "")) for k in COLUMNS])
    assert findings.table(result, options) == plain
    monkeypatch.setattr(findings, "REMEMBERED", 0)
    assert findings.table(result, options) == plain
    assert list(findings.rows_of(result, options, neutralised)) == [[neutralised(c) for c in row] for row in plain]


def _cells_read_back(data: bytes) -> dict:
    """What openpyxl reads from a workbook: every cell's value, type and look, and each sheet's frame."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    out = {"sheets": book.sheetnames}
    for ws in book.worksheets:
        out[ws.title] = (
            [(c.coordinate, c.value, c.data_type, c.font.b, c.font.name, c.font.sz, c.alignment.wrap_text,
              c.alignment.vertical, c.quotePrefix, c.fill.fgColor.rgb if c.fill.fill_type else None)
             for row in ws.iter_rows() for c in row],
            ws.freeze_panes, ws.auto_filter.ref, {k: d.width for k, d in ws.column_dimensions.items()},
        )
    return out


def _through_openpyxl(result, options) -> bytes:
    """The findings sheet as openpyxl writes it cell by cell (the writer before the rows were written as XML)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from compliance.render.findings_xlsx import WIDTHS, _WRAPPED

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(labels()["findings_sheet"][options.lang])

    def cell(value, bold=False, wrap=False, head=False, number=False):
        c = WriteOnlyCell(ws, value=int(value) if number else re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", value))
        if not number:
            c.data_type = "s"
        c.font = Font(name="맑은 고딕", size=10, bold=bold)
        c.alignment = Alignment(vertical="top", wrap_text=wrap)
        c.quotePrefix = not number and risky(value)
        if head:
            c.fill = PatternFill("solid", fgColor="DDEBF7")
        return c

    for n, key in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = WIDTHS[key]
    ws.freeze_panes = "A2"
    rows = findings_table(result, options)
    ws.auto_filter.ref = f"A1:P{len(rows)}"
    ws.append([cell(v, bold=True, wrap=True, head=True) for v in rows[0]])
    for row in rows[1:]:
        ws.append([cell(row[0], number=True), *(cell(v, wrap=k in _WRAPPED) for v, k in zip(row[1:], COLUMNS[1:]))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def findings_table(result, options):
    from compliance.render.findings import table

    return table(result, options)


@pytest.mark.parametrize("remembered", [10_000, 0])
def test_the_workbook_rows_are_the_cells_openpyxl_writes(seed_result, monkeypatch, remembered):
    """The findings sheet's rows are written as XML directly (through openpyxl, 870,000 rows took 200 s): read back
    by openpyxl, every cell has the value, type, font, alignment, quote prefix and fill that openpyxl writing it cell
    by cell gives, with awkward and hostile texts, whether repeated cells are remembered or not."""
    from compliance.render import findings, findings_xlsx

    monkeypatch.setattr(findings, "REMEMBERED", remembered)
    monkeypatch.setattr(findings_xlsx, "REMEMBERED", remembered)
    result, options = _awkward(seed_result), Options(lang="ko")
    ours = _cells_read_back(render(result, "findings-xlsx", "ko", options=options))
    theirs = _cells_read_back(_through_openpyxl(result, options))
    sheet = labels()["findings_sheet"]["ko"]
    assert ours[sheet] == theirs[sheet]
    assert len(ours[sheet][0]) == len(COLUMNS) * len(findings_table(result, options)) > 500
    # and the XML itself, but for the style numbers: Excel keeps a text's blanks only under xml:space="preserve"
    assert _sheet_xml(render(result, "findings-xlsx", "ko", options=options)) == _sheet_xml(_through_openpyxl(result, options))


def _sheet_xml(data: bytes) -> list[tuple]:
    space = "{http://www.w3.org/XML/1998/namespace}space"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    return [(c.get("r"), c.get("t"), [(t.get(space), t.text) for t in c.iter(f"{MAIN}t")], c.findtext(f"{MAIN}v"))
            for c in sheet.iter(f"{MAIN}c")]


def test_a_sheet_too_short_for_every_row_says_how_many_are_only_in_the_csv(seed_result, monkeypatch):
    """Excel holds 1,048,576 rows: past them the last row says how many were left out (the CSV has them all), and
    the filter covers the rows written. A table that just fits has no such row."""
    from compliance.render import findings_xlsx

    total = len(findings_table(seed_result, Options(lang="ko")))  # the header and the data rows
    monkeypatch.setattr(findings_xlsx, "MAX_ROWS", 6)
    data = render(seed_result, "findings-xlsx", "ko")
    rows = xlsx_rows(data)
    assert len(rows) == 6 and rows[4][0] == "4"
    assert rows[5][0] == labels()["findings_truncated"]["ko"].format(n=f"{total - 5:,}")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b'<autoFilter ref="A1:P5"' in z.read("xl/worksheets/sheet1.xml")
    monkeypatch.setattr(findings_xlsx, "MAX_ROWS", total)
    rows = xlsx_rows(render(seed_result, "findings-xlsx", "ko"))
    assert len(rows) == total and rows[-1][0] == str(total - 1)


def test_a_value_said_once_is_said_as_a_fresh_reader_says_it():
    """Say.pair remembers what it said of a field's value (the same dates recur over a million offenders): asked
    again, in any order, it says what it says the first time, and 1 is not True, nor -0.0 0.0."""
    from compliance.render import Say

    values = [True, 1, 0, False, None, "2024-01-01", "(absent)", "x", 1.5, -0.0, 0.0, [1, 2], {"a": 1}, "2025-01-01T09:00:00+09:00"]
    keys = ["left_on", "access_log.retention_days", "mfa", "kind"]
    say = Say("ko")
    for _round in range(2):
        for value in values + values[::-1]:
            for key in keys:
                assert say.pair(key, value) == Say("ko").pair(key, value), (key, value)
    assert say.pair("mfa", True) != say.pair("mfa", 1) and say.pair("x", -0.0) != say.pair("x", 0.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_texts_are_written_as_openpyxl_writes_them(seed_result, seed):
    """Random labels from an alphabet of what makes cell XML hard — blanks of every kind at either end, line breaks,
    tabs, XML's own characters, Excel's _xHHHH_ escape, formula starts, controls, bidirectional marks, surrogates,
    noncharacters, Hangul and emoji: the sheet's XML is openpyxl's, cell by cell."""
    import random

    rng = random.Random(seed)
    alphabet = [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\xa0", "\u2028", "&", "<", ">", '"', "'", "_x0041_", "_x", "=",
                "+", "-", "@", "\x00", "\x1b", "\x7f", "\u202e", "\ud800", "\ufffe", "\ufdd0", "가", "한글", "😀", "a", "7"]
    result = seed_result.model_copy(deep=True)
    offenders = [o for c in result.controls if c.verdict == "non-compliant" for ch in c.checks for o in ch.offenders]
    for o in offenders:
        o.label = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 7)))
    options = Options(lang="ko")
    assert _sheet_xml(render(result, "findings-xlsx", "ko", options=options)) == _sheet_xml(_through_openpyxl(result, options))


def test_the_text_table_names_the_first_offenders_and_counts_the_rest(seed_result):
    """`check`'s default table names five offenders of a check and says how many more there are (it no longer makes
    a list of every label to show five: 870,000 of them at 1M rows)."""
    from compliance.render.text import SHOWN, table

    result = seed_result.model_copy(deep=True)
    ch = next(ch for c in result.controls for ch in c.checks if len(ch.offenders) >= 2)
    first = ch.offenders[0]
    ch.offenders = [first.model_copy(update={"label": f"item-{n:03d}"}) for n in range(SHOWN + 37)]
    line = next(x for x in table(result, lang="en").splitlines() if f" {ch.id}" in x and "item-000" in x)
    assert ", ".join(f"item-{n:03d}" for n in range(SHOWN)) in line and f"item-{SHOWN:03d}" not in line
    assert "and 37 more" in line, line
