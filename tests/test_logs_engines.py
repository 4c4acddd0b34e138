"""Portability is proven by running: every SQL file gives identical rows on DuckDB and on Spark local; the lint
stops the known traps; results computed elsewhere become facts only with their query hashes intact."""

import json
import shutil

import pytest

from compliance.logs import analyses, engines, synthetic
from compliance.logs.analyze import load_inputs, run_queries
from compliance.logs.lint import lint_files, lint_text
from compliance.logs.tables import build

from .conftest import cli
from .consumers import run_bundle_on_duckdb

EDGE_ROWS = (
    # what the SQL must treat alike on every engine: no record count, IPv6, two rows in the same second, a reason
    # that records none ('-', matched through the no_reason table) and one in another case ('N/a')
    "acc-0188,2025-09-09 15:00:00,10.20.0.198,sys-commerce,다운로드,c,,\n"
    "acc-0188,2025-09-10 15:00:00,10.20.0.198,sys-commerce,다운로드,c,7000,-\n"
    "acc-0188,2025-09-11 15:00:00,10.20.0.198,sys-commerce,다운로드,c,7000,N/a\n"
    "acc-0188,2025-09-09 15:00:00,2001:db8::7,sys-commerce,다운로드,c,5000,\n"
    "acc-0555,2025-09-10 03:00:00,2001:db8:1::9,sys-auth,조회,c,1,\n"
    "acc-0555,2025-09-10 03:00:10,10.20.9.9,sys-auth,조회,c,1,\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = synthetic.write_world(tmp_path_factory.mktemp("world"), 2000)
    with open(root / "export.csv", "a", encoding="utf-8") as fh:
        fh.write(EDGE_ROWS)
    assert cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q").returncode == 0
    assert json.loads((root / "rec" / "manifest.json").read_text())["totals"]["rows_rejected"] == 0
    return root


@pytest.fixture(scope="module")
def spark():
    engine = engines.SparkEngine("local[2]")
    yield engine
    engine.close()


def _load(engine, root):
    manifest, facts, params = load_inputs(root / "rec", root / "facts.yaml", root / "params.yaml")
    built = build(facts, params, manifest.first_day, manifest.last_day)
    engine.load([root / "rec" / o.path for o in manifest.outputs], built.tables)


def test_every_sql_file_gives_identical_rows_on_duckdb_and_spark(world, spark):
    duck = engines.DuckDBEngine(threads=2, memory_limit="512MB")
    _load(duck, world)
    _load(spark, world)
    names = [p.name for p in analyses.sql_files()]
    assert set(names) == {f for spec in analyses.registry().values() for f in spec.files} and len(names) >= 9
    on_duck, on_spark = run_queries(duck), run_queries(spark)
    for name in names:
        assert on_duck[name], f"{name} returned no rows: the comparison would prove nothing"
        assert on_duck[name] == on_spark[name], name
    for name in names:  # same column names and Python types, not only equal values
        for a, b in zip(on_duck[name], on_spark[name]):
            assert [(k, type(v)) for k, v in a.items()] == [(k, type(v)) for k, v in b.items()], name


def test_shipped_sql_passes_the_lint():
    assert lint_files(analyses.sql_files()) == []
    proc = cli("logs", "lint")
    n = len(analyses.sql_files())
    assert proc.returncode == 0 and f"{n} SQL file(s): 0 problem(s)" in proc.stdout


@pytest.mark.parametrize("sql, fragment", [
    ("SELECT dayofweek(day) FROM records", "weekday numbering"),
    ("SELECT extract(dow FROM day) FROM records", "date and time functions"),
    ("SELECT day + INTERVAL (n) DAY FROM records", "INTERVAL with a computed amount"),
    ("SELECT date_diff('day', a, b) FROM records", "argument order"),
    ("SELECT a FROM records ORDER BY a", "NULLS FIRST or NULLS LAST"),
    ("SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) FROM records", "NULLS FIRST or NULLS LAST"),
    ("SELECT min_by(line, epoch_s) FROM records", "which row wins a tie"),
    ("SELECT count(*) / 2 FROM records", "'/' divides integers"),
    ("SELECT a::BIGINT FROM records", "'::' casts"),
    ("SELECT * FROM records QUALIFY k = 1", "QUALIFY"),
    ("SELECT current_date", "params.as_of"),
])
def test_lint_rejects_constructs_that_change_meaning_between_engines(sql, fragment):
    findings = lint_text(sql, "q.sql")
    assert findings and any(fragment in f.message for f in findings), findings
    assert not lint_text("SELECT 'dayofweek(x) / 2' AS s -- ORDER BY x\nFROM records", "ok.sql")


def test_export_then_import_verifies_every_hash(world, tmp_path):
    root = world
    bundle = tmp_path / "bundle"
    proc = cli("logs", "export-sql", "--dialect", "spark", "--facts", root / "facts.yaml", "--params",
               root / "params.yaml", "--folder", root / "rec", "-o", bundle)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((bundle / "bundle.json").read_text())
    assert {q["file"] for q in meta["queries"]} == {p.name for p in analyses.sql_files()}
    # "their own lake": run the exported text with DuckDB over the exported tables, save the results as CSV
    run_bundle_on_duckdb(bundle, root / "rec", meta)
    out = tmp_path / "imported.json"
    proc = cli("logs", "import-results", bundle, "-o", out)
    assert proc.returncode == 0, proc.stderr
    direct = tmp_path / "direct.json"
    assert cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", direct).returncode == 0
    imported, analysed = json.loads(out.read_text()), json.loads(direct.read_text())
    # what an analysis reads from the ingested folder itself (the chain of ingests) cannot come from another engine's
    # results: it is not run there, which says why and is never a clean result; every SQL analysis is the same
    folder_read = {a.id for a in analyses.registry().values() if a.reads is not None}
    assert folder_read == {"record_integrity"}
    for aid in folder_read:
        assert imported["analyses"].pop(aid)["status"] == "not-run" and analysed["analyses"].pop(aid)["status"] == "ran"
    assert imported["analyses"] == analysed["analyses"]
    assert imported["engine"]["name"] == "imported" and imported["dataset"] == analysed["dataset"]
    # a changed query, or a changed input table, never becomes facts
    changed = tmp_path / "changed"
    shutil.copytree(bundle, changed)
    q = changed / "sql" / "reviews.sql"
    q.write_text(q.read_text().replace("rev.reviews = 0", "rev.reviews < 0"))
    proc = cli("logs", "import-results", changed)
    assert proc.returncode == 2 and f"{q}: SHA-256 differs from the bundle" in proc.stderr
    # ... even when bundle.json is edited to match: only the queries this version ships are accepted
    edited = json.loads((changed / "bundle.json").read_text())
    for entry in edited["queries"]:
        if entry["file"] == "reviews.sql":
            entry["sha256"] = entry["exported_sha256"] = analyses.sha256_text(q.read_text())
    (changed / "bundle.json").write_text(json.dumps(edited))
    proc = cli("logs", "import-results", changed)
    assert proc.returncode == 2 and f"{q}: is not the query this version of pipa-audit ships" in proc.stderr
    shutil.rmtree(changed)
    shutil.copytree(bundle, changed)
    (changed / "tables" / "principals.csv").write_text("principal,kind,system,holder,cutoff,cutoff_reason\n")
    proc = cli("logs", "import-results", changed)
    assert proc.returncode == 2 and "principals.csv: SHA-256 differs" in proc.stderr


def test_trino_export_is_transpiled_from_the_portable_text(world, tmp_path):
    out = tmp_path / "t"
    assert cli("logs", "export-sql", "--dialect", "trino", "--facts", world / "facts.yaml", "-o", out).returncode == 0
    text = (out / "sql" / "after_departure.sql").read_text()
    assert "ROW_NUMBER() OVER" in text and "FROM records" in text
    meta = json.loads((out / "bundle.json").read_text())
    shipped = {p.name: analyses.sha256_text(p.read_text()) for p in analyses.sql_files()}
    assert all(q["sha256"] == shipped[q["file"]] for q in meta["queries"])
    assert any(q["exported_sha256"] != q["sha256"] for q in meta["queries"])
    assert cli("logs", "export-sql", "--dialect", "trino", "--facts", world / "facts.yaml", "-o", out).returncode == 2


def test_spark_is_an_optional_extra_with_a_clear_message(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    from compliance.loading import InputError

    with pytest.raises(InputError, match=r"pip install 'pipa-audit\[spark\]'"):
        engines.SparkEngine()

