"""Framework views (issue 23): the framework files own the mappings (``frameworks/<id>.yaml``, ``mappings:`` by
criterion), controls get them when the catalogs load, ``catalog lint`` checks both ends of every mapping, and
``check --framework iso27001-2022`` groups the result by Annex A control as ``--framework isms-p`` does by ISMS-P
criterion (worst verdict per criterion)."""

from __future__ import annotations

import json
import shutil

import pytest

from compliance import i18n
from compliance.render import Options, render
from compliance.result import VERDICTS

from .conftest import CATALOGS, SEED, cli

# Every control's mappings as the controls wrote them before the framework files took them over (issue 23), in the
# controls' own order: none may be lost or gained by the move.
BEFORE_MOVE = {
    "pipa/21.1": {"isms-p": ["3.4.1", "2.8.4"], "iso27001-2022": ["A.8.10", "A.8.33"]},
    "pipa/23.2": {"isms-p": ["3.1.4", "2.7.1"], "iso27001-2022": ["A.8.24", "A.8.3"]},  # 3.1.5 until issue 20 (3.1.4: 민감정보)
    "pipa/24.3": {"isms-p": ["2.7.1", "3.1.4"], "iso27001-2022": ["A.8.24"]},
    "pipa/24-2.2": {"isms-p": ["2.7.1", "3.1.3"], "iso27001-2022": ["A.8.24"]},
    "pipa/31.1": {"isms-p": ["1.1.2"], "iso27001-2022": ["A.5.2"]},
    "pipa/34.1": {"isms-p": ["2.11.5", "3.5.3"], "iso27001-2022": ["A.5.24", "A.5.26"]},
    "pipa/34.2": {"isms-p": ["2.11.5", "3.5.3"], "iso27001-2022": ["A.5.26"]},
    "pipa/34.3": {"isms-p": ["2.11.5"], "iso27001-2022": ["A.5.26", "A.5.27"]},
    "pipa/34.4": {"isms-p": ["2.11.5"], "iso27001-2022": ["A.5.26", "A.5.5"]},
    "pipa/39-4.1": {"isms-p": ["2.11.5", "3.5.3"], "iso27001-2022": ["A.5.24", "A.5.26"]},
    "notice-2021-2/5-2": {"isms-p": ["2.2.5", "2.5.1"], "iso27001-2022": ["A.5.18", "A.6.5"]},
    "notice-2021-2/8-1": {"isms-p": ["2.9.4"], "iso27001-2022": ["A.8.15"]},
    "notice-2021-2/8-2": {"isms-p": ["2.9.5"], "iso27001-2022": ["A.8.16"]},
    "notice-2021-3/4-5": {"isms-p": ["2.5.1"], "iso27001-2022": ["A.5.18"]},
    "notice-2021-3/6-2": {"isms-p": ["2.7.1"], "iso27001-2022": ["A.8.24"]},
    "notice/4.1": {"isms-p": ["1.1.2", "1.1.5", "2.1.1"], "iso27001-2022": ["A.5.1"]},
    "notice/4.2": {"isms-p": ["2.2.4"], "iso27001-2022": ["A.6.3"]},
    "notice/4.3": {"isms-p": ["1.1.5", "2.1.1"], "iso27001-2022": ["A.5.1"]},
    "notice/4.4": {"isms-p": ["1.4.1", "1.4.2"], "iso27001-2022": ["A.5.35", "A.5.36"]},
    "notice/5.1": {"isms-p": ["2.5.1", "2.5.5", "2.5.6"], "iso27001-2022": ["A.5.15", "A.5.18", "A.8.2"]},
    "notice/5.2": {"isms-p": ["2.2.5", "2.5.1"], "iso27001-2022": ["A.5.18", "A.6.5"]},
    "notice/5.3": {"isms-p": ["2.5.1", "2.5.6"], "iso27001-2022": ["A.5.18"]},
    "notice/5.4": {"isms-p": ["2.5.2"], "iso27001-2022": ["A.5.16"]},
    "notice/5.5": {"isms-p": ["2.5.3", "2.5.4"], "iso27001-2022": ["A.5.17", "A.8.5"]},
    "notice/5.6": {"isms-p": ["2.5.3"], "iso27001-2022": ["A.8.5"]},
    "notice/6.1": {"isms-p": ["2.6.1", "2.6.2", "2.11.3"], "iso27001-2022": ["A.8.16", "A.8.20"]},
    "notice/6.2": {"isms-p": ["2.6.6"], "iso27001-2022": ["A.6.7", "A.8.5"]},
    "notice/6.3": {"isms-p": ["2.6.7", "2.10.6"], "iso27001-2022": ["A.8.12"]},
    "notice/6.4": {"isms-p": ["2.6.2", "2.6.3"], "iso27001-2022": ["A.8.5"]},
    "notice/6.5": {"isms-p": ["2.10.6"], "iso27001-2022": ["A.8.1"]},
    "notice/6-2.1": {"isms-p": ["2.6.7"], "iso27001-2022": ["A.8.20", "A.8.22"]},
    "notice/7.1": {"isms-p": ["2.7.1"], "iso27001-2022": ["A.8.24"]},
    "notice/7.2": {"isms-p": ["2.7.1"], "iso27001-2022": ["A.8.24"]},
    "notice/7.3": {"isms-p": ["2.7.1"], "iso27001-2022": ["A.8.24"]},
    "notice/7.4": {"isms-p": ["2.7.1", "2.10.5"], "iso27001-2022": ["A.8.24"]},  # 2.10.2 until issue 20 (2.10.5: 정보전송 보안)
    "notice/7.5": {"isms-p": ["2.7.1", "2.10.7"], "iso27001-2022": ["A.8.24", "A.7.10"]},
    "notice/7.6": {"isms-p": ["2.7.2"], "iso27001-2022": ["A.8.24"]},
    "notice/8.1": {"isms-p": ["2.9.4"], "iso27001-2022": ["A.8.15"]},
    "notice/8.2": {"isms-p": ["2.9.5"], "iso27001-2022": ["A.8.15", "A.8.16"]},
    "notice/8.3": {"isms-p": ["2.9.4"], "iso27001-2022": ["A.8.15"]},
    "notice/9.1": {"isms-p": ["2.10.9"], "iso27001-2022": ["A.8.7"]},
    "notice/9.2": {"isms-p": ["2.10.8"], "iso27001-2022": ["A.8.8"]},
    "notice/10.1": {"isms-p": ["2.4.1", "2.4.2"], "iso27001-2022": ["A.7.1", "A.7.2"]},
    "notice/10.2": {"isms-p": ["2.4.7", "2.10.7"], "iso27001-2022": ["A.7.7", "A.7.10"]},
    "notice/10.3": {"isms-p": ["2.4.6", "2.10.7"], "iso27001-2022": ["A.7.10"]},
    "notice/11": {"isms-p": ["2.9.3", "2.12.1", "2.12.2"], "iso27001-2022": ["A.5.29", "A.5.30", "A.8.13"]},
    "notice/12.1": {"isms-p": ["2.6.3", "2.4.7"], "iso27001-2022": ["A.8.11"]},
    "notice/12.2": {"isms-p": ["2.4.7"], "iso27001-2022": ["A.7.7", "A.5.10"]},
    "notice/13.1": {"isms-p": ["2.9.7", "3.4.1"], "iso27001-2022": ["A.7.14", "A.8.10"]},
    "notice/13.2": {"isms-p": ["3.4.1"], "iso27001-2022": ["A.8.10"]},
    "notice/15": {"isms-p": ["1.1.5", "2.1.1"], "iso27001-2022": ["A.5.1"]},
    "notice/16.1": {"isms-p": ["2.5.1"], "iso27001-2022": ["A.5.18"]},
    "notice/16.2": {"isms-p": ["2.5.1"], "iso27001-2022": ["A.5.16"]},
    "notice/16.3": {"isms-p": ["2.2.4", "2.5.1"], "iso27001-2022": ["A.6.3", "A.6.6"]},
    "notice/16.4": {"isms-p": ["2.5.6"], "iso27001-2022": ["A.5.18"]},
    "notice/16.5": {"isms-p": ["2.5.1", "2.5.6"], "iso27001-2022": ["A.5.18"]},
    "notice/17.1": {"isms-p": ["2.9.4", "2.9.5", "2.11.3"], "iso27001-2022": ["A.8.15", "A.8.16"]},
    "notice/17.2": {"isms-p": ["2.9.4"], "iso27001-2022": ["A.8.15"]},
    "notice/18.1": {"isms-p": ["2.11.2"], "iso27001-2022": ["A.8.8"]},
    "notice/18.2": {"isms-p": ["2.11.2"], "iso27001-2022": ["A.8.8", "A.8.29"]},
    "notice/18.3": {"isms-p": ["2.11.2"], "iso27001-2022": ["A.8.8"]},
}


