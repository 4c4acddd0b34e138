"""``logs ingest``: access-record exports (CSV, JSON lines, Parquet) → Parquet by month + manifest + rejects.

Fast where the data is clean and exact where it is not: CSV is cut into blocks at line ends, decoded strictly
in C (CP949, UTF-8, UTF-8 with BOM) and parsed by pyarrow; a block whose rows do not map one-to-one onto its
lines (a bad byte, a wrong column count, a quoted line break) is re-read line by line in Python, so every
rejected line is reported with its number. Fields are then checked column-at-a-time (timestamps, addresses,
counts, garbled text); each bad row goes to ``rejects.csv`` with file, line, column and reason, and each
repaired one (a port removed from an address) too. Nothing is skipped silently.

What is refused rather than guessed: an account, system or address holding an invisible or look-alike character
(the facts' rule, ``compliance.nearmiss``: format characters such as U+200B, characters NFKC changes, Cyrillic and
Greek letters imitating Latin ones) is rejected naming the character, since read as written it would be another
account than the one it imitates; a NUL in any field; a port that is no port number; a count with misplaced
thousands separators; a JSON line naming a mapped key twice, or holding a number beyond 64 bits or no finite
number in a mapped field. A line longer than ``MAX_LINE`` (or a quoted field left open that long), a Parquet batch
whose text decodes beyond ``MAX_BATCH_TEXT``, Arrow running out of memory and a full disk are input errors (exit 2)
at their file and line or row: memory stays bounded and no partial folder is left. Task names the mapping does not
know are counted per file (``InputFile.unmapped_actions``), never silently read as "no download".

Output columns (one Parquet file per local month, ``YYYY-MM/records.parquet``)::

    ts timestamp[us, UTC] · epoch_s int64 · day date32 (local) · day_num int32 (days since 1970-01-01, local)
    month int32 (YYYYMM, local) · minute int16 (local minute of the day) · system · account · action (kind)
    action_raw · ip (canonical text) · ip_hex (32 hex digits) · ip_net (hex of its /24 or /64) · country
    subject · records int64 · reason · source (input file name) · line int64 (line, or row for Parquet)

The integer day, month and minute columns are what the portable SQL uses: no engine's date or time-zone
functions are needed, and none can differ. Each integer column has the narrowest type that holds every value
ingest accepts (a minute of the day fits 16 bits; day numbers and months of years up to 9999 need 32; epoch
seconds, counts of up to 15 digits and line numbers 64). The files are written with zstd; repetitive text, the
day and minute columns and the counts are dictionary-encoded, and the times and line numbers, which grow through
an export in time order, are delta-encoded (``_WRITER``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import hashlib
import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import unicodedata
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from compliance import __version__
from compliance.i18n import _
from compliance.loading import InputError, Problem, fail
from compliance.logs import addresses, digests, timestamps
from compliance.logs.manifest import MANIFEST, REJECTS, DayDigest, InputFile, Manifest, OutputFile, Totals, sha256_file
from compliance.logs.mapping import Mapping
from compliance.logs.progress import Progress
from compliance.nearmiss import _CONFUSABLE  # the facts' look-alike letters: one rule for facts and records

BLOCK = 32 << 20
MAX_LINE = 32 << 20  # longest line (or quoted CSV field) read: no access record is that long; bounds the memory held
MAX_BATCH_TEXT = 1 << 30  # text one column of a Parquet batch (≤ 1 Mi rows) may decode to: beyond it, a bomb
UNMAPPED_SHOWN = 20  # task names the mapping does not know, kept per file in the manifest (most frequent first)
_HEADROOM = 1 << 20  # bytes of a buffer beyond a block, for the line carried over from the block before
_DICT_COLUMNS = ["system", "account", "action", "action_raw", "ip", "ip_hex", "ip_net", "country", "reason", "source",
                 "day", "day_num", "month", "minute", "records"]  # few distinct values in a row group
_DELTA_COLUMNS = ["ts", "epoch_s", "line"]  # increasing through an export in time order: a few bits a row
_WRITER = {"compression": "zstd", "use_dictionary": _DICT_COLUMNS,
           "column_encoding": dict.fromkeys(_DELTA_COLUMNS, "DELTA_BINARY_PACKED")}
_STAT_COLUMNS = ["epoch_s", "day", "day_num", "month", "system", "account"]  # what analyses filter on
WORKERS = 2  # blocks parsed and checked at once, while the main thread writes the previous one
ENCODINGS = ("auto", "cp949", "utf-8", "utf-8-sig")

_LINE = 18  # the column of line numbers
_CAT = pa.dictionary(pa.int32(), pa.string())  # repetitive text: stored dictionary-encoded, read back as text
SCHEMA = pa.schema([
    ("ts", pa.timestamp("us", tz="UTC")), ("epoch_s", pa.int64()), ("day", pa.date32()), ("day_num", pa.int32()),
    ("month", pa.int32()), ("minute", pa.int16()), ("system", _CAT), ("account", _CAT),
    ("action", _CAT), ("action_raw", _CAT), ("ip", _CAT), ("ip_hex", _CAT),
    ("ip_net", _CAT), ("country", _CAT), ("subject", pa.string()), ("records", pa.int64()),
    ("reason", _CAT), ("source", _CAT), ("line", pa.int64()),
])
assert SCHEMA.names[_LINE] == "line"


@dataclass
class Batch:
    """Raw field columns of the rows of one block of an input, and the rows refused while reading.

    Line numbers count from the block's first line (0): the line a block starts on is only known once every block
    before it has been parsed, so the caller adds it (``span`` lines later, the next block starts)."""

    columns: dict[str, pa.Array]
    lines: pa.Array  # int64, per row
    span: int  # lines (or rows) of input the block held
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, reason)
    garbled: bool = True  # False when the reader saw no U+FFFD anywhere in these rows (the check is then skipped)
    nul: bool = True  # False when the reader saw no NUL (nor a \u0000 escape) in these rows (likewise)


@dataclass
class Stats:
    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    repaired: int = 0
    span: int = 0  # lines (rows) of the blocks handled so far
    kinds: dict = field(default_factory=dict)  # valid rows per task kind
    unmapped: dict = field(default_factory=dict)  # valid rows per task name the mapping does not know


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _as_text(cell: str) -> str:
    """A text cell a spreadsheet would run as a formula (an export named '=HYPERLINK(…).csv', a header '@SUM(…)')
    starts with an apostrophe: the sheet shows it as text (OWASP's advice for CSV meant to be opened)."""
    return "'" + cell if cell.startswith(_FORMULA) else cell


class RejectsWriter:
    """rejects.csv: UTF-8 with BOM so spreadsheet programs show Korean correctly, and text cells that would start
    a formula there shown as text."""

    def __init__(self, path: Path):
        self.fh = open(path, "w", encoding="utf-8-sig", newline="")
        self.w = csv.writer(self.fh)
        self.w.writerow(["file", "line", "outcome", "column", "reason"])
        self.rows = 0

    def add(self, source: str, line: int, outcome: str, column: str, reason: str) -> None:
        self.w.writerow([_as_text(source), line, outcome, _as_text(column), _as_text(reason)])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()

    def abandon(self) -> None:
        """Close after a failure, ignoring a flush that fails again (a full disk): no error at interpreter exit."""
        try:
            self.fh.close()
        except OSError:
            try:
                self.fh.buffer.raw.close()
            except (OSError, AttributeError, ValueError):
                pass


# ------------------------------------------------------------------------------------------- readers


def _detect(sample: bytes, wanted: str, where: Path) -> str | None:
    """The encoding of a CSV/JSON-lines file, from its first non-ASCII block; None while all ASCII."""
    if wanted in ("utf-8", "utf-8-sig"):
        return "utf-8"
    if sample.isascii():
        return None if wanted == "auto" else wanted
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        looks_utf8 = True
    except UnicodeDecodeError:
        looks_utf8 = False
    if wanted == "cp949":
        if looks_utf8:
            raise fail(where,
                       _("is valid UTF-8: reading it as CP949 would garble its Korean text; use --encoding utf-8"))
        return "cp949"
    return "utf-8" if looks_utf8 else "cp949"


GARBLED_BYTES = "\ufffd".encode()


class Block:
    """Whole lines of one input: ``buf[start:end]``. The buffer is reused for a later block once ``release()`` is
    called (after parsing, which copies what it keeps), so no block is ever copied or allocated afresh: three new
    32 MB ``bytes`` per block (read, carry + data, slice), each paged in by the kernel, were 0.56 M page faults and
    about 2 s of system time per 10 M rows (measured)."""

    __slots__ = ("buf", "start", "end", "_free")

    def __init__(self, buf: bytearray | bytes, start: int, end: int, free: list | None = None):
        self.buf, self.start, self.end, self._free = buf, start, end, free

    def view(self) -> memoryview:
        return memoryview(self.buf)[self.start : self.end]

    def __bytes__(self) -> bytes:
        return bytes(self.view())

    def find(self, sub: bytes) -> int:
        return self.buf.find(sub, self.start, self.end)

    def count(self, sub: bytes) -> int:
        return self.buf.count(sub, self.start, self.end)

    def has_garbled(self) -> bool:
        """Whether U+FFFD's UTF-8 bytes occur: one-byte search first (memchr: 1 ms per 32 MB; the three-byte
        search takes 30–70 ms, and Korean text rarely holds 0xEF: only U+F000–U+FFFF start with it)."""
        return self.find(b"\xef") >= 0 and self.find(GARBLED_BYTES) >= 0

    def release(self) -> None:
        if self._free is not None:
            self._free.append(self.buf)  # list.append is atomic: called from worker threads
            self._free = None


class _Blocks:
    """Blocks of whole lines (never cutting a quoted field), with the SHA-256 of every byte read.

    ``quoted``: CSV, where a quoted field may hold a line break; JSON lines never hold one (and an escaped \\" must
    not be counted as a quote)."""

    def __init__(self, path: Path, progress: Progress, quoted: bool = True):
        self.path, self.progress, self.quoted = path, progress, quoted
        self.size = path.stat().st_size
        self.sha = hashlib.sha256()
        self.read = 0
        self.bom = False
        self.free: list[bytearray] = []  # buffers released by their blocks

    def _too_long(self, offset: int) -> InputError:
        return _too_long_error(self.path, offset, self.quoted)

    def _buffer(self, size: int) -> bytearray:
        while self.free:
            buf = self.free.pop()
            if len(buf) >= size:
                return buf
        # room for the carried part of a line: a buffer made for a block with a shorter carry is then big enough
        # for the next one (sized exactly, almost none was reused: a zero-filled 32 MB allocation per block)
        return bytearray(size + _HEADROOM)

    def __iter__(self):
        step = BLOCK
        with open(self.path, "rb") as fh:
            carry = b""
            first = True
            while True:
                buf = self._buffer(len(carry) + step + 1)  # + 1: room for a missing last line end
                mv = memoryview(buf)
                kept = len(carry)
                buf[:kept] = carry
                n = fh.readinto(mv[kept : kept + step])
                self.sha.update(mv[kept : kept + n])  # releases the GIL
                self.read += n
                self.progress.show(f"{self.path.name}: {self.read * 100 // max(self.size, 1)}%")
                start, end = 0, kept + n
                if first:
                    first = False
                    if buf.startswith(codecs.BOM_UTF8, 0, end):
                        self.bom, start = True, 3
                    elif buf.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), 0, end):
                        raise fail(self.path, _("is UTF-16: export it as UTF-8 or CP949"))
                if end - start > MAX_LINE and buf.find(b"\n", start, start + MAX_LINE + 1) < 0:
                    # the line begun here runs past MAX_LINE (memchr over at most MAX_LINE: the first line only)
                    raise self._too_long(self.read - n - kept + start)
                if not n:
                    if end > start:
                        if buf[end - 1] != 0x0A:
                            buf[end] = 0x0A
                            end += 1
                        yield Block(buf, start, end, self.free)
                    return
                cut = buf.rfind(b"\n", start, end)
                if cut < 0 or (self.quoted and buf.find(b'"', start, cut + 1) >= 0
                               and buf.count(b'"', start, cut + 1) % 2):  # no line end yet, or inside a quoted field
                    if end - start > MAX_LINE:
                        # a quote the byte count took to open a field may be a literal one ('5" floppy', which CSV
                        # readers keep as text): cut after the last record Python's csv reader completes; none
                        # complete in MAX_LINE bytes is a quoted field left open, and the record would take the rest
                        # of the file
                        record_end = _last_record_end(buf, start, end) if cut >= 0 else -1
                        if record_end <= start:
                            raise self._too_long(self.read - n - kept + start)
                        yield Block(buf, start, record_end, self.free)
                        carry = bytes(mv[record_end:end])
                        continue
                    carry = bytes(mv[start:end])
                    self.free.append(buf)
                    continue
                yield Block(buf, start, cut + 1, self.free)
                carry = bytes(mv[cut + 1 : end])


