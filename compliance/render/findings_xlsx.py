"""The findings export as an XLSX workbook for auditors (``check``/``report -o findings.xlsx``; the officer's facts
workbook is ``init -o 점검표.xlsx``, another command, and ``-o`` never overwrites an input): the rows and columns of
:mod:`compliance.render.findings` on a sheet with a filter on its header and the header frozen, and a second sheet
naming the audit (organisation, as-of date, report id, the facts file and catalogs with their SHA-256).

Every text is a string cell (``t="inlineStr"``): openpyxl makes a value starting with ``=`` a formula unless the
cell's type is set, so it is set on each cell; a text a spreadsheet would read as a formula is also marked
``quotePrefix``, so that editing it in Excel keeps it text. ``_xHHHH_`` in a text is escaped (Excel decodes it). The
same inputs give the same bytes: the document's dates are the as-of date and the archive's entries carry a fixed
time.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator

from compliance.render import REMEMBERED, Format, Options, labels, report_id
from compliance.render.findings import COLUMNS, OWN_COLUMNS, clean, risky, rows_of
from compliance.result import AuditResult

MAX_ROWS = 1_048_576
"""the most rows an Excel sheet holds"""
WIDTHS = {
    "row": 6, "control": 13, "provision_ko": 30, "provision_en": 22, "title": 28, "severity": 9, "verdict": 12,
    "check": 24, "requirement": 36, "item": 20, "finding": 60, "missing": 30, "location": 26, "evidence": 46,
    "remediation": 50, "waiver": 36,
}
_WRAPPED = frozenset({"title", "requirement", "finding", "missing", "location", "evidence", "remediation", "waiver"})
_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


class _Cells:
    """Cells of one workbook with a few styles made once and copied: setting a font on each of 100,000 cells spent
    most of a write hashing the same style objects (compliance.workbook found the same)."""

    def __init__(self, wb):
        from openpyxl.styles import Alignment, Font, PatternFill

        self.ws = wb.create_sheet("#scratch")
        self.fonts = {False: Font(name="맑은 고딕", size=10), True: Font(name="맑은 고딕", size=10, bold=True)}
        self.aligns = {False: Alignment(vertical="top"), True: Alignment(vertical="top", wrap_text=True)}
        self.fill = PatternFill("solid", fgColor="DDEBF7")
        self.protos: dict[tuple[bool, bool, bool, bool], object] = {}
        self.wb = wb

    def style(self, bold: bool, wrap: bool, quote: bool, head: bool):
        key = (bold, wrap, quote, head)
        found = self.protos.get(key)
        if found is None:
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(self.ws)
            cell.font, cell.alignment = self.fonts[bold], self.aligns[wrap]
            if quote:  # Excel keeps the text a text when the cell is edited, as if typed after an apostrophe
                cell.quotePrefix = True
            if head:
                cell.fill = self.fill
            found = self.protos[key] = cell._style
        return found

    def text(self, ws, value: str, bold: bool = False, wrap: bool = False, head: bool = False):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws)
        cell.value = _ESCAPE.sub(r"_x005F_\1", value)
        cell.data_type = "s"  # never a formula, whatever it starts with (openpyxl guesses 'f' for a leading '=')
        cell._style = copy.copy(self.style(bold, wrap, risky(value), head))
        return cell

    def style_id(self, ws, bold: bool, wrap: bool, quote: bool) -> int:
        """The workbook's index of a style, registered now (cells written as XML by ``_sheet_rows`` name it)."""
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws)
        cell._style = copy.copy(self.style(bold, wrap, quote, False))
        return cell.style_id

    def done(self) -> None:
        self.wb.remove(self.ws)


_STYLES = ((False, False, False), (False, True, False), (False, False, True), (False, True, True), (True, False, False),
           (True, False, True))
"""(bold, wrap, quote) of every style the findings sheet's rows use, registered in this order whatever the rows hold,
so that the same inputs give the same bytes"""


def _fixed(data: bytes, when: dt.datetime, sheet: str, rows: Iterator[tuple[bytes, int]]) -> bytes:
    """The archive again with every entry's time fixed (zip entries carry the time of writing), the document's
    modification time the as-of date (openpyxl writes the time of saving), and ``rows`` (pieces of XML, each with the
    last row it holds) written into ``sheet`` after its header row, as they come (the rows of a 1M-row audit are a gigabyte of XML; compressed, 60 MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        if sheet not in src.namelist():  # never a workbook without its rows: an internal error (exit 70), not a file
            raise RuntimeError(f"the findings sheet is not {sheet} in openpyxl's workbook ({', '.join(src.namelist())})")
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            if info.filename != sheet:
                dst.writestr(entry, body)
                continue
            head, end = body.split(b"</row>", 1)  # the header row is the sheet's only row so far
            with tempfile.SpooledTemporaryFile(_SPOOL) as sheet_xml:  # as openpyxl keeps a write-only sheet
                sheet_xml.write(head + b"</row>")
                last = 1
                for piece, last in rows:
                    sheet_xml.write(piece)
                end, found = _FILTER.subn(rb"\g<1>" + str(last).encode() + b'"', end, count=1)
                if not found:  # never a filter over the header alone: an internal error (exit 70), not a file
                    raise RuntimeError(f"no filter over the header in {sheet} as openpyxl wrote it")
                sheet_xml.write(end)
                entry.file_size = sheet_xml.tell()  # known before writing: ZIP64 only past 2 GiB, as zipfile.write decides
                sheet_xml.seek(0)
                with dst.open(entry, "w") as stream:
                    shutil.copyfileobj(sheet_xml, stream, 1 << 20)
    return out.getvalue()


_SPOOL = 64 << 20
"""a sheet's XML up to this size is kept in memory, beyond it in a temporary file until it is compressed"""


