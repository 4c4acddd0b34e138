"""The access-record analyses are a registry (issue 21): one module per analysis in compliance/logs/analyses/, each
declared once; every list (the derived facts, ``logs analyze`` and its help, export-sql, import-results, the
comparison, the SQL lint) comes from the registry, and the catalogs, not the code, bind each analysis to the
controls it informs (``analyses:`` in controls/pipc-notice.yaml), which ``catalog lint`` holds to the registry."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from compliance.logs import analyses

from .conftest import CATALOGS, cli, write
from .consumers import run_bundle_on_duckdb

NOTICE = CATALOGS / "pipc-notice.yaml"

# what the seven analyses informed and cited when the bindings were written in Python (logs/analyses.py, _prov),
# and the eighth added since
BEFORE = {
    "retention": (["notice/8.1"], 8, 1, None, "안전성 확보조치 기준 제8조제1항", "Notice Art 8(1)"),
    # added with the registry: the items each record carries (one module and one catalog line, nothing else)
    "record_items": (["notice/8.1"], 8, 1, None, "안전성 확보조치 기준 제8조제1항", "Notice Art 8(1)"),
    "reviews": (["notice/8.2"], 8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)"),
    "downloads": (["notice/8.2"], 8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)"),
    "after_departure": (["notice/5.2"], 5, 2, None, "안전성 확보조치 기준 제5조제2항", "Notice Art 5(2)"),
    # added since: failed authentications in a row beyond the limit
    "failed_logins": (["notice/5.6"], 5, 6, None, "안전성 확보조치 기준 제5조제6항", "Notice Art 5(6)"),
    "outside_networks": (["notice/6.1"], 6, 1, 2, "안전성 확보조치 기준 제6조제1항제2호", "Notice Art 6(1) item 2"),
    "off_hours_bursts": (["notice/8.2"], 8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)"),
    "concurrent_addresses": (["notice/5.4"], 5, 4, None, "안전성 확보조치 기준 제5조제4항", "Notice Art 5(4)"),
    # added since: the records kept unaltered and complete across ingests (the chain of manifests, no SQL)
    "record_integrity": (["notice/8.3"], 8, 3, None, "안전성 확보조치 기준 제8조제3항", "Notice Art 8(3)"),
}


def test_todays_analyses_are_bound_to_the_controls_and_provisions_they_were():
    assert list(analyses.registry()) == list(BEFORE)  # the derived facts keep their order
    got = {aid: (p.controls, p.article, p.paragraph, p.item, p.cite.ko, p.cite.en)
           for aid, p in analyses.provisions().items()}
    assert got == BEFORE
    assert {p.instrument for p in analyses.provisions().values()} == {"개인정보의 안전성 확보조치 기준"}


def test_the_source_index_is_the_registry():
    """``--help`` and the catalogs' lint read the declarations from the source (no model imported): the same
    analyses, order and titles as the modules themselves declare."""
    index, registry = analyses.index(), analyses.registry()
    assert list(index) == list(registry)
    for aid, spec in registry.items():
        declared = index[aid]
        assert (declared.order, declared.title_ko, declared.title_en) == (spec.order, spec.title.ko, spec.title.en)


def test_no_module_outside_the_registry_lists_the_analyses():
    """The ids are written once, in their modules (and the catalog binding them): no other module of the package
    keeps a list of them (a module naming three or more is one; a single id may be a field's name, like reviews)."""
    root = Path(analyses.__file__).resolve().parent.parent.parent
    ids = list(analyses.registry())
    offenders = []
    for path in root.rglob("*.py"):
        if path.parent.name == "analyses":
            continue
        text = path.read_text(encoding="utf-8")
        named = [i for i in ids if re.search(rf"""["']{i}["']|\.{i}\b""", text)]
        if len(named) >= 3:
            offenders.append((str(path.relative_to(root)), named))
    assert offenders == []


# ------------------------------------------------------------------------------------ catalog lint of the binding


def _binding_line(text: str, aid: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"{aid}: {{controls:"))


def _catalogs_with(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    folder = tmp_path / "controls"
    shutil.copytree(CATALOGS, folder)
    text = NOTICE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    (folder / NOTICE.name).write_text(text.replace(old, new), encoding="utf-8")
    return folder, text


def _one_line_error(folder: Path) -> str:
    proc = cli("catalog", "lint", "--catalog", folder)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr[-2000:])
    return lines[0]