def _last_record_end(buf: bytearray, start: int, end: int) -> int:
    """The offset just after the last CSV record that ends within ``buf[start:end]`` as Python's csv reader (the exact
    reading's) parses it, or -1. Read as Latin-1: quotes, commas and line ends are the same bytes in UTF-8 and CP949
    (never part of a multi-byte character), so the records end where they end in the decoded text."""
    lines = bytes(buf[start:end]).decode("latin-1").split("\n")[:-1]
    state = {"consumed": 0, "exhausted": False}

    def feed():
        for line in lines:
            state["consumed"] += len(line) + 1
            yield line + "\n"
        state["exhausted"] = True  # asked for more: the record under way did not end in these lines

    boundary = -1
    reader = csv.reader(feed())
    while True:
        try:
            next(reader)
        except StopIteration:
            break
        except csv.Error:
            pass  # the exact reading refuses that record; the next one starts after it
        if state["exhausted"]:  # cut short by the end of the buffer (a quoted field still open)
            break
        boundary = state["consumed"]
    return start + boundary if boundary > 0 else -1


def _line_at(path: Path, offset: int) -> int:
    """The number of the line that starts at byte ``offset`` (only when an error names it: one pass, newlines counted
    a block at a time)."""
    line = 1
    with open(path, "rb") as fh:
        while offset > 0:
            chunk = fh.read(min(offset, 1 << 24))
            if not chunk:
                break
            line += chunk.count(b"\n")
            offset -= len(chunk)
    return line


def _too_long_error(path: Path, offset: int, quoted: bool) -> InputError:
    limit = MAX_LINE >> 20
    if quoted:
        text = _("a line longer than {limit} MiB, or a quoted field left open that long: no access record is that long;"
                 " the export is damaged or not CSV (nothing was kept)")
    else:
        text = _("a line longer than {limit} MiB: no access record is that long; the export is damaged or not JSON "
                 "lines (nothing was kept)")
    return fail(path, text.format(limit=limit), _line_at(path, offset))


def _csv_header(line: bytes, enc: str, path: Path) -> list[str]:
    try:
        text = line.decode(enc).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise fail(path, _("header is not valid {encoding} (byte {byte})").format(encoding=enc, byte=exc.start + 1),
                   1) from None
    return next(csv.reader([text]))


