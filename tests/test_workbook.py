"""The Korean workbook as a facts file (issue 19, decision 20): written from the model and the catalogs, read back into
the same facts as YAML, every problem at its sheet!cell, and readable by real spreadsheet software."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from compliance import workbook
from compliance.cli import main
from compliance.facts import Facts, to_evaluation_dict
from compliance.loading import InputError, load
from compliance.pipeline import audit
from compliance.workbook import read_workbook, write_workbook

from .conftest import CATALOGS, ROOT

EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/facts.yaml"))


def facts_of(data: dict) -> dict:
    """The validated facts, as plain values (what two faces of the same facts must agree on)."""
    return Facts.model_validate({k: v for k, v in data.items() if k != "$schema"}).model_dump(
        mode="json", exclude_none=True, exclude={"schema_ref"})


def verdicts(result) -> dict:
    return {k: v for k, v in result.model_dump(mode="json").items() if k not in ("facts_file", "facts_sha256")}


def save(tmp_path: Path, catalogs, data: dict | None, name: str = "점검표.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(write_workbook(catalogs, data))
    return path


def column(ws, key: str) -> int:
    """The column whose row-3 key is ``key`` (what the reader goes by)."""
    for c in ws[workbook.KEY_ROW]:
        if c.value == key:
            return c.column
    raise AssertionError(f"no column {key} on {ws.title}")


def basic_row(ws, key: str) -> int:
    for r in range(workbook.FIRST_ROW, ws.max_row + 1):
        if ws.cell(r, 2).value == key:
            return r
    raise AssertionError(f"no row {key}")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_round_trips_through_the_workbook_and_back_to_yaml(name, tmp_path, catalogs, capsys):
    """init --from facts.yaml -o x.xlsx, then init --from x.xlsx -o facts.yaml: the same facts, the same verdicts."""
    folder = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, folder, symlinks=True)
    yaml_path = folder / "facts.yaml"
    data, _text = load(yaml_path)
    xlsx = folder / "점검표.xlsx"
    xlsx.write_bytes(write_workbook(catalogs, data, str(yaml_path)))
    read, _ = read_workbook(xlsx)
    assert facts_of(read) == facts_of(data)
    back = folder / "back.yaml"
    code, _out, err = run(capsys, "init", "--from", xlsx, "-o", back)
    assert code == 0, err
    assert facts_of(load(back)[0]) == facts_of(data)
    waivers = folder / "waivers.yaml"
    w = waivers if waivers.exists() else None
    assert verdicts(audit(xlsx, CATALOGS, w)) == verdicts(audit(yaml_path, CATALOGS, w))


EDGE = {
    "as_of": "2025-11-30",
    "auditor": "예",  # yes in a text field is text
    "scope": "null",  # and so is null
    "not_examined": ["없음"],  # a list of the one word that states a list empty
    "organization": {"name": "주식회사 한글상사\n(본점)", "kind": "private", "subjects": 9007199254740993,
                     "ict_service_provider": True, "privacy_officer": "true"},
    "privacy_officer": {"name": "김 CPO", "duties": ["a, b", "[x]", "line1"], "designated_on": "2024-01-02"},
    "destruction": {"methods": []},
    "access_rights_records": {"reviews": ["2025-06-30", "2025-10-31"]},
    "systems": [
        {"id": "007", "name": "=cmd|' /C calc'!A0", "remote_access": {"allowed": False, "methods": ["vpn", "otp"]},
         "access_log": {"reviews": []}, "vulnerabilities": [],
         "alerts": [{"id": "a1", "raised_at": "2025-06-11T02:14:00+09:00", "reviewed_at": "unknown",
                     "kind": "_x0041_ tab\tx"}],
         "components": [{"name": "Ubuntu", "version": "24.04"}]},
        {"id": "sys-2", "vulnerabilities": [{"id": "CVE-1", "fixed_on": "unknown", "fix_available_on": "2025-01-01"}]},
        {"id": "sys-3"},
    ],
    "handlers": [{"id": "h-1", "left_on": "2025-01-31", "systems": ["007"], "role": "아니오"}, {"id": "h-2", "systems": []}],
    "credentials": [{"id": "k1", "owner": "h-1", "last_used_at": "2025-01-31T23:59:59.5-05:00", "issued_on": "2020-02-29"}],
    "incidents": [],
    "attachments": [],
}


def test_hand_made_facts_round_trip_exactly(tmp_path, catalogs):
    """Hangul, leading zeros, 예 and null as text, a formula-looking text, OOXML escapes, a tab, numbers beyond a
    spreadsheet's 15 digits, dates beside date-times with offsets, unknown events, empty lists beside lists not stated."""
    path = save(tmp_path, catalogs, EDGE)
    read, text = read_workbook(path)
    assert facts_of(read) == facts_of(EDGE)
    assert to_evaluation_dict(Facts.model_validate(read)) == to_evaluation_dict(Facts.model_validate(EDGE))
    assert read["systems"][0]["id"] == "007" and read["auditor"] == "예" and read["scope"] == "null"
    assert read["incidents"] == [] and read["systems"][0]["vulnerabilities"] == [] and read["handlers"][1]["systems"] == []
    assert "accounts" not in read and "vulnerabilities" not in read["systems"][2]  # not stated stays not stated
    assert read["organization"]["subjects"] == 9007199254740993
    assert json.loads(text) == read  # the canonical text is the facts read, which every locator walks
    ws = openpyxl.load_workbook(path)["시스템"]
    assert ws.cell(workbook.FIRST_ROW, column(ws, "name")).data_type == "s"  # a text, never a formula


