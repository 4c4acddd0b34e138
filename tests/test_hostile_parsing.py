"""No input under the size caps costs more than linear time to read or to refuse.

Each hostile shape is read (or refused) in a time bounded by a plain parse of a normal file of the same size,
measured in the same test (CPU time, best of three for the plain parse): at most 20 times it plus 0.25 s, so the
bound holds on a loaded machine. Before the nesting limit, 100,000 ``[`` (200 KB) took 43 s to be refused inside
ryaml; at the 100 KB used here, deep flow nesting took 1 to 10 s against 10 ms for the normal file.
Refused shapes also go through the real command line (``python -m compliance validate FILE``): exit 2 and exactly
one located line. The grammar that lets most texts skip tokenizing (``loading._shallow_lines``) is held to
libyaml's own tokens on random texts.
"""

from __future__ import annotations

import re

import json
import random
import shutil
import time

import pytest
import ryaml
import yaml

from compliance import loading
from compliance.loading import MAX_NESTING, InputError, parse

from .conftest import CLEAN, python_module

SIZE = 100_000
NESTING = f"nesting deeper than {MAX_NESTING} levels"


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def read(text: str, name: str = "f.yaml"):
    """The parsed value, or the InputError that refused it."""
    try:
        return parse(text, name)
    except InputError as exc:
        return exc