def read_csv(path: Path, mapping: Mapping, wanted: str, progress: Progress, meta: dict):
    """Yield the work of parsing each block of a CSV export. ``meta`` receives first_line (of the first block),
    encoding, columns and sha256."""
    blocks = _Blocks(path, progress)
    enc: str | None = None
    header: list[str] | None = None
    cols: dict[str, int] = {}
    meta["first_line"] = 2
    for block in blocks:
        if enc is None:
            # a buffer all ASCII holds an ASCII block; else the block itself is looked at (until the encoding is known)
            enc = _detect(block.buf if block.buf.isascii() else bytes(block), wanted, path)
        if header is None:
            end = block.find(b"\n")
            header = _csv_header(block.buf[block.start : end], enc or "utf-8", path)
            cols = mapping.columns(header, str(path), 1, meta.get("alone", True))
            meta["columns"] = {f: header[i] for f, i in cols.items()}
            block.start = end + 1
            if block.start == block.end:
                block.release()
                continue
        yield partial(_csv_block, block, enc or "utf-8", len(header), cols, path)
    if header is None:
        raise fail(path, _("is empty: no header line"))
    meta["encoding"] = "utf-8-sig" if blocks.bom else (enc or "utf-8")
    meta["sha256"] = blocks.sha.hexdigest()


def _utf8(block: Block, enc: str) -> Block | None:
    """The block as UTF-8 (CP949 converted in C), or None if it is not valid. UTF-8 is checked whole, every column
    included, by Arrow's vectorised validator over the buffer as one string value (no copy; 0.015 s per million
    lines): a bad byte anywhere sends the block to the exact line-by-line reading."""
    if enc != "utf-8":
        try:
            data = str(block.view(), enc).encode("utf-8")
        except UnicodeDecodeError:
            return None
        return Block(data, 0, len(data))
    n = block.end - block.start
    kind, width = (pa.string(), pa.int32()) if n < 2**31 - 1 else (pa.large_string(), pa.int64())
    one = pa.Array.from_buffers(kind, 1, [None, pa.array([0, n], width).buffers()[1], pa.py_buffer(block.view())])
    try:
        one.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return block


def _csv_block(block: Block, enc: str, ncols: int, cols: dict[str, int], path: Path) -> Batch:
    names = [f"c{i}" for i in range(ncols)]
    wanted = sorted(set(cols.values()))
    try:
        data = _utf8(block, enc)
        table = None
        invalid = []

        def on_invalid(row):
            invalid.append(row)
            return "skip"

        if data is not None:
            try:
                table = pacsv.read_csv(
                    pa.BufferReader(pa.py_buffer(data.view())),  # no copy of the block
                    # one Arrow block (no chunks to combine); blocks run in parallel, so no threads here
                    read_options=pacsv.ReadOptions(column_names=names, block_size=data.end - data.start + 1,
                                                   use_threads=False),
                    # a quoted line break makes one record of two lines: _one_row_per_line sees it and the block is
                    # re-read exactly; allowing line breaks in values here would halve the parse speed. Empty lines
                    # are rows (of empty fields), so that every line is one row, valid or not
                    parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False,
                                                     invalid_row_handler=on_invalid),
                    convert_options=pacsv.ConvertOptions(
                        column_types={names[i]: pa.string() for i in wanted}, include_columns=[names[i] for i in wanted],
                        strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False,  # checked above
                    ),
                )
            except pa.ArrowInvalid:
                table = None
        if table is not None and not invalid and ncols > 1 and _one_row_per_line(data, table, names[cols["account"]]):
            columns = {f: _one_chunk(table.column(names[i])) for f, i in cols.items()}
            # no U+FFFD byte sequence in the block: no field needs the per-column check for garbled text
            return Batch(columns, _numbers(0, table.num_rows), table.num_rows, garbled=data.has_garbled(),
                         nul=data.find(b"\x00") >= 0)
        return _csv_block_slow(bytes(block), enc, ncols, cols, path)
    finally:
        block.release()


_BARE_CR = re.compile(rb"\r(?!\n)")


def _one_row_per_line(data: Block, table: pa.Table, account: str) -> bool:
    """Whether each line of the block is exactly one of Arrow's rows (read with empty lines kept, none invalid), so
    row i is line i. Not so if a CR not before an LF is there (a line end to Arrow, not to Python's csv), if a
    quoted line break made one row of two lines (the lines are then counted: 25–40 ms per 32 MB, holding the GIL,
    against 1–2 ms to find no quote), or if a line is empty (a row of empty fields to Arrow, skipped by the exact
    reading; looked for only when some account is empty)."""
    if data.find(b"\r") >= 0 and _BARE_CR.search(data.buf, data.start, data.end):
        return False
    if data.find(b'"') >= 0 and table.num_rows != data.count(b"\n"):
        return False
    if pc.any(pc.equal(table.column(account), "")).as_py():
        if data.buf[data.start] in b"\r\n" or data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0:
            return False
    return True


def _one_chunk(col: pa.ChunkedArray) -> pa.Array:
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _numbers(first: int, count: int) -> pa.Array:
    """first, first+1, … as an Arrow column, without a Python int per row."""
    if not count:
        return pa.array([], pa.int64())
    return pc.add(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), count)), first - 1)


def _csv_block_slow(block: bytes, enc: str, ncols: int, cols: dict[str, int], path: Path) -> Batch:
    """Line by line: exact line numbers for bad bytes, wrong column counts and quoted line breaks."""
    refused: list[tuple[int, str, str]] = []
    decoded: list[tuple[int, str]] = []
    raw_lines = block.split(b"\n")[:-1]
    for ln, raw in enumerate(raw_lines):
        try:
            decoded.append((ln, raw.decode(enc).rstrip("\r")))
        except UnicodeDecodeError as exc:
            reason = (f"not valid {enc.upper()} text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line); "
                      "the line was not read rather than garbled")
            refused.append((ln, "", reason))
    pos = [0]

    def feed():  # advances before yielding, so decoded[pos] is always the next line csv has not read
        while pos[0] < len(decoded):
            pos[0] += 1
            yield decoded[pos[0] - 1][1] + "\n"

    reader = csv.reader(feed())
    values: dict[str, list] = {f: [] for f in cols}
    lines: list[int] = []
    while True:
        start = decoded[pos[0]][0] if pos[0] < len(decoded) else None
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            refused.append((start, "", f"unreadable CSV: {exc}"))
            continue
        if not row:
            continue
        if len(row) != ncols:
            refused.append((start, "", f"expected {ncols} columns, found {len(row)}"))
            continue
        lines.append(start)
        for f, i in cols.items():
            values[f].append(row[i])
    return Batch({f: pa.array(v, pa.string()) for f, v in values.items()}, pa.array(lines, pa.int64()), len(raw_lines),
                 refused, nul=b"\x00" in block)


def read_jsonl(path: Path, mapping: Mapping, wanted: str, progress: Progress, meta: dict):
    """JSON lines: one object per line; keys are mapped like CSV headers (taken from the first object)."""
    blocks = _Blocks(path, progress, quoted=False)
    cols: dict[str, str] | None = None
    schema: pa.Schema | None = None
    enc: str | None = None
    line_no = 1  # until the first object is found (its line is named if its keys do not map)
    meta["first_line"] = 1
    for block in blocks:
        if enc is None:
            enc = _detect(block.buf if block.buf.isascii() else bytes(block), wanted, path)
        if cols is None:
            cols, schema, line_no = _first_object(block, enc or "utf-8", line_no, mapping, path, meta.get("alone", True))
            if cols is not None:
                meta["columns"] = dict(cols)
        yield partial(_jsonl_block, block, enc or "utf-8", cols, schema)
    if cols is None:
        raise fail(path, _("has no JSON object lines"))
    meta["encoding"] = "utf-8-sig" if blocks.bom else (enc or "utf-8")
    meta["sha256"] = blocks.sha.hexdigest()


def _lines(block: Block):
    """The block's complete lines, one at a time (the first objects are all that is read: no copy of the block)."""
    at = block.start
    while (end := block.buf.find(b"\n", at, block.end)) >= 0:
        yield bytes(block.buf[at:end])
        at = end + 1


