"""The `logs` commands as users run them: heavy engines stay out of every other command; bad input is one line."""

import subprocess
import sys

from .conftest import CLEAN, cli, write

ENGINES = ("duckdb", "pyarrow", "pyspark", "sqlglot")


def _modules_after(argv):
    code = (
        "import sys; from compliance.cli import main\n"
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code\n"
        f"print('MODULES:' + ','.join(m for m in {ENGINES!r} if m in sys.modules)); sys.exit(0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return next(line for line in proc.stdout.splitlines() if line.startswith("MODULES:"))[len("MODULES:"):]


def test_no_other_command_imports_the_log_engines():
    assert _modules_after(["check", str(CLEAN / "facts.yaml"), "--fail-on", "none"]) == ""
    assert _modules_after(["--help"]) == ""
    assert _modules_after(["logs", "--help"]) == ""
    assert _modules_after(["logs", "lint"]) == "sqlglot"  # the lint needs only the tokenizer


def test_the_analyses_the_help_lists_are_the_analyses_declared(monkeypatch):
    """`logs` help reads the analyses' SPEC with a few patterns (importing the analyses package to ask its index() was
    26 ms of every logs command's help): the same analyses, order and titles as the index, every shipped declaration
    read by the patterns (a fallback to the index would fail here)."""
    from compliance.logs import analysis_index
    from compliance.logs.analyses import index

    monkeypatch.setattr(analysis_index, "_indexed", None)
    assert analysis_index.listed() == [(a.id, a.title_ko, a.title_en) for a in index().values()]


def test_logs_help_lists_the_subcommands():
    out = cli("logs", "--help").stdout
    for name in ("ingest", "analyze", "export-sql", "import-results", "lint"):
        assert name in out


def test_bad_input_is_one_line_with_exit_2(tmp_path):
    proc = cli("logs", "ingest", tmp_path / "nope.csv", "-o", tmp_path / "out")
    assert proc.returncode == 2 and proc.stderr.strip() == f"{tmp_path / 'nope.csv'}: file not found"
    proc = cli("logs", "analyze", tmp_path, "--facts", CLEAN / "facts.yaml")
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr and "Traceback" not in proc.stderr
    empty = write(tmp_path, "e.csv", "")
    proc = cli("logs", "ingest", empty, "-o", tmp_path / "out")
    assert proc.returncode == 2 and f"{empty}: is empty" in proc.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))
    proc = cli("logs", "ingest", empty, "-o", tmp_path / "out", "--timezone", "Mars/Base")
    assert proc.returncode == 2 and "invalid time zone" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert cli("logs", "analyze", tmp_path, "--facts", CLEAN / "facts.yaml", "--engine", "oracle").returncode == 2


def test_schemas_document_the_derived_facts_and_observations():
    import json

    derived = json.loads(cli("logs", "schema", "derived").stdout)
    assert {"engine", "inputs", "dataset", "analyses", "facts_sha256"} <= set(derived["required"])
    analyses = derived["$defs"]["Analyses"]["properties"]
    from compliance.logs.analyses import registry
    assert set(analyses) == set(registry()) and {"retention", "record_items", "after_departure"} <= set(analyses)
    observation = json.loads(cli("logs", "schema", "observation").stdout)
    assert observation["properties"]["status"]["enum"] == ["violation", "insufficient", "anomaly", "clear"]