def test_lists_kept_in_exports_round_trip_and_are_read(tmp_path, catalogs):
    """A list stated as {source: …} (top level, inside a row, a list of dates) stays one, and check reads the export."""
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "hr.csv").write_text("사번,퇴사일,권한말소일\nh-1,2025-01-10,2025-01-10\nh-2,,\n", encoding="utf-8")
    (tmp_path / "evidence" / "reviews.csv").write_text("점검일\n2025-09-30\n2025-10-31\n", encoding="utf-8")
    data = {
        "as_of": "2025-11-30", "organization": {"name": "X"},
        "handlers": {"source": {"path": "evidence/hr.csv", "columns": {"id": "사번", "left_on": "퇴사일", "access_revoked_on": "권한말소일"},
                                "not_tracked": ["duties_changed_on", "access_changed_on", "trained_on"]}},
        "systems": [{"id": "s1", "access_log": {"reviews": {"source": {"path": "evidence/reviews.csv", "column": "점검일"}}},
                     "vulnerabilities": {"source": {"path": "evidence/v.csv"}}}],
    }
    path = save(tmp_path, catalogs, data)
    read, _ = read_workbook(path)
    assert read == data
    del data["systems"][0]["vulnerabilities"]
    path = save(tmp_path, catalogs, data, "b.xlsx")
    from compliance.pipeline import check_facts

    facts, _text, statuses, problems = check_facts(path, catalogs)
    assert problems == [] and [h.id for h in facts.handlers] == ["h-1", "h-2"]
    assert facts.systems[0].access_log.reviews == [dt.date(2025, 9, 30), dt.date(2025, 10, 31)]


# ------------------------------------------------------------------------------------ an officer fills it in

SMALL = """as_of: 2025-11-30
organization: {name: 작은 병원, kind: private, size: small, subjects: 12000, ict_service_provider: true}
systems:
  - {id: sys-1, ip_restricted: true, network_zone: internal, remote_access: {allowed: true, methods: [vpn, otp]},
     access_log: {retention_days: 730, reviews: [2025-09-30, 2025-10-31]}, vulnerabilities: []}
handlers:
  - {id: h-1, left_on: 2025-04-30, access_revoked_on: 2025-05-20, trained_on: 2025-03-10}
  - {id: h-2, trained_on: 2024-01-10}
incidents: []
"""


def fill(ws, row: int, values: dict) -> None:
    for key, value in values.items():
        ws.cell(row, column(ws, key)).value = value