def _first_object(block: Block, enc: str, line_no: int, mapping: Mapping, path: Path, alone: bool = True):
    """(columns, Arrow schema of the mapped keys or None, next line number) from the first JSON object of the
    block, or (None, None, line number after the block). The schema takes each mapped key's type from its first
    non-null value among the first objects (text, whole number or true/false; null throughout: text); a key
    holding anything else (fractions, lists, objects) leaves every block to the exact reading."""
    cols = None
    seen: dict[str, type] = {}
    for n, raw in enumerate(_lines(block)):
        if cols is not None and (n > 1000 or len(seen) == len(cols)):
            break
        try:
            obj = json.loads(raw.decode(enc))
        except (UnicodeDecodeError, ValueError, RecursionError):  # refused with its reason when its block is read
            continue
        if not isinstance(obj, dict):
            continue
        if cols is None:
            keys = list(obj)
            found = mapping.columns(keys, str(path), line_no + n, alone)
            cols = {f: keys[i] for f, i in found.items()}
        for key in cols.values():
            if key not in seen and obj.get(key) is not None:
                seen[key] = type(obj[key])
    if cols is None:
        return None, None, line_no + block.count(b"\n")
    arrow = {str: pa.string(), int: pa.int64(), bool: pa.bool_()}
    if any(t not in arrow for t in seen.values()):
        return cols, None, line_no
    return cols, pa.schema([(key, arrow[seen.get(key, str)]) for key in cols.values()]), line_no


_NOT_AN_OBJECT_LINE = re.compile(rb"\n[^{]")


def _jsonl_block(block: Block, enc: str, cols: dict[str, str] | None, schema: pa.Schema | None) -> Batch:
    """One block of JSON lines, parsed by Arrow when that is exact, else line by line with Python's json.

    Arrow is used only when every line starts with "{" (no blank line, no bare value: Arrow crashes on a first
    line of ``null``, measured) and gives one row per line, with each mapped key of the schema's type (a change of
    type, a duplicate key, a bad escape or trailing text raise): then each row is its line, as json.loads reads
    it. Whole numbers and true/false become the text json.dumps gives them."""
    try:
        data = _utf8(block, enc)
        if (data is not None and schema is not None and data.buf[data.start] == 0x7B  # "{"
                and not _NOT_AN_OBJECT_LINE.search(data.buf, data.start, data.end)):
            try:
                table = pajson.read_json(
                    pa.BufferReader(pa.py_buffer(data.view())),
                    read_options=pajson.ReadOptions(use_threads=False, block_size=data.end - data.start + 1),
                    parse_options=pajson.ParseOptions(explicit_schema=schema, newlines_in_values=False,
                                                      unexpected_field_behavior="ignore"),
                )
            except pa.ArrowInvalid:
                table = None
            n = table.num_rows if table is not None else -1
            if n == data.count(b"\n"):  # one row per line: no line held two values
                columns = {}
                for f, key in cols.items():
                    col = _one_chunk(table.column(key))
                    columns[f] = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
                # a \ufffd escape is garbled text too: the per-column check is skipped only without either
                escaped = data.find(b"\\") >= 0 and data.find(b"\\u") >= 0
                garbled = data.has_garbled() or escaped
                nul = data.find(b"\x00") >= 0 or (escaped and data.find(b"\\u0000") >= 0)
                return Batch(columns, _numbers(0, n), n, garbled=garbled, nul=nul)
        return _jsonl_block_slow(bytes(block), enc, cols)
    finally:
        block.release()


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_JSON_KINDS = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def _jsonl_block_slow(block: bytes, enc: str, cols: dict[str, str] | None) -> Batch:
    """Line by line with Python's json: the exact reason and line for every line refused. A line naming a mapped key
    twice is refused (Python would keep the last value, and Arrow refuses it): the facts loader's rule for JSON. The
    pairs are looked at only when the line could hold such a key twice (its quoted name twice, or an escape)."""
    values: dict[str, list] = {f: [] for f in cols or {}}
    lines: list[int] = []
    refused: list[tuple[int, str, str]] = []
    keys = list((cols or {}).values())
    mapped = set(keys)
    twice: list[str] = []  # mapped keys an object of the line named twice (the last object parsed is the line's)

    def pairs_hook(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            twice[:] = [k for k, _v in pairs if k in seen or seen.add(k)]
        else:
            twice.clear()
        return obj

    raw_lines = block.split(b"\n")[:-1]
    for ln, raw in enumerate(raw_lines):
        if not raw.strip():
            continue
        # Without an escape, every quote delimits a key or a string value, two each: a flat object with twice as
        # many quotes as its keys and string values names no key twice (a key written twice adds two quotes the
        # dict does not count; nested objects and arrays add some too, and are looked at then)
        plain = b"\\" not in raw
        twice.clear()
        try:
            text = raw.decode(enc)
            obj = json.loads(text) if plain else json.loads(text, object_pairs_hook=pairs_hook)
            if plain and obj.__class__ is dict and (
                    raw.count(b'"') != 2 * (len(obj) + list(map(type, obj.values())).count(str))):
                obj = json.loads(text, object_pairs_hook=pairs_hook)
        except UnicodeDecodeError as exc:
            refused.append((ln, "", f"not valid {enc.upper()} text (byte {exc.start + 1})"))
            continue
        except json.JSONDecodeError as exc:
            refused.append((ln, "", f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except RecursionError:
            refused.append((ln, "", "invalid JSON: nested too deeply"))
            continue
        except ValueError as exc:  # an integer with more digits than Python converts
            refused.append((ln, "", f"invalid JSON: {str(exc).split(';')[0]}"))
            continue
        if obj.__class__ is not dict:
            refused.append((ln, "", f"expected a JSON object, found {_JSON_KINDS.get(type(obj), 'a number')}"))
            continue
        if twice and (dup := [k for k in twice if k in mapped]):
            refused.append((ln, "", f"duplicate key {dup[0]!r}: the line would be read as its last value"))
            continue
        row, problem = [], ""
        for key in keys:
            v = obj.get(key)
            if v is not None and v.__class__ is not str:
                if v.__class__ is int and not _INT64_MIN <= v <= _INT64_MAX:
                    problem = f"{key!r} is a whole number beyond the 64-bit range ({len(str(abs(v)))} digits)"
                    break
                if v.__class__ is float and not math.isfinite(v):
                    problem = f"{key!r} is not a finite number ({v!r})"
                    break
                v = json.dumps(v, ensure_ascii=False)
            row.append(v)
        if problem:
            refused.append((ln, "", f"invalid JSON value: {problem}"))
            continue
        try:  # an escaped lone surrogate (\ud800) is no character: UTF-8 cannot hold it
            for v in row:
                if v is not None and not v.isascii():
                    v.encode("utf-8")
        except UnicodeEncodeError as exc:
            refused.append((ln, "", f"invalid JSON: {exc.reason} ({exc.object[exc.start]!r} is not a character)"))
            continue
        lines.append(ln)
        for f, v in zip(values, row):
            values[f].append(v)
    return Batch({f: pa.array(v, pa.string()) for f, v in values.items()}, pa.array(lines, pa.int64()), len(raw_lines),
                 refused, nul=b"\x00" in block or b"\\u0000" in block)


_CATEGORICAL = ("account", "system", "action", "reason", "country", "records", "ip")


def read_parquet(path: Path, mapping: Mapping, wanted: str, progress: Progress, meta: dict):
    """Parquet exports: columns mapped by name; typed timestamps are taken as they are (naive = local zone).

    Text columns are read as dictionaries (``read_dictionary``): a dictionary page is never expanded row by row while
    reading, and the repetitive columns stay dictionaries through the checks. What a batch's text would decode to is
    computed from the dictionary first: beyond ``MAX_BATCH_TEXT`` for one column the file is refused at the batch's
    first row (a few kilobytes of Parquet can hold a dictionary value repeated a million times: gigabytes decoded).
    Arrow running out of memory or capacity is refused there too."""
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        found = mapping.columns(names, str(path), 1, meta.get("alone", True))
        read = [names[i] for i in found.values()]
        text_columns = [c for c in read if _texty(pf.schema_arrow.field(c).type)]
        if text_columns:
            pf = pq.ParquetFile(path, read_dictionary=text_columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise fail(path, _("not a readable Parquet file: {error}").format(error=exc)) from None
    meta["columns"] = {f: names[i] for f, i in found.items()}
    meta["first_line"] = 1  # rows are numbered
    rows = 0
    batches = pf.iter_batches(batch_size=1 << 20, columns=read)
    while True:
        try:
            rb = next(batches)
        except StopIteration:
            break
        except Exception as exc:
            if _memory_error(exc) or isinstance(exc, (pa.ArrowInvalid, OSError)):
                raise _parquet_error(path, rows + 1, exc) from None
            raise
        columns = {}
        for f, i in found.items():
            col = rb.column(names[i])
            size = _decoded_text(col)
            if size > MAX_BATCH_TEXT:
                raise fail(path, _("column {column} of rows {first}–{last} decodes to {size} bytes of text ({each} per "
                                   "row) from a file of {bytes} bytes: more than {limit} MiB per column of {rows} rows "
                                   "is no access-record export (a dictionary that expands this much is a bomb)").format(
                    column=repr(names[i]), first=f"{rows + 1:,}", last=f"{rows + rb.num_rows:,}", size=f"{size:,}",
                    each=f"{size // max(rb.num_rows, 1):,}", bytes=f"{path.stat().st_size:,}",
                    limit=MAX_BATCH_TEXT >> 20, rows=f"{1 << 20:,}"), rows + 1)
            try:
                if pa.types.is_timestamp(col.type) and f == "timestamp":
                    columns[f] = col
                elif pa.types.is_dictionary(col.type) and f in _CATEGORICAL:  # checked per distinct value
                    columns[f] = pa.DictionaryArray.from_arrays(col.indices, pc.cast(col.dictionary, pa.string()))
                else:
                    columns[f] = pc.cast(col, pa.string())
            except Exception as exc:
                if _memory_error(exc) or isinstance(exc, (pa.ArrowInvalid, pa.ArrowNotImplementedError)):
                    raise _parquet_error(path, rows + 1, exc, names[i]) from None
                raise
        yield Batch(columns, _numbers(0, rb.num_rows), rb.num_rows)
        rows += rb.num_rows
        progress.show(_("{name}: {rows} rows").format(name=path.name, rows=f"{rows:,}"))
    meta["encoding"] = None
    meta["sha256"] = sha256_file(path)


def _texty(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)


def _decoded_text(col: pa.Array) -> int:
    """Bytes of text ``col`` holds once every row has its value (a dictionary's lengths taken per index: nothing is
    decoded to learn it)."""
    if pa.types.is_dictionary(col.type):
        if not _texty(col.type) or not len(col):
            return 0
        total = pc.sum(pc.take(pc.binary_length(col.dictionary), col.indices)).as_py()
        return total or 0
    return col.nbytes if _texty(col.type) else 0


def _parquet_error(path: Path, row: int, exc: BaseException, column: str | None = None) -> InputError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if _memory_error(exc):
        text = _("the rows from here could not be held in memory ({error}): the export holds values far longer than "
                 "access records have (nothing was kept)").format(error=first)
    elif column is not None:
        text = _("column {column} cannot be read as text: {error}").format(column=repr(column), error=first)
    else:
        text = _("not a readable Parquet file: {error}").format(error=first)
    return fail(path, text, row)


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise fail(path, _("unknown format: name it .csv, .jsonl or .parquet, or pass --format"))


# ------------------------------------------------------------------------------------------- normalise


def _clean(col: pa.Array | None, n: int) -> pa.Array:
    if col is None:
        return pa.nulls(n, pa.string())
    col = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(col, ""), None, col)


GARBLED = "contains U+FFFD (�): the text was garbled before or during export"
NUL = "contains a NUL character (U+0000): text never holds one; the export is damaged"


def _char_names(chars) -> str:
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'a control character')}" for ch in chars)


def _plain(ch: str) -> str:
    """What a reader sees for one character: nothing for an invisible one, NFKC's form, the Latin letter a Cyrillic
    or Greek one imitates (``nearmiss``'s table; a dash for a dash)."""
    if unicodedata.category(ch) in ("Cf", "Cc"):
        return ""
    norm = unicodedata.normalize("NFKC", ch)
    if norm != ch:
        return norm
    latin = ch.lower().translate(_CONFUSABLE)
    return "-" if latin == "_" else latin


def lookalike(value: str, column: str) -> str | None:
    """Why an account or system name is refused (the facts' look-alike rule, ``compliance.nearmiss``): it holds a
    format or control character (U+200B, U+202E, …), a character NFKC changes (full-width letters, U+00A0; not the
    Hangul compatibility jamo ㄱ…ㆎ Korean keyboards type), or a Cyrillic or Greek letter imitating a Latin one beside
    Latin letters or in a name that reads as Latin throughout; None when it holds none. Read as
    written, such a name is another account than the one it looks like, and that one's records would vanish."""
    if value.isascii() and value.isprintable():
        return None
    odd, imitating = [], []
    for ch in dict.fromkeys(value):
        if ch.isascii():
            if not ch.isprintable():
                odd.append(ch)
        elif unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs", "Cn") or (
                unicodedata.normalize("NFKC", ch) != ch and not "\u3131" <= ch <= "\u318e"):  # ㄱ is Korean, no look-alike
            odd.append(ch)
        elif ch.lower().translate(_CONFUSABLE).isascii():
            imitating.append(ch)
    shown = "".join(_plain(ch) for ch in value)
    if imitating and (any(ch.isascii() and ch.isalpha() for ch in value) or shown.isascii()):
        odd += imitating
    if not odd:
        return None
    return (f"holds {_char_names(odd)}: read as written it is another {column} than {shown!r}, which it looks like "
            f"(an invisible or look-alike character)")


