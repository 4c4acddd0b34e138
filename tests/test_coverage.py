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
    text = cat.read_text().replace('isms-p: ["2.11.5", "3.5.3"]', 'isms-p: ["2.11.5", "9.9.9"]', 1)
    text = text.replace("subjects_notified_at: '2025-10-03T09:00:00+09:00'", "subjects_notified_at: 'not a time'", 1)
    cat.write_text(text)
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    assert proc.returncode == 2
    assert "'9.9.9' is not a isms-p criterion" in proc.stderr
    assert "example is not valid facts" in proc.stderr
    assert all(line.startswith(str(cat) + ":") for line in proc.stderr.strip().splitlines())


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


def test_lint_points_at_the_right_control_after_sorting(tmp_path):
    # the last control in the file is sorted earlier in reports; lint must still name its own line
    shutil.copytree(CATALOGS, tmp_path / "controls")
    cat = tmp_path / "controls" / "pipc-notice.yaml"
    text = cat.read_text()
    marker = 'mappings: {isms-p: ["2.9.4", "2.9.5", "2.11.3"], iso27001-2022: ["A.8.15", "A.8.16"]}'
    assert text.count(marker) == 1  # notice/17.1, the last control
    cat.write_text(text.replace(marker, marker.replace("2.11.3", "2.99.1")))
    proc = cli("catalog", "lint", "--catalog", tmp_path / "controls")
    (line,) = proc.stderr.strip().splitlines()
    assert "'2.99.1'" in line
    assert "2.99.1" in cat.read_text().splitlines()[int(line.split(":")[1]) - 1]