def test_a_workbook_filled_in_a_spreadsheet_judges_as_its_yaml(tmp_path, catalogs, capsys):
    """Cells typed as an officer types them (date cells, 예/아니오, a list in one cell, 없음) give the YAML's verdicts."""
    yaml_path = tmp_path / "facts.yaml"
    yaml_path.write_text(SMALL, encoding="utf-8")
    path = save(tmp_path, catalogs, None)
    wb = openpyxl.load_workbook(path)
    basic = wb[workbook.BASIC]
    for key, value in {"as_of": dt.datetime(2025, 11, 30), "organization.name": "작은 병원", "organization.kind": "private",
                       "organization.size": "small", "organization.subjects": 12000, "organization.ict_service_provider": "예"}.items():
        basic.cell(basic_row(basic, key), 4).value = value
    systems = wb["시스템"]
    fill(systems, 4, {"id": "sys-1", "ip_restricted": "예", "network_zone": "internal", "remote_access.allowed": True,
                      "remote_access.methods": "vpn, otp", "access_log.retention_days": 730,
                      "access_log.reviews": "2025-09-30\n2025-10-31", "vulnerabilities": "없음"})
    handlers = wb["취급자"]
    fill(handlers, 4, {"id": "h-1", "left_on": dt.date(2025, 4, 30), "access_revoked_on": "2025. 5. 20.", "trained_on": dt.datetime(2025, 3, 10)})
    fill(handlers, 5, {"id": "h-2", "trained_on": dt.date(2024, 1, 10)})
    wb["사고"]["B1"] = "없음"
    attest = wb["확인서"]
    for r in range(workbook.FIRST_ROW, attest.max_row + 1):  # the fresh workbook's prompts, as the fresh YAML template has none
        for c in range(1, attest.max_column + 1):
            attest.cell(r, c).value = None
    wb.save(path)
    read, _ = read_workbook(path)
    assert facts_of(read) == facts_of(load(yaml_path)[0])
    assert verdicts(audit(path, CATALOGS)) == verdicts(audit(yaml_path, CATALOGS))
    code, out, err = run(capsys, "validate", path)
    assert code == 0 and "점검표.xlsx: ok" in out, err


def test_blank_cells_never_pass(tmp_path, catalogs, capsys):
    """A fresh workbook with only the two required facts: every duty lacks evidence, none is met; spaces are blank too."""
    path = save(tmp_path, catalogs, None)
    wb = openpyxl.load_workbook(path)
    basic = wb[workbook.BASIC]
    basic.cell(basic_row(basic, "as_of"), 4).value = dt.date(2025, 11, 30)
    basic.cell(basic_row(basic, "organization.name"), 4).value = "빈 칸 기관"
    basic.cell(basic_row(basic, "organization.subjects"), 4).value = "   "
    fill(wb["시스템"], 4, {"id": "s1", "ip_restricted": "  "})
    wb.save(path)
    read, _ = read_workbook(path)
    assert "subjects" not in read["organization"] and read["systems"] == [{"id": "s1"}]
    result = audit(path, CATALOGS)
    assert {c.verdict for c in result.controls} <= {"insufficient-evidence", "not-applicable"}
    assert any(c.verdict == "insufficient-evidence" for c in result.controls)


# ------------------------------------------------------------------------------------ problems at their cells


def test_a_wrong_cell_is_reported_at_its_cell_exit_2(tmp_path, catalogs, capsys):
    data = copy.deepcopy(load(ROOT / "examples" / "clean" / "facts.yaml")[0])
    path = save(tmp_path, catalogs, data)
    wb = openpyxl.load_workbook(path)
    ws = wb["시스템"]
    zone = column(ws, "network_zone")
    ws.cell(4, zone).value = "bogus"
    vul = wb["시스템-취약점"]
    vul.cell(4, column(vul, "fixed_on")).value = "soon"
    hs = wb["취급자"]
    hs.cell(5, column(hs, "left_on")).value = "2025-13-01"
    wb.save(path)
    code, _out, err = run(capsys, "check", path)
    assert code == 2
    letter = openpyxl.utils.get_column_letter
    assert f"점검표.xlsx:시스템!{letter(zone)}4: systems[0].network_zone: " in err
    assert f"점검표.xlsx:시스템-취약점!{letter(column(vul, 'fixed_on'))}4: systems[0].vulnerabilities[0].fixed_on: " in err
    assert f"점검표.xlsx:취급자!{letter(column(hs, 'left_on'))}5: handlers[1].left_on: " in err
    assert not re.search(r"\.xlsx:[0-9]", err)  # never a line of the text it was read into


