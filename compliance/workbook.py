"""The facts as a Korean workbook: one more face of the facts model, beside YAML and JSON (design decision 20).

Compliance officers work in spreadsheets, so ``pipa-audit init -o 점검표.xlsx`` writes the facts as a workbook and every
command that reads facts reads it back (``loading.load`` dispatches on ``.xlsx``) into exactly the dict a YAML file
stating the same facts gives: the same pydantic model validates it and the same evaluator judges it.

Layout (each sheet generated from the facts model and what the catalogs read, as the YAML template is):

- ``안내``: how to fill it in (read-only, never read back);
- ``기본사항``: one row per fact that is not a list of rows: a Korean question, the English key
  (``organization.subjects``), the provisions it serves, the value cell, and notes (what a blank means, whether the
  duty applies to this organisation);
- one sheet per list of rows (``시스템``, ``취급자``, … and ``시스템-취약점`` for a list inside a system's row): row 1 holds
  the list's state cell (B1), row 2 Korean headers (with a note per column), row 3 the English keys the reader goes
  by, rows from 4 one item each. A list inside a row (a system's vulnerabilities) has its own sheet whose first
  column names the parent's id; the parent's row holds that list's state cell;
- ``참고-…`` sheets: what the catalogs expect (attestations, evidence kinds), read-only, never read back.

Values: a blank cell states nothing (unknown: the checks that need it give insufficient evidence; for the fields
whose absence means "did not happen", it did not). Yes/no is 예/아니오 (true/false also read); dates are date cells
(or text the facts model reads: 2025-03-31, 2025. 3. 31.); a date and time is text with its UTC offset; a list of
values is one value per line in its cell (enumerations and dates may also be separated by commas). A list is stated
empty with ``없음`` in its state cell (or its value cell): a list stated empty and a list not stated differ, in the
model and in the verdicts. A list kept in an export is ``{source: {path: …}}`` in that cell. Columns and sheets whose
key or name starts with ``#`` are notes.

Reading is bounded and every problem is located at its cell: the reader refuses an unknown sheet, header or key, a
hidden data sheet and a formula with no computed value, each at its cell; what it read becomes a canonical JSON text
(one list row per line) that the ordinary locating machinery walks, and ``loading.note_places`` maps a problem's field
path (or line) back to ``점검표.xlsx:시스템!C7``.
"""

from __future__ import annotations

import hashlib

import bisect
import copy
import dataclasses
import datetime as dt
import functools
import io
import json
import re
import types
import typing
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

from compliance import loading
from compliance.i18n import _
from compliance.loading import InputError, Problem, inert

SUFFIX = ".xlsx"

MAX_WORKBOOK_BYTES = 64 * 1024 * 1024
"""A workbook file larger than this is refused before it is opened (100,000 handlers are about 4 MB of XLSX)."""
MAX_UNZIPPED = 1024 * 1024 * 1024
"""A workbook whose parts unzip to more than this is refused before any is parsed (a zip bomb)."""
MAX_SHARED_STRINGS = 64 * 1024 * 1024
"""The shared-strings part is read whole when the workbook opens: larger than this is refused."""
MAX_ROWS = 1_000_000
"""Rows a sheet may hold; bigger lists belong in a CSV source ({source: …})."""
MAX_COLUMNS = 256
"""Columns a sheet may hold: a list of systems has about 50."""
MAX_CELLS = 12_000_000
"""Cells (rows × columns) a sheet may span: the reader holds a sheet's whole rectangle in memory at once."""
MAX_PROBLEMS = 200
"""Problems reported at once; the rest are counted."""

GUIDE = "안내"
BASIC = "기본사항"
ATTEST_REF = "참고-확인 항목"
KINDS_REF = "참고-증적 종류"
NOTE_SHEETS = (GUIDE, ATTEST_REF, KINDS_REF)

STATE_ROW, LABEL_ROW, KEY_ROW, FIRST_ROW = 1, 2, 3, 4
STATE_COL = 2  # B1: a list sheet's state cell
KEY, VALUE = "key", "value"
NONE_WORDS = ("없음", "[]")
YES, NO = "예", "아니오"
_YES_WORDS = frozenset({"예", "true"})
_NO_WORDS = frozenset({"아니오", "아니요", "false"})
UNKNOWN_WORD = "알 수 없음"
_UNKNOWN_WORDS = frozenset({"unknown", "알 수 없음", "모름"})

SHEET_NAMES = {
    "systems": "시스템",
    "systems.components": "시스템-구성요소",
    "systems.vulnerabilities": "시스템-취약점",
    "systems.alerts": "시스템-경보",
    "systems.auth_data": "시스템-인증정보",
    "systems.malware_found": "시스템-악성프로그램",
    "handlers": "취급자",
    "accounts": "계정",
    "credentials": "인증수단",
    "secrets": "비밀정보",
    "processors": "수탁자",
    "data_stores": "개인정보파일저장소",
    "incidents": "사고",
    "incidents.awareness": "사고-인지경과",
    "incidents.notices": "사고-통지",
    "working_calendar.holidays": "근무달력-휴무일",
    "attachments": "첨부증적",
    "attestations": "확인서",
    "remediation_plan": "개선계획",
    "observed": "관찰사실",
}
"""Korean sheet names of the lists of rows (a list the model gains later gets its key as its name)."""

_SECTION_NAMES = {"": "점검 개요"}


# ==================================================================================================== the model's shape


@dataclass(frozen=True)
class Kind:
    """What a cell of a field holds: bool, int, number, date, stamp, text, enum, list (of values), object, rows, any."""

    name: str
    choices: tuple[str, ...] = ()
    unknown: bool = False  # 'unknown' is accepted (an event that may have happened)
    elem: Kind | None = None
    model: type | None = None


def kind_of(ann: Any) -> Kind:
    origin = get_origin(ann)
    if origin is Annotated:
        return kind_of(get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(ann) if a is not type(None)]
        unknown = [a for a in members if get_origin(a) is Literal and get_args(a) == ("unknown",)]
        rest = [a for a in members if a not in unknown]
        if len(rest) != 1:
            return Kind("any")
        return dataclasses.replace(kind_of(rest[0]), unknown=bool(unknown))
    if origin is list:
        elem = kind_of(get_args(ann)[0])
        return Kind("rows", model=elem.model) if elem.name == "object" else Kind("list", elem=elem)
    if origin is Literal:
        return Kind("enum", choices=tuple(str(a) for a in get_args(ann)))
    if ann is AwareDatetime:
        return Kind("stamp")
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return Kind("object", model=ann)
        if issubclass(ann, bool):
            return Kind("bool")
        if issubclass(ann, int):
            return Kind("int")
        if issubclass(ann, float):
            return Kind("number")
        if issubclass(ann, dt.datetime):
            return Kind("stamp")
        if issubclass(ann, dt.date):
            return Kind("date")
        if issubclass(ann, str):
            return Kind("text")
    return Kind("any")


@dataclass
class Leaf:
    """One value column (a list sheet) or row (기본사항)."""

    key: str  # dotted, relative to its sheet's row: 'remote_access.allowed'; on 기본사항 from the root
    path: str  # the model path the catalogs name: 'systems.remote_access.allowed'
    kind: Kind
    info: Any  # pydantic FieldInfo


@dataclass
class Table:
    """A list of rows and its sheet; ``within`` is its dotted place in the parent row (or the root)."""

    path: str
    within: str
    sheet: str
    model: type
    info: Any
    leaves: list[Leaf] = field(default_factory=list)
    children: list[Table] = field(default_factory=list)
    parent: Table | None = None

    @property
    def parent_key(self) -> str:
        return f"{self.parent.path}[].id" if self.parent else ""


@dataclass
class Layout:
    scalars: list[Leaf]
    tables: list[Table]  # every table, parents before their children


def _walk(model: type, prefix: str, path: str, leaves: list[Leaf], rows: list[tuple[str, str, Any, Kind]]) -> None:
    for name, info in model.model_fields.items():
        if model.__name__ == "Facts" and name == "schema_ref":
            continue  # an editor's pointer, no fact
        k = kind_of(info.annotation)
        key, where = prefix + name, (path + "." if path else "") + name
        if k.name == "object":
            _walk(k.model, key + ".", where, leaves, rows)
        elif k.name == "rows":
            rows.append((key, where, info, k))
        else:
            leaves.append(Leaf(key, where, k, info))


@functools.cache
def layout() -> Layout:
    """The workbook every facts model allows (the writer shows the part the catalogs read or the file states): the
    leaves of the objects on 기본사항, a sheet per list of rows, and a sheet per list inside such a row (linked by
    the row's id: a list nested deeper has no sheet design, so the model may not grow one unnoticed)."""
    from compliance.facts import Facts

    scalars: list[Leaf] = []
    roots: list[tuple[str, str, Any, Kind]] = []
    _walk(Facts, "", "", scalars, roots)
    tables: list[Table] = []

    def add(within: str, path: str, info, k: Kind, parent: Table | None) -> Table:
        t = Table(path, within, SHEET_NAMES.get(path, path)[:31], k.model, info, parent=parent)
        nested: list[tuple[str, str, Any, Kind]] = []
        _walk(k.model, "", path, t.leaves, nested)
        tables.append(t)
        if nested and (parent is not None or "id" not in k.model.model_fields):
            raise TypeError(f"{path}: a list inside its rows needs rows with an id, one level deep at most")
        t.children = [add(key, where, sub_info, sub, t) for key, where, sub_info, sub in nested]
        return t

    for within, path, info, k in roots:
        add(within, path, info, k, None)
    names = [t.sheet for t in tables] + [BASIC, *NOTE_SHEETS]
    if len(set(names)) != len(names):
        raise TypeError(f"two sheets share a name: {names}")
    return Layout(scalars, tables)


def _extra(info) -> dict:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _label(info, short: bool = False) -> str:
    """The field's Korean label (the model's); shortened for a header when long."""
    ko = _extra(info).get("ko") or info.description or ""
    if not short or len(ko) <= 32:
        return ko
    cut = min((i for i in (ko.find("("), ko.find(":")) if 8 <= i <= 32), default=32)
    return ko[:cut].rstrip() + "…"


def _section(key: str) -> str:
    return key.split(".")[0] if "." in key else ""


# ==================================================================================================== problems


@dataclass(frozen=True)
class WorkbookProblem(Problem):
    """A problem at a cell of the workbook itself: ``점검표.xlsx:시스템!C7: field: message``."""

    cell: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.cell}" if self.cell else self.path
        return inert(f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}")


def col_letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{col_letter(col)}{row}"


# ==================================================================================================== reading


_BLANK = object()
_INT = re.compile(r"^[+-]?[0-9]+$|^[0-9]{1,3}(?:,[0-9]{3})+$")


def _text(v):
    if v.__class__ is str:
        return v if v.strip() else _BLANK
    if v is None:
        return _BLANK
    if v is True or v is False:
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    return str(v)


