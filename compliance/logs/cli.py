"""``pipa-audit logs``: ingest · analyze · export-sql · import-results · schema · lint.

Only the parser lives at import time; every handler imports its engine (pyarrow, DuckDB, pyspark) when it
runs, so ``pipa-audit --help`` and every other command stay fast and never load them.
"""

from __future__ import annotations

import argparse
import sys


def _ingest(args) -> int:
    from compliance.logs import mapping
    from compliance.logs.ingest import ingest
    from compliance.loading import inert
    from compliance.logs.progress import Progress

    m = mapping.build(args.profile, args.mapping, args.timezone, args.system)
    manifest = ingest(args.exports, args.output, m, args.encoding, args.format, args.local_zone,
                      Progress(False if args.quiet else None))
    t = manifest.totals
    print(inert(f"{args.output}: {t.rows_out:,} rows in {len(manifest.outputs)} month(s) "
                f"{manifest.first_day} – {manifest.last_day}; {t.rows_rejected:,} rejected, {t.rows_repaired:,} repaired"
                f" of {t.rows_in:,} (see {args.output}/rejects.csv)"), file=sys.stderr)
    return 0


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
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {low}, got {text!r}")
        return int(text)

    whole.__name__ = f"number >= {low}"
    return whole


def add_logs_parser(sub, parser_class=argparse.ArgumentParser) -> None:
    """Add ``logs`` and its subcommands to the main parser's subparsers."""
    logs = sub.add_parser("logs", help="access records (접속기록): ingest exports, analyse them, export the SQL")
    lsub = logs.add_subparsers(dest="logs_command", required=True, parser_class=parser_class)

    s = lsub.add_parser("ingest", help="CSV (CP949/UTF-8), JSON lines, Parquet → Parquet by month + manifest + rejects")
    s.add_argument("exports", nargs="+", help="export files (.csv, .jsonl, .parquet)")
    s.add_argument("-o", "--output", required=True, help="new folder for the Parquet files (never overwritten)")
    s.add_argument("--encoding", choices=["auto", "cp949", "utf-8", "utf-8-sig"], default="auto")
    s.add_argument("--format", choices=["csv", "jsonl", "parquet"], default=None, help="default: from the file name")
    s.add_argument("--profile", default="auto", help="column names: auto, pipc (Korean), english")
    s.add_argument("--mapping", default=None, help="YAML mapping file: columns, actions, timezone, system")
    s.add_argument("--timezone", default=None, help="zone of times written without one (default KST, +09:00)")
    s.add_argument("--local-zone", default="+09:00", help="zone of the local day, month and working hours")
    s.add_argument("--system", default=None, help="system id for exports without a system column")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    s.set_defaults(func=_ingest)

    s = lsub.add_parser("analyze", help="run the access-record analyses; write derived facts with evidence")
    s.add_argument("folder", help="a folder written by 'logs ingest'")
    s.add_argument("--facts", required=True, help="the stated facts (systems, handlers, accounts, keys, reviews)")
    s.add_argument("--params", default=None, help="YAML analysis parameters (networks, thresholds, calendar, geo)")
    s.add_argument("-o", "--output", default=None, help="derived facts JSON (default: standard output)")
    s.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    s.add_argument("--threads", type=_at_least(1), default=None, help="DuckDB threads / Spark local cores (default: all)")
    s.add_argument("--memory-limit", default="1GB", help="DuckDB memory cap, e.g. 1GB (spills to disk beyond it)")
    s.add_argument("--spark-url", default=None,
                   help="Spark master (local[*], spark://host:7077) or Spark Connect URL (sc://host:15002/;token=…);"
                        " a cluster or server reads the folder's Parquet files at the same path")
    s.add_argument("--examples", type=_at_least(0), default=None, help="examples kept per analysis (default 20)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    s.set_defaults(func=_analyze)

    s = lsub.add_parser("export-sql", help="write the analysis SQL (and its input tables) for your own Spark or Trino")
    s.add_argument("--dialect", choices=["duckdb", "spark", "trino"], required=True)
    s.add_argument("--facts", required=True)
    s.add_argument("--params", default=None)
    s.add_argument("--folder", default=None, help="an ingested folder (for its date range and calendar)")
    s.add_argument("-o", "--output", required=True, help="new folder for the SQL files, tables and hashes")
    s.set_defaults(func=_export)

    s = lsub.add_parser("import-results", help="turn results computed elsewhere into derived facts, verifying hashes")
    s.add_argument("bundle", help="the folder written by export-sql, with results/<analysis>.csv or .jsonl added")
    s.add_argument("-o", "--output", default=None)
    s.add_argument("--examples", type=_at_least(0), default=None)
    s.set_defaults(func=_import)

    s = lsub.add_parser("schema", help="print a JSON Schema: derived facts, observation, manifest or parameters")
    s.add_argument("which", choices=["derived", "observation", "manifest", "params"])
    s.set_defaults(func=_schema)

    s = lsub.add_parser("lint", help="check SQL files against the portable subset (default: the shipped analyses)")
    s.add_argument("files", nargs="*")
    s.set_defaults(func=_lint)