def _distinct_problem(v: str, column: str) -> str | None:
    """Why a distinct value of a repetitive column is refused, checked once per value: garbled text, a NUL, and for
    accounts and systems a look-alike character."""
    if v.isascii() and v.isprintable():  # the fast path: almost every value
        return None
    if "\x00" in v:
        return NUL
    if "\ufffd" in v:
        return GARBLED
    if column in ("account", "system"):
        return lookalike(v.strip(), column)
    return None


def _categorical(col: pa.Array | None, n: int, column: str):
    """Dictionary-encode a repetitive column once (a dictionary column, from Parquet, is taken as it is); trim,
    empty → null, U+FFFD, NUL and look-alikes are then checked per *distinct* value (accounts, systems, addresses
    repeat millions of times). Returns (column, its values, the raw indices, {raw index: why it is refused})."""
    if col is None:
        return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string())), [], None, {}
    enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    raw = enc.dictionary.to_pylist()
    values: dict[str, int] = {}
    remap = [None if v is None or not v.strip() else values.setdefault(v.strip(), len(values)) for v in raw]
    idx = pc.take(pa.array(remap, pa.int32()), enc.indices)
    bad = {j: why for j, v in enumerate(raw) if v and (why := _distinct_problem(v, column))}
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(values), pa.string())), list(values), enc.indices, bad


_COUNT = re.compile(r"[0-9]{1,15}|[0-9]{1,3}(?:,[0-9]{3}){1,4}")  # 1234 or 1,234 (thousands separators in place)
_PORT = re.compile(r"[0-9]{1,5}")