def _bool(v):
    if v is True or v is False:
        return v
    t = _text(v)
    if t is _BLANK:
        return t
    word = t.strip().casefold()
    return True if word in _YES_WORDS else False if word in _NO_WORDS else t  # the model reads or refuses the rest


def _int(v):
    if isinstance(v, bool):
        return v  # refused by the model: a yes/no is no number
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 2**63 else v
    if isinstance(v, int):
        return v
    t = _text(v)
    if t is _BLANK:
        return t
    s = t.strip()
    return int(s.replace(",", "")) if len(s) < 30 and _INT.match(s) else t


def _number(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v) if isinstance(v, float) and v.is_integer() else v
    return _int(v)


def _date(unknown: bool):
    def conv(v):
        if isinstance(v, dt.datetime):
            return v.date().isoformat() if v.tzinfo is None and v.time() == dt.time(0) else v.isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        t = _text(v)
        if t is not _BLANK and unknown and t.strip() in _UNKNOWN_WORDS:
            return "unknown"
        return t  # the model reads the written forms (2025.03.31…) or says which it expects

    return conv


def _stamp(unknown: bool):
    def conv(v):
        t = _text(v)  # a date cell has no offset: the model says so
        if t is not _BLANK and unknown and t.strip() in _UNKNOWN_WORDS:
            return "unknown"
        return t

    return conv


def _any(v):
    if v.__class__ is str:
        return v if v.strip() else _BLANK
    if isinstance(v, float):
        return int(v) if v.is_integer() else v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return _BLANK if v is None else v


def converter(k: Kind):
    """Cell value -> the value a YAML file would state (``_BLANK``: nothing stated)."""
    if k.name == "bool":
        return _bool
    if k.name == "int":
        return _int
    if k.name == "number":
        return _number
    if k.name == "date":
        return _date(k.unknown)
    if k.name == "stamp":
        return _stamp(k.unknown)
    if k.name in ("text", "enum"):
        return _text if not k.unknown else _stamp(True)
    return _any


class _CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _flow_value(text: str):
    """A ``{source: …}`` mapping written in a cell (YAML flow), read by the safe loader."""
    try:
        value = loading.parse(text, "cell")
    except InputError as exc:
        raise _CellError(_("not a readable mapping: {reason}").format(reason=exc.problems[0].message)) from None
    if not isinstance(value, dict):
        raise _CellError(_("expected a mapping such as {{source: {{path: evidence/hr.csv}}}}").format())
    return value


def list_converter(k: Kind):
    """A list cell: blank (not stated), 없음 or [] (stated empty), a JSON list, a {source: …} mapping, or values one per
    line (for enumerations, dates and numbers also separated by commas or semicolons)."""
    elem = converter(k.elem or Kind("any"))
    free = (k.elem or Kind("any")).name in ("text", "any")
    split = re.compile(r"\r?\n|\r" if free else r"[\r\n,;]+")
    seps = re.compile(r"[\r\n]" if free else r"[\r\n,;]")

    def conv(v):
        if v.__class__ is not str:
            one = elem(v)
            return one if one is _BLANK else [one]
        s = v.strip()
        if not s:
            return _BLANK
        if s in NONE_WORDS:
            return []
        if s[0] == "[":
            try:
                items = json.loads(s)
            except ValueError as exc:
                raise _CellError(_("a cell starting with [ is read as a JSON list, and this is none: {reason}").format(
                    reason=str(exc).split(":")[0])) from None
            if not isinstance(items, list) or any(isinstance(i, (dict, list)) or i is None for i in items):
                raise _CellError(_("a cell starting with [ must be a JSON list of values, such as [\"a\", \"b\"]"))
            return [elem(i) if isinstance(i, str) else i for i in items]
        if s[0] == "{":
            return _flow_value(s)
        if not seps.search(s):
            return [elem(s)]
        return [x for x in (elem(p.strip()) for p in split.split(v)) if x is not _BLANK]

    return conv


def _state(v):
    """A list's state cell: blank, 없음/[] (stated empty) or a {source: …} mapping."""
    t = _text(v)
    if t is _BLANK:
        return _BLANK
    s = t.strip()
    if s in NONE_WORDS:
        return []
    if s.startswith("{"):
        return _flow_value(s)
    raise _CellError(_("a list's state cell holds 없음 (the list is stated empty), a {{source: …}} mapping, or nothing "
                       "(the rows below are the list); got {value}").format(value=repr(s[:60])))


# -------------------------------------------------------------------------------------------- the file


_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REL_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_ROW_REF = re.compile(rb"<(?:[\w.-]+:)?row\b[^>]*?\sr=\"([0-9]+)\"")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
_CELL_COL = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?\br=\"([A-Z]+)[0-9]+\"")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_CELL_WHOLE = re.compile(rb"<(?:[\w.-]+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?>([^<]*)<", re.S)
_INLINE = re.compile(rb"<(?:[\w.-]+:)?is[\s>]")
_R_ATTR = re.compile(rb"\br=\"([A-Z]+)([0-9]+)\"")


def _attrs(tag: bytes) -> dict[str, str]:
    return {m[1].decode().split(":")[-1] if m[1] != b"r:id" else "r:id": (m[2] if m[2] is not None else m[3]).decode("utf-8", "replace")
            for m in _ATTR.finditer(tag)}


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


class _Book:
    """The workbook's zip, checked before anything in it is parsed, and its sheets' rows as calamine reads them."""

    def __init__(self, path: str, raw: bytes):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zip.infolist()
        except zipfile.BadZipFile:
            raise self.whole(_("is not an XLSX workbook (not a zip file); save it as .xlsx (Excel workbook)")) from None
        if sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise self.whole(_("unzips to more than {limit} bytes; put long lists in CSV sources").format(limit=f"{MAX_UNZIPPED:,}"))
        strings = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
        if strings > MAX_SHARED_STRINGS:
            raise self.whole(_("holds {count} bytes of shared strings, more than the {limit} a workbook may; put long lists "
                               "in CSV sources").format(count=f"{strings:,}", limit=f"{MAX_SHARED_STRINGS:,}"))
        self.parts = self._parts()
        try:
            import python_calamine

            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
            self.meta = {m.name: m for m in self.book.sheets_metadata}
        except Exception as exc:  # noqa: BLE001 - calamine raises several kinds on a damaged workbook
            raise self.whole(_("is not a readable XLSX workbook: {reason}").format(reason=f"{type(exc).__name__}: {exc}")) from None

    def whole(self, message: str) -> InputError:
        return InputError([WorkbookProblem(self.path, 0, message)])

    def _read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
            raise self.whole(_("is not a readable XLSX workbook: {reason}").format(reason=f"{name}: {exc}")) from None

    def _parts(self) -> dict[str, str]:
        """Sheet name -> its XML part, from the workbook part and its relationships."""
        names = {n.lower(): n for n in self.zip.namelist()}
        book = names.get("xl/workbook.xml")
        rels = names.get("xl/_rels/workbook.xml.rels")
        if book is None or rels is None:
            raise self.whole(_("is not an XLSX workbook (no xl/workbook.xml); save it as .xlsx (Excel workbook)"))
        return sheet_parts(names, self._read(book), self._read(rels))

    def rows(self, name: str, problems: list[Problem]) -> list[list] | None:
        """The sheet's cells from A1 (rows of values, '' for empty), or None after noting why it cannot be read."""
        part = self.parts.get(name)
        if not part or part not in self.zip.namelist():
            problems.append(WorkbookProblem(self.path, 0, _("the sheet cannot be read: {reason}").format(
                reason="no worksheet part"), cell=name))
            return None
        xml = self._read(part)
        if xml:
            height, width = sheet_extent(xml)
            if height > MAX_ROWS or width > MAX_COLUMNS or height * width > MAX_CELLS:
                problems.append(WorkbookProblem(self.path, 0, _(
                    "the sheet spans {rows} rows and {cols} columns; a sheet may span {max_rows} rows, {max_cols} columns "
                    "and {max_cells} cells: clear the cells beyond the table, or put long lists in CSV sources").format(
                        rows=f"{height:,}", cols=f"{width:,}", max_rows=f"{MAX_ROWS:,}", max_cols=MAX_COLUMNS,
                        max_cells=f"{MAX_CELLS:,}"), cell=name))
                return None
            uncomputed = uncomputed_formulas(xml)
            for ref in uncomputed:
                problems.append(WorkbookProblem(self.path, 0, _(
                    "a formula whose value was never computed (the workbook was written by a program and never "
                    "calculated): it would read as empty; open and save it in a spreadsheet program, or type the "
                    "value"), cell=f"{name}!{ref[0]}{ref[1]}" if ref else name))
            if uncomputed:
                return None
        try:
            sheet = self.book.get_sheet_by_name(name)
            return sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # noqa: BLE001 - a damaged sheet
            problems.append(WorkbookProblem(self.path, 0, _("the sheet cannot be read: {reason}").format(
                reason=f"{type(exc).__name__}: {exc}"), cell=name))
            return None


# ------------------------------------------------------------ shared with tabular sources (compliance.sources)


def sheet_parts(names: dict[str, str], book: bytes, rels: bytes) -> dict[str, str]:
    """Sheet name -> its XML part, in the workbook's order, from the workbook part (``book``) and its relationships
    (``rels``); ``names`` maps each part name of the zip, lower-cased, to itself."""
    targets = {}
    for tag in _REL_TAG.findall(rels):
        a = _attrs(tag)
        target = a.get("Target", "").replace("\\", "/")
        target = target[1:] if target.startswith("/") else "xl/" + target
        targets[a.get("Id")] = names.get(target.lower(), target)
    out = {}
    for tag in _SHEET_TAG.findall(book):
        a = _attrs(tag)
        name = a.get("name", "")
        out[_xml_unescape(name)] = targets.get(a.get("r:id") or a.get("id"), "")
    return out


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """(rows, columns) a sheet's XML spans, every row and cell it writes counted (formatted empty ones too), before
    calamine holds the sheet's whole rectangle in memory."""
    refs = _ROW_REF.findall(xml)
    height = max(len(_ROW_TAG.findall(xml)), int(refs[-1]) if refs else 0, max(map(int, refs), default=0))
    letters = _CELL_COL.findall(xml)
    width = max((_col_number(c) for c in set(letters)), default=0)
    cells = len(_CELL_TAG.findall(xml))
    if cells > len(letters):
        width = max(width, cells)  # cells without their reference: as wide as they could be
    return height, width


_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData>")