def test_lint_refuses_a_binding_of_an_analysis_that_does_not_exist(tmp_path):
    folder, text = _catalogs_with(tmp_path, "    reviews: {controls: [notice/8.2]}\n",
                                  "    reviews: {controls: [notice/8.2]}\n    review: {controls: [notice/8.2]}\n")
    line = _one_line_error(folder)
    assert line.startswith(f"{folder / NOTICE.name}:{_binding_line(text, 'reviews') + 1}: ")
    assert "no access-record analysis 'review'" in line


def test_lint_refuses_a_binding_to_a_control_that_does_not_exist(tmp_path):
    folder, text = _catalogs_with(tmp_path, "retention: {controls: [notice/8.1]}",
                                  "retention: {controls: [notice/8.9]}")
    line = _one_line_error(folder)
    assert line.startswith(f"{folder / NOTICE.name}:{_binding_line(text, 'retention')}: ")
    assert "no control 'notice/8.9'" in line


def test_lint_refuses_an_analysis_bound_to_no_control(tmp_path):
    folder, text = _catalogs_with(tmp_path, "    off_hours_bursts: {controls: [notice/8.2]}\n", "")
    line = _one_line_error(folder)
    informs = next(n for n, s in enumerate(text.splitlines(), 1) if s == "  informs:")
    assert line.startswith(f"{folder / NOTICE.name}:{informs}: ")
    assert "analysis 'off_hours_bursts' is bound to no control" in line


def test_the_shipped_catalogs_pass_the_lint():
    proc = cli("catalog", "lint")
    assert proc.returncode == 0, proc.stderr[-2000:]


# -------------------------------------------------------------------- a new analysis is one module, listed everywhere

FAKE = '''
"""Logins per account: a test's analysis, declared as the shipped ones are."""

from __future__ import annotations

from pathlib import Path

from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class LoginItem(d.Item):
    account: str
    logins: int


class LoginAnalysis(d.Analysis):
    items: list[LoginItem] = []


def build(c, results, as_of):
    items = sorted((LoginItem(**r) for r in results["fake_logins.sql"]), key=lambda i: (-i.logins, i.account))
    return items, {"accounts": len(items), "logins": sum(i.logins for i in items)}, {}


def observe(ctx, a):
    return [ctx.seen(i.account, "anomaly", f"{i.account}: 접속 {i.logins}회", f"{i.account}: {i.logins} logins")
            for i in a.items]


SPEC = Spec(
    id="fake_logins",
    order=80,
    title=d.Text(ko="계정별 접속 횟수(시험)", en="Logins per account (a test's)"),
    files={"fake_logins.sql": ("account", "logins")},
    model=LoginAnalysis, build=build, observe=observe,
    text=("account",),
    sql_dir=Path(__file__).parent,
)
'''
FAKE_SQL = "SELECT account, COUNT(*) AS logins\nFROM records\nGROUP BY account\n"
EXPORT = ("account,timestamp,ip,system,action\n"
          "u1,2025-03-03 10:00:00,10.0.0.1,sys,view\nu1,2025-03-04 10:00:00,10.0.0.1,sys,view\n"
          "u2,2025-03-04 11:00:00,10.0.0.2,sys,view\n")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """``fake_logins.py`` (and its SQL) in a folder added to the package's path, and a copy of the catalogs binding it
    to notice/8.2: nothing of the repository is touched."""
    pkg = tmp_path / "more-analyses"
    pkg.mkdir()
    (pkg / "fake_logins.py").write_text(FAKE, encoding="utf-8")
    (pkg / "fake_logins.sql").write_text(FAKE_SQL, encoding="utf-8")
    folder, _ = _catalogs_with(tmp_path, "    concurrent_addresses: {controls: [notice/5.4]}\n",
                               "    concurrent_addresses: {controls: [notice/5.4]}\n"
                               "    fake_logins: {controls: [notice/8.2]}\n")
    monkeypatch.setattr(analyses, "__path__", [*analyses.__path__, str(pkg)])
    monkeypatch.setattr(analyses, "CATALOG_DIR", folder)
    analyses.reset()
    yield folder
    monkeypatch.undo()
    sys.modules.pop("compliance.logs.analyses.fake_logins", None)
    analyses.reset()