def _unique_dictionary(indices: pa.Array, values: list[str]) -> pa.DictionaryArray:
    """``values[indices]`` as a dictionary column whose dictionary holds each value once: several addresses share a
    network, and two spellings one address, and Parquet's writer stores a dictionary with repeats as plain text."""
    seen: dict[str, int] = {}
    remap = [seen.setdefault(v, len(seen)) for v in values]
    if len(seen) < len(values):
        indices = pc.take(pa.array(remap, pa.int32()), indices)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(seen), pa.string()))


def _failed_results(cat: dict, mapping: Mapping) -> pa.Array | None:
    """Per row, whether the outcome column (checked as every repetitive column is: a garbled or NUL outcome rejects
    its row) says the task failed, decided once per distinct outcome; None when no outcome is a failure."""
    failed = [j for j, v in enumerate(cat["result.values"]) if mapping.failed_result(v)]
    if not failed:
        return None
    return pc.fill_null(pc.is_in(cat["result"].indices, pa.array(failed, pa.int32())), False)


def normalise(batch: Batch, mapping: Mapping, source: str, naive_offset: int, local_offset: int):
    """Check and convert one batch: (table of valid rows, {row index: [(column, reason)]}, {index: [(col, note)]},
    ({task kind: valid rows}, {task name the mapping does not know: valid rows}))."""
    n = len(batch.lines)
    problems: dict[int, list[tuple[str, str]]] = {}
    repairs: dict[int, list[tuple[str, str]]] = {}

    def flag(mask, column: str, reason):
        if mask is None:
            return
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            for i in pc.indices_nonzero(mask).to_pylist():
                problems.setdefault(i, []).append((column, reason(i) if callable(reason) else reason))

    cols = batch.columns
    cat = {}
    for f in ("account", "system", "action", "reason", "country", "records", "ip", *(("result",) if "result" in cols else ())):
        cat[f], values, raw_idx, refused = _categorical(cols.get(f), n, f)
        if refused:
            flag(pc.is_in(raw_idx, pa.array(list(refused), raw_idx.type)), f,
                 lambda i, raw_idx=raw_idx, refused=refused: refused[raw_idx[i].as_py()])
        cat[f + ".values"] = values
    subject = _clean(cols.get("subject"), n)
    if batch.garbled:  # else the reader found no U+FFFD in the block: two scans of 10 M values saved
        flag(pc.match_substring(subject, "\ufffd"), "subject", GARBLED)
        for f in ("timestamp", "date", "time"):
            if f in cols and pa.types.is_string(cols[f].type):
                flag(pc.match_substring(cols[f], "\ufffd"), f, GARBLED)
    if batch.nul:  # likewise for NUL, which no reader refuses by itself (Arrow and csv keep it in the text)
        flag(pc.match_substring(subject, "\x00"), "subject", NUL)
        for f in ("timestamp", "date", "time"):
            if f in cols and pa.types.is_string(cols[f].type):
                flag(pc.match_substring(cols[f], "\x00"), f, NUL)
    flag(pc.is_null(cat["account"].indices), "account", "empty")
    if "system" not in cols:
        cat["system"] = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n), pa.array([mapping.system]))
    flag(pc.is_null(cat["system"].indices), "system", "empty")

    # timestamps
    if "timestamp" in cols and pa.types.is_timestamp(cols["timestamp"].type):
        t = cols["timestamp"]
        micros_all = pc.cast(pc.cast(t, pa.timestamp("us", tz=t.type.tz)), pa.int64())
        if t.type.tz is None:
            micros_all = pc.subtract(micros_all, naive_offset * 60_000_000)
        epoch = pc.floor(pc.divide(pc.cast(micros_all, pa.float64()), 1e6))
        epoch = pc.cast(epoch, pa.int64())
        micros = pc.subtract(micros_all, pc.multiply(epoch, 1_000_000))
        flag(pc.is_null(t), "timestamp", "empty")
    else:
        if "timestamp" in cols:
            ts_text = cols["timestamp"]
            ts_col = "timestamp"
        else:
            ts_text = pc.binary_join_element_wise(pc.fill_null(cols["date"], ""), pc.fill_null(cols["time"], ""), " ")
            ts_col = "date+time"
        epoch, micros, reasons = timestamps.parse(ts_text, naive_offset)
        for i, r in reasons.items():
            problems.setdefault(i, []).append((ts_col, r))

    # addresses: parsed once per distinct value
    idx = cat["ip"].indices
    parsed, bad = [], {}
    for j, v in enumerate(cat["ip.values"]):
        if not (v.isascii() and v.isprintable()):  # a zero-width space after a port would be removed with it
            odd = [ch for ch in dict.fromkeys(v) if not (ch.isascii() and ch.isprintable())]
            parsed.append(None)
            bad[j] = f"holds {_char_names(odd)}: an address is written in ASCII letters, digits, dots and colons"
            continue
        try:
            parsed.append(addresses.parse(v))
        except ValueError as exc:
            parsed.append(None)
            bad[j] = str(exc)
    flag(pc.is_null(idx), "ip", "empty")
    if bad:
        flag(pc.is_in(idx, pa.array(list(bad), idx.type)), "ip", lambda i: bad[idx[i].as_py()])
    fixes = {j: p.repair for j, p in enumerate(parsed) if p and p.repair}
    if fixes:
        for i in pc.indices_nonzero(pc.fill_null(pc.is_in(idx, pa.array(list(fixes), idx.type)), False)).to_pylist():
            repairs.setdefault(i, []).append(("ip", fixes[idx[i].as_py()]))

    def ip_column(attr):
        return _unique_dictionary(idx, [getattr(p, attr) if p else "" for p in parsed])  # "" rows are rejected

    # task kind, per distinct raw value; a name no profile or mapping lists is 'other' and counted as unmapped
    kinds = [mapping.action_kind(v) for v in cat["action.values"]]
    unmapped = [j for j, k in enumerate(kinds) if k is None]
    kinds = [k or "other" for k in kinds]
    failing = _failed_results(cat, mapping) if "result" in cat and "login" in kinds else None
    order = sorted(set(kinds) | {"other"} | ({"login-failed"} if failing is not None else set()))
    indices = pc.fill_null(pc.take(pa.array([order.index(k) for k in kinds], pa.int32()), cat["action"].indices),
                           order.index("other"))
    if failing is not None:  # 로그인 with 결과 실패: a failed authentication, as if its task had said so
        login = pc.equal(indices, order.index("login"))
        indices = pc.if_else(pc.and_(login, failing), pa.scalar(order.index("login-failed"), pa.int32()), indices)
    action = pa.DictionaryArray.from_arrays(indices, pa.array(order, pa.string()))

    # record counts: digits, optionally with thousands separators (checked per distinct value)
    counts, bad_counts = [], {}
    for j, v in enumerate(cat["records.values"]):
        ok = _COUNT.fullmatch(v) is not None and len(digits := v.replace(",", "")) <= 15
        counts.append(int(digits) if ok else None)
        if not ok:
            bad_counts[j] = f"not a whole number: {v!r}"
    ridx = cat["records"].indices
    if bad_counts:
        flag(pc.is_in(ridx, pa.array(list(bad_counts), ridx.type)), "records", lambda i: bad_counts[ridx[i].as_py()])
    records = pc.take(pa.array(counts, pa.int64()), ridx)

    valid = pc.invert(pc.is_in(_numbers(0, n), pa.array(sorted(problems), pa.int64()))) if problems else None
    local = pc.add(epoch, local_offset * 60)
    day_num = pc.cast(pc.divide(pc.if_else(pc.is_null(local), 0, local), 86400), pa.int64())
    minute = pc.divide(pc.subtract(local, pc.multiply(day_num, 86400)), 60)
    day = pc.cast(pc.cast(day_num, pa.int32()), pa.date32())
    month = pc.add(pc.multiply(pc.year(day), 100), pc.month(day))
    ts = pc.cast(pc.add(pc.multiply(epoch, 1_000_000), pc.fill_null(micros, 0)), pa.timestamp("us", tz="UTC"))
    src = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n), pa.array([source]))
    table = pa.Table.from_arrays([
        ts, epoch, day, pc.cast(day_num, pa.int32()), pc.cast(month, pa.int32()), pc.cast(minute, pa.int16()),
        cat["system"], cat["account"], action, cat["action"], ip_column("text"), ip_column("hex"), ip_column("net"),
        cat["country"], subject, records, cat["reason"], src, batch.lines,
    ], schema=SCHEMA)
    if valid is not None:
        table = table.filter(valid)
    return table, problems, repairs, _task_counts(table, order, unmapped, cat["action.values"])


