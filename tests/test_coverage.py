"""Coverage gate, lint, docs and framework grouping."""

import json
import shutil

from .conftest import CATALOGS, SEED, cli


def test_shipped_instruments_fully_covered():
    proc = cli("catalog", "coverage")
    assert proc.returncode == 0, proc.stdout
    for outline in ("pipc-notice", "pipa", "pipa-decree"):
        assert f"{outline}:" in proc.stdout
    assert "0 uncovered (100%)" in proc.stdout and "NO CONTROL" not in proc.stdout


def test_coverage_fails_on_an_uncovered_duty(tmp_path):
    shutil.copytree(CATALOGS, tmp_path / "controls")
    outline = tmp_path / "controls" / "outlines" / "pipc-notice.yaml"
    outline.write_text(outline.read_text() + '  - {article: 20, from: 2027-06-01, title: "new duty", duty: true}\n')
    proc = cli("catalog", "coverage", "--catalog", tmp_path / "controls", "--instrument", "pipc-notice")
    assert proc.returncode == 1
    assert "gap" in proc.stdout and "NO CONTROL" in proc.stdout and "1 uncovered" in proc.stdout


def test_lint_rejects_unknown_mapping_ids_and_bad_examples(tmp_path):
    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipa.yaml"
    cat.write_text(cat.read_text().replace("subjects_notified_at: '2025-10-03T09:00:00+09:00'", "subjects_notified_at: 'not a time'", 1))
    fw = tmp_path / "controls" / "frameworks" / "isms-p.yaml"  # the framework file owns the mappings
    text = fw.read_text()
    assert text.count('\n  "3.5.3": [') == 1
    fw.write_text(text.replace('\n  "3.5.3": [', '\n  "9.9.9": [', 1))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith(str(fw) + ":")] == [
        line for line in lines if "'9.9.9' is not a isms-p criterion" in line]
    assert len([line for line in lines if "'9.9.9' is not a isms-p criterion" in line]) == 1
    assert any(line.startswith(str(cat) + ":") and "example is not valid facts" in line for line in lines)
    assert all(line.startswith((str(cat) + ":", str(fw) + ":")) for line in lines)


def test_lint_catches_expression_field_typos_with_file_and_line(tmp_path):
    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipc-notice.yaml"
    cat.write_text(cat.read_text().replace("item.ip_leak_detection == true", "item.ip_leak_detect == true", 1))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    lineno = int(line.split(":")[1])
    assert "ip_leak_detect ==" in cat.read_text().splitlines()[lineno - 1]
    assert "did you mean 'ip_leak_detection'" in line


def test_docs_are_generated_in_markdown_and_html(tmp_path):
    proc = cli("catalog", "docs", "-o", tmp_path / "docs")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "docs" / "catalog.md").read_text()
    html = (tmp_path / "docs" / "catalog.html").read_text()
    assert "## 「개인정보의 안전성 확보조치 기준」 제5조제2항" in md
    assert "Facts read:" in md and "Example (compliant):" in md and "2.2.5 퇴직 및 직무변경 관리" in md
    assert html.count("<section") == md.count("\n## ")


def test_check_grouped_by_isms_p():
    proc = cli("check", SEED / "facts.yaml", "--framework", "isms-p", "--format", "json")
    assert proc.returncode == 1
    grouped = json.loads(proc.stdout)
    crit = {c["id"]: c for c in grouped["criteria"]}
    assert crit["2.2.5"]["name"] == "퇴직 및 직무변경 관리"
    assert crit["2.2.5"]["verdict"] == "non-compliant"
    assert "notice/5.2" in [c["id"] for c in crit["2.2.5"]["controls"]]
    assert crit["2.7.1"]["verdict"] == "compliant"


def test_lint_points_at_the_right_line_of_a_framework_file(tmp_path):
    # a mapping is a line of the framework file: lint names that line (and the criterion), not a control's
    shutil.copytree(CATALOGS, tmp_path / "controls")
    fw = tmp_path / "controls" / "frameworks" / "isms-p.yaml"
    text = fw.read_text()
    marker = '\n  "2.11.3": ['
    assert text.count(marker) == 1
    fw.write_text(text.replace(marker, '\n  "2.99.1": ['))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    (line,) = proc.stderr.strip().splitlines()
    assert "'2.99.1'" in line and line.startswith(str(fw) + ":")
    assert '"2.99.1":' in fw.read_text().splitlines()[int(line.split(":")[1]) - 1]
