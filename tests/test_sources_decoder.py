"""Lists read from CSV and XLSX sources go through the row decoder (compliance.row_decoder) when check asks for
structs: the same result and the same located messages as pydantic's path, and as the row-by-row reading
(``sources._rows``) that the column-at-a-time one (``sources._by_columns``) replaces when a table is regular."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import openpyxl
import pytest

from compliance import row_decoder, sources
from compliance.catalog import default_catalog_dir, load_catalogs
from compliance.cli import main
from compliance.pipeline import check_facts
from tests.test_row_decoder import _check  # one way to run a check and read its result

HEAD = ("as_of: 2025-11-30\norganization: {name: Org, kind: private}\n"
        "systems: [{id: sys-a}, {id: sys-b}]\n")
LISTS = {  # list -> (file, columns as the facts file maps them, not_tracked)
    "handlers": ("hr", {"id": "사번", "role": "직무", "systems": "시스템", "granted_on": "권한부여일", "left_on": "퇴사일",
                        "access_revoked_on": "권한말소일", "trained_on": "교육일", "can_download": "다운로드"},
                 ["duties_changed_on", "access_changed_on"]),
    "accounts": ("iam", {"id": "계정", "system": "시스템", "holders": "사용자", "shared_reason": "공유사유"}, []),
    "credentials": ("keys", {"id": "키", "kind": "종류", "owner": "소유자", "issued_on": "발급일", "revoked_on": "폐기일",
                             "last_used_at": "최종사용일시", "last_used_from": "최종사용위치"}, []),
}


def _pad(rnd: random.Random, text: str) -> str:
    """Text as an export may write it: spaces, a no-break or ideographic space, a tab at either end."""
    return rnd.choice(["", " ", "\u00a0", "\u3000", "\t"]) + text + rnd.choice(["", " ", "\u3000"])


def _day(rnd: random.Random, xlsx: bool, unknown: bool = True):
    if xlsx and rnd.random() < 0.6:
        return rnd.choice([dt.date(2025, 1, 10), dt.datetime(2025, 6, 1)])  # date cells, as a spreadsheet keeps them
    return _pad(rnd, rnd.choice(["2025-01-10", "2025. 6. 1.", "2025/1/20", "2025.03.01"] + ["unknown"] * unknown))


def _tables(n: int, seed: int, xlsx: bool = False) -> dict[str, list[list]]:
    """The rows (header first) of the three lists: every form a cell may take, blank rows among them."""
    rnd = random.Random(seed)
    hr, iam, keys = [], [], []
    for i in range(n):
        left = _day(rnd, xlsx) if rnd.random() < 0.3 else ""
        yes_no = rnd.choice([True, False, None] if xlsx else ["예", "아니오", " Y ", "true", ""])
        hr.append([_pad(rnd, f"h-{i}"), rnd.choice(["agent", "개인정보 담당", ""]),
                   rnd.choice(["sys-a", "sys-a; sys-b", " sys-b ,sys-a", "sys-a,,", ""]), _day(rnd, xlsx, False), left,
                   _day(rnd, xlsx) if left and rnd.random() < 0.7 else "", _day(rnd, xlsx) if rnd.random() < 0.6 else "",
                   yes_no])
        iam.append([f"acc-{i}", rnd.choice(["sys-a", "sys-b"]), rnd.choice([f"h-{i}", f"h-{i};h-{(i + 1) % n}", ""]),
                    rnd.choice(["", "", "공용 단말 "])])
        if i % 3 == 0:
            keys.append([f"key-{i}", rnd.choice(["api-key", "ssh-key", ""]), f"h-{i}", _day(rnd, xlsx, False),
                         rnd.choice(["", "", "2025-02-01", "unknown"]),
                         rnd.choice(["", "2025-11-18T09:00+09:00", "2025.11.18 09:00+0900", "unknown"]),
                         rnd.choice(["", "10.0.0.1", " 사내망 "])])
    for rows in (hr, iam, keys):
        for at in sorted(rnd.sample(range(len(rows)), 3), reverse=True):  # blank rows are not rows of the list
            rows.insert(at, rnd.choice([[], ["", " "] + [""] * (len(rows[0]) - 2)]) if not xlsx else [None] * len(rows[0]))
    return {name: [list(LISTS[name][1].values()), *rows] for name, rows in zip(LISTS, (hr, iam, keys))}


def _facts(tmp_path, tables: dict[str, list[list]], xlsx: bool = False) -> str:
    (tmp_path / "evidence").mkdir(exist_ok=True)
    text = HEAD
    for name, rows in tables.items():
        file, columns, untracked = LISTS[name]
        path = tmp_path / "evidence" / f"{file}.{'xlsx' if xlsx else 'csv'}"
        if xlsx:
            wb = openpyxl.Workbook()
            for row in rows:
                wb.active.append([None if v in ("", None) else v for v in row])
            wb.save(path)
        else:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            path.write_text(out.getvalue(), encoding="utf-8")
        mapping = ", ".join(f"{f}: {h}" for f, h in columns.items())
        text += f"{name}: {{source: {{path: evidence/{path.name}, columns: {{{mapping}}}, not_tracked: {untracked}}}}}\n"
    facts = tmp_path / "facts.yaml"
    facts.write_text(text, encoding="utf-8")
    return str(facts)


def _no_decoder(monkeypatch):
    monkeypatch.setattr(row_decoder, "decode", lambda model, rows, **kw: None)
    monkeypatch.setattr(row_decoder, "from_columns", lambda model, names, columns: None)


def _row_by_row(monkeypatch):
    monkeypatch.setattr(sources, "_by_columns", lambda rows, *args: (rows, None))


def _structs(path: str) -> set[str]:
    """The lists check_facts gives as the decoder's structs."""
    facts = check_facts(path, load_catalogs(default_catalog_dir()), rows_as_structs=True)[0]
    return {name for name in LISTS if row_decoder.is_struct_list(getattr(facts, name))}


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_a_sourced_check_is_the_same_through_the_decoder_through_pydantic_and_row_by_row(tmp_path, monkeypatch, xlsx):
    path = _facts(tmp_path, _tables(300, 11, xlsx), xlsx)
    assert _structs(path) == set(LISTS)  # the decoder took every list (else this test would hold nothing)
    decoded = _check(path, tmp_path, "decoded")
    assert {a["id"] for a in decoded["attachments"]} == {f"source:{name}" for name in LISTS}
    with monkeypatch.context() as m:
        _no_decoder(m)
        assert _structs(path) == set()
        assert _check(path, tmp_path, "pydantic") == decoded
    _no_decoder(monkeypatch)
    _row_by_row(monkeypatch)
    assert _check(path, tmp_path, "row-by-row") == decoded


