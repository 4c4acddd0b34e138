"""Two YAML readers, one meaning: the fast reader (ryaml) and PyYAML with the project's YAML 1.2 resolvers must
give the same value for every document the fast reader accepts, so a facts file never means something else
because it happens to contain an '&' somewhere (which sends it to PyYAML)."""

import datetime as dt
import json
import math
import random
from pathlib import Path

import pytest
import ryaml
import yaml

from compliance.loading import _SLOW, InputError, _fast_yaml, _SafeLoader, parse
from compliance.pipeline import check_facts

from .conftest import CATALOGS, CLEAN, ROOT, write

SCALARS = [
    "~", "null", "Null", "NULL", "nUll", "", "true", "True", "TRUE", "tRue", "false", "False", "FALSE",
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "0", "00", "01", "0755", "-0", "+0", "+1", "-1", "-00",
    "1_000", "0x1F", "0X1F", "0o17", "0O17", "0b101", "0b2", "0xg", "-0x1F", "+0x1F", "-0o17", "+0o17", "-0b101",
    "1:20", "190:20:30", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
    "12345678901234567890123", "0x1234567890abcdef12", "1.0", "1.", "-1.5", "+1.5", ".5", "-.5", "+.5", "1e3", "1E3",
    "1e+3", "1.0e3", "1.0e+3", "1.0E-3", "-1e-3", "1e999", "-1e999", "1.7976931348623157e308", ".inf", ".Inf",
    ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN", "inf", "nan", "Infinity", "NaN", "1_000.5", "0.1_0", "1.2.3",
    "1e", "e3", "0e0", "00.5", "01.5", "01e3", "0.", "-0.0", "+-1", "--1", "1.5e", "5.", "2025-11-30", "2025-1-5",
    "2025-11-30T09:00:00+09:00", "2025-11-30 09:00:00", "2025-11-30t09:00:00z", "09:00", "1.0.0", "--", "=", "<",
    "a<<b", "0x", "0o", "0b", "+", "-.", ".", "한글", "'2025-11-30'", '"yes"', "'0755'",
]

DOCUMENTS = [
    "", "# only a comment\n", "a:\n  - 1\n  -\n", "a: |\n  x\n   y\n", "a: >-\n  x\n  y\n", "a: 'it''s'\n",
    'a: "\\u00e9\\t\\x41"\n', "a:\tb\n", "a: b\x85c\n", "a: '2025-11-30'\n", 'a: "x" # c\n', "a: x #c\n", "a: x#c\n",
    "key with spaces: 1\n", '"quoted key": 1\n', "a: ~\nb:\nc: null\n", "a: 한글\n키: 값\n", "a: 'x\n  y'\n",
    "a: x\n  y\n", "a: 1\n...\n", "- - - 1\n", "a: 1\n---\nb: 2\n", "a: 1\na: 2\n", "a: [1, 2\n", "a: b\x00\n",
    "a: " + "[" * 200 + "]" * 200 + "\n", "{a: 1}: 2\n", "a: b: c\n",
]


def _same(fast, slow) -> bool:
    if isinstance(fast, float) and isinstance(slow, float) and math.isnan(fast) and math.isnan(slow):
        return True
    return type(fast) is type(slow) and repr(fast) == repr(slow)


def _both(text: str):
    """(fast result or _SLOW, PyYAML result or the exception it raised)."""
    try:
        slow = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - the project's safe loader
    except yaml.YAMLError as exc:
        slow = exc
    return _fast_yaml(text), slow


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_means_the_same_to_both_readers(scalar):
    for text in (f"a: {scalar}\n", f"- [{scalar}]\n", f"{scalar}: 1\n" if scalar.strip() else "a: 1\n"):
        fast, slow = _both(text)
        if fast is _SLOW:  # the fast reader declined (or the guard sent it on): PyYAML alone decides
            continue
        assert not isinstance(slow, Exception), (text, fast, slow)
        assert _same(fast, slow), (text, fast, slow)


@pytest.mark.parametrize("text", DOCUMENTS)
def test_a_document_means_the_same_to_both_readers(text):
    fast, slow = _both(text)
    if fast is not _SLOW:
        assert not isinstance(slow, Exception) and _same(fast, slow), (text, fast, slow)


def test_every_yaml_file_of_the_project_reads_the_same_both_ways():
    files = [p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts]
    read_fast = 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        fast, slow = _both(text)
        if fast is not _SLOW:
            read_fast += 1
            assert _same(fast, slow), path
    assert read_fast >= 10  # the examples and catalogs take the fast route


