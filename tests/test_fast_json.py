"""The fast JSON reader (msgspec, duplicates found by counting colons) against Python's reader with the duplicate-key
refusal: whenever the fast one gives a document, it is the one ``json.loads`` gives, value for value and type for
type; whenever ``json.loads`` refuses (a repeated key, bad JSON), the fast one gives up and the slow one says where."""

from __future__ import annotations

import json
import random

import pytest

from compliance import loading
from compliance.loading import InputError, _fast_json, _SLOW, _unique_keys


def _slow(text: str):
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except (loading._DuplicateKey, ValueError, RecursionError):
        return _SLOW


def _same(a, b) -> bool:
    """Equal with the same types all the way down (1 and 1.0 and True are not the same value to the model)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


_PIECES = ["a", "b", ":", '\\"', "\\\\", "\\/", "\\n", "\\u003a", "\\u003A", "\\u00e9", "\\ud55c", "\\ud83d\\ude00",
           "\\ud800", "\\udc00", "한", "글", "é", " ", "\\t", "\\u0000", "x:y", '":', "\u2028", "{", "}", "[", "]", ","]
_NUMBERS = ["0", "-0", "1", "-1", "1.0", "-0.0", "1e5", "1E-5", "2.5e-324", "1e400", "-1e400", "1.7976931348623157e308",
            "123456789012345678901234567890", "18446744073709551616", "-9223372036854775809", "0.1", "3.141592653589793",
            "01", ".5", "1.", "NaN", "Infinity", "-Infinity", "1" * 5000]


def _string(r: random.Random) -> str:
    return '"' + "".join(r.choice(_PIECES[:22]) for _ in range(r.randint(0, 4))) + '"'


def _value(r: random.Random, depth: int) -> str:
    k = r.random()
    if depth > 3 or k < 0.35:
        return r.choice([_string(r), r.choice(_NUMBERS), "true", "false", "null"])
    if k < 0.65:
        keys = [_string(r) for _ in range(r.randint(0, 5))]
        if keys and r.random() < 0.3:  # a repeated key, written the same or another way
            keys.append(r.choice([keys[0], keys[0].replace(":", "\\u003a")]))
        colon = r.choice([":", " : ", ":\n", "\t:"])
        return "{" + ",".join(f"{key}{colon}{_value(r, depth + 1)}" for key in keys) + "}"
    return "[" + ", ".join(_value(r, depth + 1) for _ in range(r.randint(0, 4))) + "]"


def test_random_and_hostile_documents_read_the_same_or_go_to_the_slow_reader():
    r = random.Random(20261206)
    taken = refused = 0
    for _ in range(6000):
        text = _value(r, 0)
        if r.random() < 0.05:
            text = r.choice(["\ufeff", " ", "\n"]) + text + r.choice(["", " ", "\x00", ",", "}"])
        slow, fast = _slow(text), _fast_json(text)
        if fast is _SLOW:
            refused += 1
            continue
        taken += 1
        assert slow is not _SLOW, f"the fast reader took what Python's refuses: {text!r}"
        assert _same(fast, slow), text
        assert _same(_fast_json(text.encode("utf-8", "surrogatepass")), slow), text
    assert taken > 2000 and refused > 500  # both sides of the comparison were exercised


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 1}', '{"a": {"b": 1, "b": 2}}', '[{"x": "a:b", "x": "a:b"}]', '{"k": 1, "\\u006b": 2}',
    '{"a": "\\u003a", "b": 1}', '{"a": NaN}', '{"a": 1e400}', '{"a": "\\ud800"}', '\ufeff{"a": 1}', '[' * 3000 + ']' * 3000,
])
def test_what_the_fast_reader_must_not_decide(text):
    assert _fast_json(text) is _SLOW


def test_a_repeated_key_in_a_big_file_is_refused_at_its_line_and_column(tmp_path):
    rows = [{"id": f"h{n}", "name": "홍길동:관리자", "note": 'a "quoted": text'} for n in range(2000)]
    text = json.dumps({"handlers": rows}, ensure_ascii=False, indent=1)
    assert len(text) >= loading.FAST_JSON_CHARS
    where = text.index('"id": "h1500"')
    bad = text[:where] + '"id": "h1500", "id": "again",' + text[where + len('"id": "h1500",'):]
    path = tmp_path / "facts.json"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        loading.load(path)
    (problem,) = exc.value.problems
    line = bad.count("\n", 0, where) + 1
    assert problem.line == line and "duplicate key 'id'" in problem.message


def test_big_files_are_read_by_the_fast_reader(tmp_path, monkeypatch):
    rows = [{"id": f"h{n}", "when": "2025-01-01T09:00:00+09:00"} for n in range(3000)]
    path = tmp_path / "facts.json"
    path.write_text("\ufeff" + json.dumps({"handlers": rows}), encoding="utf-8")  # a BOM as Windows tools write it

    def refused(*args, **kwargs):
        raise AssertionError("the slow reader was used")

    monkeypatch.setattr(loading.json, "loads", refused)
    data, _text = loading.load(path)
    assert data == {"handlers": rows}
