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
import zipfile

from compliance.render import Format, Options, labels, report_id
from compliance.render.findings import COLUMNS, clean, risky, table
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

    def number(self, ws, value: int):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell._style = copy.copy(self.style(False, False, False, False))
        return cell

    def done(self) -> None:
        self.wb.remove(self.ws)


def _fixed(data: bytes, when: dt.datetime) -> bytes:
    """The archive again with every entry's time fixed (zip entries carry the time of writing) and the document's
    modification time the as-of date (openpyxl writes the time of saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, body)
    return out.getvalue()


def render_xlsx(result: AuditResult, options: Options) -> bytes:
    import openpyxl
    from openpyxl.utils import get_column_letter

    lang = options.lang
    lab = labels()
    rows = table(result, options)
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
    fits = rows[: MAX_ROWS - 1] if len(rows) > MAX_ROWS else rows
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(fits)}"
    ws.append([cells.text(ws, value, bold=True, wrap=True, head=True) for value in rows[0]])
    wrapped = [key in _WRAPPED for key in COLUMNS[1:]]
    for row in fits[1:]:
        ws.append([cells.number(ws, int(row[0])), *(cells.text(ws, v, wrap=w) for v, w in zip(row[1:], wrapped))])
    if len(fits) < len(rows):  # more than a sheet holds: say so on its last row (the CSV has them all)
        ws.append([cells.text(ws, clean(lab["findings_truncated"][lang].format(n=f"{len(rows) - len(fits):,}")), bold=True)])

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

    out = io.BytesIO()
    wb.save(out)
    return _fixed(out.getvalue(), when)


FORMAT = Format("findings-xlsx", (".xlsx",), True, render_xlsx, "the findings as an Excel workbook for auditors: one row per offending item")
