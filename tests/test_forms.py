"""One set of written forms (issue 19): a date, a date and time and a yes/no read the same from YAML, JSON, CSV and
XLSX; anything else is refused with the same sentence, showing the form expected; YAML syntax errors and validation
errors are sentences a person editing the file can act on, every one of them through the message catalog."""

from __future__ import annotations

import datetime as dt
import gettext
import json
import re

import jsonschema_rs
import openpyxl
import pytest

from compliance import i18n
from compliance.forms import DATE_PATTERN, DATETIME_PATTERN, YES_NO_PATTERN, to_date, to_stamp, to_yes_no
from compliance.loading import InputError, load
from compliance.pipeline import check_facts
from compliance.template import facts_schema

from .conftest import write

FORMATS = ("yaml", "json", "csv", "xlsx")
HEAD = {"as_of": "2025-11-30", "organization": {"name": "X"}}
SILENT = {"handlers": ["left_on", "duties_changed_on", "access_changed_on", "access_revoked_on", "trained_on"],
          "credentials": ["revoked_on", "last_used_at", "last_used_from"]}
ID = {"handlers": "h-1", "credentials": "k-1"}


def state(tmp_path, fmt: str, field: str, value, rows: str = "handlers", source: str = ""):
    """A facts file stating ``value`` for ``field`` of the one row of ``rows``, as a person writes it in ``fmt``
    (YAML: the text unquoted; JSON: a string, or the number or boolean given; CSV: the cell's text; XLSX: the cell
    holding the Python value). Returns ('value', what the model read) or ('refused', the sentence after the field)."""
    folder = tmp_path / fmt
    if fmt == "yaml":
        text = f"as_of: 2025-11-30\norganization: {{name: X}}\n{rows}:\n  - id: {ID[rows]}\n    {field}: {value}\n"
        path = write(folder, "facts.yaml", text)
    elif fmt == "json":
        path = write(folder, "facts.json", json.dumps({**HEAD, rows: [{"id": ID[rows], field: value}]}, ensure_ascii=False))
    else:
        header, row = ["번호", "값"], [ID[rows], value]
        if fmt == "csv":
            write(folder, "evidence/list.csv", f"{','.join(header)}\n{','.join(map(str, row))}\n")
        else:
            wb = openpyxl.Workbook()
            wb.active.append(header)
            wb.active.append(row)
            (folder / "evidence").mkdir(parents=True, exist_ok=True)
            wb.save(folder / "evidence" / "list.xlsx")
        untracked = ", ".join(f for f in SILENT[rows] if f != field)
        path = write(folder, "facts.yaml", f"as_of: 2025-11-30\norganization: {{name: X}}\n{rows}:\n  source: {{path: evidence/list.{fmt}, "
                                           f"columns: {{id: 번호, {field}: 값}}, not_tracked: [{untracked}]{source}}}\n")
    try:
        facts = check_facts(path, [])[0]
    except InputError as exc:
        (problem,) = exc.problems
        shown = str(problem)
        m = re.search(rf"{rows}\[0\]\.{field}(?: \(값\))?: (.*)$", shown)
        assert m, shown
        where = shown[: m.start()]
        # its line (a JSON facts file's line and column, at the field's key; a table's row and column)
        assert re.search(r"(?:facts\.yaml:5|facts\.json:1:[0-9]+|list\.csv:2:2|list\.xlsx:2:2): $", where), shown
        return "refused", m[1]
    return "value", getattr(getattr(facts, rows)[0], field)


def everywhere(tmp_path, field, value, native=None, rows="handlers"):
    """The outcome in each format: ``native`` (a number, a boolean, a datetime) is what JSON and XLSX hold for it."""
    out = {}
    for fmt in FORMATS:
        given = native if native is not None and fmt in ("json", "xlsx") else value
        out[fmt] = state(tmp_path, fmt, field, given, rows)
    return out


# ----------------------------------------------------------------------------------------- dates

MARCH_31 = ["2025-03-31", "2025.03.31", "2025. 3. 31.", "2025. 3. 31", "2025.3.31", "2025. 03. 31.", "2025/03/31",
            "2025-3-31", "2025-03-31 00:00:00", "2025-03-31T00:00"]


