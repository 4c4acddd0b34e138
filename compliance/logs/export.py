"""``logs export-sql`` and ``logs import-results``: run the analyses in your own lake, bring the rows back as facts.

Export writes a bundle folder::

    bundle.json            what was exported: queries (SHA-256 of the shipped text and of the exported text),
                           tables (SHA-256, columns and types), facts and parameter hashes, the dialect
    sql/<name>.sql         the analyses in the chosen dialect (DuckDB and Spark: the shipped text unchanged,
                           proven by the equivalence test; Trino: transpiled by SQLGlot from the portable subset)
    tables/<name>.csv      the small input tables (params, systems, principals, networks, geo, calendar, …)

Run each query with ``records`` bound to your access records (the columns of ``logs ingest``'s Parquet) and the
tables loaded, and save each result as ``results/<name>.csv`` (header = the query's columns) or ``.jsonl``.
Import refuses a bundle whose queries or tables no longer match their hashes, or whose queries are not the
ones this version ships: rows of a changed query never become facts. A result must carry exactly the query's
columns (its analysis's ``Spec.files``) and end with a line break: an empty file, another header or a file cut short
is what a failed or truncated job leaves, never "the records show nothing". Every file of the bundle is opened
without following links and must be a regular file (``manifest.open_inside``). The queries are those of the
analyses' registry (``compliance/logs/analyses/``), each bundle entry naming its analysis.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from compliance import __version__
from compliance.i18n import _
from compliance.loading import MAX_INPUT_BYTES, InputError, Problem, fail, inert, parse, validate_file
from compliance.logs import analyses, tables
from compliance.logs import derived as d
from compliance.logs import manifest as mf
from compliance.logs import params as lp

BUNDLE = "bundle.json"
EXAMPLE_TEXT = ("ex_source", "ex_ip", "ex_system", "ex_country", "ex_previous_ip")  # an example's text columns


def _dialect_text(text: str, dialect: str) -> str:
    if dialect in ("duckdb", "spark"):
        return text
    import sqlglot

    return ";\n".join(sqlglot.transpile(text, read="duckdb", write=dialect, pretty=True)) + "\n"


def _csv_bytes(columns: list[str], rows: list[tuple]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else ("true" if v is True else "false" if v is False else v) for v in r])
    return buf.getvalue().encode("utf-8")


def export_sql(args) -> int:
    from compliance.facts import Facts
    from compliance.logs.analyze import load_inputs

    out = Path(args.output)
    if out.exists():
        raise fail(out, _("already exists; give a new folder"))
    if args.folder:
        manifest, facts, params = load_inputs(args.folder, args.facts, args.params)
        first, last, tz = manifest.first_day, manifest.last_day, manifest.timezone
    else:
        facts = validate_file(args.facts, Facts)[0]
        params = lp.load(args.params)

        first, last, tz = facts.as_of - dt.timedelta(days=3 * 365), facts.as_of, "+09:00"
    built = tables.build(facts, params, first, last)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.resolve().parent))
    try:
        (tmp / "sql").mkdir()
        (tmp / "tables").mkdir()
        queries = []
        for spec in analyses.registry().values():
            for name in spec.files:
                text = analyses.query_text(name)
                exported = _dialect_text(text, args.dialect)
                (tmp / "sql" / name).write_text(exported, encoding="utf-8")
                queries.append({"file": name, "analysis": spec.id, "sha256": analyses.sha256_text(text),
                                "exported_sha256": analyses.sha256_text(exported)})
        tabs = []
        for name, schema in tables.SCHEMAS.items():
            data = _csv_bytes([c for c, _ in schema], built.tables[name])
            (tmp / "tables" / f"{name}.csv").write_bytes(data)
            tabs.append({"name": name, "columns": [{"name": c, "type": t} for c, t in schema],
                         "rows": len(built.tables[name]), "sha256": mf.sha256_file(tmp / "tables" / f"{name}.csv")})
        bundle = {"kind": "pipa-audit/sql-bundle", "tool": f"pipa-audit {__version__}", "dialect": args.dialect,
                  "facts": str(args.facts), "facts_sha256": mf.sha256_file(Path(args.facts)),
                  "params": args.params, "params_sha256": mf.sha256_file(Path(args.params)) if args.params else None,
                  "timezone": tz, "first_day": str(first) if first else None, "last_day": str(last) if last else None,
                  "notes": built.notes, "queries": queries, "tables": tabs}
        if args.folder:
            t = manifest.totals
            bundle["dataset"] = {"rows_in": t.rows_in, "rows_out": t.rows_out, "rows_rejected": t.rows_rejected}
            # what each export held: the duties its columns and task names cannot show stay insufficient on import
            bundle["inputs"] = [i.model_dump(include={"name", "columns", "actions", "unmapped_rows", "unmapped_actions"})
                                for i in manifest.inputs]
        (tmp / BUNDLE).write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(inert(_("{out}: {queries} queries ({dialect}) and {tables} tables; put each result in "
                  "{out}/results/<query>.csv, then: pipa-audit logs import-results {out}").format(
        out=out, queries=len(queries), dialect=args.dialect, tables=len(tabs))), file=sys.stderr)
    return 0


def _convert(column: str, value: str, spec):
    """A CSV cell as its analysis reads the column: true/false (``Spec.flags``), text (``Spec.text`` and an example's
    text columns) or a whole number."""
    if value == "":
        return None
    if column in spec.flags:
        if value.lower() not in ("true", "false"):
            raise ValueError(_("expected true or false, found {value}").format(value=repr(value)))
        return value.lower() == "true"
    if column in spec.text or column.startswith(EXAMPLE_TEXT):
        return value
    try:
        return int(value)
    except ValueError:  # Python's own words ("invalid literal for int() with base 10") are not for the user
        raise ValueError(_("expected a whole number, found {value}").format(value=repr(value))) from None


def _read_result(root: Path, rel: str, expected: tuple[str, ...], spec) -> list[tuple]:
    """A query's rows as the other engine wrote them (CSV with the query's header, or JSON lines with its keys),
    read from the bundle without following links; each bad row is a located problem (the first 20)."""
    path = root / rel
    raw = mf.read_inside(root, rel, MAX_INPUT_BYTES, _("result not found"))
    if not raw.strip():
        raise fail(path, _("is empty: a failed or cut-short job leaves such a file, so it cannot mean that the records "
                           "show nothing; a result with no rows is a CSV file holding the query's header line"))
    if not raw.endswith(b"\n"):
        raise fail(path, _("does not end with a line break: the result was cut short; run the query again"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(path, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
    columns = ", ".join(expected)
    problems: list[Problem] = []
    rows = []
    if rel.endswith(".jsonl"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:  # the facts loader's JSON rules: duplicate keys, deep nesting and huge numbers refused
                obj = parse(line, path, as_json=True)
            except InputError as exc:
                problems += [Problem(str(path), n, p.message) for p in exc.problems]
                continue
            if not isinstance(obj, dict):
                problems.append(Problem(str(path), n, _("expected one JSON object per line, found {kind}").format(
                    kind=type(obj).__name__)))
                continue
            if set(obj) != set(expected):
                problems.append(Problem(str(path), n, _("has the keys {got}; the query's columns are {expected}").format(
                    got=", ".join(obj), expected=columns)))
                continue
            rows.append(tuple(obj[c] for c in expected))
        if problems:
            raise InputError(problems[:20])
        return rows
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        cols = next(reader, [])
        if tuple(cols) != expected:
            raise fail(path, _("the header is {got}; the query's columns are {expected}: a result of another query or "
                               "a failed job cannot become facts").format(got=", ".join(cols) or "—", expected=columns), 1)
        for row in reader:
            if len(row) != len(cols):
                text = _("has {fields} fields; the header has {columns}").format(fields=len(row), columns=len(cols))
                problems.append(Problem(str(path), reader.line_num, text))
                continue
            try:
                rows.append(tuple(_convert(c, v, spec) for c, v in zip(cols, row)))
            except ValueError as exc:
                problems.append(Problem(str(path), reader.line_num, str(exc)))
    except csv.Error as exc:
        problems.append(Problem(str(path), reader.line_num, _("invalid CSV: {error}").format(error=exc)))
    if problems:
        raise InputError(problems[:20])
    return rows


class _Query(BaseModel):
    file: str = Field(pattern=r"^[A-Za-z0-9_.-]+\.sql$")  # a file of the bundle's sql/ folder, nothing else
    sha256: str
    exported_sha256: str


class _Table(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    sha256: str


class _Dataset(BaseModel):
    rows_in: int = Field(ge=0)
    rows_out: int = Field(ge=0)
    rows_rejected: int = Field(ge=0)


class _Input(BaseModel):
    name: str
    columns: dict[str, str] = {}
    actions: dict[str, int] | None = None
    unmapped_rows: int = Field(0, ge=0)
    unmapped_actions: dict[str, int] = {}


class Bundle(BaseModel):
    """What ``bundle.json`` must hold for its results to become facts (written by ``export_sql``)."""

    kind: Literal["pipa-audit/sql-bundle"]
    dialect: str
    facts: str
    facts_sha256: str
    params: str | None = None
    params_sha256: str | None = None
    timezone: str
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    queries: list[_Query]
    tables: list[_Table]
    dataset: _Dataset | None = None
    inputs: list[_Input] | None = None  # the ingest manifest's inputs (export-sql --folder)


def _bundle(root: Path) -> Bundle:
    path = root / BUNDLE
    if not os.path.lexists(path):  # anything else there (a folder, a FIFO) is refused with its reason
        raise fail(root, _("no {file}: not a folder written by 'pipa-audit logs export-sql'").format(file=BUNDLE))
    raw = mf.read_inside(root, BUNDLE, MAX_INPUT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(path, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
    data = parse(text, path, as_json=True)
    return validate_file(path, Bundle, data, text)[0]  # a mapping, every error located


def _sha256_inside(root: Path, rel: str, problems: list[Problem]) -> str | None:
    """SHA-256 of a file of the bundle read without following links, or None with the problem noted."""
    try:
        return mf.sha256_inside(root, rel)
    except InputError as exc:
        problems += exc.problems
        return None


def import_results(args) -> int:
    from compliance.facts import Facts
    from compliance.logs.analyze import assemble, write

    root = Path(args.bundle)
    bundle = _bundle(root)
    problems: list[Problem] = []
    shipped = {p.name: analyses.sha256_text(p.read_text(encoding="utf-8")) for p in analyses.sql_files()}
    for q in bundle.queries:
        f = root / "sql" / q.file
        if shipped.get(q.file) != q.sha256:
            problems.append(Problem(str(f), 0, _("is not the query this version of pipa-audit ships (SHA-256 differs); "
                                                 "export again with this version")))
            continue
        before = len(problems)
        digest = _sha256_inside(root, f"sql/{q.file}", problems) if os.path.lexists(f) else None
        if len(problems) == before and digest != q.exported_sha256:  # the file's bytes are the text's UTF-8
            problems.append(Problem(str(f), 0, _("SHA-256 differs from the bundle: the query was changed after export, "
                                                 "so its results cannot become facts")))
    for t in bundle.tables:
        f = root / "tables" / f"{t.name}.csv"
        before = len(problems)
        digest = _sha256_inside(root, f"tables/{t.name}.csv", problems) if os.path.lexists(f) else None
        if len(problems) == before and digest != t.sha256:
            problems.append(Problem(str(f), 0,
                                    _("SHA-256 differs from the bundle: an input table was changed after export")))
    facts_path, params_path = bundle.facts, bundle.params
    changed = _("missing or changed since the export (SHA-256 differs)")
    if not Path(facts_path).is_file() or mf.sha256_file(Path(facts_path)) != bundle.facts_sha256:
        problems.append(Problem(facts_path, 0, changed))
    if params_path and (not Path(params_path).is_file() or mf.sha256_file(Path(params_path)) != bundle.params_sha256):
        problems.append(Problem(params_path, 0, changed))
    results: dict[str, analyses.Rows] = {}
    refs = []
    needed = {q.file for q in bundle.queries}
    owner = {f: spec for spec in analyses.registry().values() for f in spec.files}
    for name in sorted(needed):
        stem = name[:-4]
        # whatever stands at the name (a link, a FIFO, a folder) is the result: refused by _read_result, never skipped
        found = [rel for rel in (f"results/{stem}.csv", f"results/{stem}.jsonl") if os.path.lexists(root / rel)]
        if not found:
            problems.append(Problem(str(root / "results" / f"{stem}.csv"), 0, _("result not found")))
            continue
        spec = owner.get(name)
        if spec is None:  # a query this version ships always belongs to an analysis
            raise RuntimeError(f"no analysis runs {name}")
        expected = spec.files[name]
        try:
            rows = _read_result(root, found[0], expected, spec)
            digest = mf.sha256_inside(root, found[0])
        except InputError as exc:
            problems += exc.problems
            continue
        results[name] = analyses.canonical(list(expected), rows)
        refs.append(d.InputRef(role="results", path=found[0], sha256=digest, rows=len(rows)))
    if problems:
        raise InputError(problems)
    facts = validate_file(facts_path, Facts)[0]
    params = lp.load(params_path)
    first, last = bundle.first_day, bundle.last_day
    built = tables.build(facts, params, first, last)
    ds = bundle.dataset.model_dump() if bundle.dataset else {}
    ratio = ds["rows_rejected"] / ds["rows_in"] if ds.get("rows_in") else None
    dataset = d.Dataset(timezone=bundle.timezone, first_day=first, last_day=last, rows_in=ds.get("rows_in"),
                        rows_out=ds.get("rows_out"), rows_rejected=ds.get("rows_rejected"),
                        rejected_ratio=None if ratio is None else round(ratio, 6),
                        max_rejected_ratio=params.max_rejected_ratio,
                        sufficient=None if ratio is None else ratio <= params.max_rejected_ratio)
    engine = d.Engine(name="imported", version=f"{bundle.dialect} (queries verified by SHA-256)")
    try:
        derived = assemble(facts, facts_path, params, params_path, built, results, dataset, engine, refs, args.examples,
                           bundle.inputs)
    except (KeyError, ValueError) as exc:
        raise fail(root / "results",
                   _("a result does not have the query's columns: {error}").format(error=exc)) from None
    write(derived, args.output, [facts_path, params_path])
    print(inert(_("imported {results} results from {folder}; query hashes verified").format(
        results=len(results), folder=root)), file=sys.stderr)
    return 0