@pytest.fixture
def english():
    i18n.use("en")
    yield
    i18n.use("en")


def _old_view(result, framework: str) -> dict:
    """The grouping as it was computed before the move: the criteria of the framework file in order, each with the
    controls whose own ``mappings`` named it (BEFORE_MOVE), the worst verdict first; English citations."""
    from compliance.coverage import load_frameworks

    fw = load_frameworks(CATALOGS)[framework]
    criteria = []
    for crit in fw.criteria:
        mapped = [c for c in result.controls if crit.id in BEFORE_MOVE.get(c.id, {}).get(framework, [])]
        if mapped:
            criteria.append({
                "id": crit.id, "name": crit.name, "group": crit.group,
                "verdict": min((c.verdict for c in mapped), key=VERDICTS.index),
                "controls": [{"id": c.id, "cite": c.cite.en, "verdict": c.verdict, "severity": c.severity} for c in mapped],
            })
    return {"framework": fw.framework.id, "version": fw.framework.version, "as_of": result.as_of.isoformat(),
            "criteria": criteria}


def _old_text(view: dict) -> str:
    """The text the view printed before the move (compliance/render/framework.py as_text, English)."""
    lines = [f"{view['framework']} ({view['version']}) · as of {view['as_of']}", ""]
    for crit in view["criteria"]:
        lines.append(f"{crit['verdict']:<22} {crit['id']:<7} {crit['name']}")
        lines += [f"    {c['verdict']:<22} {c['id']:<22} {c['cite']}" for c in crit["controls"]]
    return "\n".join(lines) + "\n"


