"""Loading: safe YAML, every error located at file:line, all errors of a file at once."""

import pytest

from compliance.facts import Facts
from compliance.loading import InputError, Locator, load, validate_file

from .conftest import write


def problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_syntax_error_names_file_and_line(tmp_path):
    f = write(tmp_path, "f.yaml", "as_of: 2025-01-01\norganization:\n  name: [unclosed\n")
    with pytest.raises(InputError) as exc:
        load(f)
    (msg,) = problems(exc)
    assert msg.startswith(f"{f}:") and "invalid YAML" in msg
    assert int(msg.split(":")[1]) in (3, 4)


def test_duplicate_key_is_an_error_with_both_lines(tmp_path):
    f = write(tmp_path, "f.yaml", "as_of: 2025-01-01\nauditor: a\nauditor: b\n")
    with pytest.raises(InputError) as exc:
        load(f)
    assert problems(exc) == [
        f"{f}:3: invalid YAML: duplicate key 'auditor': it appears twice in the same mapping (first on line 2); keep one of them"
    ]


def test_aliases_are_refused(tmp_path):
    f = write(tmp_path, "f.yaml", "a: &x [1, 2]\nb: *x\n")
    with pytest.raises(InputError) as exc:
        load(f)
    assert "aliases" in problems(exc)[0] and problems(exc)[0].startswith(f"{f}:1:")