@pytest.mark.parametrize("written", MARCH_31)
def test_a_date_written_any_accepted_way_is_the_same_date_in_every_format(tmp_path, written):
    got = everywhere(tmp_path, "left_on", written)
    assert got == {fmt: ("value", dt.date(2025, 3, 31)) for fmt in FORMATS}


def test_a_spreadsheet_date_cell_is_the_date_it_shows(tmp_path):
    assert state(tmp_path, "xlsx", "left_on", dt.datetime(2025, 3, 31)) == ("value", dt.date(2025, 3, 31))
    # a date-time cell with a time is not a date: refused, not cut to its day
    kind, message = state(tmp_path / "b", "xlsx", "left_on", dt.datetime(2025, 3, 31, 9, 30))
    assert kind == "refused" and message.startswith("write a date as 2025-03-31") and "2025-03-31T09:30:00" in message


EXPECTED_DATE = "write a date as 2025-03-31 (2025.03.31 and 2025. 3. 31. also work)"
NO_SUCH_DAY = "no such day in the calendar"


@pytest.mark.parametrize("written, native, sentence", [
    ("20250331", 20250331, EXPECTED_DATE),  # a number: YAML and JSON read it as one, XLSX holds one
    ("2025.02.30", None, NO_SUCH_DAY),
    ("2025-13-01", None, NO_SUCH_DAY),
    ("2025-W13-1", None, EXPECTED_DATE),
    ("31.03.2025", None, EXPECTED_DATE),
    ("03/31/2025", None, EXPECTED_DATE),
    ("2025.03.31 09:00", None, EXPECTED_DATE),
    ("2025-03-31T00:00:00+09:00", None, EXPECTED_DATE),
    ("１２３", None, EXPECTED_DATE),
])
def test_a_date_in_no_accepted_form_is_refused_with_the_same_sentence_everywhere(tmp_path, written, native, sentence):
    got = everywhere(tmp_path, "left_on", written, native)
    assert all(kind == "refused" for kind, _ in got.values()), got
    # one sentence; only the value shown after it differs where a file holds a number and a CSV cell text
    assert len({message.split(" (got ")[0] for _, message in got.values()}) == 1, got
    message = got["yaml"][1]
    assert message.startswith(sentence), message
    assert "datetime" not in message and "Input should" not in message
    assert "2025-03-31" in message  # the form to write
    assert "(or 'unknown' when the event may have happened but is not known)" in message  # left_on may be unknown


def test_a_date_field_that_cannot_be_unknown_gives_the_form_alone(tmp_path):
    kind, message = state(tmp_path, "yaml", "granted_on", "20250331")
    assert (kind, message) == ("refused", EXPECTED_DATE + " (got 20250331)")
    assert state(tmp_path / "csv", "csv", "granted_on", "20250331") == ("refused", EXPECTED_DATE + " (got '20250331')")


# ----------------------------------------------------------------------------------------- yes/no

EXPECTED_YES_NO = "write true or false (yes/no, y/n and 예/아니오 also work)"


@pytest.mark.parametrize("written, native, meaning", [
    ("true", True, True), ("yes", None, True), ("YES", None, True), ("y", None, True), ("예", None, True),
    ("false", False, False), ("No", None, False), ("n", None, False), ("아니오", None, False), ("아니요", None, False),
])
def test_a_yes_or_no_means_the_same_in_every_format(tmp_path, written, native, meaning):
    assert everywhere(tmp_path, "can_download", written, native) == {fmt: ("value", meaning) for fmt in FORMATS}


@pytest.mark.parametrize("written, native", [("on", None), ("off", None), ("1", 1), ("0", 0), ("O", None), ("X", None),
                                             ("maybe", None), ("네", None)])
def test_a_yes_or_no_in_no_accepted_form_is_refused_the_same_way_everywhere(tmp_path, written, native):
    """YAML 1.1 reads on/off as booleans and the readers here read YAML 1.2 (text): neither may decide a verdict."""
    got = everywhere(tmp_path, "can_download", written, native)
    assert all(kind == "refused" for kind, _ in got.values()), got
    assert {message.split(" (got ")[0] for _, message in got.values()} == {EXPECTED_YES_NO}


# ----------------------------------------------------------------------------------------- date and time