def test_problems_found_after_reading_point_at_cells_too(tmp_path, catalogs, capsys):
    """References, duplicate ids, missing attachments and required facts: found by the facts layer, shown at cells."""
    data = copy.deepcopy(load(ROOT / "examples" / "clean" / "facts.yaml")[0])
    data["handlers"][2]["id"] = "h-1"
    data["attestations"][1]["attachment"] = "nope"
    del data["as_of"]
    path = save(tmp_path, catalogs, data)
    code, _out, err = run(capsys, "validate", path)
    assert code == 2
    assert "점검표.xlsx:기본사항!D" in err and "as_of: " in err
    data["as_of"] = "2025-11-30"
    path = save(tmp_path, catalogs, data)
    code, _out, err = run(capsys, "validate", path)
    hs = openpyxl.load_workbook(path)["취급자"]
    assert "점검표.xlsx:취급자!A6: handlers[2].id: duplicate id 'h-1' (first on 취급자!A4)" in err
    att = openpyxl.load_workbook(path)["확인서"]
    assert f"점검표.xlsx:확인서!{openpyxl.utils.get_column_letter(column(att, 'attachment'))}5: attestations[1].attachment: " in err
    assert hs.cell(6, 1).value == "h-1"


def test_a_formula_without_a_computed_value_is_refused_at_its_cell(tmp_path, catalogs, capsys):
    path = save(tmp_path, catalogs, {"as_of": "2025-11-30", "organization": {"name": "X"}})
    wb = openpyxl.load_workbook(path)
    basic = wb[workbook.BASIC]
    r = basic_row(basic, "organization.subjects")
    basic.cell(r, 4).value = "=1000*12"  # openpyxl stores the formula and no value, as any generator does
    wb.save(path)
    code, _out, err = run(capsys, "check", path)
    assert code == 2
    assert f"점검표.xlsx:기본사항!D{r}: a formula whose value was never computed" in err


def test_unknown_sheets_headers_and_keys_and_hidden_sheets_are_refused(tmp_path, catalogs):
    path = save(tmp_path, catalogs, {"as_of": "2025-11-30", "organization": {"name": "X"}, "handlers": [{"id": "h-1"}]})
    wb = openpyxl.load_workbook(path)
    hs = wb["취급자"]
    hs.cell(workbook.KEY_ROW, column(hs, "left_on")).value = "Left_On"  # a near miss would leave every left_on blank
    wb.create_sheet("메모")["A1"] = "notes"
    wb.create_sheet("#메모")["A1"] = "kept: a notes sheet"
    basic = wb[workbook.BASIC]
    basic.cell(basic_row(basic, "auditor"), 2).value = "auditr"
    wb["계정"].sheet_state = "hidden"
    wb.save(path)
    with pytest.raises(InputError) as info:
        read_workbook(path)
    text = str(info.value)
    assert "점검표.xlsx:메모!A1: not a sheet of a facts workbook" in text
    assert "점검표.xlsx:계정!A1: the sheet is hidden" in text
    assert "#메모" not in text
    del wb["메모"]
    wb["계정"].sheet_state = "visible"
    wb.save(path)
    with pytest.raises(InputError) as info:
        read_workbook(path)
    text = str(info.value)
    letter = openpyxl.utils.get_column_letter(column(hs, "Left_On"))
    assert f"점검표.xlsx:취급자!{letter}3: unknown key 'Left_On': it looks like left_on" in text
    assert f"점검표.xlsx:기본사항!B{basic_row(basic, 'auditr')}: unknown key 'auditr'" in text


def test_a_list_stated_empty_and_given_rows_is_refused(tmp_path, catalogs):
    path = save(tmp_path, catalogs, {"as_of": "2025-11-30", "organization": {"name": "X"}, "handlers": [],
                                     "systems": [{"id": "s1", "vulnerabilities": []}]})
    wb = openpyxl.load_workbook(path)
    assert wb["취급자"]["B1"].value == "없음"
    fill(wb["취급자"], 4, {"id": "h-1"})
    vul = wb["시스템-취약점"]
    fill(vul, 4, {"systems[].id": "s1", "id": "CVE-1"})
    fill(vul, 5, {"systems[].id": "s9", "id": "CVE-2"})
    wb.save(path)
    with pytest.raises(InputError) as info:
        read_workbook(path)
    text = str(info.value)
    assert "점검표.xlsx:취급자!B1: handlers: the list is stated as 없음 here, and rows are listed below" in text
    assert "the sheet 시스템-취약점 lists rows for this id" in text
    assert "점검표.xlsx:시스템-취약점!A5: systems[].id: no row of 시스템 has the id 's9'" in text