def test_python_tags_are_refused(tmp_path):
    f = write(tmp_path, "f.yaml", "a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError):
        load(f)


def test_invalid_date_reported_with_field_path_and_line(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nhandlers:\n  - id: h1\n  - id: h2\n    left_on: 2025-13-01\n")
    with pytest.raises(InputError) as exc:
        validate_file(f, Facts)
    (msg,) = problems(exc)
    assert msg.startswith(f"{f}:6: handlers[1].left_on: ")
    assert "2025-13-01" in msg


def test_all_errors_of_a_file_at_once(tmp_path):
    f = write(
        tmp_path,
        "facts.yaml",
        "as_of: 2025-11-30\norganization:\n  name: X\n  subjcts: 5\nsystems:\n  - id: s1\n    ip_restricted: maybe\n",
    )
    with pytest.raises(InputError) as exc:
        validate_file(f, Facts)
    msgs = problems(exc)
    assert f"{f}:4: organization.subjcts: unknown field (not in the model; check the spelling)" in msgs
    assert any(m.startswith(f"{f}:7: systems[0].ip_restricted: ") for m in msgs)
    assert len(msgs) == 2


def test_timestamps_need_a_timezone(tmp_path):
    f = write(tmp_path, "facts.yaml", "as_of: 2025-11-30\norganization: {name: X}\nincidents:\n  - {id: i, aware_at: 2025-11-18T09:00:00}\n")
    with pytest.raises(InputError) as exc:
        validate_file(f, Facts)
    assert problems(exc)[0].startswith(f"{f}:4: incidents[0].aware_at: ")
    assert "timezone" in problems(exc)[0]


def test_json_facts_and_json_errors(tmp_path):
    good = write(tmp_path, "facts.json", '{"as_of": "2025-11-30", "organization": {"name": "X"}}')
    facts, _ = validate_file(good, Facts)
    assert facts.as_of.isoformat() == "2025-11-30"
    bad = write(tmp_path, "bad.json", '{\n  "as_of": "2025-11-30",\n  "organization": {"name": "X",}\n}')
    with pytest.raises(InputError) as exc:
        load(bad)
    assert problems(exc)[0].startswith(f"{bad}:3:32: invalid JSON")  # line and column of the '}' after the comma


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError) as exc:
        load(tmp_path / "nope.yaml")
    assert problems(exc) == [f"{tmp_path / 'nope.yaml'}: file not found"]
    with pytest.raises(InputError):
        load(tmp_path)


def test_top_level_must_be_a_mapping(tmp_path):
    f = write(tmp_path, "f.yaml", "- 1\n- 2\n")
    with pytest.raises(InputError) as exc:
        validate_file(f, Facts)
    assert problems(exc) == [f"{f}:1: expected a mapping at the top level, found list"]


def test_locator_points_at_nested_items():
    text = "a:\n  b:\n    - x: 1\n    - x: 2\n      y: 3\n"
    loc = Locator(text)
    assert loc.line(("a", "b", 1, "y")) == 5
    assert loc.line(("a", "b", 0)) == 3
    assert loc.line(("a", "zzz")) == 1


ROWS = "".join(f"  - {{id: h-{i}, role: dev}}\n" for i in range(50))


@pytest.mark.parametrize("layout, text, by_item", [
    ("block list, flow rows", "as_of: 2025-01-01\n# rows\nhandlers:\n" + ROWS + "systems: []\n", True),
    ("items at column 0, block rows", "handlers:\n" + "".join(f"- id: h-{i}\n  role: dev\n" for i in range(50)) + "x: 1\n", True),
    ("a quoted string whose second line reads like an item",
     'handlers:\n  - {id: h-0, note: "one\n  - two"}\n' + ROWS[ROWS.index("  - {id: h-1,"):], False),
    ("a block scalar with item-like lines",
     "handlers:\n  - id: h-0\n    note: |\n      - a\n      - b\n" + ROWS[ROWS.index("  - {id: h-1,"):], True),
])
def test_a_row_is_located_by_its_own_item_the_same_as_by_the_whole_document(tmp_path, layout, text, by_item):
    """A bad row of a long list is located by composing that row alone; whatever the layout, the line is the one
    composing the whole document gives."""
    f = write(tmp_path, "f.yaml", text)
    data, text = load(f)
    fast = Locator(text)
    whole = Locator(text)
    whole._node()  # composed: the whole-document route
    for i in (0, 1, 25, 49):
        for loc in (("handlers", i), ("handlers", i, "role"), ("handlers", i, "id")):
            assert fast.line(loc) == whole.line(loc), (layout, loc)
    assert fast._built is not by_item  # located item by item, or (layout not understood) by the whole document
    lines = text.splitlines()
    row = next(n for n, line in enumerate(lines) if "h-49" in line)
    assert fast.line(("handlers", 49, "role")) == row + 1 + (0 if "role" in lines[row] else 1)


def test_a_bad_row_in_a_long_list_is_reported_at_its_line(tmp_path):
    rows = "".join(f"  - {{id: h-{i}, role: dev, systems: [], granted_on: 2024-01-02}}\n" for i in range(3000))
    rows = rows.replace("h-2999, role: dev, systems: [], granted_on: 2024-01-02", "h-2999, role: dev, systems: [], granted_on: 2024-13-02")
    f = write(tmp_path, "f.yaml", "as_of: 2025-01-01\norganization: {name: x}\nhandlers:\n" + rows)
    with pytest.raises(InputError) as exc:
        validate_file(f, Facts)
    assert [p.line for p in exc.value.problems if "granted_on" in str(p)] == [3003]


@pytest.mark.parametrize(
    ("name", "text", "line", "says"),
    [
        ("ctl.yaml", 'as_of: 2025-01-01\nauditor: "a\x01b"\n', 2, "U+0001 is not allowed"),
        ("del.yaml", 'as_of: 2025-01-01\nauditor: ok\norganization: {name: "x\x7f"}\n', 3, "U+007F is not allowed"),
        # JSON: line and column (the 65th bracket open, counting the document's own '{'; the number's first digit)
        ("deep.json", '{"as_of": "2025-01-01",\n"organization":\n' + "[" * 50000 + "]" * 50000 + "}", "3:64", "nested too deeply"),
        ("deep.yaml", "as_of: 2025-01-01\nx:\n  " + "[" * 50000 + "]" * 50000 + "\n", 3, "nesting depth"),
        ("big.json", '{"as_of": "2025-01-01",\n"organization": {"name": "x",\n"revenue_krw": ' + "9" * 5000 + "}}", "3:16", "5000 digits"),
    ],
    ids=["control-character", "delete-character", "deep-json", "deep-yaml", "long-integer"],
)
def test_unreadable_text_is_located_at_its_line(tmp_path, name, text, line, says):
    f = write(tmp_path, name, text)
    with pytest.raises(InputError) as exc:
        load(f)
    (msg,) = problems(exc)
    assert msg.startswith(f"{f}:{line}: ") and says in msg, msg