def uncomputed_formulas(xml: bytes) -> list[tuple[str, int] | None]:
    """The cells holding a formula whose value was never computed (as generated workbooks have: read as data, the
    cell is empty), as (column letters, row) in the sheet's order; None for a cell written without its reference.
    Only the cells holding a formula are looked at: a formula is a cell's first child, so each is found from the tag
    just before it (a sheet of 100,000 rows without formulas costs one search)."""
    if b"<f" not in xml and b":f" not in xml:  # no formula tag at all (the usual case, at C speed)
        return []
    end = _SHEET_DATA_END.search(xml)  # formulas after the cells (conditional formats, validations) are not cells'
    stop = end.start() if end else len(xml)
    found, pos = [], 0
    while (f := _FORMULA.search(xml, pos, stop)) is not None:
        m = _CELL_WHOLE.match(xml, xml.rfind(b"<", 0, f.start()))
        if m is None or m.end() <= f.start():  # not laid out as a cell's first child: every cell looked at instead
            return _uncomputed_in_every_cell(xml[:stop])
        if _uncomputed(m):
            found.append(_ref_of(m))
        pos = m.end()
    return found


def _uncomputed(m: re.Match) -> bool:
    body = m[2] or b""
    return bool(_FORMULA.search(body)) and not holds_value(body)


def _ref_of(m: re.Match) -> tuple[str, int] | None:
    ref = _R_ATTR.search(m[1])
    return (ref[1].decode(), int(ref[2])) if ref else None


def cells(xml: bytes):
    """(reference as (column letters, row) or None, attributes, body) of each cell element of a sheet's XML, in order."""
    for m in _CELL_WHOLE.finditer(xml):
        yield _ref_of(m), m[1], m[2] or b""


def holds_value(body: bytes) -> bool:
    """Whether a cell's body holds a value: an inline string, or a ``<v>`` that is not blank."""
    return bool(_INLINE.search(body)) or any(v.strip() for v in _VALUE.findall(body))


def value_text(body: bytes) -> str | None:
    """The text of a cell's ``<v>`` (an error cell's #N/A), or None."""
    v = _VALUE.search(body)
    return v[1].decode("utf-8", "replace") if v else None


def _uncomputed_in_every_cell(xml: bytes) -> list[tuple[str, int] | None]:
    return [_ref_of(m) for m in _CELL_WHOLE.finditer(xml) if _uncomputed(m)]


def _xml_unescape(s: str) -> str:
    return re.sub(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);", lambda m: {
        "amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}.get(m[1]) or chr(
        int(m[1][2:], 16) if m[1][1] in "xX" else int(m[1][1:])), s)


# -------------------------------------------------------------------------------------------- where things are


@dataclass
class _Placed:
    """Where one list's rows are: its sheet, its state cell, the sheet row of each item, the column of each key."""

    sheet: str
    state: str
    rows: list[int]
    cols: dict[str, int]
    first: int


_STEP = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


class Places:
    """Names the cell of a field path (``handlers[3].left_on`` -> ``취급자!F9``) or of a line of the canonical text."""

    sha256: str | None = None

    def __init__(self, scalars: dict[str, str], tables: dict[tuple, _Placed], lines: list[tuple[int, tuple]]):
        self.scalars, self.tables = scalars, tables
        self._starts = [n for n, _loc in lines]
        self._locs = [loc for _n, loc in lines]

    def __call__(self, line: int, field: str) -> str | None:
        if field:
            steps = self._steps(field)
            if steps:
                found = self.cell(steps)
                if found:
                    return found
        if line:
            i = bisect.bisect_right(self._starts, line) - 1
            if i >= 0:
                first, loc = self._starts[i], self._locs[i]
                if loc and loc[-1] is None:  # the rows of a list, one per line
                    loc = (*loc[:-1], line - first)
                return self.cell(loc)
        return None

    @staticmethod
    def _steps(field: str) -> tuple | None:
        steps, pos = [], 0
        for m in _STEP.finditer(field):
            if m.start() != pos and field[pos:m.start()] != ".":
                return None
            steps.append(m[1] if m[1] is not None else int(m[2]))
            pos = m.end()
        return tuple(steps) if pos == len(field) else None

    def cell(self, loc: tuple) -> str | None:
        for k in range(len(loc), 0, -1):
            t = self.tables.get(loc[:k])
            if t is None:
                continue
            if k == len(loc) or not isinstance(loc[k], int):
                return t.state
            i = loc[k]
            if not 0 <= i < len(t.rows):
                return t.state
            names = []
            for step in loc[k + 1:]:
                if not isinstance(step, str):
                    break
                names.append(step)
            for j in range(len(names), 0, -1):
                col = t.cols.get(".".join(names[:j]))
                if col is None:
                    col = next((c for key, c in t.cols.items() if key.startswith(".".join(names[:j]) + ".")), None)
                if col is not None:
                    return cell_name(t.sheet, t.rows[i], col)
            return cell_name(t.sheet, t.rows[i], t.first)
        names = []
        for step in loc:
            if not isinstance(step, str):
                break
            names.append(step)
        for j in range(len(names), 0, -1):
            key = ".".join(names[:j])
            if key in self.scalars:
                return self.scalars[key]
            under = next((c for k2, c in self.scalars.items() if k2.startswith(key + ".")), None)
            if under:
                return under
        return None


