"""Lists kept where they already live: a CSV or XLSX export referenced from the facts file.

Any list of the facts model (handlers, accounts, credentials, systems, a system's ``access_log.reviews``, …) may be
stated as a table instead of rows::

    handlers:
      source:
        path: evidence/hr-export.csv          # relative to the facts file's folder, opened like an attachment
        columns: {id: 사번, left_on: 퇴사일, access_revoked_on: 권한말소일, systems: 시스템}
    systems:
      - id: sys-shop
        access_log:
          reviews: {source: {path: evidence/tickets.xlsx, sheet: 점검, column: 점검일, where: {시스템: sys-shop}}}

Rules:

- the file is opened under the attachments' rules (``evidence.read_beneath``: relative path inside the facts
  file's folder, no symlink, a regular file of at most ``MAX_SOURCE_BYTES``), hashed, checked against a stated
  ``sha256``, and listed in the result's evidence manifest (``attachments``, kind ``tabular-source``);
- ``columns`` maps a field (dotted for a nested one: ``remote_access.allowed``) to a header; a header equal to a
  field name is taken without being mapped. A list of values (dates) names its one ``column``;
- every cell is converted to its field's type and then validated by the facts model: each problem is one line
  ``FILE:ROW:COLUMN: list[i].field (header): message`` (exit 2). An empty cell is an absent fact (unknown, or
  "did not happen" for the fields whose absence means none). Dates, timestamps and yes/no are read by the facts
  model in the forms ``compliance.forms`` accepts in every format (2025-03-31, 2025.03.31, 2025. 3. 31.; true/false,
  yes/no, y/n, 예/아니오; an Excel date or boolean cell), so a cell means what the same text means in YAML or JSON;
  timestamps need a UTC offset, or the source's ``timezone``; list cells are split on ``,`` and ``;`` (or
  ``separator``);
- CSV text is UTF-8, UTF-8 with BOM, or CP949 (what Korean Excel writes as "CSV"): UTF-8 is tried first (a
  CP949 file with Hangul is never valid UTF-8); a file that is not UTF-8 is read as CP949 only if every non-ASCII
  character it then yields is Hangul or common CJK punctuation (Hanja too is refused: Latin-1 bytes
  such as 'ää' read as Hanja) — anything else is refused rather
  than read as mojibake. ``encoding:`` states it outright;
- XLSX is read with python-calamine (``_xlsx_rows``), imported only when an XLSX source is read: a cell's value as
  the spreadsheet computed it (a formula never computed is refused at its cell), dates as dates, numbers as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import types
import typing
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from compliance import forms
from compliance.evidence import AttachmentStatus, read_stated
from compliance.expr import type_of_annotation
from compliance.facts import Strict, fact, required
from compliance.i18n import _
from compliance.loading import InputError, Problem, field_path, inert, validate_in_chunks
from compliance.located import Document
from compliance.nearmiss import difference, near_misses

MAX_SOURCE_BYTES = 128 * 1024 * 1024
"""A tabular source larger than this is refused (100,000 handlers are about 6 MB of CSV)."""

MAX_SOURCE_ROWS = 1_500_000
"""Lines a CSV source may hold, counted before reading: 128 MiB of one-character lines would be 67M rows, several
GB once read. 1M rows of three lists from CSV peak at 1.6 GB (benchmarks/README.md)."""

MAX_XLSX_UNZIPPED = 1024 * 1024 * 1024
"""An XLSX whose parts unzip to more than this is refused before it is parsed (a zip bomb)."""

MAX_XLSX_SHARED_STRINGS = 64 * 1024 * 1024
"""The shared-strings part of an XLSX is read whole before the first row: larger than this is refused (a 900 MB one
was loaded before anything was checked). 100,000 rows of five distinct texts are about 10 MB."""

MAX_XLSX_COLUMNS = 1024
"""A value further right than this is refused: a list of handlers has tens of columns, and each row is built as
wide as its last value."""

KIND = "tabular-source"


class TabularSource(Strict):
    """A CSV or XLSX file holding the rows of one list of the facts."""

    path: str = required(
        "표 파일 경로(CSV·XLSX, 증적 파일 폴더 기준 상대 경로)", "CSV or XLSX file, relative to the facts file's folder",
        example="evidence/hr-export.csv",
    )
    columns: dict[str, str] | None = fact(
        "필드 → 열 제목 대응(필드명과 같은 제목은 생략 가능)", "Field -> column header (a header equal to the field name needs no entry)",
        example={"id": "사번", "left_on": "퇴사일"},
    )
    column: str | None = fact("값 목록(날짜 목록 등)의 열 제목", "For a list of values (dates…): the column holding them", example="점검일")
    sheet: str | None = fact("XLSX 시트 이름(기본: 첫 시트)", "XLSX sheet (default: the first)", example="Sheet1")
    where: dict[str, str] | None = fact(
        "이 값과 같은 행만 사용(열 제목 → 값)", "Only rows with these values (header -> value)", example={"시스템": "sys-shop"}
    )
    encoding: Literal["utf-8", "cp949"] | None = fact("CSV 인코딩(기본: 자동 판별)", "CSV encoding (default: detected)")
    separator: str | None = fact("목록 칸의 구분자(기본: , 또는 ;)", "Separator inside a list cell (default: , or ;)", min_length=1, max_length=3)
    timezone: str | None = fact(
        "시간대가 없는 일시에 붙일 UTC 오프셋", "UTC offset given to timestamps written without one", example="+09:00",
        pattern=r"^[+-]\d{2}:\d{2}$",
    )
    sha256: str | None = fact("SHA-256(기재 시 대조)", "Expected SHA-256 (checked when given)", pattern=r"^[0-9a-fA-F]{64}$")
    not_tracked: list[str] | None = fact(
        "이 파일이 기록하지 않는 항목(없으면 '발생하지 않음'으로 읽히는 필드: 해당 의무는 증적 불충분)",
        "Fields this export does not record (fields whose absence means 'did not happen'): the duties that read them "
        "get insufficient evidence instead of a verdict",
        example=["duties_changed_on", "access_changed_on"],
    )


class SourceRef(Strict):
    source: TabularSource = required("표 파일에서 읽는 목록", "Rows read from a CSV or XLSX file")


@dataclass(frozen=True)
class CellProblem(Problem):
    """A problem in one cell of a tabular source: ``FILE:ROW:COLUMN: field: message``."""

    column: int = 0

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        return inert(f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}")


@dataclass
class Sourced:
    """One list read from a table: where each row and column came from."""

    field: str  # field path in the facts, e.g. 'handlers' or 'systems[0].access_log.reviews'
    path: str  # as stated, relative to the facts file's folder
    shown: str  # as shown in messages
    sha256: str
    size: int
    rows: list[int] = field(default_factory=list)  # line/row number of each row kept
    columns: dict[str, int] = field(default_factory=dict)  # field (dotted) -> 1-based column number
    headers: dict[str, str] = field(default_factory=dict)  # field (dotted) -> header
    sheet: str | None = None
    encoding: str | None = None

    def status(self) -> AttachmentStatus:
        mapped = ", ".join(f"{f}←{h}" for f, h in self.headers.items())
        where = f" (sheet {self.sheet})" if self.sheet else f" ({self.encoding})" if self.encoding else ""
        note = f"{self.field}: {len(self.rows)} rows from {self.path}{where}; columns {mapped}"
        return AttachmentStatus(f"source:{self.field}", KIND, self.path, "ok", self.sha256, self.size, note, None)


class _Bad(Exception):
    """A problem with the table as a whole (encoding, header, format)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, stated: str | None = None):
        super().__init__(message)
        self.line, self.column = line, column
        self.stated = stated  # the source's key in the facts file that is wrong (e.g. "sheet"), if it is the facts'


