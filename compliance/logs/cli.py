"""``pipa-audit logs``: ingest · analyze · export-sql · import-results · schema · lint.

Only the parser lives at import time; every handler imports its engine (pyarrow, DuckDB, pyspark) when it
runs, so ``pipa-audit --help`` and every other command stay fast and never load them.
"""

from __future__ import annotations

import argparse
import sys

from compliance.i18n import _


def _ingest(args) -> int:
    from compliance.logs import mapping
    from compliance.logs.ingest import ingest
    from compliance.loading import inert
    from compliance.logs.progress import Progress

    m = mapping.build(args.profile, args.mapping, args.timezone, args.system)
    manifest = ingest(args.exports, args.output, m, args.encoding, args.format, args.local_zone,
                      Progress(False if args.quiet else None, plain=True), args.previous)
    t = manifest.totals
    done = _("{output}: {rows} rows in {months} month(s) {first} – {last}; {rejected} rejected, {repaired} repaired"
             " of {total} (see {output}/rejects.csv)").format(
        output=args.output, rows=f"{t.rows_out:,}", months=len(manifest.outputs), first=manifest.first_day,
        last=manifest.last_day, rejected=f"{t.rows_rejected:,}", repaired=f"{t.rows_repaired:,}",
        total=f"{t.rows_in:,}")
    print(inert(done), file=sys.stderr)
    for warning in ingest_warnings(manifest):
        print(inert(warning), file=sys.stderr)
    return 0


OPTIONAL_FIELDS = ("action", "subject", "records", "reason")  # the Notice's items an export may lack (not time/address)


def ingest_warnings(manifest) -> list[str]:
    """What the records cannot show, said when they are ingested: fields an export has no column for, and task names
    the mapping does not know (read as 'other', never as downloads)."""
    out = []
    for f in manifest.inputs:
        lacking = [x for x in OPTIONAL_FIELDS if x not in f.columns]
        if lacking:
            out.append(_("{file}: warning: no column for {fields}: what needs them cannot be shown from this export "
                         "and is reported as insufficient evidence (downloads need action, records and reason; access "
                         "records hold subject and action); name the headers in a mapping file if the export has "
                         "them").format(file=f.name, fields=", ".join(lacking)))
        if f.unmapped_rows:
            shown = list(f.unmapped_actions.items())
            names = ", ".join(f"{k!r} {v:,}" for k, v in shown[:10]) + (", …" if len(shown) > 10 else "")
            out.append(_("{file}: warning: {rows} rows have task names the mapping does not know, read as 'other' and "
                         "never as downloads: {names}; name them in a mapping file (actions:, 'other' for tasks that "
                         "are not downloads)").format(file=f.name, rows=f"{f.unmapped_rows:,}", names=names))
    return out


def _analyze(args) -> int:
    from compliance.logs.analyze import run_cli

    return run_cli(args)


def _export(args) -> int:
    from compliance.logs.export import export_sql

    return export_sql(args)


def _import(args) -> int:
    from compliance.logs.export import import_results

    return import_results(args)


def _lint(args) -> int:
    from compliance.logs.lint import lint_cli

    return lint_cli(args)


