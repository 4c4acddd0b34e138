"""Speed where users wait (issue 22): errors located in linear time and at their column in a one-line JSON file,
`--help` and usage errors without the models, XLSX sources read with calamine and every promise kept."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import sys
import time
import zipfile

import pytest

from compliance.loading import InputError, load

from .conftest import CATALOGS, cli, write

# ------------------------------------------------------------------ located errors in a one-line JSON file


def _facts(n: int, bad: int = 0) -> dict:
    """n handlers and n accounts after them (a key after a long list: where locating was quadratic); ``bad`` of the
    references name a system the file does not state, half from handlers, half from accounts."""
    handlers = [{"id": f"h{i}", "role": "clerk", "systems": ["s1"], "granted_on": "2024-01-02"} for i in range(n)]
    accounts = [{"id": f"a{i}", "system": "s1", "holders": [f"h{i}"]} for i in range(n)]
    step = 2 * n // bad if bad else 0
    for k in range(bad // 2):
        handlers[k * step]["systems"] = ["gone"]
        accounts[k * step + 1]["system"] = "gone"
    return {"as_of": "2025-11-30", "organization": {"name": "X"}, "systems": [{"id": "s1"}], "handlers": handlers,
            "accounts": accounts}


def _check(path) -> tuple[float, list]:
    from compliance.catalog import load_catalogs
    from compliance.pipeline import check_facts

    catalogs = load_catalogs(CATALOGS)
    start = time.process_time()
    try:
        problems = check_facts(path, catalogs)[3]  # reference problems are returned, the model's raised
    except InputError as exc:
        problems = exc.problems
    return time.process_time() - start, problems


def test_4000_broken_references_are_located_in_about_the_time_of_a_clean_check(tmp_path):
    """4,000 broken references of a one-line JSON file took 29 s (each located by stepping over the 100,000 handlers
    before the accounts again); 80,000 would have taken hours. Now locating them all costs one pass over the text."""
    clean = write(tmp_path, "clean.json", json.dumps(_facts(20_000)))
    bad = write(tmp_path, "facts.json", json.dumps(_facts(20_000, bad=4_000)))
    spent_clean = min(_check(clean)[0] for _ in range(2))
    spent_bad, problems = _check(bad)
    assert len(problems) == 4_000, problems[:3]
    assert spent_bad <= 2 * spent_clean + 0.5, (spent_bad, spent_clean)  # the target: <= 2x the clean check


def test_every_reference_problem_of_a_one_line_json_file_is_at_its_column(tmp_path):
    """Every message said line 1 (the file is one line): each now says line and column, at the key or list item."""
    text = json.dumps(_facts(600, bad=40))
    path = write(tmp_path, "facts.json", text)
    _spent, problems = _check(path)
    assert len(problems) == 40
    for p in problems:
        m = re.fullmatch(rf"{re.escape(str(path))}:1:([0-9]+): (handlers\[[0-9]+\]\.systems\[0\]|accounts\[[0-9]+\]\.system): "
                         r"no system with id 'gone'", str(p))
        assert m, str(p)
        at = text[int(m[1]) - 1:]
        assert at.startswith('"gone"' if m[2].startswith("handlers") else '"system": "gone"'), (str(p), at[:40])


def test_model_errors_and_duplicates_in_json_carry_their_column_and_yaml_keeps_its_line(tmp_path):
    data = _facts(50)
    data["handlers"][30]["granted_on"] = "2024-13-01"
    text = json.dumps(data)
    path = write(tmp_path, "facts.json", text)
    (problem,) = _check(path)[1]
    m = re.match(rf"{re.escape(str(path))}:1:([0-9]+): handlers\[30\]\.granted_on: ", str(problem))
    assert m and text[int(m[1]) - 1:].startswith('"granted_on": "2024-13-01"'), str(problem)

    data = _facts(50)
    data["handlers"][40]["id"] = "h7"  # a duplicate id: where the first one is, by line and column too
    text = json.dumps(data)
    path = write(tmp_path, "dup.json", text)
    shown = [str(p) for p in _check(path)[1] if "duplicate id" in p.message]
    (line,) = shown
    m = re.fullmatch(rf"{re.escape(str(path))}:1:([0-9]+): handlers\[40\]\.id: duplicate id 'h7' \(first on line 1, "
                     r"column ([0-9]+)\): every id in handlers must be unique", line)
    assert m, line
    assert text[int(m[1]) - 1:].startswith('"id": "h7"') and text[int(m[2]) - 1:].startswith('"id": "h7"')
    assert int(m[2]) < int(m[1])

    repeated = text[:-1] + ', "as_of": "2025-11-30"}'  # a repeated key: the column of its second occurrence
    path = write(tmp_path, "key.json", repeated)
    with pytest.raises(InputError) as exc:
        load(path)
    (problem,) = exc.value.problems
    column = repeated.rindex('"as_of"') + 1
    assert str(problem).startswith(f"{path}:1:{column}: duplicate key 'as_of'"), str(problem)

    yaml_text = "as_of: 2025-11-30\norganization: {name: X}\nsystems: [{id: s1}]\nhandlers:\n" + "".join(
        f"  - {{id: h{i}, role: clerk, systems: [{'gone' if i == 2 else 's1'}], granted_on: 2024-01-02}}\n" for i in range(4))
    path = write(tmp_path, "facts.yaml", yaml_text)
    (problem,) = _check(path)[1]
    assert str(problem) == f"{path}:7: handlers[2].systems[0]: no system with id 'gone'"  # YAML: the line, as before


# ------------------------------------------------------------------ --help and usage errors


HEAVY = ("pydantic", "yaml", "compliance.catalog", "compliance.loading", "compliance.facts", "compliance.render",
         "compliance.importers", "compliance.logs.cli")


@pytest.mark.parametrize("argv, said", [
    (["check", "x.yaml", "-o", "x.foo"], "x.foo: unknown output extension; use one of "),
    (["report", "x.yaml", "-o", "a.pdf", "-o", "a.pdf"], "a.pdf: given twice as -o"),
    (["check", "x.yaml", "--todo", "--format", "json"], "--todo: prints the list of what is missing on standard output"),
    (["check", "x.yaml", "--pdfa"], "x.yaml: --pdfa applies to PDF output only"),
    (["diff", "a.json", "b.json", "-o", "x.foo"], "x.foo: unknown output extension; use one of .json, .markdown, .md, .txt"),
    (["check", "--help"], None),
    (["validate", "--help"], None),
])
def test_a_usage_error_or_help_loads_no_model_parser_or_other_command(tmp_path, argv, said):
    """`check --help` and an unknown output extension took about 5 s on a loaded machine (0.2 s idle): the models and
    parsers were imported before the outputs were planned, and every command's options were built."""
    code = ("import sys\nfrom compliance.cli import main\ntry:\n    code = main(%r)\nexcept SystemExit as exc:\n"
            "    code = exc.code\nheavy = sorted(m for m in %r if m in sys.modules)\nprint('HEAVY', heavy, code)" % (argv, HEAVY))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.stdout.splitlines()[-1] == f"HEAVY [] {2 if said else 0}", (proc.stdout[-300:], proc.stderr)
    if said:
        assert proc.stderr.startswith(said) and len(proc.stderr.splitlines()) == 1, proc.stderr


