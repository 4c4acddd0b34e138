"""The findings export as CSV for auditors (``-o findings.csv``): the rows and columns of
:mod:`compliance.render.findings`, UTF-8 with a byte order mark (Korean Excel then reads it as UTF-8, not as CP949)
and CRLF between records, as RFC 4180 and Excel expect; a line break inside a cell is a quoted ``\\n``. A cell a
spreadsheet would read as a formula is written after a single quote (OWASP: CSV injection)."""

from __future__ import annotations

import csv
import io

from compliance.render import Format, Options
from compliance.render.findings import neutralised, table
from compliance.result import AuditResult


def render_csv(result: AuditResult, options: Options) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table(result, options):
        writer.writerow([neutralised(cell) for cell in row])
    return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")


FORMAT = Format("findings-csv", (".csv",), False, render_csv, "the findings as CSV for auditors: one row per offending item")