def _view(result, framework: str, fmt: str) -> bytes:
    return render(result, fmt, "en", options=Options(framework=framework, catalog_dir=CATALOGS))


def test_no_mapping_is_lost_or_gained_by_the_move(catalogs):
    after = {ctl.control.id: ctl.control.mappings for cat in catalogs for ctl in cat.controls}
    assert set(BEFORE_MOVE) <= set(after)
    # controls added after the move (issue 20: PIPA Arts 26, 31(3)/(4)/(7), 32-2(1)) are mapped by no framework file yet
    assert {cid: after[cid] for cid in set(after) - set(BEFORE_MOVE)} == {cid: {} for cid in set(after) - set(BEFORE_MOVE)}
    for cid, before in BEFORE_MOVE.items():
        assert {fw: sorted(ids) for fw, ids in after[cid].items()} == {fw: sorted(ids) for fw, ids in before.items()}, cid


def test_the_mappings_live_only_in_the_framework_files():
    for cat in sorted(CATALOGS.glob("*.yaml")):
        assert "\n    mappings:" not in cat.read_text(encoding="utf-8"), cat.name
    for fw in ("isms-p", "iso27001-2022"):
        assert "\nmappings:\n" in (CATALOGS / "frameworks" / f"{fw}.yaml").read_text(encoding="utf-8")


def test_isms_p_view_is_unchanged_by_the_move(seed_result, english):
    old = _old_view(seed_result, "isms-p")
    assert json.loads(_view(seed_result, "isms-p", "json")) == old
    assert _view(seed_result, "isms-p", "text").decode("utf-8") == _old_text(old)
    assert len(old["criteria"]) > 30  # the seed exercises the view, not an empty list


def test_isms_p_view_from_the_command_line_is_unchanged(seed_result):
    proc = cli("check", SEED / "facts.yaml", "--waivers", SEED / "waivers.yaml", "--framework", "isms-p")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == _old_text(_old_view(seed_result, "isms-p"))
    assert proc.stdout.startswith("isms-p (2023) · as of 2025-11-30\n\ncompliant              1.1.2   최고책임자의 지정\n")


def test_iso_view_groups_by_annex_a_control_with_the_worst_verdict(seed_result, english):
    view = json.loads(_view(seed_result, "iso27001-2022", "json"))
    assert view["framework"] == "iso27001-2022" and view["version"] == "2022"
    assert view == _old_view(seed_result, "iso27001-2022")  # the ISO mappings moved as the ISMS-P ones did
    crit = {c["id"]: c for c in view["criteria"]}
    access = crit["A.5.18"]
    assert access["name"] == "Access Rights" and access["group"] == "A.5 Organizational controls"
    by_id = {c.id: c for c in seed_result.controls}
    ids = [c["id"] for c in access["controls"]]
    assert {"notice/5.1", "notice/5.2", "notice/5.3"} <= set(ids)
    assert access["verdict"] == min((by_id[i].verdict for i in ids), key=VERDICTS.index) == "non-compliant"
    assert [c["id"] for c in view["criteria"]] == sorted(crit, key=lambda i: [int(n) for n in i[2:].split(".")])
    for c in view["criteria"]:  # every criterion: the worst of its controls
        assert c["verdict"] == min((x["verdict"] for x in c["controls"]), key=VERDICTS.index)
    text = _view(seed_result, "iso27001-2022", "text").decode("utf-8")
    assert "non-compliant          A.5.18  Access Rights\n" in text
    assert "    non-compliant          notice/5.2             PIPC Safety Notice Art 5(2)\n" in text