def _errors(path: str, capsys) -> list[str]:
    assert main(["check", path]) == 2
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_a_bad_cell_and_a_duplicate_id_are_located_the_same_either_way(tmp_path, monkeypatch, capsys, xlsx):
    tables = _tables(8, 12, xlsx)
    hr = tables["handlers"] = tables["handlers"][:1] + [[f"h-{i}", "agent", "sys-a", "2020-01-02", "", "", "", ""] for i in range(8)]
    hr.insert(2, [None] * 8 if xlsx else [])  # a blank row, and a cell of two lines: the rows below move down in a CSV
    hr[3][1] = "agent\nsenior"
    hr[5][4] = "2025-02-30"  # handlers[3]: row 6 of the sheet, line 7 of the CSV
    name, line = ("hr.xlsx", 6) if xlsx else ("hr.csv", 7)
    path = _facts(tmp_path, tables, xlsx)
    bad = _errors(path, capsys)
    assert len(bad) == 1 and f"{name}:{line}:5: handlers[3].left_on (퇴사일): " in bad[0] and "calendar" in bad[0], bad
    hr[5][4] = ""
    hr[6][0] = "h-1"  # a duplicate id is found after reading (compliance.integrity), in the structs: at its cell too
    path = _facts(tmp_path, tables, xlsx)
    assert _structs(path) == set(LISTS)
    decoded = _errors(path, capsys)
    assert any(f"{name}:{line + 1}:1: handlers[4].id (사번): duplicate id 'h-1'" in e for e in decoded), decoded
    with monkeypatch.context() as m:
        _no_decoder(m)
        assert _errors(path, capsys) == decoded
    hr[5][4], hr[6][0] = "2025-02-30", "h-4"
    path = _facts(tmp_path, tables, xlsx)
    _row_by_row(monkeypatch)
    assert _errors(path, capsys) == bad


def test_cells_pydantic_would_refuse_send_the_list_back_to_it(tmp_path, monkeypatch, capsys):
    """A yes/no word that is none, an id left empty: the decoder cannot take the list, pydantic says what is wrong,
    in the words the row-by-row reading gets."""
    tables = _tables(20, 13)
    tables["handlers"][4][7], tables["handlers"][9][0] = "maybe", " "
    path = _facts(tmp_path, tables)
    err = _errors(path, capsys)
    assert len(err) == 2 and ":5:8: handlers[" in err[0] and ".can_download (다운로드): " in err[0], err
    assert ":10:1: handlers[" in err[1] and ".id (사번): " in err[1] and "map a column to it" in err[1], err
    with monkeypatch.context() as m:
        _row_by_row(m)
        assert _errors(path, capsys) == err
    tables["handlers"][4][7], tables["handlers"][9][0] = "아니오", "h-x"
    assert _structs(_facts(tmp_path, tables)) == set(LISTS)  # a yes/no word is read as its boolean for the decoder