# -------------------------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, path: str, book: _Book):
        self.path, self.book = path, book
        self.layout = layout()
        self.problems: list[Problem] = []
        self.scalars: dict[str, str] = {}
        self.placed: dict[tuple, _Placed] = {}
        self.data: dict = {}
        self._tops: dict[str, tuple[Table, list, dict]] = {}

    def problem(self, cell: str, message: str, field: str = "") -> None:
        self.problems.append(WorkbookProblem(self.path, 0, message, field, cell))

    def read(self) -> dict:
        import python_calamine

        lay = self.layout
        by_sheet = {t.sheet: t for t in lay.tables}
        known = {BASIC, *by_sheet, *NOTE_SHEETS}
        present = list(self.book.meta)
        for name in present:
            meta = self.book.meta[name]
            if name.startswith("#") or name in NOTE_SHEETS:
                continue
            if name not in known:
                from compliance.nearmiss import skeleton

                close = next((k for k in known if skeleton(k) == skeleton(name)), None)
                hint = (_(" (did you mean {name}?)").format(name=repr(close)) if close else "")
                self.problem(f"{name}!A1", _("not a sheet of a facts workbook{hint}: sheets are {names}; a sheet of notes "
                                             "may be kept if its name starts with #").format(
                    hint=hint, names=", ".join([BASIC, *by_sheet])))
                continue
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:  # hidden, or "very hidden"
                self.problem(f"{name}!A1", _("the sheet is hidden: facts nobody can see are not read; unhide the sheet "
                                             "(or delete it)"))
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                self.problem(f"{name}!A1", _("not a worksheet (a chart sheet?); facts are read from worksheets"))
        if self.problems:
            raise InputError(self.problems)
        if BASIC in present:
            self._basic(self.book.rows(BASIC, self.problems))
        children: dict[str, tuple[Table, list | None]] = {}
        for t in lay.tables:
            rows = self.book.rows(t.sheet, self.problems) if t.sheet in present else None
            if t.parent is None:
                self._top(t, rows)
            else:
                children[t.path] = (t, rows)
        for t in lay.tables:
            if t.parent is None and t.children:
                self._link(t, children)
        if self.problems:
            raise InputError(self._capped())
        return self.data

    def _capped(self) -> list[Problem]:
        if len(self.problems) <= MAX_PROBLEMS:
            return self.problems
        more = len(self.problems) - MAX_PROBLEMS
        return [*self.problems[:MAX_PROBLEMS], WorkbookProblem(self.path, 0, _("and {count} more problems").format(count=more))]

    # ------------------------------------------------------------------ 기본사항

    def _basic(self, rows: list[list] | None) -> None:
        if rows is None:
            return
        keys = rows[KEY_ROW - 1] if len(rows) >= KEY_ROW else []
        roles = {}
        for c, v in enumerate(keys, 1):
            t = _text(v)
            if t is _BLANK:
                continue
            s = t.strip()
            if s.startswith("#"):
                continue
            if s in (KEY, VALUE) and s not in roles:
                roles[s] = c
            else:
                self.problem(cell_name(BASIC, KEY_ROW, c), _("unknown header {value}: row 3 of {sheet} names the columns "
                                                             "key and value (and notes starting with #)").format(
                    value=repr(s[:40]), sheet=BASIC))
        if KEY not in roles or VALUE not in roles:
            self.problem(cell_name(BASIC, KEY_ROW, 1), _("row 3 of {sheet} must name the columns key and value").format(sheet=BASIC))
            return
        kc, vc = roles[KEY], roles[VALUE]
        leaves = {leaf.key: leaf for leaf in self.layout.scalars}
        tables = {t.path: t for t in self.layout.tables if t.parent is None}
        informational = {c for c, v in enumerate(keys, 1) if _text(v) is not _BLANK and str(v).strip().startswith("#")}
        seen: dict[str, str] = {}
        for r in range(FIRST_ROW, len(rows) + 1):
            row = rows[r - 1]
            key_v = row[kc - 1] if kc <= len(row) else None
            value = row[vc - 1] if vc <= len(row) else None
            stray = next((c for c, v in enumerate(row, 1) if c not in (kc, vc) and c not in informational
                          and _text(v) is not _BLANK), None)
            if stray is not None:
                self.problem(cell_name(BASIC, r, stray), _("a value in a column without a key: the column's row-3 key is "
                                                           "blank (start it with # to keep notes)"))
            key_t = _text(key_v)
            if key_t is _BLANK:
                if _text(value) is not _BLANK:
                    self.problem(cell_name(BASIC, r, vc), _("a value without a key: the row's key cell is blank"))
                continue
            key = key_t.strip()
            at = cell_name(BASIC, r, kc)
            if key in seen:
                self.problem(at, _("the key {key} appears twice (first at {first}): which value is meant cannot be "
                                   "told").format(key=key, first=seen[key]))
                continue
            leaf = leaves.get(key)
            if leaf is None:
                if key in tables:
                    self.problem(at, _("{key} is a list of rows: it is stated on the sheet {sheet}").format(
                        key=key, sheet=tables[key].sheet))
                else:
                    self.problem(at, _unknown_key(key, list(leaves)))
                continue
            seen[key] = at
            where = cell_name(BASIC, r, vc)
            self.scalars[key] = where
            got = self._convert(leaf, value, where, key)
            if got is not _BLANK:
                _put(self.data, key, got)

    def _convert(self, leaf: Leaf, value, where: str, field: str):
        conv = list_converter(leaf.kind) if leaf.kind.name == "list" else converter(leaf.kind)
        try:
            return conv(value)
        except _CellError as exc:
            self.problem(where, exc.message, field)
            return _BLANK

    # ------------------------------------------------------------------ list sheets

    def _columns(self, t: Table, rows: list[list]):
        """Column number -> (kind of column, key): leaf, child (a list's state), parent (the parent's id), or note."""
        keys = rows[KEY_ROW - 1] if len(rows) >= KEY_ROW else []
        if all(_text(v) is _BLANK for v in keys) and any(_text(v) is not _BLANK for row in rows[KEY_ROW:] for v in row):
            self.problem(cell_name(t.sheet, KEY_ROW, 1), _("row 3 holds no keys: it names the field each column holds "
                                                           "(as written by pipa-audit init); the rows below cannot be read"))
            return None
        leaves = {leaf.key: leaf for leaf in t.leaves}
        kids = {c.within: c for c in t.children}
        cols: dict[int, tuple[str, Any]] = {}
        seen: dict[str, int] = {}
        known = [*leaves, *kids, *([t.parent_key] if t.parent else [])]
        for c, v in enumerate(keys, 1):
            tx = _text(v)
            if tx is _BLANK:
                continue
            key = tx.strip()
            if key.startswith("#"):
                cols[c] = ("note", key)
                continue
            at = cell_name(t.sheet, KEY_ROW, c)
            if key in seen:
                self.problem(at, _("the key {key} heads two columns ({first} and this one): which value is meant cannot be "
                                   "told").format(key=key, first=col_letter(seen[key])))
                continue
            if key in leaves:
                cols[c] = ("leaf", leaves[key])
            elif key in kids:
                cols[c] = ("child", kids[key])
            elif t.parent is not None and key == t.parent_key:
                cols[c] = ("parent", key)
            else:
                self.problem(at, _unknown_key(key, known))
                continue
            seen[key] = c
        if any(_text(v) is not _BLANK for row in rows[KEY_ROW:] for v in row):
            for leaf in t.leaves:  # silence is never a verdict: the column, not the officer's deletion, says "none"
                if leaf.key not in seen and _extra(leaf.info).get("absent") == "none":
                    self.problem(cell_name(t.sheet, KEY_ROW, 1), _(
                        "the sheet has no column {key}: a blank cell there says it did not happen, so without the column "
                        "every row would say so; put the column back and leave blank only where it did not happen").format(key=leaf.key))
        if t.parent is not None and t.parent_key not in seen:
            self.problem(cell_name(t.sheet, KEY_ROW, 1), _("the sheet has no column {key}: each row must name the id of "
                                                           "its {parent} row").format(key=t.parent_key, parent=t.parent.sheet))
            return None
        return cols

    def _rows(self, t: Table, rows: list[list], cols: dict[int, tuple[str, Any]]):
        """(sheet row, item dict, {child path: state}, parent id or None) of each non-blank row."""
        convs = {c: (list_converter(x.kind) if x.kind.name == "list" else converter(x.kind)) for c, (what, x) in cols.items()
                 if what == "leaf"}
        out = []
        for r in range(FIRST_ROW, len(rows) + 1):
            row = rows[r - 1]
            item: dict = {}
            states: dict[str, Any] = {}
            parent = None
            filled = False
            for c, v in enumerate(row, 1):
                if v == "" or v is None:
                    continue
                spec = cols.get(c)
                if spec is None:
                    if _text(v) is not _BLANK:
                        self.problem(cell_name(t.sheet, r, c), _("a value in a column without a key: the column's row-3 "
                                                                 "key is blank (start it with # to keep notes)"))
                    continue
                what, x = spec
                if what == "note":
                    continue
                try:
                    if what == "leaf":
                        got = convs[c](v)
                        if got is not _BLANK:
                            if "." in x.key:
                                _put(item, x.key, got)
                            else:
                                item[x.key] = got
                            filled = True
                    elif what == "child":
                        got = _state(v)
                        if got is not _BLANK:
                            states[x.path] = (got, cell_name(t.sheet, r, c))
                            filled = True
                    else:
                        got = _text(v)
                        parent = (got.strip(), cell_name(t.sheet, r, c)) if got is not _BLANK else None
                except _CellError as exc:  # the field as the model names it (a nested list's parent index is not known yet)
                    at = f"{t.within}[{len(out)}]" if t.parent is None else f"{t.parent.within}[].{t.within}[]"
                    self.problem(cell_name(t.sheet, r, c), exc.message,
                                 f"{at}.{x.key}" if what == "leaf" else f"{at}.{x.within}" if what == "child" else "")
                    filled = True
            if filled:
                out.append((r, item, states, parent))
        return out

    def _top(self, t: Table, rows: list[list] | None) -> None:
        """A list of the root: its rows, or what its state cell states (없음, a source), never both."""
        state = cell_name(t.sheet, STATE_ROW, STATE_COL)
        if rows is None:
            self._tops[t.path] = (t, [], {})
            return
        try:
            stated = _state(rows[0][STATE_COL - 1] if rows and len(rows[0]) >= STATE_COL else None)
        except _CellError as exc:
            self.problem(state, exc.message, t.path)
            stated = _BLANK
        cols = self._columns(t, rows)
        if cols is None:
            return
        found = self._rows(t, rows, cols)
        placed = _Placed(t.sheet, state, [r for r, *_rest in found], _key_cols(cols), 1)
        self.placed[_loc(t.path)] = placed
        self._tops[t.path] = (t, found, cols)
        if stated is not _BLANK:
            if found:
                self.problem(state, _("the list is stated as {value} here, and rows are listed below (first at row {row}): "
                                      "clear one or the other").format(value="없음" if stated == [] else "{source: …}",
                                                                      row=found[0][0]), t.path)
                return
            _put(self.data, t.path, stated)
        elif found:
            _put(self.data, t.path, [item for _r, item, _s, _p in found])

    def _link(self, t: Table, children: dict[str, tuple[Table, list | None]]) -> None:
        """Each child sheet's rows, given to the parent row whose id they name."""
        _t, found, _cols = self._tops.get(t.path, (t, [], {}))
        ids: dict[str, list[int]] = {}
        for i, (_r, item, _s, _p) in enumerate(found):
            ident = item.get("id")
            if isinstance(ident, str):
                ids.setdefault(ident.strip(), []).append(i)
        items = _get(self.data, t.within) if found and isinstance(_get(self.data, t.within), list) else None
        for child in t.children:
            ct, rows = children[child.path]
            groups: dict[int, list[tuple[int, dict]]] = {}
            if rows is not None:
                cols = self._columns(ct, rows)
                if cols is None:
                    continue
                key_cols = _key_cols(cols)
                for r, item, _states, parent in self._rows(ct, rows, cols):
                    if parent is None:
                        pc = next(c for c, (w, _x) in cols.items() if w == "parent")
                        self.problem(cell_name(ct.sheet, r, pc), _("the row names no {parent} id: each row belongs to the "
                                                                    "{parent} row with that id").format(parent=t.sheet),
                                     ct.parent_key)
                        continue
                    ident, where = parent
                    owners = ids.get(ident, [])
                    if len(owners) != 1:
                        why = (_("no row of {sheet} has the id {id}") if not owners else
                               _("{count} rows of {sheet} have the id {id}: which one this row belongs to cannot be told"))
                        self.problem(where, why.format(sheet=t.sheet, id=repr(ident), count=len(owners)), ct.parent_key)
                        continue
                    groups.setdefault(owners[0], []).append((r, item))
            else:
                key_cols = {}
            for i, (_r, parent_item, states, _p) in enumerate(found):
                state, where = states.get(child.path, (_BLANK, None))
                kids = groups.get(i, [])
                col = next((c for c, (w, x) in self._tops[t.path][2].items() if w == "child" and x.path == child.path), None)
                state_cell = cell_name(t.sheet, found[i][0], col) if col else cell_name(t.sheet, found[i][0], 1)
                self.placed[(*_loc(t.path), i, *child.within.split("."))] = _Placed(
                    ct.sheet, state_cell, [r for r, _x in kids], key_cols, 1)
                target = items[i] if items is not None else None
                if state is not _BLANK:
                    if kids:
                        self.problem(where, _("the list is stated as {value} here, and the sheet {sheet} lists rows for this "
                                              "id (first at row {row}): clear one or the other").format(
                            value="없음" if state == [] else "{source: …}", sheet=ct.sheet, row=kids[0][0]),
                            f"{t.path}[{i}].{child.within}")
                        continue
                    if target is not None:
                        _put(target, child.within, state)
                elif kids and target is not None:
                    _put(target, child.within, [x for _r, x in kids])


def _key_cols(cols: dict[int, tuple[str, Any]]) -> dict[str, int]:
    out = {}
    for c, (what, x) in cols.items():
        if what == "leaf":
            out[x.key] = c
        elif what == "child":
            out[x.within] = c
    return out


def _loc(path: str) -> tuple:
    return tuple(path.split("."))