def test_reading_is_bounded(tmp_path, catalogs, monkeypatch):
    path = save(tmp_path, catalogs, {"as_of": "2025-11-30", "organization": {"name": "X"}})
    wb = openpyxl.load_workbook(path)
    wb["취급자"]["XFD1048576"] = "x"  # a sheet spanning 17 billion cells is never laid out in memory
    wb.save(path)
    with pytest.raises(InputError, match="취급자: the sheet spans 1,048,576 rows and 16,384 columns"):
        read_workbook(path)
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_BYTES", 1000)
    with pytest.raises(InputError, match="the limit is 1000"):
        read_workbook(path)
    bad = tmp_path / "bad.xlsx"
    bad.write_text("as_of: 2025-11-30\n")
    with pytest.raises(InputError, match="bad.xlsx: is not an XLSX workbook"):
        read_workbook(bad)


# ------------------------------------------------------------------------------------ what the sheets show


def test_the_sheets_offer_dropdowns_date_cells_notes_and_applicability(tmp_path, catalogs):
    data = copy.deepcopy(load(ROOT / "examples" / "clean" / "facts.yaml")[0])  # a small private business
    wb = openpyxl.load_workbook(save(tmp_path, catalogs, data))
    assert wb.sheetnames[:3] == [workbook.GUIDE, workbook.BASIC, "시스템"]
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [workbook.BASIC]  # never two grouped tabs
    hs = wb["취급자"]
    left = column(hs, "left_on")
    assert hs.cell(workbook.LABEL_ROW, left).comment is not None and "빈 칸 = 없음" in hs.cell(workbook.LABEL_ROW, left).comment.text
    granted = hs.cell(workbook.FIRST_ROW, column(hs, "granted_on"))
    assert isinstance(granted.value, dt.datetime) and granted.number_format == "yyyy-mm-dd"
    lists = {str(dv.sqref): dv.formula1 for dv in wb["시스템"].data_validations.dataValidation}
    zone = openpyxl.utils.get_column_letter(column(wb["시스템"], "network_zone"))
    assert lists[f"{zone}4:{zone}1048576"] == '"internet-facing,dmz,internal"'
    ip = openpyxl.utils.get_column_letter(column(wb["시스템"], "ip_restricted"))
    assert lists[f"{ip}4:{ip}1048576"] == '"예,아니오"'
    # duties for large processors only: evaluated on these facts, said so on the rows
    ref = wb[workbook.ATTEST_REF]
    rows = {ref.cell(r, 1).value: ref.cell(r, 7).value for r in range(4, ref.max_row + 1)}
    large = [cid for cid, c in ((c.control.id, c) for cat in catalogs for c in cat.controls)
             if c.control.applies_when == "large_processor_tier" and cid in rows]
    assert large and all(rows[cid].startswith("이 기관에 적용되지 않음") for cid in large)
    assert wb["시스템"].cell(workbook.LABEL_ROW, column(wb["시스템"], "art7_data")).value.endswith("(이 기관 해당 없음)")
    # without facts, the condition is stated in Korean instead
    fresh = openpyxl.load_workbook(save(tmp_path, catalogs, None, "fresh.xlsx"))[workbook.ATTEST_REF]
    rows = {fresh.cell(r, 1).value: fresh.cell(r, 7).value for r in range(4, fresh.max_row + 1)}
    assert all(rows[cid].startswith("해당 시에만 적용: 10만명 이상") for cid in large)


# ------------------------------------------------------------------------------------ real spreadsheet software

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH: the workbook is not "
                                   "checked against real spreadsheet software here")