def _schema(args) -> int:
    import json

    from compliance.logs.compare import Observation
    from compliance.logs.derived import DerivedFacts
    from compliance.logs.manifest import Manifest
    from compliance.logs.params import Params

    model = {"derived": DerivedFacts, "observation": Observation, "manifest": Manifest, "params": Params}[args.which]
    sys.stdout.write(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0


def _at_least(low: int):
    """An argparse type: a whole number no smaller than ``low`` (0 threads or -5 examples is a usage error)."""
    def whole(text: str) -> int:
        digits = text.strip().removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or int(text) < low:
            raise argparse.ArgumentTypeError(
                _("expected a whole number of at least {low}, got {value}").format(low=low, value=repr(text)))
        return int(text)

    whole.__name__ = f"number >= {low}"
    return whole


def _analyses_listed() -> str:
    """The analyses ``logs analyze`` runs, as the registry declares them (``analysis_index``: no analysis loads)."""
    from compliance.i18n import current
    from compliance.logs.analysis_index import listed

    korean = current() == "ko"
    rows = [f"  {id_:<22} {ko if korean else en}" for id_, ko, en in listed()]
    return "\n".join([_("analyses, in the order of the derived facts (one module each in compliance/logs/analyses/):"),
                      *rows])


def add_logs_parser(sub, parser_class=argparse.ArgumentParser) -> None:
    """Add ``logs`` and its subcommands to the main parser's subparsers (built once the language is chosen: every
    help text is looked up here, in that language)."""
    what = _("access records (접속기록): ingest exports, analyse them, export the SQL")
    logs = sub.add_parser("logs", help=what, description=what)
    lsub = logs.add_subparsers(dest="logs_command", required=True, parser_class=parser_class)
    quiet = _("no progress display")
    facts, params, derived = (
        _("the stated facts (systems, handlers, accounts, keys, reviews)"),
        _("YAML analysis parameters (networks, thresholds, geo)"),
        _("derived facts JSON (default: standard output)"))

    what = _("CSV (CP949/UTF-8), JSON lines, Parquet → Parquet by month + manifest + rejects")
    s = lsub.add_parser("ingest", help=what, description=what)
    s.add_argument("exports", nargs="+", help=_("export files (.csv, .jsonl, .parquet)"))
    s.add_argument("-o", "--output", required=True, help=_("new folder for the Parquet files (never overwritten)"))
    s.add_argument("--encoding", choices=["auto", "cp949", "utf-8", "utf-8-sig"], default="auto",
                   help=_("text encoding of CSV and JSON lines exports (default: auto, told from the bytes)"))
    s.add_argument("--format", choices=["csv", "jsonl", "parquet"], default=None, help=_("default: from the file name"))
    s.add_argument("--profile", default="auto", help=_("column names: auto, pipc (Korean), english"))
    s.add_argument("--mapping", default=None, help=_("YAML mapping file: columns, actions, timezone, system"))
    s.add_argument("--timezone", default=None, help=_("zone of times written without one (default KST, +09:00)"))
    s.add_argument("--local-zone", default="+09:00", help=_("zone of the local day, month and working hours"))
    s.add_argument("--system", default=None, help=_("system id for exports without a system column"))
    s.add_argument("--previous", default=None, metavar="FOLDER",
                   help=_("the folder of the ingest this one follows (beside the new folder, or below the folder "
                          "holding it): verified now and recorded, so 'logs analyze' can show the records kept then "
                          "were not altered or lost since"))
    s.add_argument("-q", "--quiet", action="store_true", help=quiet)
    s.set_defaults(func=_ingest)

    what = _("run the access-record analyses; write derived facts with evidence")
    s = lsub.add_parser("analyze", help=what, description=what, epilog=_analyses_listed())
    s.add_argument("folder", help=_("a folder written by 'logs ingest'"))
    s.add_argument("--facts", required=True, help=facts)
    s.add_argument("--params", default=None, help=params)
    s.add_argument("-o", "--output", default=None, help=derived)
    s.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help=_("SQL engine that runs the analyses (default: duckdb, built in)"))
    s.add_argument("--threads", type=_at_least(1), default=None,
                   help=_("DuckDB threads / Spark local cores (default: all)"))
    s.add_argument("--memory-limit", default="1GB", help=_("DuckDB memory cap, e.g. 1GB (spills to disk beyond it)"))
    s.add_argument("--spark-url", default=None,
                   help=_("Spark master (local[*], spark://host:7077) or Spark Connect URL (sc://host:15002/;token=…);"
                          " a cluster or server reads the folder's Parquet files at the same path"))
    examples = _("examples kept per analysis (default 20)")
    s.add_argument("--examples", type=_at_least(0), default=None, help=examples)
    s.add_argument("-q", "--quiet", action="store_true", help=quiet)
    s.set_defaults(func=_analyze)

    what = _("write the analysis SQL (and its input tables) for your own Spark or Trino")
    s = lsub.add_parser("export-sql", help=what, description=what)
    s.add_argument("--dialect", choices=["duckdb", "spark", "trino"], required=True,
                   help=_("SQL dialect of the exported queries"))
    s.add_argument("--facts", required=True, help=facts)
    s.add_argument("--params", default=None, help=params)
    s.add_argument("--folder", default=None, help=_("an ingested folder (for its date range and calendar)"))
    s.add_argument("-o", "--output", required=True, help=_("new folder for the SQL files, tables and hashes"))
    s.set_defaults(func=_export)

    what = _("turn results computed elsewhere into derived facts, verifying hashes")
    s = lsub.add_parser("import-results", help=what, description=what)
    s.add_argument("bundle", help=_("the folder written by export-sql, with results/<analysis>.csv or .jsonl added"))
    s.add_argument("-o", "--output", default=None, help=derived)
    s.add_argument("--examples", type=_at_least(0), default=None, help=examples)
    s.set_defaults(func=_import)

    what = _("print a JSON Schema: derived facts, observation, manifest or parameters")
    s = lsub.add_parser("schema", help=what, description=what)
    s.add_argument("which", choices=["derived", "observation", "manifest", "params"],
                   help=_("derived: derived facts · observation: what a check compares · manifest: an ingested folder's"
                          " manifest.json · params: analysis parameters"))
    s.set_defaults(func=_schema)

    what = _("check SQL files against the portable subset (default: the shipped analyses)")
    s = lsub.add_parser("lint", help=what, description=what)
    s.add_argument("files", nargs="*", help=_("SQL files to check (default: the shipped analyses)"))
    s.set_defaults(func=_lint)
