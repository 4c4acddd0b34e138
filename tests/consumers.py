"""The consumers' own validators, loaded once: the official SARIF 2.1.0 and NIST OSCAL JSON schemas and
the Jenkins JUnit XSD (provenance in tests/data/README.md). jsonschema-rs is used because the OSCAL
schema's patterns need ECMA-262 Unicode classes (``\\p{L}``) that Python's ``re`` lacks; formats
(uri, date-time) are validated too."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
import xmlschema

DATA = Path(__file__).parent / "data"


def sha256(name: str) -> str:
    return hashlib.sha256((DATA / name).read_bytes()).hexdigest()


@lru_cache(maxsize=None)
def sarif():
    return jsonschema_rs.validator_for(json.loads((DATA / "sarif-schema-2.1.0.json").read_text()), validate_formats=True)


@lru_cache(maxsize=None)
def oscal_model(model: str):
    """The complete OSCAL schema narrowed to one model's root, e.g. ``catalog``, ``profile``, ``assessment-plan``
    (clearer errors than the oneOf)."""
    schema = json.loads((DATA / "oscal_complete_schema.json").read_text())
    (root,) = [b for b in schema.pop("oneOf") if b["required"] == [model]]
    return jsonschema_rs.validator_for({**schema, **root}, validate_formats=True)


def oscal_assessment_results():
    return oscal_model("assessment-results")


@lru_cache(maxsize=None)
def oscal_catalog():
    """The OSCAL catalog model's own JSON Schema (release asset ``oscal_catalog_schema.json``)."""
    return jsonschema_rs.validator_for(json.loads((DATA / "oscal_catalog_schema.json").read_text()), validate_formats=True)


@lru_cache(maxsize=None)
def junit():
    return xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))


def errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}" for e in validator.iter_errors(doc)]


def json_schema(schema: dict):
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def run_bundle_on_duckdb(bundle, lake, meta) -> None:
    """What a user does with ``logs export-sql``: run the exported SQL with their own DuckDB over the exported input
    tables and their lake, and save each result as CSV in ``bundle/results`` (for ``logs import-results``)."""
    import duckdb

    con = duckdb.connect()
    con.read_parquet([str(p) for p in sorted(lake.glob("*/records.parquet"))]).create_view("records")
    types = {"BIGINT": "BIGINT", "STRING": "VARCHAR", "BOOLEAN": "BOOLEAN"}
    for t in meta["tables"]:
        cols = {c["name"]: types[c["type"]] for c in t["columns"]}
        con.execute(f"CREATE TABLE {t['name']} AS SELECT * FROM read_csv(?, header=true, columns={cols})",
                    [str(bundle / "tables" / f"{t['name']}.csv")])
    (bundle / "results").mkdir()
    for q in meta["queries"]:
        con.execute(f"COPY ({(bundle / 'sql' / q['file']).read_text()}) TO "
                    f"'{bundle / 'results' / (q['file'][:-4] + '.csv')}' (HEADER)")