_FILTER = re.compile(rb'(<autoFilter ref="A1:[A-Z]+)1"')
"""the filter openpyxl wrote over the header alone: its last row becomes the last row written"""


def _sheet_rows(rows: Iterator[list[str]], ids: dict[tuple[bool, bool, bool], int], note) -> Iterator[tuple[bytes, int]]:
    """The data rows as openpyxl's write-only sheet writes them (a number cell, then inline-string cells), in pieces
    of a few thousand rows, each with the number of the last data row written; past the rows a sheet holds, the rest
    are counted and ``note(n)`` says so on the sheet's last row. Writing each cell through openpyxl took 200 s for
    870,000 rows."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(n) for n in range(2, len(COLUMNS) + 1)]
    wrapped = [key in _WRAPPED for key in COLUMNS[1:]]
    plain = {False: ids[(False, False, False)], True: ids[(False, True, False)]}
    quoted = {False: ids[(False, False, True)], True: ids[(False, True, True)]}
    number = plain[False]
    own = [k in OWN_COLUMNS for k in COLUMNS[1:]]
    said: dict[tuple[str, bool], str] = {}  # a repeated text's cell after its reference (bounded as rows_of's)
    r = 1
    parts: list[str] = []
    for cells in rows:
        if r + 1 == MAX_ROWS and (left := sum(1 for _ in rows)):  # more than fit: the last row says how many did not
            text = note(left + 1)  # (the CSV has them all)
            parts.append(f'<row r="{MAX_ROWS}"><c r="A{MAX_ROWS}"{_cell_tail(ids[(True, False, risky(text))], text)}</row>')
            break
        r += 1
        line = [f'<row r="{r}"><c r="A{r}" s="{number}" t="n"><v>{cells[0]}</v></c>']
        for letter, value, wrap, alone in zip(letters, cells[1:], wrapped, own):
            tail = None if alone else said.get((value, wrap))
            if tail is None:
                tail = _cell_tail((quoted if risky(value) else plain)[wrap], value)
                if not alone:
                    if len(said) > REMEMBERED:
                        said.clear()
                    said[value, wrap] = tail
            line.append(f'<c r="{letter}{r}"{tail}')
        line.append("</row>")
        parts.append("".join(line))
        if len(parts) == _PIECE:
            yield "".join(parts).encode("utf-8"), r
            parts.clear()
    yield "".join(parts).encode("utf-8"), r


_PIECE = 2048


def _cell_tail(style: int, value: str) -> str:
    """An inline-string cell as openpyxl writes it, after its reference: ``_xHHHH_`` escaped, the text escaped as
    ElementTree escapes text, ``xml:space="preserve"`` when it begins or ends with blanks around other text, an
    empty cell closed."""
    if "_x" in value:
        value = _ESCAPE.sub(r"_x005F_\1", value)
    if not value:
        return f' s="{style}" t="inlineStr" />'
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f' s="{style}" t="inlineStr"><is><t{space}>{value}</t></is></c>'


def render_xlsx(result: AuditResult, options: Options) -> bytes:
    import openpyxl
    from openpyxl.utils import get_column_letter

    lang = options.lang
    lab = labels()
    rows = rows_of(result, options)
    when = dt.datetime.combine(result.as_of, dt.time())
    wb = openpyxl.Workbook(write_only=True)
    wb.properties.creator = wb.properties.lastModifiedBy = "pipa-audit"
    wb.properties.created = wb.properties.modified = when
    wb.properties.title = clean(f"{lab['findings_sheet'][lang]} — {result.organization.get('name') or ''}".rstrip(" —"))

    cells = _Cells(wb)
    ws = wb.create_sheet(clean(lab["findings_sheet"][lang]))
    for n, key in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = WIDTHS[key]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}1"  # its last row is set when the rows are written (_fixed)
    ws.append([cells.text(ws, value, bold=True, wrap=True, head=True) for value in next(rows)])
    ids = {key: cells.style_id(ws, *key) for key in _STYLES}

    about = wb.create_sheet(clean(lab["findings_about_sheet"][lang]))
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 24, 100
    say = lambda key: lab[key][lang]  # noqa: E731
    period = f"{result.period_start.isoformat()} ~ {result.as_of.isoformat()}" if result.period_start else ""
    facts = [
        (say("organization"), result.organization.get("name") or ""),
        (say("as_of"), result.as_of.isoformat()),
        (say("period"), period),
        (say("report_id"), report_id(result)),
        (say("facts_file"), result.facts_file),
        (say("findings_facts_sha256"), result.facts_sha256),
        *((f"{say('catalogs')}: {c.id}", f"{getattr(c.instrument, lang)} {c.version} ({say('effective')} "
                                         f"{c.effective.isoformat()}) SHA-256 {c.sha256}") for c in result.catalogs),
        (say("findings_tool"), f"{result.tool} {result.tool_version}"),
        ("", say("findings_keys_note")),
    ]
    for name, value in facts:
        about.append([cells.text(about, clean(name), bold=True), cells.text(about, clean(value), wrap=True)])
    cells.done()
    sheet = f"xl/worksheets/sheet{wb.worksheets.index(ws) + 1}.xml"  # as openpyxl names a sheet's part when saving

    out = io.BytesIO()
    wb.save(out)
    note = lambda left: clean(lab["findings_truncated"][lang].format(n=f"{left:,}"))  # noqa: E731
    return _fixed(out.getvalue(), when, sheet, _sheet_rows(rows, ids, note))


FORMAT = Format("findings-xlsx", (".xlsx",), True, render_xlsx, "the findings as an Excel workbook for auditors: one row per offending item")
