"""The organisation's working calendar is a fact (``working_calendar``), stated once: the off-hours and working-day
analyses read it from the facts, a ``calendar:`` in the analysis parameters is refused at its line, a malformed one
is an input error at its line, and without one the Korean public calendar applies and the output says so."""

import csv
import datetime as dt
import json

import pytest

from compliance.facts import Facts
from compliance.logs import synthetic
from compliance.workbook import read_workbook, write_workbook

from .conftest import cli, write

FACTS = "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n"
# one account: one event at 10:00 on each working day of February, then 25 at 10:00 on 2025-03-03 (삼일절 대체 휴일)
# and 25 on 2025-03-04 (an ordinary Tuesday)
LINES = ([f"u1,2025-02-{d:02d} 10:00:00,10.0.0.1,sys,view" for d in range(3, 28) if dt.date(2025, 2, d).weekday() < 5]
         + [f"u1,2025-03-0{d} 10:{m:02d}:00,10.0.0.1,sys,view" for d in (3, 4) for m in range(25)])


def analyze(tmp_path, facts: str, params: str = ""):
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + "".join(l + "\n" for l in LINES))
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
    args = ["logs", "analyze", tmp_path / "rec", "--facts", write(tmp_path, "facts.yaml", facts), "-o", tmp_path / "d.json"]
    if params:
        args += ["--params", write(tmp_path, "params.yaml", params)]
    return cli(*args)


def bursts(derived) -> list[tuple[str, str]]:
    return sorted((b["day"], b["day_kind"]) for b in derived["analyses"]["off_hours_bursts"]["items"])


def test_the_stated_calendar_decides_what_is_off_hours(tmp_path):
    """A stated workday on a public holiday removes its off-hours flag; a day off of the organisation's own adds one;
    stated working hours move the working day."""
    proc = analyze(tmp_path / "public", FACTS)
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((tmp_path / "public" / "d.json").read_text())
    assert bursts(derived) == [("2025-03-03", "holiday")]

    stated = FACTS + "working_calendar: {workdays: [2025-03-03], holidays: [{date: 2025-03-04, name: 창립기념일}]}\n"
    proc = analyze(tmp_path / "stated", stated)
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((tmp_path / "stated" / "d.json").read_text())
    assert bursts(derived) == [("2025-03-04", "holiday")]
    assert derived["calendar"]["source"] == "facts" and derived["calendar"]["holidays"] == {"2025-03-04": "창립기념일"}
    assert derived["calendar"]["workdays"] == ["2025-03-03"]

    late = FACTS + "working_calendar: {workdays: [2025-03-03], working_hours: {start: '10:30'}}\n"
    proc = analyze(tmp_path / "late", late)
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((tmp_path / "late" / "d.json").read_text())
    assert bursts(derived) == [("2025-03-03", "workday"), ("2025-03-04", "workday")]  # 10:00 is before the day starts
    assert derived["calendar"]["working_hours"] == {"start": "10:30", "end": "18:00"}


def test_without_a_stated_calendar_the_korean_public_calendar_is_used_and_said_so(tmp_path):
    blanks = FACTS + "working_calendar:\n  holidays:\n  workdays:\n  working_hours:\n    start:\n    end:\n"  # init's blanks
    for name, facts in (("absent", FACTS), ("blanks", blanks)):
        proc = analyze(tmp_path / name, facts)
        assert proc.returncode == 0, proc.stderr
        derived = json.loads((tmp_path / name / "d.json").read_text())
        assert derived["calendar"] == {"source": "default", "public_holidays": "KR 2020-2027",
                                       "working_hours": {"start": "09:00", "end": "18:00"}, "holidays": {}, "workdays": []}
        assert any(n.startswith("Working calendar: the Korean public calendar") for n in derived["notes"])
        assert "working calendar: the Korean public calendar, 09:00–18:00" in proc.stderr
        assert bursts(derived) == [("2025-03-03", "holiday")]


def test_a_worked_holiday_stated_in_the_facts_recovers_the_intruders_nights(tmp_path):
    """The whole organisation worked 어린이날 and 현충일: unstated, everyone's day is off-hours and the intruder's
    nights do not stand out (recall 0.97, tests/test_logs_bursts.py); stated, they are found and nobody else is."""
    root, truth = synthetic.write_burst_world(tmp_path / "world", stated=True)
    assert cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", root / "d.json", "-q")
    assert proc.returncode == 0, proc.stderr
    items = json.loads((root / "d.json").read_text())["analyses"]["off_hours_bursts"]["items"]
    got = {(b["account"], b["day"]) for b in items}
    assert got == truth  # precision and recall 1.0
    worked = {d.isoformat() for d in synthetic.WORKED_HOLIDAYS}
    assert {day for acc, day in got if day in worked and acc == synthetic.INTRUDER} == worked