# ------------------------------------------------------------------------------------ reading tables

_KOREAN = re.compile(
    "[\u00b7\u1100-\u11ff\u2000-\u206f\u2190-\u21ff\u2460-\u24ff\u25a0-\u25ff\u3000-\u303f\u3130-\u318f"
    "\u3200-\u32ff\uac00-\ud7a3\uff00-\uffef]"
)


def decode(data: bytes, stated: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a CSV file: UTF-8 (with or without BOM) or CP949, never a guess that could be mojibake."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Bad(_("is UTF-16 text; save it as 'CSV UTF-8' (or CP949)"))
    if b"\x00" in data:
        raise _Bad(_("contains NUL bytes: not a CSV text file (an XLSX must be named .xlsx)"))
    if stated == "cp949":
        try:
            return data.decode("cp949"), "cp949"
        except UnicodeDecodeError as exc:
            raise _Bad(_("is not CP949 text (byte {offset})").format(offset=exc.start)) from None
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data.decode("utf-8-sig"), "utf-8 (BOM)"
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if stated == "utf-8":
            raise _Bad(_("is not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
        first = exc.start
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        raise _Bad(_("is neither UTF-8 (byte {offset}) nor CP949 text; save it as 'CSV UTF-8'").format(offset=first)) from None
    odd = next((c for c in text if ord(c) > 0x7F and not _KOREAN.match(c)), None)
    if odd is not None:
        raise _Bad(_(
            "is not UTF-8 (byte {offset}), and read as CP949 it gives {character} (U+{code}), which is not Korean text: "
            "the encoding cannot be told safely; save it as 'CSV UTF-8' or state encoding: cp949"
        ).format(offset=first, character=repr(odd), code=f"{ord(odd):04X}"))
    return text, "cp949"


class _CsvRows:
    """(line, cells) of each row of a CSV text. Strict: a quote never closed took every later row into one cell
    without a word (an unbalanced quote at the end, or text after a closing quote, is refused at the row where it
    starts). ``bulk`` reads the rest in C."""

    def __init__(self, text: str, delimiter: str):
        self.text, self.delimiter = text, delimiter
        self._open()

    def _open(self) -> None:
        self.reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True)
        self.prev = 0  # the last line read

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[str]]:
        try:
            cells = next(self.reader)
        except csv.Error as exc:
            raise _Bad(_("not readable as CSV: {reason} (in the row that starts on this line)").format(reason=exc),
                       self.prev + 1) from None
        line, self.prev = self.prev + 1, self.reader.line_num
        return line, cells

    def bulk(self) -> tuple[range, list[list[str]]] | None:
        """(lines, cells) of the rows left, read in one call: 1M rows in a third of the time of one at a time. None
        when a row spans lines (a quoted line break: then each row's line is only known one at a time) or the text
        is not valid CSV: the rows left are then read again one by one, their problems located as always."""
        start = self.prev
        try:
            cells = list(self.reader)
        except csv.Error:
            cells = None
        if cells is not None and self.reader.line_num - start == len(cells):  # each row took one line exactly
            self.prev = self.reader.line_num
            return range(start + 1, start + 1 + len(cells)), cells
        self._open()  # from the start of the text, to the rows left
        while self.prev < start:
            next(self)
        return None


def _xlsx_rows(data: bytes, sheet: str | None):
    """(row number, cells) of the sheet's rows, each ending at its last value, as python-calamine reads them (Rust:
    100,000 rows in a third of a second, 15 times openpyxl). Before calamine holds the sheet's rectangle in memory,
    its XML is measured (``_xlsx_extent``): a value right of column MAX_XLSX_COLUMNS, more rows than MAX_SOURCE_ROWS
    or a rectangle past MAX_XLSX_CELLS is refused, and what the sheet merely declares (a dimension of A1:XFD1048576,
    formatted empty cells) is not counted. A formula whose value was never computed (as generated workbooks have)
    is refused at its cell: calamine reads it as empty. An error value (#N/A) is read as its text, not as empty."""
    from compliance.workbook import sheet_parts, uncomputed_formulas

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
            if sum(i.file_size for i in parts) > MAX_XLSX_UNZIPPED:
                raise _Bad(_("unzips to more than {limit} bytes; export the list as CSV").format(limit=MAX_XLSX_UNZIPPED))
            strings = sum(i.file_size for i in parts if i.filename.lower().endswith("sharedstrings.xml"))
            if strings > MAX_XLSX_SHARED_STRINGS:
                raise _Bad(_("holds {count} bytes of shared strings, more than the {limit} a source may (they are read whole "
                             "before the first row); export the list as CSV").format(
                                 count=f"{strings:,}", limit=f"{MAX_XLSX_SHARED_STRINGS:,}"))
            names = {n.lower(): n for n in z.namelist()}
            book, rels = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
            if book is None or rels is None:
                raise _Bad(_("is not a readable XLSX workbook: {reason}").format(reason="no xl/workbook.xml"))
            sheets = sheet_parts(names, z.read(book), z.read(rels))
            if sheet is not None and sheet not in sheets:
                raise _Bad(_("has no sheet {sheet} (sheets: {sheets})").format(sheet=repr(sheet), sheets=", ".join(sheets)),
                           stated="sheet")
            name = sheet if sheet is not None else next(iter(sheets), None)
            part = sheets.get(name) if name is not None else None
            xml = z.read(part) if part in z.namelist() else None
    except zipfile.BadZipFile:
        raise _Bad(_("is not an XLSX workbook (not a zip file); an old .xls must be saved as .xlsx or CSV")) from None
    except (KeyError, OSError, EOFError, RuntimeError, ValueError, zlib.error) as exc:  # a damaged part
        raise _Bad(_("is not a readable XLSX workbook: {reason}").format(reason=f"{type(exc).__name__}: {exc}")) from None
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        meta = {m.name: m for m in wb.sheets_metadata}
    except Exception as exc:  # noqa: BLE001 - calamine raises several kinds on a damaged workbook
        raise _Bad(_("is not a readable XLSX workbook: {reason}").format(reason=f"{type(exc).__name__}: {exc}")) from None
    if name is None or name not in meta or meta[name].typ != python_calamine.SheetTypeEnum.WorkSheet:
        raise _Bad(_("is not a worksheet (a chart sheet?): name the sheet that holds the list"), stated="sheet")
    if xml is None:
        raise _Bad(_("has a sheet that cannot be read: {reason}").format(reason="no worksheet part"))
    _xlsx_extent(xml)
    uncomputed = uncomputed_formulas(xml)
    if uncomputed:
        letters, row = uncomputed[0] or ("", 0)
        raise _Bad(_("a formula whose value was never computed (the workbook was written by a program and never "
                     "calculated): it would read as empty; open and save it in a spreadsheet program, or paste "
                     "values"), row, _column_number(letters))
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML: calamine raises several kinds
        raise _Bad(_("has a sheet that cannot be read: {reason}").format(reason=f"{type(exc).__name__}: {exc}")) from None
    if len(rows) > MAX_SOURCE_ROWS:
        raise _Bad(_("has more than the {limit} rows a source may hold").format(limit=f"{MAX_SOURCE_ROWS:,}"), MAX_SOURCE_ROWS + 1)
    if b't="e"' in xml:
        _error_texts(xml, rows)
    for n, row in enumerate(rows, 1):
        while row and row[-1] == "":  # calamine's rectangle: each row ends at its last value, as a CSV row does
            row.pop()
        if float in map(type, row):  # a number cell: 3 as 3, not 3.0 (XLSX stores every number as a float)
            row = [int(v) if v.__class__ is float and v.is_integer() and abs(v) < 2**53 else v for v in row]
        yield n, row


MAX_XLSX_CELLS = 12_000_000
"""Cells (rows x columns, from A1 to the last value) an XLSX source may span: calamine holds the sheet's rectangle
in memory at once, about 120 bytes a cell with its Python values (measured), so this bounds a read to about 1.5 GB.
1,000,000 rows of 12 columns fit."""

_CELL_LETTERS = re.compile(rb'<c r="([A-Z]+)[0-9]')
_CELL_ROWS = re.compile(rb'<c r="[A-Z]+([0-9]+)"')
_UNUSUAL_CELL = re.compile(rb'<c(?:>|/| (?!r="[A-Z]+[0-9]+"))')
"""A cell's reference written as Excel and most writers write it (``<c r="B7"``: ``r`` first, no namespace prefix) is
matched at C speed from its literal start; a sheet with any cell written otherwise (no reference, a prefix) is
measured by ``workbook.sheet_extent``'s general scan."""
_TYPE_ERROR = re.compile(rb'\bt="e"')


def _column_number(letters: str | bytes) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _xlsx_extent(xml: bytes) -> None:
    """Refuse, at its cell, a value right of MAX_XLSX_COLUMNS; refuse a sheet whose rectangle of values would pass
    MAX_SOURCE_ROWS rows or MAX_XLSX_CELLS cells. The cells' references are read in one pass at C speed (0.07 s for
    100,000 rows); only cells beyond a bound are looked at one by one (a formatted empty cell holds no value: calamine
    leaves it out, and so does this)."""
    from compliance.workbook import sheet_extent

    if b'<c r="' in xml and not _UNUSUAL_CELL.search(xml) and b":c" not in xml:
        width = max(map(_column_number, set(_CELL_LETTERS.findall(xml))))
        height = max(map(int, set(_CELL_ROWS.findall(xml))))
    else:  # namespaced tags, or cells without their reference: counted as the officer's workbook counts them
        height, width = sheet_extent(xml)
    if width > MAX_XLSX_COLUMNS or height > MAX_SOURCE_ROWS or height * width > MAX_XLSX_CELLS:
        height, width = _values_extent(xml) or (height, width)  # the cells beyond are looked at: only values count
    if height * width > MAX_XLSX_CELLS:
        raise _Bad(_("spans {rows} rows and {columns} columns from A1 to its last value, more than the {limit} cells a "
                     "source may (the whole rectangle is read at once): clear the cells beyond the list, or export it "
                     "as CSV").format(rows=f"{height:,}", columns=f"{width:,}", limit=f"{MAX_XLSX_CELLS:,}"))


def _values_extent(xml: bytes) -> tuple[int, int] | None:
    """(rows, columns) from A1 to the last cell holding a value; a value right of MAX_XLSX_COLUMNS, or below
    MAX_SOURCE_ROWS, is refused at its cell (the first in the sheet's order). None when a value's cell has no
    reference (its place is where it falls: only the count of every cell bounds it)."""
    from compliance.workbook import cells, holds_value

    height = width = 0
    for ref, _attrs, body in cells(xml):
        if not holds_value(body):
            continue
        if ref is None:
            return None
        col, row = _column_number(ref[0]), ref[1]
        if col > MAX_XLSX_COLUMNS:
            raise _Bad(_("has a value in column {column}: a source has at most {limit} columns").format(
                column=f"{col:,}", limit=MAX_XLSX_COLUMNS), row, col)
        if row > MAX_SOURCE_ROWS:
            raise _Bad(_("has more than the {limit} rows a source may hold").format(limit=f"{MAX_SOURCE_ROWS:,}"), row)
        height, width = max(height, row), max(width, col)
    return height, width


def _error_texts(xml: bytes, rows: list[list]) -> None:
    """Error cells (#N/A, #REF!) as their text, as a spreadsheet shows them (and openpyxl read them): calamine gives
    them as empty, which would read as an absent fact (for some fields, "did not happen")."""
    from compliance.workbook import cells, value_text

    for ref, attrs, body in cells(xml):
        text = value_text(body) if ref is not None and _TYPE_ERROR.search(attrs) else None
        if text is None:
            continue
        r, c = ref[1] - 1, _column_number(ref[0]) - 1
        if r < len(rows):
            row = rows[r]
            row.extend([""] * (c + 1 - len(row)))
            row[c] = text


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ------------------------------------------------------------------------------------ cells -> values

_EMPTY = object()
_INT = re.compile(r"^[+-]?\d+$|^\d{1,3}(?:,\d{3})+$")


def _text(v):
    if type(v) is str:  # noqa: E721 - the common case first
        s = v.strip()
        return s if s else _EMPTY
    if isinstance(v, str):
        s = v.strip()
        return s if s else _EMPTY
    if v is None:
        return _EMPTY
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def _as_stated(v):
    """A yes/no or date cell as the facts model reads it (compliance.forms): text stripped, a spreadsheet's own
    boolean or date as it is, a number as a number (which the model refuses with the form it expects)."""
    if v.__class__ is str:
        s = v.strip()
        return s if s else _EMPTY
    if v is None:
        return _EMPTY
    if isinstance(v, str):
        return v.strip() or _EMPTY
    return v


def _yes_no(v):
    """A yes/no cell: a word ``forms.to_yes_no`` reads is its boolean already (the model reads a boolean as itself),
    so that ``row_decoder`` can take the row; any other text stays, for the model's own message."""
    v = _as_stated(v)
    if v.__class__ is str:
        try:
            return forms.to_yes_no(v)
        except PydanticCustomError:
            return v
    return v


def _day(v):
    """A date cell: a spreadsheet's date (or its naive midnight) as ISO text, which ``forms.to_date`` reads as the
    same day, so that ``row_decoder`` (which reads dates from text) can take the row; anything else as stated."""
    v = _as_stated(v)
    if v.__class__ is dt.date:
        return v.isoformat()
    if v.__class__ is dt.datetime and v.tzinfo is None and v.time() == dt.time(0):
        return v.date().isoformat()
    return v


def _int(v):
    if v is None or isinstance(v, bool):
        return _EMPTY if v is None else v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return _EMPTY
        return int(s.replace(",", "")) if _INT.match(s) and len(s) < 30 else s
    return v


def _stamp(tz: dt.tzinfo | None):
    """Timestamps as the facts model reads them; with the source's ``timezone``, one written without an offset (or an
    Excel date-time cell) gets that offset first."""

    def conv(v):
        if isinstance(v, str):
            s = v.strip()
            if not s or tz is None or s == "unknown":
                return s if s else _EMPTY
            try:
                stamp = forms.read_datetime(s)
            except PydanticCustomError:
                return s  # no such moment: the model says so, in the words it uses everywhere
            if stamp is None:
                return s
            v = stamp
        if v.__class__ is dt.date:  # a date cell (XLSX): its midnight, as a date and time written without a time
            v = dt.datetime(v.year, v.month, v.day)
        if isinstance(v, dt.datetime) and v.tzinfo is None and tz is not None:
            return v.replace(tzinfo=tz)
        return _EMPTY if v is None else v

    return conv


def _list(elem, sep: str | None):
    split = re.compile(re.escape(sep) if sep else r"[,;]").split
    seps = (sep,) if sep else (",", ";")
    first, second = seps[0], seps[-1]

    def conv(v):
        if isinstance(v, str):
            if not any(x in v for x in seps):
                one = elem(v)
                return _EMPTY if one is _EMPTY else [one]
            parts = [elem(p) for p in split(v) if p.strip()]
            return [p for p in parts if p is not _EMPTY] or _EMPTY
        return _EMPTY if v is None else [elem(v)]

    def texts(cells) -> list:
        """``conv`` over a column of text cells, None for an empty one, in one comprehension."""
        strip = str.strip
        return [([p for p in map(strip, split(v)) if p] or None) if first in v or second in v
                else [s] if (s := strip(v)) else None for v in cells]

    if elem is _text:
        conv.texts = texts
    return conv


def _converter(t, src: TabularSource):
    tz = None
    if src.timezone:
        sign = 1 if src.timezone[0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(src.timezone[1:3]), minutes=int(src.timezone[4:6])))
    kind = t.kind
    if kind == "list":
        return _list(_converter(t.elem, src) if t.elem is not None else _text, src.separator)
    return {"bool": _yes_no, "number": _int, "date": _day, "datetime": _stamp(tz)}.get(kind, _text)