LIGHT = ("ast", "dataclasses", "inspect", "typing", "shutil", "compliance.located", "compliance.importers",
         "compliance.logs.analyses")
"""What every --help and usage error did import (25 ms of `check --help`'s 53): reading the renderers' FORMAT lines with
ast, dataclasses for the problem types, shutil for the terminal's width, the importers' and the analyses' packages for
their names."""

HELPS = [[name, "--help"] for name in ("init", "validate", "check", "report", "diff", "demo", "import", "schema", "catalog",
                                       "logs")]
HELPS += [["logs", name, "--help"] for name in ("ingest", "analyze", "export-sql", "import-results", "schema", "lint")]


@pytest.mark.parametrize("argv", [["--help"], *HELPS, ["check", "x.yaml", "-o", "x.foo"],
                                  ["report", "x.yaml", "-o", "a.pdf", "-o", "a.pdf"], ["check", "x.yaml", "--pdfa"],
                                  ["diff", "a.json", "b.json", "-o", "x.foo"], ["check", "--no-such-option"]])
def test_every_help_and_usage_error_imports_only_what_it_shows(tmp_path, argv):
    """Every command's --help and the usage errors about outputs within 3x `python -c pass` (benchmarks/bench_cli.py):
    none of them imports the modules that took them past it."""
    code = ("import sys\nfrom compliance.cli import main\ntry:\n    code = main(%r)\nexcept SystemExit as exc:\n"
            "    code = exc.code\nprint('LIGHT', sorted(m for m in %r if m in sys.modules), code)" % ([*argv, "--lang", "en"], LIGHT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.stdout.splitlines()[-1] == f"LIGHT [] {0 if argv[-1] == '--help' else 2}", (proc.stdout[-300:], proc.stderr)


def test_each_command_built_alone_gives_the_help_of_the_whole_parser():
    """A parser built for one command names the others with their one-line help only: what it shows is what the whole
    parser shows (the overview, argparse's 'invalid choice', the command's own help)."""
    from compliance import i18n
    from compliance.cli import build_parser

    def helps(parser) -> dict:
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        return {name: p.format_help() for name, p in sub.choices.items()}

    for lang in ("en", "ko"):
        i18n.use(lang)
        try:
            whole = build_parser()
            for name, text in helps(whole).items():
                alone = build_parser(name)
                assert alone.format_help() == whole.format_help(), (lang, name)
                assert helps(alone)[name] == text, (lang, name)
            assert build_parser("").format_help() == whole.format_help()
        finally:
            i18n.use("en")


def test_a_symlink_loop_as_an_output_is_a_usage_error_not_an_internal_one(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    facts = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\n")
    proc = cli("check", facts, "-o", tmp_path / "loop" / "result.json")
    assert proc.returncode == 2 and "internal error" not in proc.stderr, proc.stderr


# ------------------------------------------------------------------ XLSX sources read with calamine


HEADER = ["사번", "퇴사일", "권한말소일", "교육일"]
MAPPED = "{id: 사번, left_on: 퇴사일, access_revoked_on: 권한말소일, trained_on: 교육일}"


def _workbook(rows, shared: bool = False) -> bytes:
    """A workbook as openpyxl writes it (inline strings), or as Excel saves it (``shared``: every text in the
    shared-strings part, cells pointing at it)."""
    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    if not shared:
        return out.getvalue()
    src, res, table = zipfile.ZipFile(out), io.BytesIO(), {}

    def point(m):
        return b'<c r="%s" t="s"><v>%d</v></c>' % (m[1], table.setdefault(m[2], len(table)))

    with zipfile.ZipFile(res, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>([^<]*)</t></is></c>', point, body)
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                                    b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            z.writestr(info, body)
        z.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   + "".join(f"<si><t>{t.decode()}</t></si>" for t in table) + "</sst>")
    return res.getvalue()


def _facts_reading(tmp_path, data: bytes):
    (tmp_path / "evidence").mkdir(exist_ok=True)
    (tmp_path / "evidence" / "hr.xlsx").write_bytes(data)
    return write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nsystems: [{id: s1}]\n"
                 f"handlers: {{source: {{path: evidence/hr.xlsx, columns: {MAPPED}, not_tracked: [duties_changed_on, "
                 "access_changed_on]}}\n")


def _handlers(path):
    from compliance.catalog import load_catalogs
    from compliance.pipeline import check_facts

    facts, _text, _manifest, problems = check_facts(path, load_catalogs(CATALOGS))
    if problems:
        raise InputError(problems)
    return facts.handlers


def test_an_xlsx_source_saved_with_shared_strings_is_read(tmp_path):
    """Excel keeps text in a shared-strings part: the openpyxl reader refused every such file ('has a sheet that
    cannot be read: IndexError'), having read only workbooks written by programs (inline strings)."""
    rows = [HEADER, ["h-1", dt.datetime(2025, 1, 10), dt.datetime(2025, 1, 11), "2025-03-01"], ["h-2", None, None, "2025-03-02"]]
    got = _handlers(_facts_reading(tmp_path, _workbook(rows, shared=True)))
    assert [(h.id, h.left_on, h.access_revoked_on, h.trained_on) for h in got] == [
        ("h-1", dt.date(2025, 1, 10), dt.date(2025, 1, 11), dt.date(2025, 3, 1)), ("h-2", None, None, dt.date(2025, 3, 2))]


def test_numbers_are_numbers_and_an_error_cell_is_not_an_empty_one(tmp_path):
    rows = [HEADER, [20250101, None, None, "2025-03-01"], ["h-2", "#N/A", None, "2025-03-01"]]
    data = _workbook(rows)
    sheet = "xl/worksheets/sheet1.xml"
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:  # B3 as a spreadsheet writes a formula's error: an error cell
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == sheet:
                body = re.sub(rb'<c r="B3" t="inlineStr"><is><t>#N/A</t></is></c>', b'<c r="B3" t="e"><v>#N/A</v></c>', body)
                assert b't="e"' in body
            z.writestr(info, body)
    proc = cli("check", _facts_reading(tmp_path, out.getvalue()))
    # the id 20250101 is '20250101', not '20250101.0'; #N/A under 퇴사일 is refused, never read as "never left"
    assert proc.returncode == 2 and "hr.xlsx:3:2: handlers[1].left_on (퇴사일): " in proc.stderr and "#N/A" in proc.stderr, proc.stderr
    rows[2][1] = None
    assert [h.id for h in _handlers(_facts_reading(tmp_path, _workbook(rows)))] == ["20250101", "h-2"]


def test_an_xlsx_source_beyond_the_cells_bound_is_refused_and_a_formatted_empty_cell_is_not_a_value(tmp_path, monkeypatch):
    from compliance import sources

    data = _workbook([HEADER, ["h-1", None, None, "2025-03-01"]])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:  # a formatted empty cell far right and far down: no value, nothing refused
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", b'<row r="900000"><c r="XFD900000" s="0"/></row></sheetData>')
            z.writestr(info, body)
    styled = out.getvalue()
    assert [h.id for h in _handlers(_facts_reading(tmp_path, styled))] == ["h-1"]
    monkeypatch.setattr(sources, "MAX_XLSX_CELLS", 5)
    with pytest.raises(InputError) as exc:
        _handlers(_facts_reading(tmp_path, data))
    assert "hr.xlsx: spans 2 rows and 4 columns from A1 to its last value, more than the 5 cells" in str(exc.value)


def test_reading_an_xlsx_source_costs_about_calamines_own_read(tmp_path):
    """openpyxl built a cell object per value (15 times calamine's read); the bounds, the formula and error-cell
    checks and the rows the converters take now add less than calamine's own read (benchmarks/README.md)."""
    import python_calamine

    from compliance import sources

    rows = [HEADER] + [[f"h-{i}", dt.datetime(2025, 1, 1 + i % 28), None, "2025-03-01"] for i in range(20_000)]
    data = _workbook(rows, shared=True)

    def bare():
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Sheet").to_python()

    def ours():
        return list(sources._xlsx_rows(data, None))

    assert len(ours()) == len(bare()) == 20_001
    spent = {"bare": [], "ours": []}
    for _ in range(3):
        for name, fn in (("bare", bare), ("ours", ours)):
            start = time.process_time()
            fn()
            spent[name].append(time.process_time() - start)
    assert min(spent["ours"]) <= 3 * min(spent["bare"]) + 0.05, spent  # measured 1.8x at 100,000 rows
