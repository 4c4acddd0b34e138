"""An XLSX list source of 100,000 handlers: `pipa-audit check` of a facts file whose handlers come from it, and the
reading of the sheet alone, each paired with python-calamine's bare read of the same file (the fastest well-kept
XLSX reader, which `compliance.sources` uses).

    python benchmarks/bench_xlsx_source.py [-n 100000] [--runs 5] [--work /tmp/pipa-bench-xlsx]

The workbook is written as Excel saves one: text in the shared-strings part, dates as date cells. Three figures:

- whole `check` (a child process; its CPU seconds, user + system) against a child doing calamine's bare read
  (`CalamineWorkbook.from_path(...).get_sheet_by_name(...).to_python()`), the two run in turn;
- the same `check` of the same rows from a CSV file (what the XLSX route costs over CSV);
- in-process: `sources._xlsx_rows` (the bounds, the formula and error-cell checks, calamine, rows as the converters
  take them) against calamine's bare read, best of --runs each, run in turn (`pairing.best_of`).

The project is byte-compiled first and children run with bytecode caching on, as an install does.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
sys.path.insert(0, str(HERE))
from generate import facts  # noqa: E402
from children import ENV, cpu_paired  # noqa: E402
from pairing import best_of  # noqa: E402

SHEET = "인사"
COLUMNS = {"id": "사번", "role": "직무", "systems": "시스템", "granted_on": "권한부여일", "left_on": "퇴사일",
           "access_revoked_on": "권한말소일"}
NOT_TRACKED = ["duties_changed_on", "access_changed_on", "trained_on"]


def shared_strings(data: bytes) -> bytes:
    """The workbook with its inline strings (what openpyxl writes) moved to a shared-strings part, as Excel saves."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    table: dict[str, int] = {}

    def shared(m: re.Match) -> bytes:
        text = m[2].decode("utf-8")
        return b'<c r="%s" t="s"><v>%d</v></c>' % (m[1], table.setdefault(text, len(table)))

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                body = re.sub(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>([^<]*)</t></is></c>', shared, body)
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            z.writestr(info, body)
        items = "".join(f"<si><t>{escape(t)}</t></si>" for t in table)
        z.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   f'count="{len(table)}" uniqueCount="{len(table)}">{items}</sst>')
    return out.getvalue()


def write(n: int, work: Path) -> tuple[Path, Path, Path]:
    """The workbook, a facts file reading its handlers from it, and the same facts reading them from a CSV file."""
    import openpyxl

    (work / "evidence").mkdir(parents=True, exist_ok=True)
    data = facts(n)
    table = [list(COLUMNS.values())]
    for row in data["handlers"]:
        cells = []
        for f in COLUMNS:
            v = row.get(f)
            cells.append(";".join(v) if isinstance(v, list) else dt.date.fromisoformat(v) if f.endswith("_on") and v else v)
        table.append(cells)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    for cells in table:
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    xlsx = work / "evidence" / "handlers.xlsx"
    xlsx.write_bytes(shared_strings(buffer.getvalue()))
    with (work / "evidence" / "handlers.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[c.isoformat() if isinstance(c, dt.date) else c for c in cells] for cells in table])
    stated = {k: v for k, v in data.items() if k not in ("accounts", "credentials")}  # they name handlers: left out
    out = []
    for name, source in (("facts-xlsx.yaml", {"path": "evidence/handlers.xlsx", "sheet": SHEET}),
                         ("facts-csv.yaml", {"path": "evidence/handlers.csv"})):
        stated["handlers"] = {"source": {**source, "columns": COLUMNS, "not_tracked": NOT_TRACKED}}
        (work / name).write_text(json.dumps(stated, ensure_ascii=False, indent=1), encoding="utf-8")  # JSON is YAML
        out.append(work / name)
    return xlsx, out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/pipa-bench-xlsx")
    args = ap.parse_args()
    work = Path(args.work)
    xlsx, facts_xlsx, facts_csv = write(args.n, work)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "compliance")], check=True, env=ENV)
    bare = [PY, "-c", "import sys, python_calamine as c; "
            "c.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_name(sys.argv[2]).to_python()", str(xlsx), SHEET]
    check = [PY, "-m", "compliance", "check", "--fail-on", "none", "--format", "json", "-o", os.devnull]
    rows = []
    t, b, r, peak = cpu_paired([*check, str(facts_xlsx)], bare, args.runs)
    rows.append(("`check`, handlers from the XLSX vs calamine's bare read (child CPU)", t, b, r, peak))
    t, c, r, peak_csv = cpu_paired([*check, str(facts_xlsx)], [*check, str(facts_csv)], args.runs)
    rows.append(("`check`, handlers from the XLSX vs from the same rows as CSV (child CPU)", t, c, r, peak_csv))

    sys.path.insert(0, str(ROOT))
    import python_calamine

    from compliance import sources

    data = xlsx.read_bytes()
    base, ours = best_of(lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(SHEET).to_python(),
                         lambda: sum(1 for _ in sources._xlsx_rows(data, SHEET)), args.runs)
    rows.append(("reading the sheet: `sources._xlsx_rows` vs calamine's bare read (in-process, best of runs)", ours, base,
                 ours / base, None))
    print(f"{args.n:,} handlers, {xlsx.stat().st_size / 1e6:.1f} MB XLSX (shared strings, date cells), runs {args.runs}\n")
    print("| measure | pipa-audit | baseline | ratio | peak MB |")
    print("|---|---:|---:|---:|---:|")
    for name, a, b, ratio, mb in rows:
        print(f"| {name} | {a:.2f} s | {b:.2f} s | {ratio:.2f}x | {mb if mb is not None else ''} |")


if __name__ == "__main__":
    main()
