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
    assert f"{broken}:2:32: controls[0]" in proc.stderr and f"{notjson}:2:2: invalid JSON" in proc.stderr  # line:column
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
    # regressions, newly failing, new in NEW (the renamed id is not in OLD), verdict changes
    assert len(table) == 4 and "\x1b" not in proc.stdout
    for row in table:
        cells = [c for c in row.replace("\\|", "\0").split("|")[1:-1]]
        assert len(cells) == 4, row
        assert cells[0].strip().startswith("`") and "x'y z\\x1b`" in cells[0]


# ------------------------------------------------------------------------------------ refused pairs and vanished controls


def lines_of(path, fragment: str) -> list[int]:
    """1-based lines of ``path`` holding ``fragment``."""
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line]


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def test_a_control_listed_twice_is_refused_at_its_second_copy(tmp_path):
    """A second copy of a control, compliant, used to win over the failing one: the regression vanished, exit 0."""
    old, new = results(tmp_path)
    (broken,) = [i for i in failing_ids(json.loads(new.read_text())) if i not in failing_ids(json.loads(old.read_text()))]
    for path in (new, old):
        data = json.loads(path.read_text())
        (copy,) = [c for c in data["controls"] if c["id"] == broken]
        data["controls"].append({**copy, "verdict": "compliant"})
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
        first, second = lines_of(path, f'"id": "{broken}"')
        proc = cli("diff", old, new)
        assert_one_line_error(proc, f"{path}:{second}: controls[{len(data['controls']) - 1}].id: duplicate control id '{broken}'",
                              f"first at line {first}")
        data["controls"].pop()
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    assert cli("diff", old, new).returncode == 1  # the copies removed, the regression shows again


def test_a_result_without_controls_is_refused(tmp_path):
    """NEW with no controls used to list every failing control of OLD as fixed and exit 0."""
    old, new = results(tmp_path, old_timeout=90)
    for path in (new, old):
        data = json.loads(path.read_text())
        kept = data["controls"]
        data["controls"] = []
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
        (at,) = lines_of(path, '"controls": []')
        assert_one_line_error(cli("diff", old, new, "--format", "json"), f"{path}:{at}: controls: no controls")
        data["controls"] = kept
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2))


def test_old_judged_after_new_is_refused(tmp_path):
    """The later result given first listed as fixed the controls that came into force after it."""
    facts = clean_copy(tmp_path)
    earlier, later = tmp_path / "earlier.json", tmp_path / "later.json"
    assert cli("check", facts, "--as-of", "2024-06-01", "-o", earlier, "--fail-on", "none").returncode == 0
    assert cli("check", facts, "-o", later, "--fail-on", "none").returncode == 0
    (at,) = lines_of(later, '"as_of":')
    as_of = lambda p: json.loads(p.read_text())["as_of"]  # noqa: E731
    assert as_of(earlier) < as_of(later)
    assert_one_line_error(cli("diff", later, earlier), f"{later}:{at}: as_of: OLD is judged on {as_of(later)}, after NEW",
                          str(earlier), "give the earlier result first")
    assert cli("diff", earlier, later).returncode in (0, 1)


def test_a_vanished_failing_control_is_absent_and_a_regression_not_a_fix(tmp_path):
    """OLD fails a control that NEW does not list although its catalog is still in force: nothing shows it fixed."""
    old, new = results(tmp_path, old_timeout=90, new_timeout=None)  # OLD fails one control, NEW would pass it
    (gone,) = [i for i in failing_ids(json.loads(old.read_text())) if i not in failing_ids(json.loads(new.read_text()))]
    fixed = json.loads(cli("diff", old, new, "--format", "json").stdout)
    assert [e["id"] for e in fixed["fixed"]] == [gone] and fixed["regressions"] == []  # judged again and met: fixed
    data = json.loads(new.read_text())
    data["controls"] = [c for c in data["controls"] if c["id"] != gone]
    new.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    proc = cli("diff", old, new, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    d = json.loads(proc.stdout)
    assert d["fixed"] == [] and [e["id"] for e in d["absent_in_new"]] == [gone] == [e["id"] for e in d["regressions"]]
    assert d["absent_in_new"][0]["new"] is None and d["absent_in_new"][0]["why"].startswith("unexplained")
    text = cli("diff", old, new).stdout
    assert "Fixed: 0" in text and "Absent in NEW (vanished, not fixed): 1" in text and "1 regression(s)" in text
    rows = [line for line in text.splitlines() if line.strip().startswith(gone) and "→ (absent)" in line]
    # regressions, absent in NEW (with why it counts), verdict changes
    assert len(rows) == 3 and ["(unexplained: " in r for r in rows] == [False, True, False]
    # a control that passed in OLD and vanished is listed, but fails nothing
    ok = json.loads(old.read_text())
    ok["controls"] = [c for c in ok["controls"] if c["id"] != gone]
    old.write_text(json.dumps(ok, ensure_ascii=False, indent=2))
    passing = next(c for c in ok["controls"] if c["verdict"] == "compliant")
    data["controls"] = [c for c in data["controls"] if c["id"] != passing["id"]]
    new.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    proc = cli("diff", old, new, "--format", "json")
    d = json.loads(proc.stdout)
    assert proc.returncode == 0 and [e["id"] for e in d["absent_in_new"]] == [passing["id"]] and d["regressions"] == []


def test_controls_the_law_dropped_are_absent_without_regression_and_new_ones_are_new(tmp_path):
    """Between two as-of dates a catalog is superseded and a provision repealed: their controls vanish from NEW because
    the law no longer has them, which is no regression even when they failed; controls only in NEW are new."""
    facts = clean_copy(tmp_path)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert cli("check", facts, "--as-of", "2022-01-01", "-o", old, "--fail-on", "none").returncode == 0
    assert cli("check", facts, "--as-of", "2024-06-01", "-o", new, "--fail-on", "none").returncode == 0
    data = json.loads(old.read_text())
    new_ids = {c["id"] for c in json.loads(new.read_text())["controls"]}
    vanished = [c["id"] for c in data["controls"] if c["id"] not in new_ids]
    for c in data["controls"]:  # every control that vanishes failed in OLD
        if c["id"] in vanished:
            c["verdict"] = "non-compliant"
    old.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    d = json.loads(cli("diff", old, new, "--format", "json").stdout)
    new_versions = {(c["id"], c["version"]) for c in json.loads(new.read_text())["catalogs"]}
    old_versions = {c["id"]: c["version"] for c in data["catalogs"]}
    by_catalog = {c["id"] for c in data["controls"]
                  if c["id"] in vanished and (c["catalog"], old_versions[c["catalog"]]) not in new_versions}
    assert by_catalog and set(vanished) - by_catalog  # both kinds of vanishing occur between these dates
    assert [e["id"] for e in d["absent_in_new"]] == vanished
    for e in d["absent_in_new"]:
        assert e["why"].startswith("catalog ") if e["id"] in by_catalog else e["why"].startswith("no longer in force on "), e
    assert d["fixed"] == [] and not set(vanished) & {e["id"] for e in d["regressions"]}
    old_ids = {c["id"] for c in data["controls"]}
    appeared = [c["id"] for c in json.loads(new.read_text())["controls"] if c["id"] not in old_ids]
    assert appeared and [e["id"] for e in d["only_in_new"]] == appeared
    assert {e["id"] for e in d["regressions"]} <= {e["id"] for e in d["only_in_new"]}