# ------------------------------------------------------------------------------------ the model side


def _list_annotation(ann):
    """The ``list[...]`` inside ``list[X] | None`` (or None)."""
    origin = get_origin(ann)
    if origin is Annotated:
        return _list_annotation(get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return next((a for a in map(_list_annotation, get_args(ann)) if a is not None), None)
    return ann if origin is list else None


def _field_type(model: type[BaseModel], dotted: str):
    """Expression type of a dotted field of ``model``, or None when there is no such field."""
    t = None
    for part in dotted.split("."):
        if model is None or part not in model.model_fields:
            return None
        t = type_of_annotation(model.model_fields[part].annotation)
        model = t.model if t.kind == "object" else None
    return t


_ADAPTERS: dict[Any, TypeAdapter] = {}
_PLAN: dict[type, tuple[tuple[str, bool, Any], ...]] = {}


def _plan(model: type[BaseModel]):
    """(name, is_list, submodel) of the fields that may hold a source or contain one."""
    if model not in _PLAN:
        out = []
        for name, f in model.model_fields.items():
            t = type_of_annotation(f.annotation)
            if t.kind == "list":
                sub = t.elem.model if t.elem is not None and t.elem.kind == "object" else None
                out.append((name, True, sub))
            elif t.kind == "object" and t.model is not None:
                out.append((name, False, t.model))
        _PLAN[model] = tuple(out)
    return _PLAN[model]


def expand(data: dict, text: str, facts_path: str | Path, model: type[BaseModel],
           rows_as_structs: bool = False) -> tuple[list[Sourced], list[Problem]]:
    """Replace every ``{source: …}`` list in ``data`` by its validated rows; returns where each came from and the problems.

    ``rows_as_structs``: as for ``loading.validate_file``: a top-level list whose rows ``compliance.row_decoder``
    takes is put in ``data`` as its structs (which ``validate_file`` then takes as they are)."""
    ctx = _Ctx(str(facts_path), Path(facts_path).parent, Document(str(facts_path), text), rows_as_structs)
    _walk(model, data, (), ctx)
    return ctx.sourced, ctx.problems


@dataclass
class _Ctx:
    path: str
    root: Path
    doc: Document
    rows_as_structs: bool = False
    sourced: list[Sourced] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _walk(model, data: dict, loc: tuple, ctx: _Ctx) -> None:
    for name, is_list, sub in _plan(model):
        value = data.get(name)
        if isinstance(value, dict) and is_list and "source" in value:
            data[name] = _expand(model, name, value, (*loc, name), ctx)
        elif sub is not None and is_list and isinstance(value, list) and _plan(sub):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _walk(sub, item, (*loc, name, i), ctx)
        elif sub is not None and not is_list and isinstance(value, dict):
            _walk(sub, value, (*loc, name), ctx)


def _expand(model, name: str, value: dict, loc: tuple, ctx: _Ctx):
    """The validated rows of one source, or None (with problems noted) when it cannot be read."""
    at = field_path(loc)
    try:
        src = SourceRef.model_validate(value).source
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            where = (*loc, *err["loc"])
            msg = _("unknown field (not in a source; check the spelling)") if err["type"] == "extra_forbidden" else forms.explain(err)
            ctx.problems.append(ctx.doc.problem(where, msg))
        return None
    list_ann = _list_annotation(model.model_fields[name].annotation)
    elem_t = type_of_annotation(list_ann).elem
    shown = str(ctx.root / src.path) if str(ctx.root) not in ("", ".") else src.path
    try:
        data, digest = read_stated(ctx.doc, (*loc, "source"), ctx.root, src.path, src.sha256, MAX_SOURCE_BYTES, "source file")
    except InputError as exc:
        ctx.problems.extend(exc.problems)
        return None
    record = Sourced(at, src.path, shown, digest, len(data), sheet=src.sheet)
    try:
        rows = _table(data, src, record)
        header_line, header = next(((n, c) for n, c in rows if not all(_blank(x) for x in c)), (0, None))
        if header is None:
            raise _Bad(_("is empty: it needs a header row naming the columns"))
        mapping = _mapping(src, elem_t, header, header_line, record, ctx, loc)
        if mapping is None:
            return None
        text = Path(src.path).suffix.lower() != ".xlsx"  # a CSV's rows: every cell is text
        rows, columns = _by_columns(rows, mapping, header, elem_t, record, text)
        if columns is not None and ctx.rows_as_structs and len(loc) == 1:  # loading.validate_file takes top-level structs
            structs = _structs(elem_t.model, *columns)
            if structs is not None:
                ctx.sourced.append(record)
                return structs
        items = _rows(rows, mapping, src, header, elem_t, record, exact_width=text) if columns is None else _dicts(*columns)
    except _Bad as exc:
        if exc.stated:  # the facts file names what the table lacks: its line, with the table named
            where = (*loc, "source", exc.stated)
            ctx.problems.append(ctx.doc.problem(where, _("{path} {problem}").format(path=src.path, problem=exc)))
        else:
            ctx.problems.append(CellProblem(shown, exc.line, _("{problem} (the {list} source)").format(problem=exc, list=at), "",
                                            exc.column))
        return None
    adapter = _ADAPTERS.get(list_ann) or _ADAPTERS.setdefault(list_ann, TypeAdapter(list_ann))
    if not validate_in_chunks(adapter, items):  # rows become models a chunk at a time (memory: see loading)
        try:
            items = adapter.validate_python(items)  # every error of the list, at its row
        except ValidationError as exc:
            ctx.problems.extend(_cell_problems(exc, record))
            return None
    ctx.sourced.append(record)
    return items


def _table(data: bytes, src: TabularSource, record: Sourced):
    suffix = Path(src.path).suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(data, src.sheet)
    if suffix in (".csv", ".tsv", ".txt"):
        if src.sheet is not None:
            raise _Bad(_("sheet applies to an XLSX workbook, not to a CSV file"))
        if len(data) > MAX_SOURCE_ROWS and (lines := data.count(b"\n")) > MAX_SOURCE_ROWS:
            raise _Bad(_("has {count} lines: more than the {limit} rows a source may hold (each row costs memory however short "
                         "it is)").format(count=f"{lines:,}", limit=f"{MAX_SOURCE_ROWS:,}"))
        text, record.encoding = decode(data, src.encoding)
        return _CsvRows(text, "\t" if suffix == ".tsv" else ",")
    raise _Bad(_("a source must be a .csv, .tsv or .xlsx file"))


def _mapping(src: TabularSource, elem_t, header: list, header_line: int, record: Sourced, ctx: _Ctx, loc: tuple):
    """[(field, column index, converter)] and the where-filter, or None with problems noted."""
    names = [str(h).strip() if h is not None else "" for h in header]
    index: dict[str, int] = {}
    for i, h in enumerate(names):
        if h:
            index.setdefault(h, i)
    problems: list[Problem] = []

    def column_of(h: str, where: tuple) -> int | None:
        if h not in index:
            shown = ", ".join(n for n in names if n)[:300]
            problems.append(ctx.doc.problem(where, _("no column {header} in {path} (columns: {columns})").format(
                header=repr(h), path=record.shown, columns=shown)))
            return None
        if names.count(h) > 1:
            problems.append(CellProblem(record.shown, header_line, _("column {header} appears twice in the header: which one is "
                                                                     "meant cannot be told").format(header=repr(h)), "", index[h] + 1))
            return None
        return index[h]

    out = []
    item_model = elem_t.model if elem_t is not None and elem_t.kind == "object" else None
    if item_model is None:
        if src.columns or not src.column:
            problems.append(ctx.doc.problem((*loc, "source"), _("a list of values is read from one column: state column: HEADER")))
        else:
            i = column_of(src.column, (*loc, "source", "column"))
            if i is not None:
                out.append(("", i, _converter(elem_t, src)))
                record.columns[""], record.headers["value"] = i + 1, src.column
    else:
        if src.column:
            problems.append(ctx.doc.problem((*loc, "source", "column"), _(
                "rows of fields are mapped with columns: {{field: HEADER}}; column is for a list of values").format()))
        wanted = dict(src.columns or {})
        for h in names:  # a header named like a field needs no entry
            if h and h not in wanted and h not in wanted.values() and _field_type(item_model, h) is not None:
                wanted[h] = h
        for f, h in wanted.items():
            where = (*loc, "source", "columns", f)
            t = _field_type(item_model, f)
            if t is None or t.kind == "object":
                known = ", ".join(item_model.model_fields)
                problems.append(ctx.doc.problem(where, _("no field {field} in a row of this list (fields: {fields})").format(
                    field=repr(f), fields=known)))
                continue
            i = column_of(h, where)
            if i is not None:
                out.append((f, i, _converter(t, src)))
                record.columns[f], record.headers[f] = i + 1, h
        used = {*wanted.values(), *(src.where or {})}
        for i, f in near_misses(names, [f for f in _leaf_fields(item_model) if f not in wanted]).items():
            if names[i] not in used:
                problems.append(CellProblem(record.shown, header_line, _(
                    "header {header} looks like the field {field} but is not spelled exactly so ({why}), so it would be "
                    "ignored and {name} left empty in every row: rename the header to {field} or map it (columns: {mapping})"
                ).format(header=repr(names[i]), field=repr(f), why=difference(names[i], f), name=f, mapping=f"{{{f}: HEADER}}"),
                    "", i + 1))
        untracked = _untracked(src, item_model, wanted, ctx, loc, problems)
    filters = []
    for h, want in (src.where or {}).items():
        i = column_of(h, (*loc, "source", "where", h))
        if i is not None:
            filters.append((i, str(want).strip()))
    if problems:
        ctx.problems.extend(problems)
        return None
    return out, filters, untracked if item_model is not None else ()


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field a column can fill: ``left_on``, and ``remote_access.allowed`` through a nested object."""
    out = []
    for name, f in model.model_fields.items():
        t = type_of_annotation(f.annotation)
        if t.kind == "object" and t.model is not None:
            out += _leaf_fields(t.model, f"{prefix}{name}.")
        elif not (t.kind == "list" and t.elem is not None and t.elem.kind == "object"):
            out.append(prefix + name)
    return out


def _silent_fields(model: type[BaseModel]) -> list[str]:
    """The fields whose absence means "did not happen" (``absent="none"`` in the facts model), dotted."""
    out = []
    for f in _leaf_fields(model):
        *parents, last = f.split(".")
        m = model
        for p in parents:
            m = type_of_annotation(m.model_fields[p].annotation).model
        extra = m.model_fields[last].json_schema_extra
        if isinstance(extra, dict) and extra.get("absent") == "none":
            out.append(f)
    return out


def _untracked(src: TabularSource, model, wanted: dict, ctx: _Ctx, loc: tuple, problems: list[Problem]) -> tuple[str, ...]:
    """The fields stated as not tracked; a "did not happen" field neither mapped nor stated so is a problem: an
    export without a departure column would otherwise say that nobody ever left."""
    silent = _silent_fields(model)
    stated = list(dict.fromkeys(src.not_tracked or ()))
    for k, f in enumerate(stated):
        where = (*loc, "source", "not_tracked", k)
        if f in wanted:
            why = _("{field} is mapped to the column {header}: a field is either read from a column or not tracked").format(
                field=repr(f), header=repr(wanted[f]))
        elif f not in silent:
            why = _("{field} needs no not_tracked: it is not a field whose absence means 'did not happen' (those of this "
                    "list: {fields})").format(field=repr(f), fields=", ".join(silent) or _("none"))
        else:
            continue
        problems.append(ctx.doc.problem(where, why))
    unmapped = [f for f in silent if f not in wanted and f not in stated]
    if unmapped:
        where = (*loc, "source", "columns") if src.columns else (*loc, "source")
        problems.append(ctx.doc.problem(where, _(
            "{fields} not mapped: an empty {first} means it did not happen, so every row would say so; map each to its "
            "column (columns: {mapping}) or state that the export does not record it (not_tracked: [{fields}]: the duties "
            "that read it then lack evidence)").format(
                fields=", ".join(unmapped), first=unmapped[0], mapping=f"{{{unmapped[0]}: HEADER}}")))
    return tuple(f for f in stated if f in silent and f not in wanted)


def _rows(rows, mapping, src, header, elem_t, record: Sourced, exact_width: bool) -> list:
    """The rows as dicts (or values), refusing what would be read as something else: a row longer or shorter than
    the header in a CSV (``exact_width``), a value in a column that has no header (or beyond the header's last)."""
    columns, filters, untracked = mapping
    items = []
    scalar = elem_t is None or elem_t.kind != "object"
    headed = [not _blank(h) for h in header]
    last = max((i for i, h in enumerate(headed) if h), default=-1)
    for n, cells in rows:
        width = len(cells)
        if width != len(header) and exact_width and not all(_blank(c) for c in cells):
            raise _Bad(_("this row has {width} cells and the header {header}: a row of another width would be read with "
                         "its values under the wrong columns (or none)").format(width=width, header=len(header)),
                       n, min(width, len(header)) + 1)
        stray = next((i for i, c in enumerate(cells) if (i > last or not headed[i]) and not _blank(c)), None)
        if stray is not None:
            raise _Bad(_("a value in a column without a header ({value}): name the column or clear the cell").format(
                value=repr(_text(cells[stray]))), n, stray + 1)
        if filters and any(_text(cells[i] if i < width else None) != want for i, want in filters):
            continue
        if scalar:
            v = columns[0][2](cells[columns[0][1]] if columns[0][1] < width else None)
            if v is _EMPTY:
                continue  # a row without a value in the column: not a value of the list
            items.append(v)
            record.rows.append(n)
            continue
        row: dict = {}
        for f, i, conv in columns:
            v = conv(cells[i] if i < width else None)
            if v is _EMPTY:
                continue
            _put(row, f, v)
        if not row and all(_blank(c) for c in cells):
            continue  # an empty line, or a row of empty cells under the table
        for f in untracked:
            _put(row, f, "unknown")
        items.append(row)
        record.rows.append(n)
    return items


def _by_columns(rows, mapping, header, elem_t, record: Sourced, text: bool):
    """(None, (field names, columns)) read a column at a time, or (the rows, None) when ``_rows`` must read them one
    by one. Why: 1M rows were 9M converter calls and dict updates one by one; here a column of text is stripped by
    ``map(str.strip, …)`` in C, and the row decoder makes its structs from the columns (``_dicts`` makes the rows
    ``_rows`` would make, for pydantic).

    An empty cell is None in its column. A table not taken as it is (a ``where`` filter, a dotted field, a row of
    another width, a value under no header, a read failing midway) goes to ``_rows`` whole, so its messages and
    their order stay ``_rows``'s own. ``text``: a CSV's rows (each must be the header's width; every cell is text)."""
    columns, filters, untracked = mapping
    names = [f for f, _i, _c in columns] + list(untracked)
    if filters or not columns or elem_t is None or elem_t.kind != "object" or any("." in f for f in names):
        return rows, None
    read = rows.bulk() if isinstance(rows, _CsvRows) else None
    if read is not None:
        lines, cells = read
    else:
        lines, cells = [], []
        try:
            for n, c in rows:
                lines.append(n)
                cells.append(c)
        except _Bad as exc:
            return _then_raise(zip(lines, cells), exc), None
    width = len(header)
    if not (all(map(str.strip, map("".join, cells))) if text else all(map(_filled, cells))):
        # blank rows are left out, as _rows leaves them
        kept = [k for k, c in enumerate(cells) if _filled(c)]
        lines, cells = [lines[k] for k in kept], [cells[k] for k in kept]
    widths = set(map(len, cells))
    if widths - {width}:
        if text or max(widths) > width:
            return zip(lines, cells), None
        cells = [c if len(c) == width else c + [None] * (width - len(c)) for c in cells]
    table = list(zip(*cells)) if cells else [()] * width  # the columns, in C
    if any(not all(map(_blank, table[i])) for i, h in enumerate(header) if _blank(h)):
        return zip(lines, cells), None
    del cells
    values = [_column(conv, table[i], text) for _f, i, conv in columns]
    values += [repeat("unknown")] * len(untracked)
    del table
    record.rows.extend(lines)
    return None, (names, values)


def _dicts(names: list[str], values: list) -> list[dict]:
    """The columns of ``_by_columns`` as the rows ``_rows`` makes (an empty cell is no key: to pydantic, None is a
    null)."""
    return [{k: v for k, v in zip(names, row) if v is not None} for row in zip(*values)]


def _structs(model: type[BaseModel], names: list[str], values: list) -> list | None:
    """The rows as ``row_decoder``'s structs, made from the columns, or None (pydantic validates them). Every text is
    stripped by its converter and is valid Unicode (a CSV is decoded strictly, calamine reads into Rust strings), as
    pydantic would leave it: the decoder need not look again."""
    from compliance import row_decoder

    return row_decoder.from_columns(model, names, values)


def _filled(cells: list) -> bool:
    """Whether a row holds anything but blank cells."""
    try:
        return bool("".join(cells).strip())
    except TypeError:  # a spreadsheet's number, date or empty cell
        return not all(map(_blank, cells))


def _then_raise(rows, exc: Exception):
    yield from rows
    raise exc


def _column(conv, cells, text: bool) -> list:
    """One column's cells converted, None for an empty one. When every cell is text (``text``: a CSV's), text and
    dates are stripped in C and a list of text split in one comprehension (what ``conv`` does to each, one call at
    a time)."""
    if text or set(map(type, cells)) <= {str}:
        if conv in (_text, _as_stated, _day):
            return [s or None for s in map(str.strip, cells)]
        texts = getattr(conv, "texts", None)
        if texts is not None:
            return texts(cells)
    return [None if v is _EMPTY else v for v in map(conv, cells)]


def _put(row: dict, dotted: str, value) -> None:
    if "." in dotted:
        *parents, last = dotted.split(".")
        for p in parents:
            row = row.setdefault(p, {})
        row[last] = value
    else:
        row[dotted] = value


def _cell_problems(exc: ValidationError, record: Sourced) -> list[Problem]:
    out, seen = [], set()
    for err in exc.errors(include_url=False):
        loc = tuple(s for s in err["loc"] if not (isinstance(s, str) and ("[" in s or s in ("str", "int", "bool"))))
        if err["type"] == "literal_error" and "'unknown'" in err["msg"] or not loc or loc in seen:
            continue
        seen.add(loc)
        i, rest = loc[0], [s for s in loc[1:] if isinstance(s, str)]
        dotted = ".".join(rest)
        col = record.columns.get(dotted, record.columns.get(rest[0], 0) if rest else record.columns.get("", 0))
        header = record.headers.get(dotted) or (record.headers.get("value") if not rest else None)
        message = forms.explain(err)  # the words a facts file gets for the same value (compliance.forms)
        if err["type"] == "missing":
            message = _("{message}: map a column to it (columns: {mapping})").format(message=message, mapping=f"{{{dotted}: HEADER}}")
        where = f"{record.field}[{i}]" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in loc[1:])
        out.append(CellProblem(record.shown, record.rows[i], message, where + (f" ({header})" if header else ""), col))
    return out


_FIRST_ON_LINE = re.compile(r" \(first on line \d+(?:, column \d+)?\)| ?\(처음은 \d+번째 줄(?: \d+번째 글자)?\)")
"""'(first on line 12)' of a duplicate id (``compliance.integrity``), in English or Korean: a line of the facts text
(with its column when the facts file is JSON)."""


def relocate(problems: list[Problem], sourced: list[Sourced]) -> list[Problem]:
    """Point problems found in sourced rows (duplicate ids, references, dates) at their row and column."""
    if not sourced:
        return problems
    out = []
    for p in problems:
        s = next((s for s in sourced if p.field.startswith(s.field + "[")), None)
        m = re.match(r"\[(\d+)\]\.?([A-Za-z_][\w]*)?", p.field[len(s.field):]) if s else None
        if m is None or int(m[1]) >= len(s.rows):
            out.append(p)
            continue
        name = m[2] or ""
        header = s.headers.get(name)
        message = _FIRST_ON_LINE.sub("", p.message)  # a line of the facts file, not of the table
        out.append(CellProblem(s.shown, s.rows[int(m[1])], message, p.field + (f" ({header})" if header else ""), s.columns.get(name, 0)))
    return out