def test_iso_view_speaks_korean():
    text = cli("--lang", "ko", "check", SEED / "facts.yaml", "--framework", "iso27001-2022")
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "iso27001-2022 (2022) · 기준일 2025-11-30"
    row = next(line for line in lines if " A.5.18 " in line)
    assert row.startswith("미준수") and row.endswith("Access Rights")
    assert any(line.startswith("    미준수") and "notice/5.2" in line and "「개인정보의 안전성 확보조치 기준」 제5조제2항" in line
               for line in lines)
    assert "non-compliant" not in text.stdout and "PIPC Safety Notice" not in text.stdout
    js = cli("--lang", "ko", "check", SEED / "facts.yaml", "--framework", "iso27001-2022", "--format", "json")
    view = json.loads(js.stdout)
    access = next(c for c in view["criteria"] if c["id"] == "A.5.18")
    assert access["verdict"] == "non-compliant"  # values stay the ids a program reads
    assert "「개인정보의 안전성 확보조치 기준」 제5조제2항" in [c["cite"] for c in access["controls"]]


def test_results_carry_both_frameworks(seed_result):
    c = next(x for x in seed_result.controls if x.id == "notice/5.1")
    assert c.mappings == {"isms-p": ["2.5.1", "2.5.5", "2.5.6"], "iso27001-2022": ["A.5.15", "A.5.18", "A.8.2"]}
    sarif = json.loads(render(seed_result, "sarif"))
    tags = next(r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "notice/5.1")["properties"]["tags"]
    assert "isms-p:2.5.6" in tags and "iso27001-2022:A.5.18" in tags


def _lint(tmp_path, edit) -> list[str]:
    shutil.copytree(CATALOGS, tmp_path / "controls")
    fw = tmp_path / "controls" / "frameworks" / "iso27001-2022.yaml"
    text = fw.read_text(encoding="utf-8")
    fw.write_text(edit(text), encoding="utf-8")
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    for line in lines:  # each at the line of the framework file that holds the mapping
        assert line.startswith(f"{fw}:"), line
    return lines


def test_lint_refuses_a_mapping_to_an_unknown_control(tmp_path):
    marker = '\n  "A.5.18": ['
    (line,) = _lint(tmp_path, lambda t: t.replace(marker, marker + "notice/99.9, ", 1))
    assert "no control 'notice/99.9' in the catalogs" in line and "mappings.A.5.18[0]" in line


def test_lint_refuses_a_mapping_to_an_unknown_criterion(tmp_path):
    (line,) = _lint(tmp_path, lambda t: t.replace('\n  "A.5.18": [', '\n  "A.5.99": [', 1))
    assert "'A.5.99' is not a iso27001-2022 criterion" in line


def test_lint_refuses_a_former_id_a_control_named_twice_and_a_criterion_listed_twice(tmp_path):
    def edit(text):
        text = text.replace('\n  "A.5.2": [pipa/31.1]', '\n  "A.5.2": [pipa/31.1, pipa/31.1]', 1)
        text = text.replace('\n  "A.5.27": [pipa/34.3]', '\n  "A.5.27": [pipa/34-1]', 1)  # pipa/34.1's former id
        return text.replace('\nmappings:', '\n  - {id: "A.8.34", name: "again"}\nmappings:', 1)

    lines = "\n".join(_lint(tmp_path, edit))
    assert "control 'pipa/31.1' is named twice under A.5.2" in lines
    assert "'pipa/34-1' is a former control id: write 'pipa/34.1'" in lines
    assert "criterion 'A.8.34' is listed twice" in lines


def test_a_control_may_not_carry_its_own_mappings(tmp_path):
    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipa.yaml"
    text = cat.read_text(encoding="utf-8")
    cat.write_text(text.replace("\n    remediation:", '\n    mappings: {isms-p: ["2.11.5"]}\n    remediation:', 1), encoding="utf-8")
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2
    assert "mappings are written in the framework files" in proc.stderr and str(cat) in proc.stderr


def test_an_unknown_framework_names_the_known_ones():
    proc = cli("check", SEED / "facts.yaml", "--framework", "iso27001")
    assert proc.returncode == 2
    assert "no framework 'iso27001' in frameworks/; frameworks there: isms-p, iso27001-2022" in proc.stderr
