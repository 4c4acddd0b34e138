"""The console script as users run it: exit codes, one-line located errors, no partial files."""

import json
import shutil

import pytest

from .conftest import CLEAN, SEED, cli, python_module, write


def assert_input_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines, "no error message"
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)


def test_clean_example_passes_with_exit_0():
    proc = cli("check", CLEAN / "facts.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 non-compliant" in proc.stdout and "0 insufficient-evidence" in proc.stdout


def test_seed_example_fails_with_exit_1_and_fail_on_threshold():
    assert cli("check", SEED / "facts.yaml").returncode == 1
    assert cli("check", SEED / "facts.yaml", "--fail-on", "critical").returncode == 1
    assert cli("check", SEED / "facts.yaml", "--fail-on", "none").returncode == 0


def test_fail_on_severity_threshold(tmp_path):
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(f.read_text().replace("session_timeout_minutes: 15", "session_timeout_minutes: 90"))
    result = json.loads(cli("check", f, "--format", "json", "--fail-on", "none").stdout)
    failing = {c["id"]: c["severity"] for c in result["controls"] if c["verdict"] != "compliant" and c["verdict"] != "not-applicable"}
    assert failing == {"notice/6.4": "medium"}
    assert cli("check", f, "--fail-on", "medium").returncode == 1
    assert cli("check", f, "--fail-on", "low").returncode == 1
    assert cli("check", f, "--fail-on", "high").returncode == 0


def test_json_output_matches_the_documented_schema(tmp_path):
    out = tmp_path / "result.json"
    assert cli("check", SEED / "facts.yaml", "--format", "json", "-o", out).returncode == 1
    result = json.loads(out.read_text())
    schema = json.loads(cli("schema", "result").stdout)
    assert set(schema["required"]) <= set(result)
    assert set(result) <= set(schema["properties"])
    assert result["summary"]["total"] == len(result["controls"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("as_of: 2025-11-30\norganization: {name: X\n", ":2: invalid YAML: the { opened on this line is never closed"),
        ("as_of: 2025-11-30\norganization:\n  name: X\n  subjects: many\n", ":4: organization.subjects: "),
        ("as_of: 2025-11-30\norganization:\n  name: X\nhandlerz: []\n", ":4: handlerz: unknown field"),
        ("as_of: 2025-11-30\norganization: {name: X}\nhandlers:\n  - {id: h, left_on: 2025-13-01}\n", ":4: handlers[0].left_on:"),
    ],
    ids=["syntax", "wrong-type", "unknown-field", "invalid-date"],
)
def test_bad_input_one_line_error_exit_2_no_partial_output(tmp_path, text, expected):
    f = write(tmp_path, "facts.yaml", text)
    for args in (("validate", f), ("check", f, "-o", tmp_path / "out.json", "--format", "json"), ("report", f, "-o", tmp_path / "r.pdf")):
        proc = cli(*args)
        assert_input_error(proc, f"{f}{expected}")
        assert len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts.yaml"]


def test_missing_file_and_usage_errors(tmp_path):
    assert_input_error(cli("check", tmp_path / "nope.yaml"), "nope.yaml: file not found")
    assert_input_error(cli("check", CLEAN / "facts.yaml", "--as-of", "2025-02-30"), "invalid date")
    assert_input_error(cli("check", CLEAN / "facts.yaml", "--fail-on", "severe"))
    assert_input_error(cli("report", CLEAN / "facts.yaml"), "needs -o")
    assert_input_error(cli("check", CLEAN / "facts.yaml", "--catalog", tmp_path), "no catalog files")


def test_validate_reports_every_file_and_attachment_gaps(tmp_path):
    write(tmp_path, "ev/a.txt", "x")
    good = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nattachments:\n  - {id: a, kind: k, path: ev/a.txt}\n  - {id: b, kind: k, path: ev/b.txt}\n")
    bad = write(tmp_path, "w.yaml", "waivers:\n  - {control: x, owner: o, justification: short, expires: 2026-01-01}\n")
    proc = cli("validate", good, bad)
    assert_input_error(proc, f"{good}:5: attachments[1].path: attachment file not found", f"{bad}:2: waivers[0].justification")
    proc = cli("validate", CLEAN / "facts.yaml", SEED / "waivers.yaml", SEED.parent.parent / "controls" / "pipa.yaml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok") == 3


def test_init_writes_a_template_and_never_overwrites(tmp_path):
    out = tmp_path / "facts.yaml"
    assert cli("init", "-o", out).returncode == 0
    text = out.read_text()
    assert "handlers:" in text and "「개인정보의 안전성 확보조치 기준」 제5조제2항" in text and "Departure date" in text
    before = out.read_text()
    assert_input_error(cli("init", "-o", out), "already exists")
    assert out.read_text() == before
    # a template with only the two required facts filled is all insufficient evidence, never a pass
    out.write_text(before.replace("as_of:\n", "as_of: 2025-11-30\n", 1).replace("  name:\n", "  name: Filled Org\n", 1))
    result = json.loads(cli("check", out, "--format", "json").stdout)
    verdicts = {c["verdict"] for c in result["controls"]}
    assert verdicts == {"insufficient-evidence"}
    assert cli("init", "-o", out, "--force").returncode == 0


def test_catalog_lint_and_list():
    proc = cli("catalog", "lint")
    assert proc.returncode == 0 and "controls: ok" in proc.stdout
    listing = cli("catalog", "list", "--as-of", "2025-11-30").stdout
    assert "notice/5.2" in listing and "pipa/34.4" in listing


def test_python_dash_m_is_the_same_program():
    proc = python_module("check", CLEAN / "facts.yaml")
    assert proc.returncode == 0


def test_check_does_not_import_weasyprint():
    import subprocess
    import sys

    code = (
        "import sys; from compliance.cli import main; rc = main(['check', %r, '--fail-on', 'none']);"
        "sys.exit(3 if 'weasyprint' in sys.modules else rc)" % str(CLEAN / "facts.yaml")
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_help_and_usage_errors_load_no_models():
    """`pipa-audit --help` (and a usage error) must not pay for the models and catalogs: pydantic, PyYAML and the
    renderers are imported only by a command that runs."""
    import subprocess
    import sys

    for argv in (["--help"], ["--version"], ["no-such-command"], ["logs", "--help"]):
        code = (
            "import sys\nfrom compliance.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('pydantic', 'yaml', 'compliance.catalog', 'compliance.render', 'duckdb') if m in sys.modules)\n"
            "sys.exit(3 if heavy else 0)" % argv
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode == 0, (argv, proc.stderr)
    help_text = cli("check", "--help").stdout  # a command's own help still lists every output format
    assert "sarif" in help_text and "junit" in help_text and "--fail-on" in help_text


def test_attestation_and_plan_references_must_exist(tmp_path):
    f = write(
        tmp_path,
        "facts.yaml",
        "as_of: 2025-11-30\norganization: {name: X}\nattestations:\n"
        "  - {control: notice-2023-6/10-9, attester: A, date: 2025-10-01, attachment: nope}\n"
        "remediation_plan:\n  - {control: notice/5.2, action: fix}\n",
    )
    proc = cli("check", f)
    assert_input_error(
        proc,
        f"{f}:4: attestations[0].control: no control 'notice-2023-6/10-9' in the catalogs",
        f"{f}:4: attestations[0].attachment: no attachment with id 'nope'",
    )


def test_validate_checks_references_to_controls(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nremediation_plan:\n  - {control: notice-2023-6/99-1, action: fix}\n")
    assert_input_error(cli("validate", f), f"{f}:4: remediation_plan[0].control: no control 'notice-2023-6/99-1'")


def test_problems_in_facts_and_waivers_are_reported_together(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nattachments:\n  - {id: a, kind: k, path: /etc/passwd}\n")
    w = write(tmp_path, "w.yaml", "waivers:\n  - {control: nope/1, owner: o, justification: 'long enough reason', approved_by: CPO, expires: 2026-01-01}\n")
    proc = cli("check", f, "--waivers", w)
    assert_input_error(proc, f"{f}:4: attachments[0].path: absolute paths", f"{w}:2: waivers[0].control: no control 'nope/1'")


def test_as_of_before_any_law_names_the_option_not_the_catalog_folder(catalogs):
    """`--as-of 0001-01-01` was reported against the catalog folder ('…/controls: no catalog is in force')."""
    import datetime as dt

    first = min(c.meta.effective for c in catalogs)
    day_before = (first - dt.timedelta(days=1)).isoformat()
    for when in ("0001-01-01", day_before):
        for args in (("check", CLEAN / "facts.yaml"), ("report", CLEAN / "facts.yaml", "-o", "-", "--format", "json")):
            proc = cli(*args, "--as-of", when)
            assert_input_error(proc, f"--as-of {when}: no catalog is in force on that date", f"takes effect on {first.isoformat()}")
            assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
            assert str(CLEAN.parent.parent / "controls") not in proc.stderr
    assert cli("check", CLEAN / "facts.yaml", "--as-of", first.isoformat(), "--fail-on", "none").returncode == 0


def test_an_as_of_in_the_facts_before_any_law_is_reported_at_its_line(tmp_path):
    text = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("as_of: 2025-11-30") + 1
    shutil.copytree(CLEAN, tmp_path / "org")
    f = tmp_path / "org" / "facts.yaml"
    f.write_text(text.replace("as_of: 2025-11-30", "as_of: 0001-01-01").replace("period_start: 2024-12-01\n", ""), encoding="utf-8")
    proc = cli("check", f)
    assert_input_error(proc, f"{f}:{line}: as_of: 0001-01-01: no catalog is in force on that date")
    assert len(proc.stderr.strip().splitlines()) == 1