def test_the_fast_reader_is_used_and_constructs_it_cannot_judge_go_to_pyyaml():
    plain = "handlers:\n  - {id: h-1, left_on: 2024-12-31}\n"
    assert _fast_yaml(plain) == ryaml.loads(plain) == {"handlers": [{"id": "h-1", "left_on": "2024-12-31"}]}
    for text in ("a: &x 1\nb: *x\n", "a: !!set {x: null}\n", "<<: {a: 1}\n", "? [a]\n: 1\n", "%YAML 1.2\n---\na: 1\n",
                 "n: 12345678901234567890\n", "n: 0x1234567890abcdef1\n", "- *x\n", "[a,*x]\n", '{"a":*x}\n', "k:\t!t v\n",
                 "k:\n  &a v\n", "--- !!str v\n", "{? a}\n"):
        assert _fast_yaml(text) is _SLOW, text
    for text in ("name: R&D\n", "expect: item.a != null && item.b > 2 * c\n", 'where: "!has(item.kind) || x ? a : b"\n',
                 'except: ["notice/4.*", "4-*"]\n'):  # text, not node properties: the fast reader, the same values
        assert _fast_yaml(text) is not _SLOW and _fast_yaml(text) == yaml.load(text, Loader=_SafeLoader), text
    with pytest.raises(InputError, match="anchors and aliases"):
        parse("a: &x 1\nb: *x\n", "f.yaml")
    assert parse("n: 12345678901234567890\n", "f.yaml") == {"n": 12345678901234567890}


def test_yaml_and_json_with_the_same_values_are_the_same_facts(tmp_path):
    """Dates are text to both readers and parsed by the facts model (compliance.forms); so are yes/no words: 'yes'
    and '예' mean true through either reader (as YAML 1.1 would read 'yes'), and YAML 1.1's 'on' is refused, never
    read as true by one reader and as text by the other."""
    text = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    assert _fast_yaml(text) is not _SLOW
    y = write(tmp_path, "facts.yaml", text)
    j = write(tmp_path, "facts.json", json.dumps(parse(text, "facts.yaml"), ensure_ascii=False))
    from_yaml = check_facts(y, [])[0].model_dump()
    assert from_yaml == check_facts(j, [])[0].model_dump()
    assert isinstance(from_yaml["as_of"], dt.date) and from_yaml["as_of"].isoformat() in text
    # the same file sent through PyYAML (a comment that looks like an anchor) is the same facts
    assert check_facts(write(tmp_path, "amp.yaml", "# R: &D\n" + text), [])[0].model_dump() == from_yaml
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.strip() == "ip_restricted: true")
    for word, head in [(w, h) for w in ("yes", "YES", "y", "예") for h in ("", "# R: &D\n")]:
        edited = head + "\n".join(lines[:n] + [lines[n].replace("true", word)] + lines[n + 1:]) + "\n"
        assert (_fast_yaml(edited) is _SLOW) == bool(head)  # both readers are used
        assert check_facts(write(tmp_path, "yes.yaml", edited), [])[0].model_dump() == from_yaml, (word, head)
    for word in ("on", "1", "O"):
        for head in ("", "# R: &D\n"):
            edited = head + "\n".join(lines[:n] + [lines[n].replace("true", word)] + lines[n + 1:]) + "\n"
            with pytest.raises(InputError) as exc:
                check_facts(write(tmp_path, "on.yaml", edited), [])
            assert [(p.line, "write true or false" in p.message) for p in exc.value.problems] == [(n + 1 + bool(head), True)]


def test_catalogs_load_the_same_through_either_reader():
    assert Path(CATALOGS).is_dir()
    for path in sorted(Path(CATALOGS).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        fast, slow = _both(text)
        assert fast is _SLOW or _same(fast, slow), path


def test_what_the_fast_reader_takes_pyyaml_reads_the_same():
    """Random documents of YAML's indicators (anchors, aliases, tags, complex keys, flows, quotes, comments, block
    scalars): whatever ``_NEEDS_PYYAML`` lets the fast reader take and it reads, PyYAML reads to the same value (a
    tag or an anchor it would refuse never reaches ryaml, which would drop or expand it)."""
    rnd = random.Random("fast reader")
    pieces = ["a", " ", ":", "- ", "\n", "  ", "[", "]", "{", "}", ",", "&x", "*x", "!t", "!!str", "?", "'q'", '"q"', "#c",
              "|", ">", "\t", "-", "<<", "b: ", "c", "&", "*", "!", "? ", "x&y", "1"]
    taken = 0
    for _ in range(60000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 16)))
        fast = _fast_yaml(text)
        if fast is _SLOW:
            continue
        taken += 1
        try:
            slow = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - the project's safe loader
        except yaml.YAMLError as exc:
            raise AssertionError(f"the fast reader took what PyYAML refuses: {text!r} ({exc})") from None
        assert _same(fast, slow) if not isinstance(fast, (dict, list)) else repr(fast) == repr(slow), text
    assert taken > 5000
