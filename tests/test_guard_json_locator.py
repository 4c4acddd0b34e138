"""Guards found by mutation testing (benchmarks/mutation.md): lines in JSON facts files.

A JSON file is located by walking its text (``compliance.json_locator``), never by composing YAML (50 bytes of
memory per byte of text). What a user relies on: the error's file:line is that of the field, whatever the JSON's
layout (compact separators, a leading blank line, empty objects and lists), and a repeated key is reported at its
own line."""

from __future__ import annotations

import json

import pytest
import yaml

from compliance import loading
from compliance.facts import Facts
from compliance.json_locator import JsonLocator, first_duplicate_key
from compliance.loading import InputError, load, validate_file

from .conftest import write


@pytest.fixture
def no_yaml(monkeypatch):
    """Locating a JSON text must not fall back to composing it as YAML."""

    def refuse(*a, **k):
        raise AssertionError("composed the JSON text as YAML")

    monkeypatch.setattr(loading.yaml, "compose", refuse)


def _problems(tmp_path, text: str) -> dict[str, int]:
    path = write(tmp_path, "facts.json", text)
    with pytest.raises(InputError) as exc:
        validate_file(path, Facts)
    return {p.field: p.line for p in exc.value.problems}


def _line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def test_compact_json_errors_are_located_without_yaml(tmp_path, no_yaml):
    # separators without spaces: a key follows its comma directly, in objects and in lists of rows
    rows = [{"id": "h0", "granted_on": "2024-01-01"}, {"id": "h1", "granted_on": "2024-01-01"},
            {"id": "h2", "role": "clerk", "granted_on": "2024-02-30"}]
    compact = [json.dumps(r, separators=(",", ":")) for r in rows]
    head = '{"as_of":"2025-11-30","organization":{"name":"X"},\n"handlers":[\n'
    text = head + ",".join(compact[:2]) + ",\n" + compact[2] + "]}\n"
    assert _problems(tmp_path, text) == {"handlers[2].granted_on": 4}


def test_a_json_file_starting_with_a_blank_line_keeps_its_line_numbers(tmp_path, no_yaml):
    data = {"as_of": "2025-11-30", "organization": {"name": "X"}, "handlers": [{"id": "h0", "left_on": "2025-13-01"}]}
    text = "\n" + json.dumps(data, indent=2)
    assert _problems(tmp_path, text) == {"handlers[0].left_on": _line_of(text, '"left_on"')}
    dup = '\n{\n  "as_of": "2025-11-30",\n  "organization": {"name": "X"},\n  "as_of": "2025-12-01"\n}\n'
    path = write(tmp_path, "dup.json", dup)
    with pytest.raises(InputError) as exc:
        load(path)
    assert [(p.line, p.message.split(":")[0]) for p in exc.value.problems] == [(5, "duplicate key 'as_of'")]


def test_a_field_missing_from_an_empty_object_is_located_without_yaml(tmp_path, no_yaml):
    text = '{\n  "as_of": "2025-11-30",\n  "organization": {}\n}\n'
    assert _problems(tmp_path, text) == {"organization.name": 3}


LOCATED = '{\n "organization": {"name": "X"},\n "handlers": [],\n "systems": [\n  {"id": "s1"}\n ]\n}\n'


@pytest.mark.parametrize(
    "loc",
    [("organization", "name", "deeper"), ("organization", "name", 0), ("systems", "first"), ("systems", 0, "id", "x"),
     ("handlers", 0), ("systems", 1)],
    ids=["past-a-value", "index-past-a-value", "name-at-a-list", "past-an-items-value", "empty-list", "past-the-end"],
)
def test_a_path_that_ends_early_gives_the_line_of_its_deepest_step(loc):
    # what YAML composing gives (loading._walk): the deepest step found, never no line at all
    assert JsonLocator(LOCATED).line(loc) == loading._walk(yaml.compose(LOCATED, Loader=yaml.CSafeLoader), loc, 0)


# a repeated key after an empty object, an empty list, a list of rows and compact commas
DUPLICATE = ('{"as_of":"2025-11-30","organization":{"extra":{},"name":"X"},\n'
             '"handlers":[],"systems":[{"id":"s1"},{"id":"s2"}],\n'
             '"auditor":"a","auditor":"b"}\n')


def test_a_repeated_key_in_compact_json_is_reported_at_its_line(tmp_path):
    assert first_duplicate_key(DUPLICATE) == ("auditor", 3)
    path = write(tmp_path, "facts.json", DUPLICATE)
    with pytest.raises(InputError) as exc:
        load(path)
    assert [str(p) for p in exc.value.problems] == [
        f"{path}:3:15: duplicate key 'auditor': JSON objects must not repeat a key (the second would silently win)"
    ]


def test_a_text_without_a_repeated_key_has_none():
    unique = DUPLICATE.replace('"auditor":"a",', "")
    assert json.loads(unique)["auditor"] == "b"
    assert first_duplicate_key(unique) is None
    assert first_duplicate_key(json.dumps(json.loads(unique), indent=2) + "\n") is None


def test_asking_every_row_its_line_costs_linear_time():
    """Counting the line breaks before each offset made 32,000 located errors of an 18 MB file take 19 s."""
    import json
    import time

    from compliance.json_locator import JsonLocator

    def cost(n: int) -> float:
        text = json.dumps({"handlers": [{"id": f"h{i}", "x": 1} for i in range(n)]}, indent=1)
        loc = JsonLocator(text)
        start = time.process_time()
        lines = [loc.line(("handlers", i, "x")) for i in range(n)]
        spent = time.process_time() - start
        assert text.split("\n")[lines[-1] - 1].strip() == '"x": 1'
        return spent

    small, big = cost(3_000), cost(30_000)
    assert big < 30 * small + 0.05, (small, big)  # ten times the rows: about ten times the time, never a hundred
