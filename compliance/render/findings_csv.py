"""The findings export as CSV for auditors (``-o findings.csv``): the rows and columns of
:mod:`compliance.render.findings`, UTF-8 with a byte order mark (Korean Excel then reads it as UTF-8, not as CP949)
and CRLF between records, as RFC 4180 and Excel expect; a line break inside a cell is a quoted ``\\n``. A cell a
spreadsheet would read as a formula is written after a single quote (OWASP: CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

from compliance.render import Format, Options
from compliance.render.findings import neutralised, rows_of
from compliance.result import AuditResult


def stream_csv(result: AuditResult, options: Options) -> Iterator[bytes]:
    """The file in pieces of a few thousand rows: a writer holds one piece, not the whole table (a 1M-row audit's CSV
    is 440 MB)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    yield "\ufeff".encode("utf-8")
    rows = rows_of(result, options, neutralised)
    while batch := list(islice(rows, _BATCH)):
        writer.writerows(batch)
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()


_BATCH = 4096


def render_csv(result: AuditResult, options: Options) -> bytes:
    return b"".join(stream_csv(result, options))


FORMAT = Format("findings-csv", (".csv",), False, render_csv, "the findings as CSV for auditors: one row per offending item",
                stream=stream_csv)