def _task_counts(table: pa.Table, order: list[str], unmapped: list[int], raw: list[str]) -> tuple[dict, dict]:
    """({kind: valid rows}, {raw task name the mapping does not know: valid rows}) of a checked block."""
    if not table.num_rows:
        return {}, {}
    kinds = {}
    for entry in pc.value_counts(_one_chunk(table.column("action")).indices).to_pylist():
        kinds[order[entry["values"]]] = kinds.get(order[entry["values"]], 0) + entry["counts"]
    names = {}
    if unmapped:
        raw_idx = _one_chunk(table.column("action_raw")).indices
        hit = pc.filter(raw_idx, pc.is_in(raw_idx, pa.array(unmapped, raw_idx.type)))
        for entry in pc.value_counts(hit).to_pylist():
            names[raw[entry["values"]]] = entry["counts"]
    return kinds, names


# ------------------------------------------------------------------------------------------- the command


def _by_month(table: pa.Table) -> list[tuple[int, pa.Table]]:
    """The rows of one block by local month, in input order within each (one stable sort, not a filter per month)."""
    if not table.num_rows:
        return []
    month = table.column("month")
    lo, hi = pc.min_max(month).values()
    if lo.as_py() == hi.as_py():  # exports in time order
        return [(lo.as_py(), table)]
    if not month.null_count and pc.all(pc.less_equal(month.slice(0, len(month) - 1), month.slice(1))).as_py():
        pass  # in time order across a month's end: the months are runs already, sliced below without a sort
    else:
        table = table.take(pc.sort_indices(month))  # stable: input order within a month
    parts, start = [], 0
    for entry in sorted(pc.value_counts(table.column("month")).to_pylist(), key=lambda e: e["values"]):
        parts.append((entry["values"], table.slice(start, entry["counts"])))
        start += entry["counts"]
    return parts


class _Months:
    """One Parquet file per local month, written in input order by one thread beside the parsing workers.

    ``shown``: the folder as the user named it (the files are written under a temporary name); a write that fails
    (a full disk) is an input error naming the file as the user knows it."""

    def __init__(self, root: Path, shown: Path | None = None):
        self.root, self.writers, self.rows = root, {}, {}
        self.shown = shown or root

    def abandon(self) -> None:
        """Close every writer after a failure, ignoring their errors: a writer left open would retry its close in its
        finaliser, where the error becomes an 'Exception ignored' traceback on stderr."""
        for w in self.writers.values():
            try:
                w.close()
            except Exception:  # noqa: BLE001 - the failure that led here is the one reported
                pass
            w.is_open = False
            if getattr(w, "file_handle", None) is not None:
                try:
                    w.file_handle.close()
                except Exception:  # noqa: BLE001
                    pass

    def write(self, parts: list[tuple[int, pa.Table]], base: int) -> None:
        """Rows of one block; their line numbers count from ``base``, the line the block starts on."""
        for m, part in parts:
            if base:
                part = part.set_column(_LINE, SCHEMA.field(_LINE), pc.add(part.column(_LINE), base))
            try:
                self._write(m, part)
            except OSError as exc:
                raise _write_error(self.shown / f"{m // 100:04d}-{m % 100:02d}" / "records.parquet", exc) from None

    def _write(self, m: int, part: pa.Table) -> None:
        w = self.writers.get(m)
        if w is None:
            d = self.root / f"{m // 100:04d}-{m % 100:02d}"
            d.mkdir()
            # measured per million rows: dictionary and statistics only where they pay, 0.33 vs 0.59 CPU s; the
            # column writer taking 64 Ki values at a time instead of 1 Ki, 0.27 vs 0.33 (same pages, same bytes)
            w = self.writers[m] = pq.ParquetWriter(d / "records.parquet", SCHEMA, write_statistics=_STAT_COLUMNS,
                                                   write_batch_size=64 << 10, **_WRITER)
            self.rows[m] = 0
        w.write_table(part, row_group_size=1 << 20)
        self.rows[m] += part.num_rows

    def close(self, pool: ThreadPoolExecutor) -> list[OutputFile]:
        def finish(m: int) -> OutputFile:
            rel = f"{m // 100:04d}-{m % 100:02d}/records.parquet"
            try:
                self.writers[m].close()
            except OSError as exc:
                raise _write_error(self.shown / rel, exc) from None
            return OutputFile(path=rel, month=rel[:7], rows=self.rows[m], sha256=sha256_file(self.root / rel))

        return list(pool.map(finish, sorted(self.writers)))  # hashlib releases the GIL: files hashed in parallel


def _write_error(shown: Path, exc: OSError) -> InputError:
    """A failed write (a full disk, a quota) as one line naming the output file; Arrow's own text carries the OS's
    words after 'Detail:', and its errno when it has one."""
    code = exc.errno
    if code is None:
        found = re.search(r"\[errno (\d+)\]", str(exc))
        code = int(found[1]) if found else None
    reason = os.strerror(code) if code else (exc.strerror or str(exc)).strip().splitlines()[0]
    return fail(shown, _("cannot write: {reason}; nothing was kept (the partial output was removed)").format(
        reason=reason))


def _check_output(out: Path, inputs: list[Path]) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise fail(out, _("already exists and is not an empty folder; give a new folder (ingest never overwrites)"))
    for p in inputs:
        try:
            if p.resolve().is_relative_to(out.resolve()):
                raise fail(p, _("is inside the output folder {folder}").format(folder=out))
        except OSError:
            pass
    if not out.resolve().parent.is_dir():
        raise fail(out, _("folder {folder} does not exist").format(folder=out.parent))


