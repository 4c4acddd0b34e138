"""``pipa-audit diff``: what a CI job compares between the last audit and this one."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types

from compliance import diff

from .conftest import CLEAN, cli, write
from .test_formats import broken_control, clean_copy, failing_ids


def results(tmp_path, old_args=(), new_args=(), old_timeout=None, new_timeout=90):
    """Two JSON results of the clean example: by default the second breaks the idle-session control."""
    old_facts = clean_copy(tmp_path, old_timeout, "old")
    new_facts = clean_copy(tmp_path, new_timeout, "new")
    paths = []
    for name, facts, extra in (("old", old_facts, old_args), ("new", new_facts, new_args)):
        out = tmp_path / f"{name}.json"
        proc = cli("check", facts, *extra, "-o", out)
        assert proc.returncode in (0, 1), proc.stderr
        paths.append(out)
    return paths


def test_regression_exits_1_and_the_fix_exits_0(tmp_path):
    old, new = results(tmp_path)
    before = set(failing_ids(json.loads(old.read_text())))
    after = failing_ids(json.loads(new.read_text()))
    (broken,) = [i for i in after if i not in before]
    proc = cli("diff", old, new, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    d = json.loads(proc.stdout)
    assert [e["id"] for e in d["regressions"]] == [broken] == [e["id"] for e in d["newly_failing"]]
    assert d["newly_failing"][0]["old"] == "compliant" and d["newly_failing"][0]["new"] == "non-compliant"
    assert d["fixed"] == [] and {e["id"] for e in d["still_failing"]} == before
    assert [e["id"] for e in d["verdict_changes"]] == [broken]
    back = cli("diff", new, old, "--format", "json")
    assert back.returncode == 0
    d = json.loads(back.stdout)
    assert [e["id"] for e in d["fixed"]] == [broken] and d["regressions"] == []
    same = cli("diff", new, new)
    assert same.returncode == 0 and f"Still failing: {len(after)}" in same.stdout and "no regression" in same.stdout


def test_insufficient_evidence_turning_non_compliant_is_a_regression(tmp_path):
    target = broken_control(tmp_path)
    old_facts = clean_copy(tmp_path, None, "unknown")
    old_facts.write_text(old_facts.read_text(encoding="utf-8").replace("session_timeout_minutes: 15", "session_timeout_minutes: null"),
                         encoding="utf-8")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    cli("check", old_facts, "-o", old)
    cli("check", clean_copy(tmp_path, 90, "broken"), "-o", new)
    (was,) = [c["verdict"] for c in json.loads(old.read_text())["controls"] if c["id"] == target]
    assert was == "insufficient-evidence"
    proc = cli("diff", old, new, "--format", "json")
    d = json.loads(proc.stdout)
    assert proc.returncode == 1 and target in [e["id"] for e in d["regressions"]]
    assert target in [e["id"] for e in d["still_failing"]] and target not in [e["id"] for e in d["newly_failing"]]


def test_fail_on_applies_to_regressions(tmp_path):
    old, new = results(tmp_path)
    severity = json.loads(cli("diff", old, new, "--format", "json").stdout)["regressions"][0]["severity"]
    above = {"low": "none", "medium": "high", "high": "critical", "critical": "none"}[severity]
    assert cli("diff", old, new, "--fail-on", above).returncode == 0
    assert cli("diff", old, new, "--fail-on", severity).returncode == 1


def test_new_and_expired_waivers(tmp_path):
    target = broken_control(tmp_path)
    waiver = "waivers:\n  - {{control: {c}, owner: Lead, justification: 'Fix ships in the next release', approved_by: CPO, expires: {e}}}\n"
    active = write(tmp_path, "active.yaml", waiver.format(c=target, e="2026-06-30"))
    expired = write(tmp_path, "expired.yaml", waiver.format(c=target, e="2025-11-01"))
    none_ = results(tmp_path / "a", old_timeout=90)
    waived = results(tmp_path / "b", old_args=("--waivers", active), new_args=("--waivers", active), old_timeout=90)
    lapsed = results(tmp_path / "c", old_args=("--waivers", active), new_args=("--waivers", expired), old_timeout=90)
    d = json.loads(cli("diff", none_[0], waived[1], "--format", "json").stdout)
    assert [w["id"] for w in d["new_waivers"]] == [target] and d["new_waivers"][0]["expires"] == "2026-06-30"
    assert d["regressions"] == [] and d["expired_waivers"] == []
    proc = cli("diff", lapsed[0], lapsed[1], "--format", "json")
    d = json.loads(proc.stdout)
    assert [w["id"] for w in d["expired_waivers"]] == [target]
    assert proc.returncode == 1 and [e["id"] for e in d["regressions"]] == [target]  # waived -> non-compliant


def test_markdown_for_a_job_summary_and_several_outputs(tmp_path):
    old, new = results(tmp_path)
    proc = cli("diff", old, new, "-o", tmp_path / "d.md", "-o", tmp_path / "d.json", "-o", tmp_path / "d.txt")
    assert proc.returncode == 1, proc.stderr
    md = (tmp_path / "d.md").read_text()
    assert md.startswith("## ❌ pipa-audit: 1 regression(s)") and "### Regressions" in md
    assert json.loads((tmp_path / "d.json").read_text())["regressions"]
    assert "1 regression(s)" in (tmp_path / "d.txt").read_text()


def test_bad_results_are_input_errors_naming_both_files(tmp_path):
    good = results(tmp_path)[0]
    broken = write(tmp_path, "broken.json", '{"tool": "pipa-audit", "as_of": "2025-11-30",\n "catalogs": [], "controls": [{"id": 1}]}\n')
    notjson = write(tmp_path, "x.json", "{\n nope")
    proc = cli("diff", broken, notjson)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{broken}:2: controls[0]" in proc.stderr and f"{notjson}:2: invalid JSON" in proc.stderr
    assert cli("diff", good, write(tmp_path, "facts.json", '{"as_of": "2025-11-30"}')).returncode == 2


def test_results_of_an_older_pipa_audit_still_compare(tmp_path):
    old, new = results(tmp_path)
    data = json.loads(old.read_text())
    data["field_from_another_version"] = True
    for c in data["controls"]:
        c.pop("checks", None)
    old.write_text(json.dumps(data))
    assert cli("diff", old, new).returncode == 1


def test_law_changes_between_the_as_of_dates_are_those_catalog_diff_lists(tmp_path):
    facts = clean_copy(tmp_path)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert cli("check", facts, "--as-of", "2024-06-01", "-o", old, "--fail-on", "none").returncode == 0
    assert cli("check", facts, "-o", new, "--fail-on", "none").returncode == 0
    d = json.loads(cli("diff", old, new, "--format", "json").stdout)
    listed = cli("catalog", "diff", "--from", d["old"]["as_of"], "--to", d["new"]["as_of"]).stdout.splitlines()[1:]
    assert listed and [c["line"] for c in d["law_changes"]] == listed


def test_law_changes_hook(monkeypatch):
    day, later = dt.date(2023, 6, 1), dt.date(2025, 11, 30)
    monkeypatch.setitem(sys.modules, "compliance.versions", None)  # the module does not exist (yet)
    assert diff.law_changes(day, later, CLEAN) == []

    class Change:
        def __init__(self, **kw):
            self.__dict__.update(kw)

        def line(self):
            return f"{self.on} {self.control} {self.kind}"

    fake = types.ModuleType("compliance.versions")
    fake.diff = lambda catalogs, start, end: [Change(control="x/1", kind="reworded", on=dt.date(2023, 9, 15))]
    monkeypatch.setitem(sys.modules, "compliance.versions", fake)
    import compliance.catalog

    monkeypatch.setattr(compliance.catalog, "load_catalogs", lambda d: [])
    changes = diff.law_changes(day, later, CLEAN)
    assert changes == [{"control": "x/1", "kind": "reworded", "on": "2023-09-15", "line": "2023-09-15 x/1 reworded"}]
    assert diff.law_changes(later, later, CLEAN) == []
    report = {**diff.compare(diff.Result(tool="pipa-audit", as_of=day, catalogs=[], controls=[]),
                             diff.Result(tool="pipa-audit", as_of=later, catalogs=[], controls=[]), catalog_dir=CLEAN)}
    assert report["law_changes"] == changes and "2023-09-15 x/1 reworded" in diff.as_text(report)


def test_markdown_rows_hold_whatever_the_results_name(tmp_path):
    """A control id with a pipe, a backtick and a line break (a result edited by hand, or a catalog's own id) split
    the GitHub table; each row keeps its four cells."""
    old, new = results(tmp_path)
    data = json.loads(new.read_text())
    (broken,) = [c for c in data["controls"] if c["id"] in failing_ids(data) and c["id"] not in failing_ids(json.loads(old.read_text()))]
    hostile = broken["id"] + "|x`y\nz\x1b"
    broken["id"] = hostile
    new.write_text(json.dumps(data))
    proc = cli("diff", old, new, "--format", "md")
    assert proc.returncode == 1, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "|---" not in line]
    table = [r for r in rows if "x'y" in r]
    assert len(table) == 3 and "\x1b" not in proc.stdout  # regressions, newly failing, verdict changes
    for row in table:
        cells = [c for c in row.replace("\\|", "\0").split("|")[1:-1]]
        assert len(cells) == 4, row
        assert cells[0].strip().startswith("`") and "x'y z\\x1b`" in cells[0]