def soffice(tmp_path: Path, sources: list[Path], target: str) -> list[Path]:
    out = tmp_path / f"out-{target.split(':')[0]}"
    proc = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                           "--convert-to", target, "--outdir", str(out), *map(str, sources)],
                          capture_output=True, text=True, timeout=300)
    made = [out / (source.stem + "." + target.split(":")[0]) for source in sources]
    assert proc.returncode == 0 and all(m.exists() for m in made), proc.stdout + proc.stderr
    return made


@needs_soffice
def test_libreoffice_prints_the_workbook_and_saves_it_back_to_the_same_facts(tmp_path, catalogs):
    folder = tmp_path / "ex"
    shutil.copytree(ROOT / "examples" / "ecommerce-breach", folder, symlinks=True)
    data, _ = load(folder / "facts.yaml")
    path = folder / "점검표.xlsx"
    path.write_bytes(write_workbook(catalogs, data))
    edge = save(tmp_path, catalogs, EDGE, "edge.xlsx")
    (pdf,) = soffice(tmp_path, [path], "pdf")
    from pypdf import PdfReader

    pages = PdfReader(str(pdf)).pages
    assert len(pages) > 5 and "pipa-audit" in pages[0].extract_text()
    resaved, edge_resaved = soffice(tmp_path, [path, edge], "xlsx:Calc MS Excel 2007 XML")
    assert zipfile.ZipFile(resaved).read("xl/workbook.xml") != zipfile.ZipFile(path).read("xl/workbook.xml")
    moved = folder / "resaved.xlsx"
    shutil.copy(resaved, moved)
    read, _ = read_workbook(moved)
    assert facts_of(read) == facts_of(data)
    w = folder / "waivers.yaml"
    assert verdicts(audit(moved, CATALOGS, w)) == verdicts(audit(folder / "facts.yaml", CATALOGS, w))
    assert facts_of(read_workbook(edge_resaved)[0]) == facts_of(EDGE)  # leading zeros, escapes, text kept as text
    kept = openpyxl.load_workbook(moved)["시스템"]  # LibreOffice understood and kept the dropdowns
    assert any(dv.formula1 == '"예,아니오"' for dv in kept.data_validations.dataValidation)


def test_every_list_of_the_model_has_a_korean_sheet(tmp_path, catalogs):
    """A list the model gains must get a sheet (and a Korean name in workbook.SHEET_NAMES), or its facts could only be
    stated in YAML."""
    import typing

    from pydantic import BaseModel

    def lists(model, prefix=""):
        for name, info in model.model_fields.items():
            for arg in [info.annotation, *typing.get_args(info.annotation)]:
                inner = typing.get_args(arg)[0] if typing.get_origin(arg) is list else arg
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    if typing.get_origin(arg) is list:
                        yield prefix + name
                    yield from lists(inner, prefix + name + ".")
                    break

    wanted = set(lists(Facts))
    tables = {t.path: t.sheet for t in workbook.layout().tables}
    assert set(tables) == wanted
    assert all(re.search(r"[\uac00-\ud7a3]", sheet) for sheet in tables.values()), tables
    sheets = openpyxl.load_workbook(save(tmp_path, catalogs, None)).sheetnames
    assert set(tables.values()) <= set(sheets)


def test_a_deleted_did_not_happen_column_is_refused_not_read_as_never(tmp_path, catalogs, capsys):
    """Deleting the 퇴직일 (left_on) column must not say that nobody left: it turned notice/5.2 from non-compliant
    into compliant before the reader refused it."""
    seed = load(ROOT / "examples" / "ecommerce-breach" / "facts.yaml")[0]
    path = save(tmp_path, catalogs, seed)
    shutil.copytree(ROOT / "examples" / "ecommerce-breach" / "evidence", tmp_path / "evidence")
    wb = openpyxl.load_workbook(path)
    handlers = wb["취급자"]
    handlers.delete_cols(column(handlers, "left_on"))
    cut = tmp_path / "cut.xlsx"
    wb.save(cut)
    code, _out, err = run(capsys, "check", cut, "-o", tmp_path / "r.json")
    assert code == 2 and err.startswith(f"{cut}:취급자!A3: the sheet has no column left_on"), err
    assert not (tmp_path / "r.json").exists()
    whole = {c.id: c.verdict for c in audit(path, CATALOGS).controls}
    assert whole["notice/5.2"] == "non-compliant"