AWARE = dt.datetime(2025, 11, 18, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.mark.parametrize("written", ["2025-11-18T09:00+09:00", "2025-11-18T09:00:00+09:00", "2025-11-18 09:00:00+0900",
                                     "2025-11-18T00:00:00Z", "2025.11.18 09:00+09:00", "2025. 11. 18. 09:00 +09:00",
                                     "2025/11/18 9:00 +09:00"])
def test_a_date_and_time_written_any_accepted_way_is_the_same_instant_everywhere(tmp_path, written):
    got = everywhere(tmp_path, "last_used_at", written, rows="credentials")
    assert all(kind == "value" and value == AWARE for kind, value in got.values()), got


@pytest.mark.parametrize("written, native, start", [
    ("2025-11-18T09:00", None, "the time has no timezone: add its UTC offset"),
    ("2025.11.18 09:00", None, "the time has no timezone: add its UTC offset"),
    ("1763424000", 1763424000, "write a date and time with its UTC offset, as 2025-11-18T09:00+09:00"),
    ("2025-11-18", None, "write a date and time with its UTC offset"),
    ("2025-11-18T24:00+09:00", None, "no such date or time"),
    ("2025-02-29 09:00+09:00", None, "no such date or time"),
])
def test_a_date_and_time_in_no_accepted_form_is_refused_the_same_way_everywhere(tmp_path, written, native, start):
    got = everywhere(tmp_path, "last_used_at", written, native, rows="credentials")
    assert all(kind == "refused" for kind, _ in got.values()), got
    assert {message.split(" (got ")[0] for _, message in got.values()} == {got["yaml"][1].split(" (got ")[0]}
    assert got["yaml"][1].startswith(start), got


def test_a_source_may_give_times_without_an_offset_their_timezone(tmp_path):
    for fmt, written in (("csv", "2025.11.18 09:00"), ("csv", "2025-11-18T09:00"), ("xlsx", dt.datetime(2025, 11, 18, 9))):
        got = state(tmp_path / str(len(list(tmp_path.iterdir()))), fmt, "last_used_at", written, "credentials",
                    source=", timezone: '+09:00'")
        assert got == ("value", AWARE), (fmt, written, got)
    # the timezone is for times that have none: a stated offset is kept
    got = state(tmp_path / "kept", "csv", "last_used_at", "2025-11-18T00:00Z", "credentials", source=", timezone: '+09:00'")
    assert got == ("value", AWARE)


# ----------------------------------------------------------------------------------------- the readers and the schema

ACCEPTED_DATES = MARCH_31 + ["2025.02.30", "2025-02-29"]  # the pattern cannot know the calendar; the reader does
REFUSED_DATES = ["20250331", "2025-W13-1", "31.03.2025", "2025.03.31 09:00", "2025-03-31T00:00:00Z", "2025..03.31",
                 "2025-03.31", "2025. 3. 31..", "٢٠٢٥-03-31", "2025-003-31", "25-03-31", ""]
DATETIMES = ["2025-11-18T09:00+09:00", "2025.11.18 09:00+09:00", "2025. 11. 18. 09:00 +09:00", "2025-11-18t09:00z",
             "2025-11-18T09:00:00.123456789+09:00"]
NOT_DATETIMES = ["2025-11-18T09:00", "2025-11-18", "1763424000", "2025-11-18T09+09:00", "2025-11-18_09:00Z",
                 "2025-11-18T09:00+09"]


def test_the_facts_schema_states_the_forms_the_reader_takes():
    """An editor checking the facts file against `pipa-audit schema facts` (formats on) agrees with the reader."""
    validator = jsonschema_rs.validator_for(facts_schema(), validate_formats=True)

    def fine(**fields):
        return validator.is_valid({**HEAD, **fields})

    for text in ACCEPTED_DATES:
        assert fine(as_of=text), text
    for text in REFUSED_DATES:
        assert not fine(as_of=text), text
        with pytest.raises(Exception):
            to_date(text)
    assert not fine(as_of=20250331)
    for text in DATETIMES:
        assert fine(incidents=[{"id": "i", "aware_at": text}]) and to_stamp(text).utcoffset() is not None, text
    for text in NOT_DATETIMES:
        assert not fine(incidents=[{"id": "i", "aware_at": text}]), text
        with pytest.raises(Exception):
            to_stamp(text)
    for word in ("yes", "No", "예", "아니요", True, "TRUE"):
        assert fine(systems=[{"id": "s", "ip_restricted": word}]) and to_yes_no(word) in (True, False), word
    for word in ("on", "1", 1, "x", ""):
        assert not fine(systems=[{"id": "s", "ip_restricted": word}]), word
    # the three patterns are the published ones
    schema_text = json.dumps(facts_schema())
    assert all(json.dumps(p)[1:-1] in schema_text for p in (DATE_PATTERN, DATETIME_PATTERN, YES_NO_PATTERN))


def test_every_accepted_date_form_reads_the_same_as_its_iso_text():
    for text in MARCH_31:
        assert to_date(text) == to_date(" " + text + " ") == dt.date(2025, 3, 31)
    assert to_date("2024. 2. 29.") == dt.date(2024, 2, 29)
    for text in ("2025. 2. 29.", "2025.04.31", "2025/00/10"):
        with pytest.raises(Exception, match="no such day"):
            to_date(text)


# ----------------------------------------------------------------------------------------- YAML syntax errors

BROKEN = [
    ("tab", "as_of: 2025-11-30\norganization:\n\tname: X\n", 3,
     "a tab is used for indentation: indent with spaces instead of tabs"),
    ("tab-after-a-key", "as_of: 2025-11-30\norganization:\n  name: X\n\tkind: private\n", 4,
     "a tab is used for indentation: indent with spaces instead of tabs"),
    ("deeper-indent", "as_of: 2025-11-30\norganization:\n  name: X\n   kind: private\n", 4,
     "the indentation of this line does not match the lines above"),
    ("shallower-indent", "as_of: 2025-11-30\norganization:\n    name: X\n  kind: private\n", 4,
     "the indentation of this line does not match the lines above"),
    ("list-indent", "as_of: 2025-11-30\norganization: {name: X}\nhandlers:\n  - id: h1\n    role: dev\n   left_on: 2025-01-01\n", 6,
     "the indentation of this line does not match the lines above"),
    ("colon-in-value", "as_of: 2025-11-30\norganization:\n  name: Example: Commerce\n", 3,
     'a value with a colon (:) in it must be in quotes: write name: "Example: Commerce"'),
    ("colon-in-korean-value", "as_of: 2025-11-30\norganization: {name: X}\nauditor: 내부감사팀: 김감사\n", 3,
     'a value with a colon (:) in it must be in quotes: write auditor: "내부감사팀: 김감사"'),
    ("no-space-after-colon", "as_of:2025-11-30\norganization:\n  name: X\n", 1,
     "put a space after the colon: write as_of: 2025-11-30"),
    ("unclosed-double-quote", 'as_of: 2025-11-30\norganization:\n  name: "Example\nauditor: x\n', 3,
     'the quote " opened on this line is never closed: end the value with "'),
    ("unclosed-single-quote", "as_of: 2025-11-30\norganization:\n  name: 'Example\nauditor: x\n", 3,
     "the quote ' opened on this line is never closed: end the value with '"),
    ("unclosed-bracket", "as_of: 2025-11-30\norganization: {name: X}\nnot_examined: [a, b\nauditor: x\n", 3,
     "the [ opened on this line is never closed: close it with ]"),
    ("unclosed-brace", "as_of: 2025-11-30\norganization: {name: X\nauditor: x\n", 2,
     "the { opened on this line is never closed: close it with }"),
    ("unclosed-inner-brace", "as_of: 2025-11-30\norganization: {name: X}\nhandlers: [\n  {id: h1},\n  {id: h2\n]\n", 5,
     "the { opened on this line is never closed: close it with }"),
    ("duplicate-key", "as_of: 2025-11-30\norganization:\n  name: a\n  name: b\n", 4,
     "duplicate key 'name': it appears twice in the same mapping (first on line 3); keep one of them"),
    ("text-after-quote", 'as_of: 2025-11-30\norganization:\n  name: "Example" Co\n', 3,
     "there is text after the closing quote: put the whole value inside the quotes"),
    ("second-document", "as_of: 2025-11-30\n---\norganization: {name: X}\n", 2,
     "a second document starts here (---)"),
    ("value-starting-with-at", "as_of: 2025-11-30\norganization: {name: X}\nauditor: @kim\n", 3,
     "a value cannot start with @: put the value in quotes"),
    ("backslash-in-double-quotes", 'as_of: 2025-11-30\norganization: {name: X}\nscope: "C:\\data"\n', 3,
     "a backslash (\\) in double quotes starts an escape"),
]


@pytest.mark.parametrize("text, line, sentence", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_yaml_syntax_error_is_one_line_saying_what_to_write(tmp_path, text, line, sentence):
    f = write(tmp_path, "facts.yaml", text)
    with pytest.raises(InputError) as exc:
        load(f)
    (problem,) = exc.value.problems
    assert str(problem).startswith(f"{f}:{line}: invalid YAML: {sentence}"), str(problem)
    for parser_words in ("while scanning", "while parsing", "mapping values", "could not find", "did not find", "token"):
        assert parser_words not in problem.message


@pytest.mark.parametrize("name, fixed", [
    ("colon-in-value", 'as_of: 2025-11-30\norganization:\n  name: "Example: Commerce"\n'),
    ("no-space-after-colon", "as_of: 2025-11-30\norganization:\n  name: X\n"),
])
def test_the_fix_a_yaml_error_suggests_is_the_value_meant(tmp_path, name, fixed):
    text = next(b[1] for b in BROKEN if b[0] == name)
    with pytest.raises(InputError) as exc:
        load(write(tmp_path, "bad.yaml", text))
    suggested = exc.value.problems[0].message.split("write ", 1)[1]
    assert suggested in fixed
    load(write(tmp_path, "fixed.yaml", fixed))


# ----------------------------------------------------------------------------------------- every message through the catalog


class Marked(gettext.NullTranslations):
    """A stand-in for the Korean catalog: every looked-up message comes back inside « »."""

    def gettext(self, message):
        return f"«{message}»"


@pytest.fixture
def marked(monkeypatch):
    monkeypatch.setattr(i18n, "_current", Marked())


def test_every_validation_message_of_a_facts_file_goes_through_the_catalog(tmp_path, marked):
    text = ("as_of: 2025-11-30\norganization:\n  name: X\n  kind: privat\n  subjects: many\n  subjcts: 1\n"
            "systems:\n  - id: s\n    ip_restricted: on\nhandlers:\n  - id: h\n    left_on: 20250331\n"
            "incidents:\n  - id: i\n    aware_at: 2025-11-18T09:00\n  - {}\n")
    with pytest.raises(InputError) as exc:
        check_facts(write(tmp_path, "facts.yaml", text), [])
    got = {p.field: p.message for p in exc.value.problems}
    assert got == {
        "organization.kind": "««Input should be one of {choices}» (got {value})»".replace("{choices}", "'private', 'public', 'individual', 'group'").replace("{value}", "'privat'"),
        "organization.subjects": "««Input should be a valid integer (a whole number, written without quotes)» (got {value})»".replace("{value}", "'many'"),
        "organization.subjcts": "«unknown field (not in the model; check the spelling)»",
        "systems[0].ip_restricted": f"««{EXPECTED_YES_NO}» (got 'on')»",
        "handlers[0].left_on": f"«««{EXPECTED_DATE}» (or 'unknown' when the event may have happened but is not known)» (got 20250331)»",
        "incidents[0].aware_at": "««the time has no timezone: add its UTC offset, as 2025-11-18T09:00+09:00 (Korean time is +09:00)» (got '2025-11-18T09:00')»",
        "incidents[1].id": "«Field required»",
    }


def test_a_csv_cell_problem_goes_through_the_catalog_in_the_same_words(tmp_path, marked):
    yaml_says = state(tmp_path, "yaml", "left_on", "2025.02.30")
    assert state(tmp_path, "csv", "left_on", "2025.02.30") == yaml_says
    assert yaml_says[1].startswith("«««no such day in the calendar")


def test_a_yaml_syntax_error_goes_through_the_catalog(tmp_path, marked):
    with pytest.raises(InputError) as exc:
        load(write(tmp_path, "f.yaml", "as_of: 2025-11-30\norganization:\n\tname: X\n"))
    assert exc.value.problems[0].message.startswith("«invalid YAML: «a tab is used")  # "invalid YAML: {problem}", translated
