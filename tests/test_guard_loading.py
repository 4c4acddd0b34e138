"""Guards found by mutation testing (benchmarks/mutation.md): a JSON facts file repeating a key is refused
at the line of the repeat, naming the key; the YAML size cap tells the user the way out."""

from __future__ import annotations

import pytest

from compliance import loading
from compliance.cli import main
from compliance.loading import InputError, load

from .conftest import write

DUPLICATE = '{\n  "as_of": "2025-11-30",\n  "organization": {"name": "X"},\n  "auditor": "a",\n  "auditor": "b"\n}\n'


def test_a_repeated_json_key_is_refused_at_its_line_naming_the_key(tmp_path):
    f = write(tmp_path, "facts.json", DUPLICATE)
    with pytest.raises(InputError) as exc:
        load(f)
    assert [str(p) for p in exc.value.problems] == [
        f"{f}:5:3: duplicate key 'auditor': JSON objects must not repeat a key (the second would silently win)"
    ]


def test_validate_reports_the_repeated_json_key_in_one_line_exit_2(tmp_path, capsys):
    f = write(tmp_path, "facts.json", DUPLICATE)
    assert main(["validate", str(f)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{f}:5:3: duplicate key 'auditor': JSON objects must not repeat a key (the second would silently win)"
    ]


def test_the_yaml_size_cap_explains_itself_and_names_the_json_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "MAX_YAML_BYTES", 20)
    f = write(tmp_path, "f.yaml", "as_of: 2025-01-01\norganization: {}\n")
    with pytest.raises(InputError) as exc:
        load(f)
    (problem,) = exc.value.problems
    assert problem.message == (
        "file is 35 bytes or more; YAML input is limited to 20 bytes (the YAML parser needs about 50 times the file"
        f" size in memory): write big lists as a .json facts file (limit {loading.MAX_INPUT_BYTES} bytes)"
    )