def ingest(paths: list[str], out: str, mapping: Mapping, encoding: str = "auto", fmt: str | None = None,
           local_zone: str = "+09:00", progress: Progress | None = None, previous: str | None = None) -> Manifest:
    """Ingest every export into a new folder, written under a temporary name and renamed when complete.
    ``previous``: the ingest this one follows (verified now, recorded in the manifest: ``compliance.logs.chain``)."""
    progress = progress or Progress(False)
    inputs = [Path(p) for p in paths]
    out_dir = Path(out)
    problems = []
    for p in inputs:
        if not p.is_file():
            problems.append(Problem(str(p), 0, _("file not found")))
    names = [p.name for p in inputs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(name, 0, _("two inputs have this name; rename one (rows are traced by file name)")))
    if problems:
        raise InputError(problems)
    _check_output(out_dir, inputs)
    try:
        naive = timestamps.parse_offset(mapping.timezone or local_zone)
        local = timestamps.parse_offset(local_zone)
    except ValueError as exc:
        raise fail(mapping.timezone or local_zone, str(exc)) from None
    offset = f"{'+' if local >= 0 else '-'}{abs(local) // 60:02d}:{abs(local) % 60:02d}"
    predecessor = None
    if previous is not None:
        from compliance.logs import chain

        predecessor = chain.link(out_dir, previous, offset)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".part", dir=out_dir.resolve().parent))
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM)
    if main_thread:  # SIGTERM unwinds through the cleanup below instead of leaving the temporary folder
        signal.signal(signal.SIGTERM, _terminate)
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    writer = ThreadPoolExecutor(max_workers=1)  # the Parquet files, written in input order
    months = _Months(tmp, out_dir)
    rejects = None
    done = False
    try:
        rejects = RejectsWriter(tmp / REJECTS)
        files, totals = [], Totals()
        first = last = None
        days: dict = {}  # (system, day number) → its rows' digest (compliance.logs.digests)
        writes: deque = deque()
        for p in inputs:
            kind = fmt or format_of(p)
            meta: dict = {"alone": len(inputs) == 1}  # one mapping for several exports: named headers checked at the end
            st = Stats()

            def handle(name: str, st: Stats, meta: dict, done: _Done) -> None:
                nonlocal first, last
                batch, bad, fixed = done.batch, done.bad, done.fixed
                base = meta["first_line"] + st.span  # the line this block starts on
                st.span += batch.span
                for ln, column, reason in batch.refused:
                    rejects.add(name, base + ln, "rejected", column, reason)
                lines = batch.lines
                for i in sorted(bad):
                    for column, reason in bad[i]:
                        rejects.add(name, base + lines[i].as_py(), "rejected", column, reason)
                for i in sorted(fixed):
                    if i not in bad:
                        for column, note in fixed[i]:
                            rejects.add(name, base + lines[i].as_py(), "repaired", column, note)
                st.rows_in += len(lines) + len(batch.refused)
                st.rejected += len(bad) + len(batch.refused)
                st.repaired += sum(1 for i in fixed if i not in bad)
                st.rows_out += done.rows
                for k, v in done.kinds.items():
                    st.kinds[k] = st.kinds.get(k, 0) + v
                for k, v in done.unmapped.items():
                    st.unmapped[k] = st.unmapped.get(k, 0) + v
                if done.rows:
                    first = done.first if first is None else min(first, done.first)
                    last = done.last if last is None else max(last, done.last)
                for key, value in done.days.items():
                    digests.merge(days, key, value)
                writes.append(writer.submit(months.write, done.parts, base))
                while len(writes) > 2:  # bounds the memory held by rows waiting to be written
                    writes.popleft().result()
                progress.show(_("{name}: {rows} rows, {rejected} rejected").format(
                    name=name, rows=f"{st.rows_in:,}", rejected=f"{st.rejected:,}"))

            # blocks are parsed, checked and split by month in the workers, written by the writer thread: the
            # main thread only reads, hashes and reports, so no step waits for another on a two-core machine
            pending: deque = deque()

            def settle(name: str, st: Stats, meta: dict, future) -> None:
                try:
                    done = future.result()
                except _OutOfMemory as exc:  # at the first line (or row) of the block that did not fit
                    text = (_("the rows from here could not be held in memory ({error}): the export holds values far "
                              "longer than access records have (nothing was kept)") if kind == "parquet" else
                            _("the lines from here could not be held in memory ({error}): the export holds values far "
                              "longer than access records have (nothing was kept)"))
                    raise fail(p, text.format(error=exc), meta["first_line"] + st.span) from None
                handle(name, st, meta, done)

            for work in READERS[kind](p, mapping, encoding, progress, meta):
                pending.append(pool.submit(_process, work, mapping, p.name, naive, local))
                while len(pending) > WORKERS:
                    settle(p.name, st, meta, pending.popleft())
            while pending:
                settle(p.name, st, meta, pending.popleft())
            ranked = sorted(st.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
            files.append(InputFile(name=p.name, sha256=meta["sha256"], bytes=p.stat().st_size, format=kind,
                                   encoding=meta.get("encoding"), columns=meta.get("columns", {}), rows_in=st.rows_in,
                                   rows_out=st.rows_out, rows_rejected=st.rejected, rows_repaired=st.repaired,
                                   actions=dict(sorted(st.kinds.items())), unmapped_rows=sum(st.unmapped.values()),
                                   unmapped_actions=dict(ranked[:UNMAPPED_SHOWN])))
            totals.rows_in += st.rows_in
            totals.rows_out += st.rows_out
            totals.rows_rejected += st.rejected
            totals.rows_repaired += st.repaired
        mapping.check_named()  # a header the mapping file names that no export had: refused
        while writes:
            writes.popleft().result()
        outputs = months.close(pool)
        try:
            rejects.close()
        except OSError as exc:
            raise _write_error(out_dir / REJECTS, exc) from None
        rej = OutputFile(path=REJECTS, month="", rows=rejects.rows, sha256=sha256_file(tmp / REJECTS))
        day_digests = [DayDigest(system=system, day=dt.date(1970, 1, 1) + dt.timedelta(days=n), rows=v[0],
                                 first_epoch=v[1], last_epoch=v[2], digest=digests.hex64(v[3]))
                       for (system, n), v in sorted(days.items())]
        manifest = Manifest(tool=f"pipa-audit {__version__}", timezone=offset, inputs=files, outputs=outputs,
                            rejects=rej, totals=totals, first_day=first, last_day=last, previous=predecessor,
                            days=day_digests)
        try:
            (tmp / MANIFEST).write_text(json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
                                        + "\n", encoding="utf-8")
        except OSError as exc:
            raise _write_error(out_dir / MANIFEST, exc) from None
        os.chmod(tmp, 0o777 & ~_umask())
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(tmp, out_dir)
        done = True
        return manifest
    except OSError as exc:  # a write of rejects.csv while reading (a full disk), a folder that cannot be made
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG):
            raise _write_error(out_dir / (REJECTS if rejects is not None else ""), exc) from None
        raise
    finally:
        pool.shutdown(cancel_futures=True)
        writer.shutdown(cancel_futures=True)  # waits for a write under way: nothing writes into tmp once removed
        if not done:
            months.abandon()
            if rejects is not None:
                rejects.abandon()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        progress.done()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


@dataclass
class _Done:
    """One block, parsed, checked and split by month."""

    batch: Batch
    bad: dict  # row index → [(column, reason)]
    fixed: dict  # row index → [(column, note)]
    parts: list[tuple[int, pa.Table]]  # (YYYYMM, valid rows)
    rows: int
    first: object = None  # first and last local day (datetime.date) of the valid rows
    last: object = None
    kinds: dict = field(default_factory=dict)  # valid rows per task kind
    unmapped: dict = field(default_factory=dict)  # valid rows per task name the mapping does not know
    days: dict = field(default_factory=dict)  # (system, day number) → digest of its rows (compliance.logs.digests)


class _OutOfMemory(Exception):
    """Arrow (or Python) could not hold a block: reported at the block's first line by the caller, who knows it."""


def _memory_error(exc: BaseException) -> bool:
    """Arrow's errors for data too big to hold (memory, or a column past 2 GiB of text), as opposed to bad input
    Arrow refuses for another reason, or a bug."""
    if isinstance(exc, (MemoryError, pa.ArrowCapacityError)):  # ArrowMemoryError is a MemoryError
        return True
    return isinstance(exc, pa.ArrowInvalid) and ("overflow" in str(exc) or "capacity" in str(exc))


def _process(work, mapping: Mapping, source: str, naive: int, local: int) -> _Done:
    try:
        batch = work() if callable(work) else work
        if not len(batch.lines):  # every line refused while reading (or none)
            return _Done(batch, {}, {}, [], 0)
        table, bad, fixed, (kinds, unmapped) = normalise(batch, mapping, source, naive, local)
        done = _Done(batch, bad, fixed, _by_month(table), table.num_rows, kinds=kinds, unmapped=unmapped)
    except Exception as exc:
        if _memory_error(exc):
            raise _OutOfMemory(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
        raise
    if table.num_rows:
        lo, hi = pc.min_max(table.column("day")).values()
        done.first, done.last = lo.as_py(), hi.as_py()
        done.days = digests.of_table(table)
    return done


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
