"""Input errors in the user's language (issue 19): under ``--lang ko`` each of the usual mistakes of a facts file is one
Korean line that still names the file and its line (or a workbook's sheet!cell); without it the same line is English.
The location prefix and the field path are the same in both languages: only the sentence after them is translated."""

from __future__ import annotations

import copy
import re
import shutil

import openpyxl
import pytest

from compliance import i18n
from compliance.cli import main
from compliance.loading import load
from compliance.workbook import write_workbook

from .conftest import ROOT

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HEAD = "as_of: 2025-11-30\norganization: {name: X}\n"


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.use("en")


def one_line(capsys, argv: list[str], lang: str) -> str:
    """The single stderr line of a run that refuses its input (exit 2)."""
    code = main([*argv, "--lang", lang])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1, lines
    assert "Traceback" not in err
    return lines[0]


def message_after(line: str, prefix: str) -> str:
    assert line.startswith(prefix), (prefix, line)
    return line[len(prefix):]


def _facts(tmp_path, text: str):
    path = tmp_path / "facts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _workbook_with_bad_date(tmp_path, catalogs):
    """The clean example as a workbook, one handler's left_on typed as a date that is no date."""
    data = copy.deepcopy(load(ROOT / "examples" / "clean" / "facts.yaml")[0])
    path = tmp_path / "checklist.xlsx"
    path.write_bytes(write_workbook(catalogs, data))
    wb = openpyxl.load_workbook(path)
    ws = wb["취급자"]
    col = next(c.column for c in ws[3] if c.value == "left_on")
    ws.cell(5, col).value = "31-03-2025"
    wb.save(path)
    return path, f"{path}:취급자!{openpyxl.utils.get_column_letter(col)}5: handlers[1].left_on: "


CASES = {
    # case: (facts text, location after the file name, an English fragment of the message)
    "syntax": (HEAD.replace("{name: X}", "{name: X"), ":2: ", "invalid YAML: the { opened on this line is never closed"),
    "date-form": (HEAD + "handlers:\n  - {id: h, left_on: 31-03-2025}\n", ":4: handlers[0].left_on: ",
                  "write a date as 2025-03-31"),
    "unknown-field": (HEAD + "handlerz: []\n", ":3: handlerz: ", "unknown field"),
    "missing-attachment": (HEAD + "attachments:\n  - {id: plan, kind: internal-management-plan, path: evidence/plan.pdf}\n",
                           ":4: attachments[0].path: ", "attachment file not found: evidence/plan.pdf"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_facts_file_mistake_is_one_korean_line_at_its_line(tmp_path, capsys, case):
    text, where, english = CASES[case]
    path = _facts(tmp_path, text)
    for command in ("validate", "check"):
        ko = message_after(one_line(capsys, [command, str(path)], "ko"), f"{path}{where}")
        assert HANGUL.search(ko), ko
        en = message_after(one_line(capsys, [command, str(path)], "en"), f"{path}{where}")
        assert english in en and not HANGUL.search(en), en


def test_a_missing_facts_file_is_one_korean_line(tmp_path, capsys):
    path = tmp_path / "nope.yaml"
    ko = message_after(one_line(capsys, ["check", str(path)], "ko"), f"{path}: ")
    assert ko == "파일이 없습니다"
    assert message_after(one_line(capsys, ["check", str(path)], "en"), f"{path}: ") == "file not found"


def test_a_bad_workbook_cell_is_one_korean_line_at_its_cell(tmp_path, capsys, catalogs):
    path, where = _workbook_with_bad_date(tmp_path, catalogs)
    ko = message_after(one_line(capsys, ["check", str(path)], "ko"), where)
    assert HANGUL.search(ko) and "2025-03-31" in ko, ko
    en = message_after(one_line(capsys, ["check", str(path)], "en"), where)
    assert "write a date as 2025-03-31" in en and not HANGUL.search(en), en


def test_a_line_named_in_a_korean_message_about_a_workbook_is_its_cell(tmp_path, capsys, catalogs):
    """'(first on line N)' is a line of the text a workbook was read into: in Korean too it is shown as the cell."""
    shutil.copytree(ROOT / "examples" / "clean", tmp_path / "org")  # its attachments beside the workbook
    data = copy.deepcopy(load(tmp_path / "org" / "facts.yaml")[0])
    data["handlers"][2]["id"] = data["handlers"][0]["id"]
    path = tmp_path / "org" / "checklist.xlsx"
    path.write_bytes(write_workbook(catalogs, data))
    where = f"{path}:취급자!A6: handlers[2].id: "  # (the handler's other references fail too, on lines of their own)
    for lang, first in (("ko", "(처음은 취급자!A4)"), ("en", "(first on 취급자!A4)")):
        assert main(["validate", str(path), "--lang", lang]) == 2
        line = next((x for x in capsys.readouterr().err.splitlines() if x.startswith(where)), "")
        message = message_after(line, where)
        assert first in message and not re.search(r"line|줄", message), message
        assert bool(HANGUL.search(message.replace(first, ""))) == (lang == "ko"), message


def test_a_duplicate_id_in_a_csv_source_is_shown_at_its_row_in_korean(tmp_path, capsys):
    """A duplicate id read from a CSV is reported at its row and column; the facts file's line of the first one (a line
    of a different file) is dropped from the message in either language."""
    (tmp_path / "hr.csv").write_text("id,left_on\nh-1,\nh-1,2025-03-31\n", encoding="utf-8")
    untracked = "[duties_changed_on, access_changed_on, access_revoked_on, trained_on]"
    path = _facts(tmp_path, HEAD + f"handlers:\n  source: {{path: hr.csv, not_tracked: {untracked}}}\n")
    ko = message_after(one_line(capsys, ["validate", str(path)], "ko"), f"{tmp_path / 'hr.csv'}:3:1: handlers[1].id (id): ")
    assert HANGUL.search(ko) and "처음" not in ko and "줄" not in ko, ko
    en = message_after(one_line(capsys, ["validate", str(path)], "en"), f"{tmp_path / 'hr.csv'}:3:1: handlers[1].id (id): ")
    assert en == "duplicate id 'h-1': every id in handlers must be unique", en