def _put(obj: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for p in parents:
        nxt = obj.get(p)
        if not isinstance(nxt, dict):
            nxt = obj[p] = {}
        obj = nxt
    obj[last] = value


def _unknown_key(key: str, known: list[str]) -> str:
    from compliance.nearmiss import difference, near_misses

    near = near_misses([key], known).get(0)
    if near:
        return _("unknown key {key}: it looks like {field} but is not spelled exactly so ({why}); write {field}").format(
            key=repr(key), field=near, why=difference(key, near))
    return _("unknown key {key} (not a field of the facts model; check the spelling)").format(key=repr(key))


# -------------------------------------------------------------------------------------------- the canonical text


def canonical(data: dict) -> tuple[str, list[tuple[int, tuple]]]:
    """The facts read, as JSON text with one list row per line (what the locating machinery walks), and where each
    part starts: (first line, loc) with a trailing None for a run of rows (the line gives the index)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    lines = ["{"]
    marks: list[tuple[int, tuple]] = []

    def emit(obj: dict, loc: tuple, indent: str) -> None:
        keys = list(obj)
        for n, key in enumerate(keys):
            value = obj[key]
            comma = "," if n < len(keys) - 1 else ""
            head = f"{indent}{dumps(key)}: "
            here = (*loc, key)
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                marks.append((len(lines) + 1, here))
                lines.append(head + "[")
                marks.append((len(lines) + 1, (*here, None)))
                last = len(value) - 1
                lines.extend(f"{indent} {dumps(row)}{',' if i < last else ''}" for i, row in enumerate(value))
                marks.append((len(lines) + 1, here))
                lines.append(f"{indent}]{comma}")
            elif isinstance(value, dict) and value and not loc:
                marks.append((len(lines) + 1, here))
                lines.append(head + "{")
                emit(value, here, indent + " ")
                lines.append(f"{indent}}}{comma}")
            else:
                marks.append((len(lines) + 1, here))
                lines.append(head + dumps(value) + comma)

    emit(data, (), " ")
    lines.append("}")
    return "\n".join(lines) + "\n", marks


def read_workbook(path: str | Path) -> tuple[dict, str]:
    """The facts a workbook states, as (the dict a YAML file stating them gives, its canonical JSON text); every
    problem an InputError located at its cell. The workbook is registered (``loading.note_places``) so that problems
    found later in these facts (the model, references, attachments, the evaluator) are shown at their cells."""
    name = str(path)
    raw = loading.read_bytes(path, MAX_WORKBOOK_BYTES)
    reader = _Reader(name, _Book(name, raw))
    data = reader.read()
    text, marks = canonical(data)
    places = Places(reader.scalars, reader.placed, marks)
    places.sha256 = hashlib.sha256(raw).hexdigest()  # the report names the file as given, not the text read from it
    loading.note_places(path, places)
    return data, text


# ==================================================================================================== writing


def _escape(s: str) -> str:
    """Text as an XLSX cell stores it: ``_xHHHH_`` sequences escaped (spreadsheets decode them), line breaks other than
    \\n and control characters (which XML cannot hold) written as such escapes."""
    s = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", s)
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]", lambda m: f"_x{ord(m[0]):04X}_", s)


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _flow(value) -> str:
    from compliance.template import _flow as flow

    return flow(value)


def cell_value(k: Kind, value):
    """(the value a cell holds, its number format) for a stated value of kind ``k``."""
    if value is None:
        return None, None
    if k.name == "list":
        return _list_cell(k, value), "@"
    if isinstance(value, dict) or isinstance(value, list):
        return _flow(value), "@"
    if isinstance(value, str) and value == "unknown" and k.unknown:
        return UNKNOWN_WORD, "@"
    if k.name == "bool" and isinstance(value, bool):
        return (YES if value else NO), "@"
    if k.name in ("int", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if abs(value) <= 2**53:
            return value, "#,##0" if isinstance(value, int) else "General"
        return str(value), "@"
    if k.name == "date":
        day = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                day = None
        if day is not None and day.year >= 1900:
            return day, "yyyy-mm-dd"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(), "@"
    if isinstance(value, bool):
        return ("true" if value else "false"), "@"
    if isinstance(value, (int, float)):
        return value, "General"
    return str(value), "@"


def _list_cell(k: Kind, value) -> str:
    if isinstance(value, dict):
        return _flow(value)
    if not isinstance(value, list):
        return _flow(value)
    if not value:
        return NONE_WORDS[0]
    elem = k.elem or Kind("any")
    texts = []
    plain = True
    for v in value:
        if isinstance(v, bool):
            t = YES if v else NO
            plain = plain and elem.name == "bool"
        elif isinstance(v, (int, float)):
            t = str(v)
            plain = plain and elem.name in ("int", "number")
        elif isinstance(v, (dt.date, dt.datetime)):
            t = v.isoformat()
        elif isinstance(v, str):
            t = v
        else:
            plain, t = False, ""
        texts.append(t)
    free = elem.name in ("text", "any")
    bad = re.compile(r"[\r\n\x00-\x1f]" if free else r"[\r\n,;\x00-\x1f]")
    if (not plain or any(bad.search(t) or t != t.strip() or not t for t in texts) or texts[0][:1] in ("[", "{")
            or (len(texts) == 1 and texts[0] in NONE_WORDS) or (not free and any(not isinstance(v, str) for v in value)
                                                              and elem.name not in ("int", "number", "bool"))):
        return json.dumps(value, ensure_ascii=False, default=str)
    return ("\n" if free else ", ").join(texts)


class _Styles:
    def __init__(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.font = Font(name="맑은 고딕", size=10)
        self.bold = Font(name="맑은 고딕", size=10, bold=True)
        self.title = Font(name="맑은 고딕", size=14, bold=True)
        self.key = Font(name="Consolas", size=9, color="555555")
        self.head_fill = PatternFill("solid", fgColor="DDEBF7")
        self.key_fill = PatternFill("solid", fgColor="EDEDED")
        self.state_fill = PatternFill("solid", fgColor="FFF2CC")
        self.section_fill = PatternFill("solid", fgColor="BDD7EE")
        self.na_fill = PatternFill("solid", fgColor="D9D9D9")
        self.note_font = Font(name="맑은 고딕", size=9, color="595959")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        thin = Side(style="thin", color="BFBFBF")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)


class _Writer:
    def __init__(self, catalogs, existing: dict | None, source: str | None):
        import openpyxl

        from compliance.template import _Ctx, _needs

        self.catalogs = catalogs
        self.needs = _needs(catalogs)
        self.ctx = _Ctx(catalogs)
        self.data = {k: v for k, v in (existing or {}).items() if k != "$schema"}
        self.filled = existing is not None
        self.source = source
        self.layout = layout()
        self.conditions = Conditions(catalogs, self.data if existing is not None else None)
        self.wb = openpyxl.Workbook()
        self.st = _Styles()
        self._protos: dict = {}
        self._scratch = None
        self._wrapped: dict[str, list[tuple[int, int, str]]] = {}

    # ---------------------------------------------------------------- helpers

    def _comment(self, text: str):
        from openpyxl.comments import Comment

        c = Comment(text, "pipa-audit")
        lines = sum(1 + len(part) // 40 for part in text.split("\n"))
        c.width, c.height = 320, min(600, 18 * lines + 20)
        return c

    def _validation(self, ws, k: Kind, ref: str) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        if k.name == "bool":
            dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True, showErrorMessage=True,
                                errorTitle="예/아니오", error="예 또는 아니오를 고르십시오(빈 칸: 알 수 없음).")
        elif k.name == "enum" and len(",".join(k.choices)) < 250:
            choices = [*k.choices] + ([UNKNOWN_WORD] if k.unknown else [])
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True, showErrorMessage=True,
                                errorTitle="선택 값", error="목록의 값 중 하나를 고르십시오: " + ", ".join(choices))
        else:
            return
        dv.add(ref)
        ws.add_data_validation(dv)

    def _put(self, ws, row: int, col: int, value, fmt: str | None = None, font=None, fill=None, wrap: bool = False):
        c = ws.cell(row=row, column=col)
        if value is not None:
            if isinstance(value, str):
                c.value = _escape(value)
                c.data_type = "s"  # never a formula, whatever it starts with
            else:
                c.value = value
        wrap = wrap or (isinstance(value, str) and "\n" in value)
        c._style = copy.copy(self._proto(fmt, font or self.st.font, fill, wrap))
        if wrap and isinstance(value, str):
            self._wrapped.setdefault(ws.title, []).append((row, col, value))
        return c

    def _proto(self, fmt, font, fill, wrap):
        """A cell style made once and copied (setting a style on each of 100,000 cells spent most of a write hashing
        the same style objects)."""
        key = (fmt, id(font), id(fill), wrap)
        found = self._protos.get(key)
        if found is None:
            if self._scratch is None:
                self._scratch = self.wb.create_sheet("#scratch")
            c = self._scratch.cell(row=1, column=len(self._protos) + 1)
            if fmt:
                c.number_format = fmt
            c.font = font
            if fill is not None:
                c.fill = fill
            c.alignment = self.st.wrap if wrap else self.st.top
            found = self._protos[key] = c._style
        return found

    def _basis(self, path: str) -> str:
        """The provisions a fact serves, grouped by instrument: 「…기준」 제4조제1항·제7조제6항, 보고서/report."""
        groups: dict[str, list[str]] = {}
        for cite in self.needs.get(path, []):
            m = re.match(r"^(「[^」]*」(?:\s*\([^)]*\))?)\s*(.+)$", cite)
            head, tail = (m[1], m[2]) if m else (cite, "")
            groups.setdefault(head, [])
            if tail and tail not in groups[head]:
                groups[head].append(tail)
        return ", ".join(f"{h} {'·'.join(t[:8])}{' …' if len(t) > 8 else ''}".rstrip() for h, t in groups.items())

    def _describe(self, info, k: Kind, path: str) -> str:
        """A column's or row's note: what it means, the form, what a blank means, the provisions it serves."""
        from compliance.template import NOTES

        extra = _extra(info)
        out = [extra.get("ko", ""), info.description or ""]
        out.append(_form(k))
        if extra.get("absent") == "none":
            out.append("빈 칸 = 없음(발생하지 않음) / blank = did not happen")
        elif extra.get("absent") == "error":
            out.append("필수 / required")
        elif extra.get("absent") == "default":
            out.append("빈 칸 = 기본값(설명 참고) / blank = the default (see above)")
        else:
            out.append("빈 칸 = 알 수 없음 → 증적 부족 / blank = unknown → insufficient evidence")
        if "example" in extra:
            out.append("예/e.g. " + _example(extra["example"]))
        if path in NOTES:
            out.append(NOTES[path])
        basis = self._basis(path)
        if basis:
            out.append("근거/basis: " + basis)
        cond = self.conditions.field_note(path)
        if cond:
            out.append(cond[1])
        return "\n".join(x for x in out if x)

    def _columns(self, t: Table, stated_keys: list[str]) -> list[Leaf]:
        """The columns of a list: what the catalogs read, what is required or stated; every field of a list no catalog
        reads (what the report shows, or derives: an incident's notices)."""
        if t.path not in self.needs:
            return list(t.leaves)
        return [leaf for leaf in t.leaves if self._shown(leaf.path, leaf.key in stated_keys, leaf.info)]

    def _shown(self, path: str, stated: bool, info) -> bool:
        """Stated, read by a catalog, required, or a "did not happen" field: the reader refuses a list sheet without
        the column of such a field (a blank there says it did not happen, so a missing column would say it of every row)."""
        return stated or path in self.needs or _extra(info).get("absent") in ("error", "none")

    # ---------------------------------------------------------------- sheets

    def write(self) -> bytes:
        ws = self.wb.active
        ws.title = GUIDE
        self._guide(ws)
        self._basic(self.wb.create_sheet(BASIC))
        for t in self.layout.tables:
            if t.parent is None:
                self._table(t)
        self._attest_ref(self.wb.create_sheet(ATTEST_REF))
        self._kinds_ref(self.wb.create_sheet(KINDS_REF))
        if self._scratch is not None:
            self.wb.remove(self._scratch)
        for ws in self.wb.worksheets:
            _fit_rows(ws, self._wrapped.get(ws.title, []))
        self.wb.active = 1
        for n, ws in enumerate(self.wb.worksheets):  # one selected tab: two would open grouped, typing into both
            ws.sheet_view.tabSelected = n == 1
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()

    def _guide(self, ws) -> None:
        st = self.st
        ws.column_dimensions["A"].width = 100
        ws.column_dimensions["B"].width = 80
        lines = _guide_lines(self.catalogs, [t.sheet for t in self.layout.tables], self.source)
        self._put(ws, 1, 1, "pipa-audit 점검표(증적 파일) 작성 안내", font=st.title)
        self._put(ws, 1, 2, "How to fill in this workbook (the facts of a pipa-audit audit)", font=st.bold)
        for n, (ko, en) in enumerate(lines, 3):
            bold = ko.startswith("■")
            self._put(ws, n, 1, ko, font=st.bold if bold else st.font, wrap=True)
            self._put(ws, n, 2, en, font=st.bold if bold else st.note_font, wrap=True)
        ws.protection.sheet = True  # a reference: edits would never be read
        _page(ws)

    def _basic(self, ws) -> None:
        st = self.st
        heads = [("항목(질문)", "#항목"), ("키(영문, 수정 금지)", KEY), ("근거 조항", "#근거"), ("값", VALUE), ("비고(빈 칸의 의미·적용 여부)", "#비고")]
        for c, width in zip("ABCDE", (58, 34, 40, 30, 60)):
            ws.column_dimensions[c].width = width
        self._put(ws, STATE_ROW, 1, "기본사항: '값' 열(D)에 입력하십시오. 빈 칸은 '알 수 없음'(해당 점검은 증적 부족)입니다.", font=st.bold)
        self._put(ws, STATE_ROW, 2, "Fill in column D (값). A blank cell states nothing: the checks that need it are insufficient evidence.",
                  font=st.note_font)
        for c, (label, key) in enumerate(heads, 1):
            self._put(ws, LABEL_ROW, c, label, font=st.bold, fill=st.head_fill, wrap=True).border = st.border
            self._put(ws, KEY_ROW, c, key, font=st.key, fill=st.key_fill)
        r = FIRST_ROW
        section = None
        for leaf in self.layout.scalars:
            stated = _has(self.data, leaf.key)
            if not self._shown(leaf.path, stated, leaf.info):
                continue
            sec = _section(leaf.key)
            if sec != section:
                section = sec
                title = _SECTION_NAMES.get(sec) or _section_title(sec)
                for c in range(1, 6):
                    self._put(ws, r, c, f"■ {title} ({sec})" if c == 1 and sec else f"■ {title}" if c == 1 else None,
                              font=st.bold, fill=st.section_fill)
                r += 1
            value = _get(self.data, leaf.key) if stated else None
            shown, fmt = cell_value(leaf.kind, value)
            self._put(ws, r, 1, _label(leaf.info), wrap=True).comment = self._comment(
                f"{leaf.info.description or ''}\n{_form(leaf.kind)}")
            self._put(ws, r, 2, leaf.key, font=st.key)
            self._put(ws, r, 3, self._basis(leaf.path), font=st.note_font, wrap=True)
            self._put(ws, r, 4, shown, fmt or _format(leaf.kind), wrap=leaf.kind.name == "list").border = st.border
            self._validation(ws, leaf.kind, f"D{r}")
            note = _row_note(leaf, self.conditions.field_note(leaf.path))
            cond = self.conditions.field_note(leaf.path)
            self._put(ws, r, 5, note, font=st.note_font, wrap=True,
                      fill=st.na_fill if cond and cond[0] == "not" else None)
            r += 1
        for key in _unknown_keys(self.data, {leaf.key for leaf in self.layout.scalars}, {t.path for t in self.layout.tables}):
            self._put(ws, r, 1, "사실 모델에 없는 항목(철자 확인) / not in the facts model (check the spelling)", font=st.note_font)
            self._put(ws, r, 2, key, font=st.key)
            shown, fmt = cell_value(Kind("any"), _get(self.data, key))
            self._put(ws, r, 4, shown, fmt)
            r += 1
        ws.freeze_panes = "A4"
        _page(ws)

    def _table(self, t: Table) -> None:
        value = _get(self.data, t.within) if _has(self.data, t.within) else None
        rows = value if isinstance(value, list) else []
        stated_keys = _row_keys(rows, t)
        ws = self.wb.create_sheet(t.sheet)  # every list has its sheet: adding one is harder than typing a YAML key
        columns = self._columns(t, stated_keys)
        extra_keys = [k for k in stated_keys if k not in {leaf.key for leaf in t.leaves} and k not in {c.within for c in t.children}]
        kids = list(t.children)
        state = _BLANK
        if value is not None and not isinstance(value, list):
            state = value
        elif value == []:
            state = []
        if t.path == "attestations" and not self.filled:
            rows = [{"control": cid} for cid, ctl in self.ctx.attest.items() if not ctl.control.applies_when]
        self._sheet(ws, t, columns, extra_keys, kids, rows, state, parent_ids=None)
        for child in kids:
            self._child(t, child, rows)

    def _child(self, t: Table, child: Table, parents: list) -> None:
        ws = self.wb.create_sheet(child.sheet)
        rows, ids = [], []
        for p in parents:
            if not isinstance(p, dict):
                continue
            value = _get(p, child.within) if _has(p, child.within) else None
            if isinstance(value, list):
                for item in value:
                    rows.append(item)
                    ids.append(p.get("id"))
        stated_keys = _row_keys(rows, child)
        columns = self._columns(child, stated_keys)
        extra_keys = [k for k in stated_keys if k not in {leaf.key for leaf in child.leaves}]
        self._sheet(ws, child, columns, extra_keys, [], rows, _BLANK, parent_ids=ids)

    def _sheet(self, ws, t: Table, columns: list[Leaf], extra_keys: list[str], kids: list[Table], rows: list, state,
               parent_ids: list | None) -> None:
        st = self.st
        if parent_ids is None:
            self._put(ws, STATE_ROW, 1, "목록 상태 ▶", font=st.bold)
            shown = None if state is _BLANK else (NONE_WORDS[0] if state == [] else _flow(state))
            sc = self._put(ws, STATE_ROW, STATE_COL, shown, "@", fill=st.state_fill)
            sc.border = st.border
            sc.comment = self._comment(
                "이 목록의 상태 / the list's state:\n"
                "빈 칸: 아래 4행부터의 행이 목록(행이 없으면 미기재 = 알 수 없음)\n"
                "없음: 해당 항목이 없음을 명시(빈 목록 [])\n"
                "{source: {path: evidence/파일.csv}}: 목록을 CSV·XLSX 파일에서 읽음\n"
                "blank: the rows from row 4 are the list (no rows: not stated); 없음: stated empty; {source: …}: read from a file")
            from openpyxl.worksheet.datavalidation import DataValidation

            dv = DataValidation(type="list", formula1=f'"{NONE_WORDS[0]}"', allow_blank=True, showErrorMessage=False)
            dv.add(f"{col_letter(STATE_COL)}{STATE_ROW}")
            ws.add_data_validation(dv)
            self._put(ws, STATE_ROW, 3, f"{_label(t.info)} — 빈 칸: 아래 행이 목록 · '없음': 해당 없음(빈 목록) · "
                                        "{source: …}: 파일에서 읽음", font=st.note_font)
        else:
            self._put(ws, STATE_ROW, 1, f"{_label(t.info)}: 각 행의 첫 열에 상위 '{t.parent.sheet}' 행의 식별자(id)를 적습니다. "
                                        f"'{t.parent.sheet}' 시트의 '{t.within}' 열이 '없음'이면 이 목록은 비어 있음으로 기재된 것입니다.",
                      font=st.note_font)
        heads: list[tuple[str, str, str, Kind | None, str]] = []  # label, key, comment, kind, model path
        if parent_ids is not None:
            heads.append((f"상위 {t.parent.sheet} 식별자", t.parent_key,
                          f"이 행이 속한 '{t.parent.sheet}' 행의 id / the id of the {t.parent.path} row this row belongs to",
                          Kind("text"), ""))
        for leaf in columns:
            heads.append((_label(leaf.info, short=True), leaf.key, self._describe(leaf.info, leaf.kind, leaf.path), leaf.kind,
                          leaf.path))
        for key in extra_keys:
            heads.append(("사실 모델에 없는 항목(철자 확인)", key, "not in the facts model (check the spelling)", Kind("any"), ""))
        for child in kids:
            heads.append((f"{_label(child.info, short=True)} [목록 상태]", child.within,
                          f"{_label(child.info)}\n{child.info.description or ''}\n행은 '{child.sheet}' 시트에 이 행의 id로 기재합니다.\n"
                          "빈 칸: 그 시트의 행이 목록(행이 없으면 미기재) · 없음: 해당 없음(빈 목록) · {source: …}: 파일에서 읽음\n"
                          f"rows go on the sheet {child.sheet}, naming this row's id; 없음 = stated empty", None, child.path))
        notes = _note_columns(t)
        for c, (label, key, comment, k, path) in enumerate(heads, 1):
            cond = self.conditions.field_note(path) if path else None
            mark = ""
            fill = st.head_fill
            if cond:
                mark = " (이 기관 해당 없음)" if cond[0] == "not" else " ※조건부" if cond[0] in ("condition", "unknown") else ""
                fill = st.na_fill if cond[0] == "not" else st.head_fill
            hc = self._put(ws, LABEL_ROW, c, label + mark, font=st.bold, fill=fill, wrap=True)
            hc.border = st.border
            hc.comment = self._comment(comment)
            self._put(ws, KEY_ROW, c, key, font=st.key, fill=st.key_fill)
            letter = col_letter(c)
            ws.column_dimensions[letter].width = max(12, min(36, len(label) * 1.6 + 2, (len(key) + 4) * 1.1 + 6))
            fmt = _format(k) if k is not None else "@"
            ws.column_dimensions[letter].number_format = fmt
            if k is not None:
                self._validation(ws, k, f"{letter}{FIRST_ROW}:{letter}1048576")
            else:
                from openpyxl.worksheet.datavalidation import DataValidation

                dv = DataValidation(type="list", formula1=f'"{NONE_WORDS[0]}"', allow_blank=True, showErrorMessage=False)
                dv.add(f"{letter}{FIRST_ROW}:{letter}1048576")
                ws.add_data_validation(dv)
        base = len(heads)
        for n, (label, key, comment) in enumerate(notes, 1):
            hc = self._put(ws, LABEL_ROW, base + n, label, font=st.bold, fill=st.key_fill, wrap=True)
            hc.comment = self._comment(comment)
            self._put(ws, KEY_ROW, base + n, key, font=st.key, fill=st.key_fill)
            ws.column_dimensions[col_letter(base + n)].width = 30
        if t.path == "attachments":
            self._ref_validation(ws, heads, "kind", KINDS_REF, len(self.ctx.kinds))
        if t.path == "attestations":
            self._ref_validation(ws, heads, "control", ATTEST_REF, len(self.ctx.attest))
        for i, item in enumerate(rows):
            r = FIRST_ROW + i
            if not isinstance(item, dict):
                self._put(ws, r, 1 + (parent_ids is not None), _flow(item))
                continue
            for c, (label, key, comment, k, path) in enumerate(heads, 1):
                if parent_ids is not None and c == 1:
                    self._put(ws, r, c, parent_ids[i], "@")
                    continue
                if not _has(item, key):
                    continue
                value = _get(item, key)
                if k is None:  # a child list's state: rows on the child sheet, or stated empty, or a source
                    if isinstance(value, list):
                        self._put(ws, r, c, NONE_WORDS[0] if not value else None, "@")
                    else:
                        self._put(ws, r, c, _flow(value), "@")
                    continue
                shown, fmt = cell_value(k, value)
                if shown is not None:
                    self._put(ws, r, c, shown, fmt)
            for n, text in enumerate(_note_values(self, t, item), 1):
                if text:
                    self._put(ws, r, base + n, text, font=st.note_font,
                              fill=st.na_fill if text.startswith("이 기관에 적용되지 않음") else None)
        ws.freeze_panes = "B4" if parent_ids is None else "C4"
        _page(ws, wide=len(heads) + len(notes) > 8)

    def _ref_validation(self, ws, heads, key: str, sheet: str, count: int) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        col = next((c for c, h in enumerate(heads, 1) if h[1] == key), None)
        if col is None or not count:
            return
        dv = DataValidation(type="list", formula1=f"'{sheet}'!$A${FIRST_ROW}:$A${FIRST_ROW + count - 1}", allow_blank=True,
                            showErrorMessage=False)
        dv.add(f"{col_letter(col)}{FIRST_ROW}:{col_letter(col)}1048576")
        ws.add_data_validation(dv)

    def _attest_ref(self, ws) -> None:
        st = self.st
        stated = {a.get("control") for a in (self.data.get("attestations") or []) if isinstance(a, dict)} \
            if isinstance(self.data.get("attestations"), list) else set()
        self._put(ws, 1, 1, "확인서가 필요한 항목(사실로 보일 수 없는 의무) — 참고용, 읽지 않음. '확인서' 시트에 항목 ID별로 기재하십시오.", font=st.bold)
        self._put(ws, 1, 5, "Duties judged on an attestation: for reference only (never read); state them on the sheet 확인서.",
                  font=st.note_font)
        heads = ["항목 ID", "조항", "제목", "확인할 사항", "기준일 전 기한", "요구 증적", "이 기관 적용 여부", "기재 여부"]
        for c, (h, w) in enumerate(zip(heads, (14, 30, 30, 60, 12, 30, 40, 10)), 1):
            self._put(ws, 3, c, h, font=st.bold, fill=st.head_fill, wrap=True).border = st.border
            ws.column_dimensions[col_letter(c)].width = w
        for n, (cid, ctl) in enumerate(self.ctx.attest.items()):
            c = ctl.control
            status = self.conditions.control_note(ctl)
            row = [cid, ctl.cite("ko"), c.title.ko, c.attestation.what.ko, _within(c.attestation.within), ", ".join(c.evidence),
                   status, "기재됨" if cid in stated else ""]
            for col, v in enumerate(row, 1):
                self._put(ws, FIRST_ROW + n, col, v, "@", wrap=col in (3, 4, 7),
                          fill=st.na_fill if col == 7 and status.startswith("이 기관에 적용되지 않음") else None)
        ws.freeze_panes = "B4"
        ws.protection.sheet = True
        _page(ws)

    def _kinds_ref(self, ws) -> None:
        st = self.st
        stated = self.data.get("attachments")
        have = {a.get("kind") for a in stated if isinstance(a, dict)} if isinstance(stated, list) else set()
        self._put(ws, 1, 1, "점검자가 기대하는 증적 종류(kind)와 그것을 요구하는 항목 — 참고용, 읽지 않음. '첨부증적' 시트의 kind 열에 쓰십시오.",
                  font=st.bold)
        for c, (h, w) in enumerate(zip(["증적 종류(kind)", "요구하는 항목", "기재 여부"], (36, 80, 10)), 1):
            self._put(ws, 3, c, h, font=st.bold, fill=st.head_fill).border = st.border
            ws.column_dimensions[col_letter(c)].width = w
        for n, (kind, controls) in enumerate(sorted(self.ctx.kinds.items())):
            self._put(ws, FIRST_ROW + n, 1, kind, "@")
            self._put(ws, FIRST_ROW + n, 2, ", ".join(controls), "@", wrap=True)
            self._put(ws, FIRST_ROW + n, 3, "기재됨" if kind in have else "", "@")
        ws.freeze_panes = "A4"
        ws.protection.sheet = True
        _page(ws)


def write_workbook(catalogs, existing: dict | None = None, source: str | None = None) -> bytes:
    """The facts workbook ``init -o x.xlsx`` writes: with ``existing`` (a facts file's parsed content, ``init --from``),
    every stated value is kept, and what the catalogs also read is offered as blank rows and columns; reading it back
    gives the same facts."""
    return _Writer(catalogs, existing, source).write()


def _fit_rows(ws, wrapped: list[tuple[int, int, str]]) -> None:
    """Row heights for wrapped text: spreadsheet programs keep the default height of a row written without one
    (LibreOffice drew the lines over each other), so each is given the height its longest cell needs."""
    widths: dict[int, float] = {}
    need: dict[int, int] = {}
    for row, col, text in wrapped:
        if col not in widths:
            widths[col] = ws.column_dimensions[col_letter(col)].width or 10
        per_line = max(4.0, widths[col] * 1.15)
        lines = int(sum(max(1, -(-_display_width(part) // per_line)) for part in text.split("\n")))
        need[row] = max(need.get(row, 1), lines)
    for row, lines in need.items():
        if lines > 1:
            ws.row_dimensions[row].height = min(400, 13 * lines + 3)


def _display_width(text: str) -> float:
    return sum(1.7 if "\u1100" <= ch <= "\u11ff" or "\u2e80" <= ch <= "\ua4cf" or "\uac00" <= ch <= "\ud7a3"
               or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uff60" else 1 for ch in text)


def _page(ws, wide: bool = False) -> None:
    """Printed landscape: a narrow sheet fitted to the page's width, a wide list across pages with its headers and
    first column repeated (fitting 50 columns to one page made them unreadable)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if wide:
        ws.page_setup.scale = 70
        ws.print_title_rows = f"{LABEL_ROW}:{KEY_ROW}"
        ws.print_title_cols = "A:A"
        return
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _note_columns(t: Table) -> list[tuple[str, str, str]]:
    """Columns of notes the writer fills (never read): for attestations, what each control asks and whether it applies."""
    if t.path != "attestations":
        return []
    return [("제목(참고)", "#제목", "항목의 제목 / the control's title (not read)"),
            ("확인할 사항(참고)", "#확인할 사항", "확인서가 확인할 내용 / what to attest (not read)"),
            ("기한(참고)", "#기한", "기준일 전 이 기간 안의 확인이어야 함 / must be dated within this before as_of (not read)"),
            ("이 기관 적용 여부(참고)", "#적용 여부", "이 항목이 이 기관에 적용되는지 / whether the duty applies here (not read)")]


def _note_values(w: _Writer, t: Table, item: dict) -> list[str]:
    if t.path != "attestations":
        return []
    ctl = w.ctx.attest.get(item.get("control")) if isinstance(item.get("control"), str) else None
    if ctl is None:
        return ["", "", "", ""]
    c = ctl.control
    return [c.title.ko, c.attestation.what.ko, _within(c.attestation.within), w.conditions.control_note(ctl)]


def _within(duration: str) -> str:
    """'365d' -> '365일' (how recent an attestation must be, as the reference sheets say it)."""
    m = re.fullmatch(r"([0-9]+)\s*([dhw])", duration.strip())
    return f"{m[1]}{ {'d': '일', 'h': '시간', 'w': '주'}[m[2]] }" if m else duration


def _format(k: Kind | None) -> str:
    if k is None:
        return "@"
    return {"date": "yyyy-mm-dd", "int": "#,##0", "number": "General"}.get(k.name, "@")


def _form(k: Kind) -> str:
    """How a value of this kind is written, in words."""
    if k.name == "bool":
        return "예/아니오 (true/false도 읽음) / yes or no"
    if k.name == "int":
        return "숫자(정수) / a whole number"
    if k.name == "date":
        return "날짜: 2025-03-31 (2025. 3. 31.도 읽음)" + (" · 발생 여부 모름: 알 수 없음" if k.unknown else "") + " / a date"
    if k.name == "stamp":
        return ("일시(시간대 포함): 2025-11-18T09:00+09:00" + (" · 발생 여부 모름: 알 수 없음" if k.unknown else "")
                + " / a date and time with its UTC offset")
    if k.name == "enum":
        return "다음 중 하나 / one of: " + ", ".join(k.choices)
    if k.name == "list":
        elem = k.elem or Kind("any")
        sep = "한 줄에 하나(Alt+Enter)" if elem.name in ("text", "any") else "한 줄에 하나 또는 쉼표로 구분"
        inner = _form(elem) if elem.name != "text" else "텍스트"
        return f"여러 값: {sep}; 없음 = 빈 목록 / several values, one per line; 없음 = stated empty — {inner}"
    return "텍스트 / text"


def _example(v) -> str:
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) if v else "없음"
    if isinstance(v, bool):
        return YES if v else NO
    return str(v)


def _row_note(leaf: Leaf, cond) -> str:
    extra = _extra(leaf.info)
    out = []
    if extra.get("absent") == "none":
        out.append("빈 칸 = 없음(발생하지 않음)")
    elif extra.get("absent") == "error":
        out.append("필수")
    elif extra.get("absent") == "default":
        out.append("빈 칸 = 기본값")
    if leaf.kind.unknown:
        out.append("발생 여부를 모르면 '알 수 없음'")
    if leaf.kind.name == "list":
        out.append("여러 값은 줄바꿈(Alt+Enter)" + ("" if (leaf.kind.elem or Kind("any")).name == "text" else " 또는 쉼표") +
                   "; 해당 없음은 '없음'")
    if leaf.kind.name == "enum":
        out.append("값: " + ", ".join(leaf.kind.choices))
    if "example" in extra:
        out.append("예시: " + _example(extra["example"]))
    from compliance.template import NOTES

    if leaf.path in NOTES:
        out.append(NOTES[leaf.path].split(" / ")[0])
    if cond:
        out.append(cond[1])
    return " · ".join(out)


def _section_title(sec: str) -> str:
    from compliance.facts import Facts

    info = Facts.model_fields.get(sec)
    return _label(info) if info is not None else sec


def _has(obj, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    return obj is not None


def _get(obj, dotted: str):
    for part in dotted.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _row_keys(rows: list, t: Table) -> list[str]:
    """The dotted keys the rows state (in the model's objects), in first-seen order."""
    objects = {leaf.key.rsplit(".", 1)[0] for leaf in t.leaves if "." in leaf.key}
    objects |= {p for k in list(objects) for p in _prefixes(k)}
    out: dict[str, None] = {}

    def walk(obj: dict, prefix: str) -> None:
        for k, v in obj.items():
            key = prefix + str(k)
            if key in objects and isinstance(v, dict):
                walk(v, key + ".")
            elif v is not None:
                out.setdefault(key)

    for row in rows:
        if isinstance(row, dict):
            walk(row, "")
    return list(out)


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _unknown_keys(data: dict, scalars: set[str], tables: set[str]) -> list[str]:
    objects = {p for k in scalars for p in _prefixes(k)} | {p for k in tables for p in _prefixes(k)}
    out = []

    def walk(obj: dict, prefix: str) -> None:
        for k, v in obj.items():
            key = prefix + str(k)
            if key in scalars or key in tables:
                continue
            if key in objects and isinstance(v, dict):
                walk(v, key + ".")
            elif v is not None:
                out.append(key)

    walk(data, "")
    return out


# ------------------------------------------------------------------------------------- whether a duty applies here


class Conditions:
    """Whether the controls that read a fact apply to this organisation: evaluated on the facts when they are given
    (``init --from``), else the condition stated in Korean. Facts read only by controls that apply under a condition
    are marked so, on their row (기본사항) or column note."""

    def __init__(self, catalogs, data: dict | None):
        superseded = {s for c in catalogs for s in getattr(c.meta, "supersedes", None) or []}
        self.defs: dict[str, Any] = {}
        self.readers: dict[str, list] = {}
        self.report: set[str] = set()
        for cat in catalogs:
            self.defs.update(cat.defs)
            if cat.meta.id in superseded:
                continue
            for ctl in cat.controls:
                paths: set[str] = set()
                for cc in ctl.checks:
                    for x in (cc.for_each, cc.where, cc.expect):
                        if x is not None:
                            paths |= x.paths
                if ctl.control.attestation is not None:
                    paths |= {f"attestations.{f}" for f in ("attester", "role", "date", "attachment", "met", "statement")}
                for p in paths:
                    key = p.replace("[]", "")
                    for i in range(1, key.count(".") + 2):
                        self.readers.setdefault(".".join(key.split(".")[:i]), []).append(ctl)
        from compliance.template import REPORT_FIELDS

        self.report = set(REPORT_FIELDS)
        self.root = None
        if data is not None:
            try:
                from compliance.facts import Facts, to_evaluation_dict

                self.root = to_evaluation_dict(Facts.model_validate(data))
            except Exception:  # noqa: BLE001 - facts that do not validate (or list sources): conditions are stated instead
                self.root = None

    def applies(self, ctl) -> tuple[str, str]:
        """('always'|'applies'|'not'|'unknown'|'condition', Korean words)."""
        cond = ctl.applies_when
        if cond is None:
            return "always", ""
        words = self.words(ctl.control.applies_when or "")
        if self.root is None:
            return "condition", f"해당 시에만 적용: {words}"
        from compliance.expr import EvalError, Missing

        try:
            ok = bool(cond.fn(self.root, {}))
        except Missing as exc:
            return "unknown", f"적용 여부 판단 불가({self.words(str(exc.path))} 미기재) — 적용 조건: {words}"
        except EvalError:
            return "unknown", f"적용 여부 판단 불가 — 적용 조건: {words}"
        if ok:
            return "applies", f"이 기관에 적용({words})"
        why = ctl.control.not_applicable.ko if ctl.control.not_applicable else f"조건 불충족: {words}"
        return "not", f"이 기관에 적용되지 않음: {why}"

    def control_note(self, ctl) -> str:
        state, words = self.applies(ctl)
        return words or "모든 처리자에 적용"

    def field_note(self, path: str) -> tuple[str, str] | None:
        """None when the fact serves a duty that always applies (or the report); else (state, Korean words)."""
        if not path or path in self.report:
            return None
        readers = self.readers.get(path)
        if not readers:
            return None
        states = [self.applies(ctl) for ctl in readers]
        if any(s == "always" for s, _w in states):
            return None
        if any(s == "applies" for s, _w in states):
            return None
        kinds = {s for s, _w in states}
        words = list(dict.fromkeys(w for _s, w in states))
        if kinds == {"not"}:
            return "not", "이 기관에 적용되지 않는 의무에만 쓰임 — " + "; ".join(w.removeprefix("이 기관에 적용되지 않음: ") for w in words)
        if "unknown" in kinds:
            return "unknown", "; ".join(w for s, w in states if s == "unknown")
        return "condition", "; ".join(words)

    def words(self, source: str) -> str:
        """An applicability condition in Korean: named conditions by what they mean, facts by their labels."""
        parts = re.split(r"\s*(&&|\|\|)\s*", source.strip())
        out = []
        for p in parts:
            if p == "&&":
                out.append(" 그리고 ")
                continue
            if p == "||":
                out.append(" 또는 ")
                continue
            neg = p.startswith("!")
            term = p.lstrip("!").strip()
            if term.startswith("(") and term.endswith(")"):
                out.append(("아님: " if neg else "") + self.words(term[1:-1]))
                continue
            d = self.defs.get(term)
            if d is not None and getattr(d, "means", None) is not None:
                out.append(("아님: " if neg else "") + d.means.ko)
                continue
            m = re.fullmatch(r"([A-Za-z_][\w.]*)\s*(==|!=)\s*(true|false|'[^']*'|\"[^\"]*\"|[0-9]+)", term)
            if m:
                label = _path_label(m[1])
                value = {"true": YES, "false": NO}.get(m[3], m[3].strip("'\""))
                out.append(f"{label} {'=' if m[2] == '==' else '≠'} {value}")
                continue
            if re.fullmatch(r"[A-Za-z_][\w.]*", term):
                out.append(("아님: " if neg else "") + _path_label(term))
                continue
            out.append(p)
        return "".join(out)


def _path_label(path: str) -> str:
    """A model path's Korean label ('organization.ict_service_provider' -> '정보통신서비스 제공자 해당 여부')."""
    from compliance.facts import Facts

    model = Facts
    info = None
    for part in path.replace("[]", "").split("."):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return path
        info = fields[part]
        k = kind_of(info.annotation)
        model = k.model if k.name in ("object", "rows") else None
    return _label(info) if info is not None else path


def _guide_lines(catalogs, sheets: list[str], source: str | None) -> list[tuple[str, str]]:
    cats = ", ".join(f"{c.meta.id} ({c.meta.version})" for c in catalogs)
    out = [
        ("■ 이 통합문서는 무엇인가", "■ What this workbook is"),
        ("pipa-audit의 점검 증적 파일(facts)입니다. YAML 증적 파일과 같은 사실을 담으며, 모든 명령이 그대로 읽습니다: "
         "pipa-audit validate 점검표.xlsx · pipa-audit check 점검표.xlsx · pipa-audit report 점검표.xlsx -o 보고서.pdf",
         "The facts of a pipa-audit audit, as the YAML facts file holds them; every command reads it: validate, check, report."),
        ("YAML로 바꾸기: pipa-audit init --from 점검표.xlsx -o facts.yaml (같은 사실을 그대로 옮김)",
         "To YAML: pipa-audit init --from 점검표.xlsx -o facts.yaml (the same facts)"),
        (f"적용 기준(카탈로그): {cats}", f"Catalogs: {cats}"),
        *([(f"다음 파일의 내용으로 만들었습니다: {source}", f"Generated from {source}")] if source else []),
        ("■ 시트", "■ Sheets"),
        ("기본사항: 기관·점검 개요·정책 등 목록이 아닌 사실. '값' 열(D)에 입력합니다.", "기본사항: facts that are not lists; fill column D."),
        ("목록 시트(" + ", ".join(sheets) + "): 한 행에 한 항목, 4행부터. 2행은 한글 제목(메모에 설명·근거 조항), 3행은 영문 키로 "
         "프로그램이 읽는 행이니 바꾸지 마십시오.",
         "List sheets: one item per row from row 4; row 2 Korean headers (notes explain each), row 3 the keys the reader "
         "goes by: do not change them."),
        ("'시스템-취약점'처럼 이름에 '-'가 있는 시트는 상위 목록의 행에 딸린 목록입니다. 첫 열에 상위 행의 식별자(id)를 적습니다.",
         "Sheets named parent-child hold lists inside a row: their first column names the parent row's id."),
        ("참고-… 시트와 '#'으로 시작하는 열·시트는 메모로, 읽지 않습니다.", "Sheets 참고-… and columns or sheets starting with # are notes, never read."),
        ("■ 값 쓰는 법", "■ How to write values"),
        ("빈 칸 = 알 수 없음: 그 사실이 필요한 점검은 '증적 부족'으로 판정되며, 절대 통과로 보지 않습니다.",
         "A blank cell is unknown: the checks that need it are judged insufficient evidence, never passed."),
        ("단, 메모에 '빈 칸 = 없음(발생하지 않음)'이라고 적힌 열(퇴직일, 권한 말소일 등)은 빈 칸이 '그 일이 없었음'을 뜻합니다. "
         "일어났는지 모르면 '알 수 없음'이라고 적습니다.",
         "Columns noted 'blank = did not happen' (left_on, access_revoked_on…) read a blank as 'it did not happen'; write "
         "알 수 없음 (unknown) when it is not known."),
        ("예/아니오: 목록에서 고릅니다(예, 아니오; true/false도 읽음).", "Yes/no: pick 예 or 아니오 (true/false also read)."),
        ("날짜: 2025-03-31 (날짜 서식 칸). 2025. 3. 31. 도 읽습니다. 일시는 시간대를 붙인 글자로: 2025-11-18T09:00+09:00",
         "Dates: 2025-03-31 (a date cell). A date and time is text with its offset: 2025-11-18T09:00+09:00."),
        ("여러 값을 담는 칸: 한 줄에 하나씩(Alt+Enter). 선택 값·날짜 목록은 쉼표로 구분해도 됩니다.",
         "Cells of several values: one per line (Alt+Enter); enumerations and dates may be comma-separated."),
        ("목록이 비어 있음(예: 사고 없음)을 명시하려면 목록 상태 칸(B1, 또는 상위 행의 [목록 상태] 열)에 '없음'을 적습니다. "
         "'없음'과 빈 칸은 다릅니다: 빈 칸은 '알 수 없음'입니다.",
         "To state a list empty (no incidents), write 없음 in its state cell (B1, or the parent row's [목록 상태] column). "
         "없음 and blank differ: blank is unknown."),
        ("목록을 CSV·XLSX 내보내기에서 읽으려면 목록 상태 칸에 {source: {path: evidence/hr.csv, columns: {id: 사번}}} 처럼 적습니다.",
         "A list kept in an export: {source: {path: evidence/hr.csv, columns: {id: 사번}}} in its state cell."),
        ("수식은 계산된 값으로 읽습니다. 계산되지 않은 수식, 숨긴 시트, 알 수 없는 시트·열은 오류로 알려 줍니다(시트!칸 위치와 함께).",
         "Formulas are read by their computed value; an uncomputed formula, a hidden sheet, an unknown sheet or column is "
         "reported with its sheet!cell."),
        ("■ 적용 여부", "■ Whether a duty applies"),
        ("일부 의무는 조건이 맞는 처리자에게만 적용됩니다(예: 공공시스템운영기관, 대규모 처리자). 해당 행의 '비고'와 열의 메모에 조건을 적었고, "
         "기관 정보가 기재되어 있으면 이 기관에 적용되는지를 표시했습니다.",
         "Some duties apply only under a condition (public system operators, large processors): the notes state it, and "
         "say whether it applies to this organisation when its facts are stated."),
    ]
    return out