def _main(capsys, *argv) -> tuple[int, str, str]:
    from compliance.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # --help
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_new_analysis_module_is_listed_everywhere(tmp_path, fake, capsys):
    from compliance.facts import Facts
    from compliance.loading import validate_file
    from compliance.logs.compare import compare, load_derived

    assert list(analyses.registry())[-1] == "fake_logins"

    # the help of logs analyze
    code, out, _ = _main(capsys, "logs", "analyze", "--help")
    assert code == 0 and re.search(r"fake_logins +Logins per account \(a test's\)", out)

    # the derived facts: the schema, the run, the summary
    code, out, _ = _main(capsys, "logs", "schema", "derived")
    assert "fake_logins" in json.loads(out)["$defs"]["Analyses"]["properties"]
    export = write(tmp_path, "export.csv", EXPORT)
    facts = write(tmp_path, "facts.yaml", "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    assert _main(capsys, "logs", "ingest", export, "-o", tmp_path / "rec", "-q")[0] == 0
    code, _, err = _main(capsys, "logs", "analyze", tmp_path / "rec", "--facts", facts, "-o", tmp_path / "d.json", "-q")
    assert code == 0, err
    assert re.search(r"Notice Art 8\(2\) +fake_logins +items 2, accounts 2, logins 3", err), err
    derived = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    section = derived["analyses"]["fake_logins"]
    assert list(derived["analyses"])[-1] == "fake_logins"
    assert section["provision"]["controls"] == ["notice/8.2"]
    assert section["provision"]["cite"]["en"] == "Notice Art 8(2)"
    assert [(i["account"], i["logins"]) for i in section["items"]] == [("u1", 2), ("u2", 1)]
    assert section["queries"][0]["file"] == "sql/fake_logins.sql"

    # compared with the facts: filed under the control the catalog binds it to, sufficient records or not
    facts_model, _ = validate_file(facts, Facts)
    loaded = load_derived(tmp_path / "d.json")
    seen = [(o.control, o.subject, o.status) for o in compare(facts_model, loaded) if o.analysis == "fake_logins"]
    assert seen == [("notice/8.2", "u1", "anomaly"), ("notice/8.2", "u2", "anomaly")]
    loaded.dataset.sufficient = False
    seen = [(o.control, o.subject, o.status) for o in compare(facts_model, loaded) if o.analysis == "fake_logins"]
    assert seen == [("notice/8.2", "dataset", "insufficient")]
    code, out, err = _main(capsys, "check", facts, "--catalog", fake, "--derived", tmp_path / "d.json",
                           "--format", "json")
    assert code in (0, 1), err
    assert {o["analysis"] for o in json.loads(out)["access_records"]["observations"]} >= {"fake_logins"}

    # export-sql and import-results: its query travels, its rows come back as the same facts
    bundle = tmp_path / "bundle"
    code, _, err = _main(capsys, "logs", "export-sql", "--dialect", "duckdb", "--facts", facts, "--folder",
                         tmp_path / "rec", "-o", bundle)
    assert code == 0, err
    meta = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    assert {"file": "fake_logins.sql", "analysis": "fake_logins"}.items() <= meta["queries"][-1].items()
    assert (bundle / "sql" / "fake_logins.sql").read_text(encoding="utf-8") == FAKE_SQL
    run_bundle_on_duckdb(bundle, tmp_path / "rec", meta)
    code, _, err = _main(capsys, "logs", "import-results", bundle, "-o", tmp_path / "imported.json")
    assert code == 0, err
    imported = json.loads((tmp_path / "imported.json").read_text(encoding="utf-8"))["analyses"]["fake_logins"]
    assert imported["items"] == section["items"] and imported["provision"] == section["provision"]

    # the SQL lint checks its query by default
    code, out, _ = _main(capsys, "logs", "lint")
    assert code == 0 and out.startswith(f"{len(analyses.sql_files())} SQL file(s)")
    assert "fake_logins.sql" in {p.name for p in analyses.sql_files()}

    # the catalogs binding it pass the lint; the shipped ones, which do not bind it, fail it naming it
    assert _main(capsys, "catalog", "lint", "--catalog", fake)[0] == 0
    code, _, err = _main(capsys, "catalog", "lint", "--catalog", CATALOGS)
    assert code == 2 and "analysis 'fake_logins' is bound to no control" in err