def normal_yaml(size: int) -> str:
    """A facts-like YAML text of about ``size`` characters: handler rows in flow style, as an export writes them."""
    row = '  - {{id: h-{:06d}, role: agent, systems: [sys-main, "sys-db"], granted_on: 2018-08-19, left_on: null}}\n'
    return "handlers:\n" + "".join(row.format(n) for n in range(size // len(row.format(0)) + 1))


def normal_json(size: int) -> str:
    row = '{{"id": "h-{:06d}", "role": "agent", "systems": ["sys-main"], "granted_on": "2018-08-19"}}'
    return '{"handlers": [\n' + ",\n".join(row.format(n) for n in range(size // len(row.format(0)) + 1)) + "\n]}"


def assert_linear(text: str, name: str = "f.yaml"):
    """Reading ``text`` costs at most 20 times a plain parse of a normal file of the same size, plus 0.25 s."""
    plain = normal_json(len(text)) if name.endswith(".json") else normal_yaml(len(text))
    base = min(cpu(lambda: parse(plain, name)) for _ in range(3))
    outcome = []
    spent = cpu(lambda: outcome.append(read(text, name)))
    assert spent <= 20 * base + 0.25, f"{spent:.3f}s against {base:.4f}s for a normal file of {len(text)} characters"
    return outcome[0]


def _deep_block_map(n: int) -> str:
    lines, size, depth = [], 0, 0
    while size < n:
        lines.append(" " * depth + "a:\n")
        size += depth + 3
        depth += 1
    return "".join(lines)


# (shape, text of about n characters, what happens: "nesting" = refused by the limit, "refused" = refused by a
# reader with its own message, "parsed")
SHAPES = [
    ("deep flow sequence", lambda n: "a: " + "[" * (n // 2) + "]" * (n // 2) + "\n", "nesting"),
    ("deep flow sequence, unclosed", lambda n: "a: " + "[" * n + "\n", "nesting"),
    ("deep flow sequence at the top", lambda n: "[" * (n // 2) + "]" * (n // 2) + "\n", "nesting"),
    ("deep flow mapping", lambda n: "a: " + "{a: " * (n // 5) + "1" + "}" * (n // 5) + "\n", "nesting"),
    ("deep flow mapping, JSON-like", lambda n: '{"a":' * (n // 6) + "1" + "}" * (n // 6) + "\n", "nesting"),
    ("deep flow mixed", lambda n: "a: " + "[{a: " * (n // 10) + "1" + "}]" * (n // 10) + "\n", "nesting"),
    ("deep flow over lines", lambda n: "a:\n" + " [\n" * (n // 6) + " ]\n" * (n // 6), "nesting"),
    ("deep flow over lines, quoted items", lambda n: 'a: ["x",\n' + '  ["y",\n' * (n // 8), "nesting"),
    ("deep flow behind a quote in a plain scalar", lambda n: "a: [a 'b, ']]]] ', " + "[" * n + "\n", "nesting"),
    ("deep flow after a block scalar", lambda n: 'a: |\n  x: "\nb: ' + "[" * n + '\nc: "\n', "nesting"),
    ("deep flow after a multi-line quoted scalar", lambda n: 'a: "x\n  y"\nb: ' + "[" * n + "\n", "nesting"),
    ("deep flow after a comment with U+0085", lambda n: "#x\x85" + "[" * n + "\n", "nesting"),
    ("deep flow after a document marker", lambda n: "--- " + "[" * n + "\n", "nesting"),
    ("deep flow after a tab", lambda n: "a:\t" + "[" * n + "\n", "nesting"),
    ("deep flow continuing a plain scalar", lambda n: 'a: x\n  - "b: ' + "[" * (n // 2) + '"\n', "refused"),
    ("deep block mapping (indentation)", _deep_block_map, "parsed"),
    ("deep block sequence on one line", lambda n: "- " * (n // 2) + "x\n", "refused"),
    ("deep complex keys", lambda n: "? " * (n // 2) + "x\n", "refused"),
    ("long plain key", lambda n: "k" * n + ": 1\n", "refused"),
    ("long quoted key", lambda n: '"' + "k" * n + '": 1\n', "refused"),
    ("many short lines", lambda n: "".join(f"k{i}: {i}\n" for i in range(n // 10)), "parsed"),
    ("huge flow sequence of scalars", lambda n: "a: [" + "1, " * (n // 3) + "1]\n", "parsed"),
    ("huge flow mapping", lambda n: "a: {" + ", ".join(f"k{i}: 1" for i in range(n // 10)) + "}\n", "parsed"),
    ("flow at the limit, many scalars", lambda n: "a: " + "[" * MAX_NESTING + "1, " * (n // 3) + "1" + "]" * MAX_NESTING + "\n", "parsed"),
    ("many anchors and aliases", lambda n: "a: &x [1]\n" + "".join(f"b{i}: *x\n" for i in range(n // 10)), "refused"),
    ("billion laughs", lambda n: "a0: &a0 [x, x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, n // 30)), "refused"),
    ("long plain scalar", lambda n: "a: " + "x" * n + "\n", "parsed"),
    ("long plain scalar of words", lambda n: "a: " + "x " * (n // 2) + "\n", "parsed"),
    ("long double-quoted scalar of escapes", lambda n: 'a: "' + "\\t" * (n // 2) + '"\n', "parsed"),
    ("long single-quoted scalar of quotes", lambda n: "a: '" + "''" * (n // 2) + "'\n", "parsed"),
    ("quoted scalar of brackets", lambda n: 'a: "' + "[" * n + '"\n', "parsed"),
    ("plain scalar of brackets", lambda n: "a: x" + "[" * n + "\n", "parsed"),
    ("comment of brackets", lambda n: "a: 1\n# " + "[" * n + "\n", "parsed"),
    ("block scalar of brackets and quotes", lambda n: "a: |\n" + "  [[[[ \"' {{ # x\n" * (n // 17), "parsed"),
    ("unclosed flow sequence", lambda n: "a: [" + "1, " * (n // 3) + "\n", "refused"),
    ("unclosed quoted scalar", lambda n: 'a: "' + "x" * n + "\n", "refused"),
    ("many complex keys", lambda n: "".join(f"? k{i}\n: 1\n" for i in range(n // 11)), "parsed"),
]


@pytest.mark.parametrize("shape, make, expected", SHAPES, ids=[s[0] for s in SHAPES])
def test_a_hostile_yaml_shape_costs_linear_time(shape, make, expected):
    text = make(SIZE)
    outcome = assert_linear(text)
    if expected == "parsed":
        assert not isinstance(outcome, InputError), outcome
    else:
        assert isinstance(outcome, InputError), shape
        (problem,) = outcome.problems
        assert problem.line > 0, problem
        assert (NESTING in problem.message) == (expected == "nesting"), problem


@pytest.mark.parametrize("shape, make", [
    ("deep array", lambda n: "[" * (n // 2) + "]" * (n // 2)),
    ("deep array, unclosed", lambda n: "[" * n),
    ("deep object", lambda n: '{"a":' * (n // 5) + "1" + "}" * (n // 5)),
    ("arrays 900 deep, repeated", lambda n: "[" + ",".join(["[" * 900 + "]" * 900] * (n // 1801)) + "]"),
    ("many keys", lambda n: "{" + ",".join(f'"k{i}":1' for i in range(n // 9)) + "}"),
    ("many keys, one repeated at the end", lambda n: "{" + ",".join(f'"k{i}":1' for i in range(n // 9)) + ',"k0":2}'),
    ("long string of escapes", lambda n: '["' + "\\u00e9" * (n // 6) + '"]'),
    ("unclosed string of escaped quotes", lambda n: '["' + '\\"' * (n // 2)),
    ("deep, then unclosed strings", lambda n: "[" * 2000 + '"\\"' * (n // 3)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_hostile_json_shape_costs_linear_time(shape, make):
    """Python's JSON decoder is linear in depth too: deep JSON is refused at its recursion limit, with a line."""
    outcome = assert_linear(make(SIZE * 4), "f.json")
    if isinstance(outcome, InputError):
        (problem,) = outcome.problems
        assert problem.line > 0, problem


@pytest.mark.parametrize("text, line", [
    ("a: " + "[" * MAX_NESTING + "]" * MAX_NESTING + "\n", 0),
    ("a: " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + "\n", 1),
    ("a:\n" + "  - " + "{x: " * MAX_NESTING + "1" + "}" * MAX_NESTING + "\n", 0),
    ("a:\n" + "  - " + "{x: " * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1) + "\n", 2),
    ("a:\n" + "  [\n" * MAX_NESTING + "  ]\n" * MAX_NESTING, 0),
    ("a:\n" + "  [\n" * (MAX_NESTING + 1) + "  ]\n" * (MAX_NESTING + 1), MAX_NESTING + 2),
    ("".join("a" + str(i) + ': ["[[[", {"b": "{{{"}, \'[[[\']  # [[[[\n' for i in range(100)), 0),
])
def test_the_limit_counts_brackets_not_characters(text, line):
    outcome = read(text)
    if line == 0:
        assert not isinstance(outcome, InputError), outcome
    else:
        assert isinstance(outcome, InputError) and [(p.line, NESTING in p.message) for p in outcome.problems] == [(line, True)], outcome


def test_deep_text_never_reaches_the_readers(monkeypatch):
    """The limit is checked before ryaml or PyYAML sees the text (both cost time per token in the depth)."""

    def unreachable(*args, **kwargs):
        raise AssertionError("a reader saw the deep text")

    monkeypatch.setattr(ryaml, "loads", unreachable)
    monkeypatch.setattr(yaml, "load", unreachable)
    for text in ("a: " + "[" * 5000 + "\n", "a:\n" + " {a:\n" * 5000, "a: &x " + "[" * 5000 + "\n"):
        with pytest.raises(InputError, match=NESTING):
            parse(text, "f.yaml")


def test_brackets_in_scalars_and_comments_are_text():
    text = ('a: "' + "[" * 100 + '"\nb: \'' + "{" * 100 + "'\nc: x" + "[" * 100 + "\n# " + "[" * 100 + "\nd: |\n  " + "[" * 100
            + "\ne: [\"]]]\", '}}}', {f: \"[[[\"}]\n")
    assert parse(text, "f.yaml") == {"a": "[" * 100, "b": "{" * 100, "c": "x" + "[" * 100, "d": "[" * 100 + "\n",
                                     "e": ["]]]", "}}}", {"f": "[[["}]}


# ------------------------------------------------------------------ the real command line


def one_located_line(proc, path, line: int, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.match(re.escape(f"{path}:{line}") + r"(:\d+)?: ", lines[0]), lines[0]  # JSON adds the column
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture()
def org(tmp_path):
    """The clean example, copied whole (attachments are relative to the facts file)."""
    shutil.copytree(CLEAN, tmp_path / "org")
    return tmp_path / "org"


def _with(org, name: str, extra: str) -> str:
    facts = org / name
    facts.write_text((CLEAN / "facts.yaml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return facts


def _line_of(path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize("extra, needle", [
    ("deep: " + "[" * 100_000 + "\n", "deep: "),
    ("deep: " + "{a: " * 20_000 + "\n", "deep: "),
    ("deep:\n" + "  [\n" * 100, None),
])
def test_deep_flow_nesting_is_one_located_line(org, extra, needle):
    facts = _with(org, "facts.yaml", extra)
    line = _line_of(facts, needle) if needle else _line_of(facts, "deep:") + MAX_NESTING + 1
    one_located_line(python_module("validate", facts), facts, line, "invalid YAML", NESTING)


@pytest.mark.parametrize("extra, needle, fragment", [
    ("deep: " + "- " * 50_000 + "x\n", "deep: ", "invalid YAML"),
    ("k" * 100_000 + ": 1\n", "kkkk", "invalid YAML"),
    ("unclosed: [" + "1, " * 30_000 + "\n", "unclosed: [", "the [ opened on this line is never closed"),
    ("alias: &x [1]\nagain: *x\n", "alias:", "anchors and aliases"),
])
def test_other_hostile_yaml_is_one_located_line(org, extra, needle, fragment):
    facts = _with(org, "facts.yaml", extra)
    proc = python_module("validate", facts)
    line = _line_of(facts, needle) if needle else len(facts.read_text(encoding="utf-8").splitlines()) + 1
    one_located_line(proc, facts, line, fragment)


def test_brackets_and_quotes_in_text_validate(org):
    text = (CLEAN / "facts.yaml").read_text(encoding="utf-8")
    text = text.replace('name: "Small Clinic Booking Ltd. (example)"', 'name: "[' + "[" * 99 + '"', 1)
    facts = org / "facts.yaml"
    facts.write_text("# " + "[" * 100_000 + "\n" + text, encoding="utf-8")
    proc = python_module("validate", facts)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_deep_json_is_one_located_line(org):
    data = yaml.safe_load((CLEAN / "facts.yaml").read_text(encoding="utf-8"))
    text = json.dumps(data, default=str, indent=1).replace('"kind": "private"', '"kind": ' + "[" * 100_000 + "]" * 100_000, 1)
    facts = org / "facts.json"
    facts.write_text(text, encoding="utf-8")
    one_located_line(python_module("validate", facts), facts, _line_of(facts, '"kind": ['), "invalid JSON: nested too deeply")


# ------------------------------------------------------------------ the grammar against libyaml

_PIECES = ["[", "]", "{", "}", '"', "'", "#", ":", " ", "  ", "\n", "\n  ", "-", "- ", "? ", ": ", ",", "a", "b c", "|", ">",
           "\\", '\\"', "''", "&a ", "*a", "!t ", "%", "---", "...", "\t", "\r\n", "\r", "\x85", "\u2028", "\ufeff", "\xa0",
           "@", "`", "k: ", "a:b", ":x", "-x", " #", '"a"', "'b'", "[]", "{}", "a'b", 'a"b', "\n--- ", "\n\n ", "#c\n",
           '"a\nb"', "'a\n\n b'", "[a,\n b]", "{a:\n 1}", '["\n"]', "a\n b", '[a\n"b", [', "\n- ", "\nk: ", '\n  k: "']


def _libyaml_depth(text: str) -> int:
    """The deepest flow nesting libyaml's scanner reaches before the end or its first error."""
    scanner, depth, deepest = yaml.CBaseLoader(text), 0, 0
    try:
        while (token := scanner.get_token()) is not None:
            if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)) and depth:
                depth -= 1
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return deepest


PITFALLS = [
    "#c\x85[[a]]\n",  # libyaml ends a comment at U+0085 (and U+2028, U+2029, a lone CR)
    "--- [[a]]\n",  # a document marker, not a plain scalar '--- [[a]]'
    'k: [a "b, [[c]], "d"]\n',  # a quote inside a plain scalar of a flow opens nothing
    'k: [a\n\n "b, [[c]], "d"]\n',  # nor on the next lines of that plain scalar
    'k: ["a"#x\n, [[b]]]\n',  # a comment right after a quoted scalar
    'a: x\n  "b\nc: [[d]]\ne: \'x"\'\n',  # a continued plain scalar: its quote opens nothing
    'a: x\n  y\t#z: "q\nc: [[d]]\ne: \'x"\'\n',  # a tab before '#' starts a comment there
    'a: |\n  x: "\nb: [[c]]\nd: "\n',  # a block scalar's content: its quote opens nothing
    'a: >-\n  ["\nb: [[c]]\nd: \'x"]\'\n',
]


def test_a_text_the_grammar_accepts_never_nests_deeper_in_libyaml():
    """The grammar (here with one or two levels, to be caught more easily) must never accept a text whose flow
    collections libyaml nests deeper: quotes inside plain scalars, comments, block scalars, continued plain scalars,
    document markers, tabs and libyaml's other line breaks are where a grammar goes wrong. Run with millions of
    texts while writing it; the pitfalls it met and a sample here."""
    rng = random.Random(20251205)
    grammars = {(levels, multiline): loading._shallow_lines(levels, multiline) for levels in (1, 2) for multiline in (False, True)}
    for text in PITFALLS:
        assert _libyaml_depth(text) > 1, text
        for (levels, multiline), grammar in grammars.items():
            read = loading._grammar_reads(text) and grammar.match(text).end() == len(text)
            assert not read or _libyaml_depth(text) <= levels, (levels, multiline, text)
    accepted = dict.fromkeys(grammars, 0)
    for _ in range(20_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 30)))
        if not loading._grammar_reads(text):  # U+0085, U+2028, U+2029, a BOM or a lone CR: tokenized by libyaml
            continue
        depth = None
        for (levels, multiline), grammar in grammars.items():
            if grammar.match(text).end() == len(text):
                accepted[levels, multiline] += 1
                depth = _libyaml_depth(text) if depth is None else depth
                assert depth <= levels, (levels, multiline, text)
    assert min(accepted.values()) > 1000, accepted  # the sample does reach the grammar


@pytest.mark.parametrize("style", ["flow rows", "block, as yaml.dump writes it", "wrapped quoted text", "rows over two lines"])
def test_usual_big_texts_are_checked_by_the_grammar_alone(style):
    """A facts file as people and programs write them never needs libyaml's tokens (0.5 microseconds each): the
    check costs one regex pass."""
    rows = [{"id": f"h-{i:05d}", "role": "agent", "systems": ["sys-main", "sys-db"], "granted_on": "2018-08-19",
             "note": f"O'Brien's team [ops]: moved #{i}; see {{ticket}} for the long history of the change, twice over"}
            for i in range(400)]
    if style == "flow rows":
        text = "handlers:\n" + "".join(f"  - {json.dumps(r)}\n" for r in rows)
    elif style == "rows over two lines":
        text = "handlers:\n" + "".join(f"  - {json.dumps(r)}\n".replace(', "role"', ',\n      "role"') for r in rows)
    else:
        text = yaml.safe_dump({"handlers": rows}, sort_keys=False, width=80 if style.startswith("wrapped") else 10_000,
                              default_flow_style=None)
    assert text.count("[") > MAX_NESTING
    assert loading._grammar_reads(text) and len(text) > loading._TOKENIZE_UP_TO
    grammar = loading._shallow(loading._SHALLOW_LEVELS, style == "rows over two lines" or style.startswith("wrapped"))
    assert grammar.match(text).end() == len(text)
    assert loading._nesting_line(text) == 0 and parse(text, "f.yaml")["handlers"][399]["id"] == "h-00399"
