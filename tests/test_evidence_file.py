"""The evidence file (issue 11, items 8-12): init writes what the report needs, init --from keeps what is
stated, lists may live in CSV/XLSX exports, one integrity rule, impossible dates are input errors."""

import hashlib
import json
import shutil

import jsonschema_rs
import openpyxl
import pytest

from compliance.loading import load

from .conftest import CLEAN, SEED, cli, write
from .test_cli import assert_input_error

HEAD = "as_of: 2025-11-30\nperiod_start: 2024-12-01\norganization: {name: X}\nsystems: [{id: sys-a}, {id: sys-b}]\n"
HR = "사번,이름,퇴사일,권한말소일,시스템\nh-1,김,2025-01-10,2025-01-10,sys-a\nh-2,이,2025.03.02,,sys-a;sys-b\nh-3,박,,,sys-a\n"
HANDLERS_FROM = ("handlers:\n  source:\n    path: evidence/{name}\n    columns: {{id: 사번, left_on: 퇴사일, access_revoked_on: 권한말소일, systems: 시스템}}\n"
                 "    not_tracked: [duties_changed_on, access_changed_on, trained_on]\n")
UNTRACKED = ["left_on", "duties_changed_on", "access_changed_on", "access_revoked_on", "trained_on"]


def result(path, *extra):
    proc = cli("check", path, "--format", "json", "--fail-on", "none", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def control(res, cid):
    return next(c for c in res["controls"] if c["id"] == cid)


# ------------------------------------------------------------------ 8. init writes what the report needs


def test_init_writes_what_the_report_needs_with_a_schema_editors_read(tmp_path):
    out = tmp_path / "new" / "org" / "facts.yaml"
    proc = cli("init", "-o", out)
    assert proc.returncode == 0, proc.stderr  # the parent folders are created
    text = out.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=facts.schema.json"
    schema = json.loads((out.parent / "facts.schema.json").read_text())
    assert schema == json.loads(cli("schema", "facts").stdout)  # the same schema as `pipa-audit schema facts`
    for key in ("\nperiod_start:", "\nauditor:", "\nscope:", "\nnot_examined:", "\nprivacy_officer:\n", "\n  position:",
                "\n  revenue_krw:", "statutory maximum", "\nremediation_plan:", "#     name:   # 시스템 명칭"):
        assert key in text, key
    # an attestation skeleton per attestation control, naming what to attest; the evidence kinds expected
    assert "\n  - control: notice/10.1\n    attester:\n" in text and "#   확인할 사항/attest:" in text
    assert "#     internal-management-plan: notice/4.1" in text
    # standard output: the same template, no file
    stdout = cli("init", "-o", "-", cwd=tmp_path)
    assert stdout.returncode == 0 and stdout.stdout == text and not (tmp_path / "facts.yaml").exists()
    # filled with the two required facts, the skeletons are insufficient evidence, never a pass
    out.write_text(text.replace("\nas_of:\n", "\nas_of: 2025-11-30\n", 1).replace("\n  name:\n", "\n  name: Org\n", 1))
    assert cli("validate", out).returncode == 0
    assert control(result(out), "notice/10.1")["verdict"] == "insufficient-evidence"


def test_a_facts_file_may_name_its_schema_and_the_schema_accepts_a_source(tmp_path):
    facts = {"$schema": "./facts.schema.json", "as_of": "2025-11-30", "organization": {"name": "X"},
             "handlers": {"source": {"path": "evidence/hr.csv", "columns": {"id": "사번"}, "not_tracked": UNTRACKED}}}
    validator = jsonschema_rs.validator_for(json.loads(cli("schema", "facts").stdout))
    assert validator.is_valid(facts)
    assert not validator.is_valid({**facts, "handlers": {"source": {"path": "x.csv", "colums": {}}}})
    write(tmp_path, "evidence/hr.csv", "사번\nh-1\n")
    path = write(tmp_path, "facts.json", json.dumps(facts, ensure_ascii=False))
    assert cli("validate", path).returncode == 0


# ------------------------------------------------------------------ 9. init --from keeps what is stated


def test_init_from_keeps_every_value_offers_new_fields_and_never_overwrites(tmp_path):
    shutil.copytree(SEED, tmp_path / "org")
    src = tmp_path / "org" / "facts.yaml"
    data, _ = load(src)
    data.pop("password_policy")  # a fact the catalogs read that this file does not state
    data["auditor"], data["scope"] = "2025-01-01", "yes"  # strings that would load as a date and a bool if unquoted
    src.write_text(json.dumps(data, ensure_ascii=False, default=str, indent=1))
    data, _ = load(src)
    before = src.read_bytes()
    assert_input_error(cli("init", "--from", src, "-o", src), "already exists; use --force")
    assert src.read_bytes() == before
    out = tmp_path / "org" / "re.yaml"
    assert cli("init", "--from", src, "-o", out).returncode == 0
    again, _ = load(out)
    assert again == data  # nothing stated is lost, nothing is added
    text = out.read_text()
    assert "\n# password_policy:\n#   min_length:" in text  # what the catalogs read, offered commented out
    assert cli("validate", out).returncode == 0
    assert result(out)["controls"] == result(src)["controls"]
    proc = cli("init", "--from", src, "-o", src, "--force")
    assert proc.returncode == 0, proc.stderr
    assert load(src)[0] == data


@pytest.mark.parametrize("scope", ["a\x85b", "a\u2028b\u2029c", "tab\there", "\ufeffbom", "bell\x07"])
def test_init_from_keeps_text_that_yaml_would_read_as_a_line_break(tmp_path, scope):
    """A raw U+0085/U+2028 inside a quoted YAML string reads back as a space: written as an escape instead."""
    shutil.copytree(CLEAN, tmp_path / "org")
    src = tmp_path / "org" / "facts.json"
    data, _ = load(tmp_path / "org" / "facts.yaml")
    data["scope"] = scope
    src.write_text(json.dumps(data, ensure_ascii=False, default=str))
    out = tmp_path / "org" / "re.yaml"
    assert cli("init", "--from", src, "-o", out).returncode == 0
    assert load(out)[0]["scope"] == scope


def test_init_from_a_file_that_is_not_facts_is_refused_not_emptied(tmp_path):
    """Top-level keys init does not know were dropped without a word: a waivers file became an empty template."""
    waivers = write(tmp_path, "waivers.yaml", "# waivers\nwaivers:\n  - {control: notice/5.2}\n")
    out = tmp_path / "new.yaml"
    assert_input_error(cli("init", "--from", waivers, "-o", out), f"{waivers}:2: 'waivers' is not a facts field")
    assert not out.exists()
    typo = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nhandler:\n  - {id: h-1}\n")
    assert_input_error(cli("init", "--from", typo, "-o", out), f"{typo}:3: 'handler' is not a facts field")


# ------------------------------------------------------------------ 10. lists where they already live


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_handlers_from_a_csv_export_are_judged_like_stated_rows(tmp_path, encoding):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "hr.csv").write_bytes(HR.encode(encoding))
    sourced = write(tmp_path, "facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    unknown = "duties_changed_on: unknown, access_changed_on: unknown, trained_on: unknown"  # what not_tracked states
    stated = write(tmp_path, "stated.yaml", HEAD + f"handlers:\n  - {{id: h-1, left_on: 2025-01-10, access_revoked_on: 2025-01-10, systems: [sys-a], {unknown}}}\n"
                   f"  - {{id: h-2, left_on: 2025-03-02, systems: [sys-a, sys-b], {unknown}}}\n  - {{id: h-3, systems: [sys-a], {unknown}}}\n")
    got, want = result(sourced), result(stated)
    assert control(got, "notice/5.2")["checks"] == control(want, "notice/5.2")["checks"]
    assert [o["id"] for ch in control(got, "notice/5.2")["checks"] for o in ch["offenders"]] == ["h-2"]
    manifest = {a["id"]: a for a in got["attachments"]}["source:handlers"]
    assert manifest["kind"] == "tabular-source" and manifest["path"] == "evidence/hr.csv"
    assert manifest["sha256"] == hashlib.sha256((tmp_path / "evidence" / "hr.csv").read_bytes()).hexdigest()
    assert "3 rows" in manifest["note"] and "left_on←퇴사일" in manifest["note"]


def test_a_bad_cell_is_file_row_column_in_validate_and_check(tmp_path):
    write(tmp_path, "evidence/hr.csv", HR.replace("2025.03.02", "2025-13-02").replace("h-3,박", "h-1,박").replace("h-3", "h-9"))
    f = write(tmp_path, "facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    for command in ("validate", "check"):
        assert_input_error(
            cli(command, f),
            f"{tmp_path / 'evidence' / 'hr.csv'}:3:3: handlers[1].left_on (퇴사일): no such day in the calendar",
        )
    write(tmp_path, "evidence/hr.csv", HR.replace("h-3,박", "h-1,박").replace(",,sys-a\n", ",,sys-z\n"))
    assert_input_error(
        cli("validate", f),
        f"hr.csv:4:1: handlers[2].id (사번): duplicate id 'h-1'",
        f"hr.csv:4:5: handlers[2].systems[0] (시스템): no system with id 'sys-z'",
    )
    write(tmp_path, "facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv").replace("퇴사일", "퇴직일"))
    assert_input_error(cli("validate", f), "facts.yaml:8: handlers.source.columns.left_on: no column '퇴직일'")


def test_a_source_is_confined_like_an_attachment_and_never_read_as_mojibake(tmp_path):
    write(tmp_path, "outside.csv", "사번\nh-1\n")
    (tmp_path / "org" / "evidence").mkdir(parents=True)
    (tmp_path / "org" / "evidence" / "hr.csv").symlink_to(tmp_path / "outside.csv")
    f = write(tmp_path, "org/facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    assert_input_error(cli("check", f), "handlers.source.path: a symlink is on the path")
    write(tmp_path, "org/facts.yaml", HEAD + "handlers: {source: {path: ../outside.csv}}\n")
    assert_input_error(cli("check", f), "'..' is not accepted")
    (tmp_path / "org" / "evidence" / "hr.csv").unlink()
    (tmp_path / "org" / "evidence" / "hr.csv").write_bytes("id,name\nh-1,Jääkää\n".encode("latin-1"))  # ää reads as a CP949 Hanja
    write(tmp_path, "org/facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    assert_input_error(cli("check", f), "the encoding cannot be told safely")
    sha = "a" * 64
    write(tmp_path, "org/evidence/hr.csv", HR)
    write(tmp_path, "org/facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv") + f"    sha256: {sha}\n")
    assert_input_error(cli("check", f), "handlers.source.sha256: stated sha256 aaaaaaaaaaaa… does not match")


def test_xlsx_and_a_list_of_dates_from_a_filtered_ticket_export(tmp_path):
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "인사"
    ws.append(["사번", "퇴사일", "권한말소일"])
    ws.append(["h-1", dt.datetime(2025, 1, 10), dt.datetime(2025, 1, 10)])
    ws.append(["h-2", dt.datetime(2025, 3, 2), None])
    (tmp_path / "evidence").mkdir()
    wb.save(tmp_path / "evidence" / "hr.xlsx")
    write(tmp_path, "evidence/tickets.csv", "시스템,점검일\nsys-a,2025-10-31\nsys-b,2025-09-30\nsys-a,2025-11-28\n")
    f = write(tmp_path, "facts.yaml", HEAD.replace("{id: sys-a}", "{id: sys-a, access_log: {reviews: {source: {path: evidence/tickets.csv, column: 점검일, where: {시스템: sys-a}}}}}")
              + "handlers: {source: {path: evidence/hr.xlsx, sheet: 인사, columns: {id: 사번, left_on: 퇴사일, access_revoked_on: 권한말소일},"
              " not_tracked: [duties_changed_on, access_changed_on, trained_on]}}\n")
    res = result(f)
    assert [o["id"] for ch in control(res, "notice/5.2")["checks"] for o in ch["offenders"]] == ["h-2"]
    assert {a["id"] for a in res["attachments"]} == {"source:handlers", "source:systems[0].access_log.reviews"}
    assert "2 rows" in {a["id"]: a["note"] for a in res["attachments"]}["source:systems[0].access_log.reviews"]
    ws["B3"] = "soon"
    wb.save(tmp_path / "evidence" / "hr.xlsx")
    assert_input_error(cli("validate", f), "hr.xlsx:3:2: handlers[1].left_on (퇴사일)")
    # a sheet the workbook lacks is the facts file's mistake: its line, with the workbook and its sheets named
    f.write_text(f.read_text(encoding="utf-8").replace("sheet: 인사", "sheet: 인사팀"), encoding="utf-8")
    line = f.read_text(encoding="utf-8").splitlines().index(next(x for x in f.read_text(encoding="utf-8").splitlines() if "인사팀" in x)) + 1
    assert_input_error(cli("validate", f), f"{f}:{line}: handlers.source.sheet: evidence/hr.xlsx has no sheet '인사팀' (sheets: 인사)")


# ------------------------------------------------------------------ 11. one integrity rule


@pytest.mark.parametrize("case", ["missing", "altered"])
def test_an_attachment_missing_or_altered_is_the_same_input_error_everywhere(tmp_path, case):
    write(tmp_path, "ev/plan.md", "plan\n")
    digest = hashlib.sha256(b"plan\n").hexdigest()
    f = write(tmp_path, "facts.yaml", HEAD + f"attachments:\n  - {{id: plan, kind: internal-management-plan, path: ev/plan.md, sha256: {digest}}}\n")
    assert cli("validate", f).returncode == 0
    if case == "missing":
        (tmp_path / "ev" / "plan.md").unlink()
    else:
        write(tmp_path, "ev/plan.md", "plan, edited\n")
    runs = [cli("validate", f), cli("check", f), cli("report", f, "-o", tmp_path / "r.md")]
    for proc in runs:
        assert_input_error(proc, f"{f}:6: attachments[0].")
    assert len({p.stderr for p in runs}) == 1, [p.stderr for p in runs]
    assert not (tmp_path / "r.md").exists()


# ------------------------------------------------------------------ 12. dates that cannot be right

INCIDENT = """incidents:
  - id: inc-1
    began_on: 2025-06-24
    aware_at: 2025-07-01T09:00:00+09:00
    contained_at: 2025-06-30T10:00:00+09:00
    awareness:
      - {at: 2025-06-20T10:00:00+09:00, kind: first-signal}
    reported_to_pipc_at: 2025-07-02T09:00:00+09:00
"""


@pytest.mark.parametrize(
    "change, line, message",
    [
        (("period_start: 2024-12-01", "period_start: 2025-12-01"), 2, "period_start: the audited period starts on 2025-12-01 but as_of is 2025-11-30"),
        (("aware_at: 2025-07-01T09", "aware_at: 2025-12-01T09"), 8, "incidents[0].aware_at: aware_at 2025-12-01T09:00:00+09:00 is after as_of"),
        (("began_on: 2025-06-24", "began_on: 2025-12-24"), 7, "incidents[0].began_on: began_on 2025-12-24 is after as_of"),
        (("reported_to_pipc_at: 2025-07-02", "reported_to_pipc_at: 2025-06-19"), 12, "is before the organisation first learned of the incident"),
        (("reported_to_pipc_at: 2025-07-02", "reported_to_pipc_at: 2025-06-22"), 12, "is before the leak began (began_on 2025-06-24)"),
    ],
)
def test_impossible_dates_are_input_errors_in_validate_and_check(tmp_path, change, line, message):
    ok = write(tmp_path, "facts.yaml", HEAD + INCIDENT)
    assert cli("validate", ok).returncode == 0  # contained before awareness, a first signal before the leak: possible
    f = write(tmp_path, "facts.yaml", (HEAD + INCIDENT).replace(*change))
    for command in ("validate", "check"):
        assert_input_error(cli(command, f), f"{f}:{line}: ", message)


@pytest.mark.parametrize("tail, line", [
    ('h-4,최,"2025-02-01,,sys-a\nh-5,정,,,sys-a\n', 5),  # a quote never closed: h-5 vanished into one cell
    ('h-4,"최"x,,,sys-a\n', 5),  # text after a closing quote
])
def test_a_csv_source_with_a_broken_quote_is_refused_at_its_row(tmp_path, tail, line):
    write(tmp_path, "evidence/hr.csv", HR + tail)
    f = write(tmp_path, "facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    assert_input_error(cli("validate", f), f"hr.csv:{line}: not readable as CSV")


@pytest.mark.parametrize("rows, line", [
    ("h-4,최,2025-02-30,,sys-a\n", 5),  # read in one call (every row one line): the row's own line
    ('h-4,"최\n(겸직)",,,sys-a\nh-5,정,2025-02-30,,sys-a\n', 7),  # a quoted line break: each row's line read one by one
    ('h-4,"최\n(겸직)",,,sys-a\nh-5,정,"2025-02-30,,sys-a\n', 7),  # and a quote never closed after it
])
def test_a_csv_sources_problems_are_at_their_lines_however_the_rows_are_read(tmp_path, rows, line):
    write(tmp_path, "evidence/hr.csv", HR + rows)
    f = write(tmp_path, "facts.yaml", HEAD + HANDLERS_FROM.format(name="hr.csv"))
    for command in ("validate", "check"):
        proc = cli(command, f)
        problems = [said for said in proc.stderr.splitlines() if ": " in said and not said.startswith("warning")]
        assert proc.returncode == 2 and len(problems) == 1 and f"hr.csv:{line}:" in problems[0], proc.stderr