@pytest.mark.parametrize("command", ["analyze", "export-sql"])
def test_a_calendar_in_the_parameters_is_refused_at_its_line(tmp_path, command):
    facts = write(tmp_path, "facts.yaml", FACTS)
    params = write(tmp_path, "params.yaml", "download_threshold: 500\ncalendar:\n  workdays: [2025-05-05]\n")
    if command == "analyze":
        src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + LINES[0] + "\n")
        assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
        proc = cli("logs", "analyze", tmp_path / "rec", "--facts", facts, "--params", params, "-o", tmp_path / "out")
    else:
        proc = cli("logs", "export-sql", "--dialect", "duckdb", "--facts", facts, "--params", params, "-o", tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"{params}:2: calendar: ") and "state it in the facts as working_calendar" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("calendar, line, words", [
    ("working_calendar:\n  holidays: [{date: 2025-05-05, name: 창립기념일}]\n  workdays: [2025-05-05]\n", 6,
     "2025-05-05 is both a holiday and a workday"),
    ("working_calendar:\n  working_hours:\n    start: '19:00'\n", 5, "working hours must end after they start"),
    ("working_calendar:\n  working_hours:\n    end: '24:30'\n", 6, "write a time of day as 09:00"),
    ("working_calendar:\n  workdays:\n    - 2025-05-05\n    - 2025-02-30\n", 7, "no such day in the calendar"),
    ("working_calendar:\n  holidays:\n    - {date: 2025-05-02}\n    - {date: 2025-05-02}\n", 5, "listed twice"),
])
def test_a_malformed_calendar_fact_is_an_input_error_at_its_line(tmp_path, calendar, line, words):
    facts = write(tmp_path, "facts.yaml", FACTS + calendar)
    for args in (["logs", "export-sql", "--dialect", "duckdb", "--facts", facts, "-o", tmp_path / "out"],
                 ["validate", facts]):
        proc = cli(*args)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert any(x.startswith(f"{facts}:{line}:") and words in x for x in proc.stderr.splitlines()), proc.stderr
    assert not (tmp_path / "out").exists()


def test_export_sql_writes_the_stated_calendar_for_other_engines(tmp_path):
    facts = write(tmp_path, "facts.yaml", FACTS + "working_calendar: {workdays: [2025-03-03], holidays: "
                  "[{date: 2025-03-04, name: 창립기념일}], working_hours: {start: '8:30', end: '17:30'}}\n")
    proc = cli("logs", "export-sql", "--dialect", "duckdb", "--facts", facts, "-o", tmp_path / "b")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "b" / "tables" / "calendar.csv", encoding="utf-8") as f:
        days = {dt.date(1970, 1, 1) + dt.timedelta(days=int(r["day_num"])): r for r in csv.DictReader(f)}
    assert days[dt.date(2025, 3, 3)]["workday"] == "true"
    assert (days[dt.date(2025, 3, 4)]["workday"], days[dt.date(2025, 3, 4)]["name"]) == ("false", "창립기념일")
    assert days[dt.date(2025, 3, 1)]["workday"] == "false"  # the public calendar is still under it (삼일절)
    with open(tmp_path / "b" / "tables" / "params.csv", encoding="utf-8") as f:
        (row,) = csv.DictReader(f)
    assert (row["work_start"], row["work_end"]) == ("510", "1050")
    notes = json.loads((tmp_path / "b" / "bundle.json").read_text())["notes"]
    assert any(n.startswith("Working calendar: the facts' working_calendar") for n in notes)


def test_the_calendar_round_trips_through_the_workbook(tmp_path, catalogs):
    data = {"as_of": "2025-11-30", "organization": {"name": "X"},
            "working_calendar": {"holidays": [{"date": "2025-05-02", "name": "창립기념일"}, {"date": "2025-12-31"}],
                                 "workdays": ["2025-05-05", "2025-06-06"],
                                 "working_hours": {"start": "08:30", "end": "17:30"}}}
    path = tmp_path / "점검표.xlsx"
    path.write_bytes(write_workbook(catalogs, data))
    read, _text = read_workbook(path)
    dump = lambda d: Facts.model_validate(d).model_dump(mode="json", exclude_none=True)  # noqa: E731
    assert dump(read) == dump(data)
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(write_workbook(catalogs, None))
    import openpyxl

    wb = openpyxl.load_workbook(blank)
    keys = {row[1] for row in wb["기본사항"].iter_rows(values_only=True)}
    assert {"working_calendar.workdays", "working_calendar.working_hours.start",
            "working_calendar.working_hours.end"} <= keys
    assert "근무달력-휴무일" in wb.sheetnames
