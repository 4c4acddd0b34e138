"""Read YAML/JSON input safely and point every error at ``file:line``.

YAML is read with the YAML 1.2 core schema: ``true``/``false`` are the only booleans, numbers are written as
in JSON (plus ``0x``/``0o``/``0b``), and dates stay text that the facts model parses exactly as it parses JSON
(so a YAML and a JSON file with the same values are the same facts; ``yes``, ``0755`` and ``1:20`` are text, and
a yes/no word or a ``2025. 3. 31.`` is read by the facts model in the forms ``compliance.forms`` accepts everywhere).
A syntax error is one line naming what to write instead (``_yaml_advice``), not the parser's words.
Two readers give that same result: ryaml (libyaml's parser ported to Rust, values built in Rust: 4x PyYAML's C
loader on 100k rows) for text that holds no tag, anchor, alias, merge key, complex key or directive, and PyYAML's
C parser with this module's resolvers for everything else, which refuses those constructs with a line number.
A test runs both readers over the same scalars and documents. Line numbers are only computed (by composing the
document again) when an error needs one, so a clean 100k-row facts file never pays for a location index. Before
either reader sees a text, how deep its brackets nest is checked in linear time (MAX_NESTING): both readers'
cost per token grows with it.

Inputs are read only if they are regular files, with a bounded read (``read_bytes``): a FIFO
must not block the run and ``/dev/zero`` must not fill memory. YAML has a smaller cap than JSON
because the parser's memory grows with the node tree (``MAX_YAML_BYTES``). Every file read is
remembered (``note_input``) so that no output of the run can overwrite it.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import math
import os
import re
import stat
import sys
import typing
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from compliance.i18n import _
from compliance.located import (  # noqa: F401 - the located problem types live there (light: no YAML, no pydantic)
    InputError,
    Problem,
    escaped,
    fail,
    field_path,
    file_sha256,
    inert,
    note_places,
)

MAX_INPUT_BYTES = 200 * 1024 * 1024
"""JSON inputs larger than this are refused before reading. Measured: 1M handlers, 1M accounts and 100k keys
are 181 MB of JSON and a `check` of them peaks at 1.73 GB (the long lists decoded from the bytes into structs; 1.97 GB
when they were validated in chunks); a JSON or SARIF result of such a run adds its own size again."""

MAX_JSON_CONTAINERS = 6_000_000
"""Objects and lists a JSON input may hold, counted before parsing. The byte cap alone does not bound memory:
200 MiB of ``{},`` are 70M empty objects, about 5 GB once parsed (measured: 3M of them, 9 MB, peak 240 MB).
1M handlers, 1M accounts and 100k keys hold 4.1M."""

MAX_YAML_BYTES = 32 * 1024 * 1024
"""YAML inputs larger than this are refused before reading. PyYAML builds the whole node tree
before constructing values: peak memory is about 50 times the file size (measured: a 32 MB facts
file of 100k handlers and 100k credentials peaks at 1.7 GB), so this keeps a run under ~2 GB.
Bigger lists go in a JSON facts file (MAX_INPUT_BYTES)."""

MAX_NESTING = 64
"""Flow collections (``[ ]``, ``{ }``) a YAML input may open inside each other, checked before either reader sees
the text (_nesting_line). Both readers spend time on each token in proportion to the brackets open around it
(libyaml's scanner looks at every open level for a pending key), so nesting that grows with the file made reading
quadratic: 100,000 ``[`` (200 KB) took 43 s of CPU in ryaml to be refused, 30,000 took 1.5 s. At 64 levels a token
costs 1.6 times what it costs at depth 1 (ryaml, 200 KB of scalars, measured), so reading stays linear. Real inputs
nest fewer than 10 levels, flow and block together (the examples 6, the catalogs 10, a JSON result 10), and ryaml
refuses more than 128 anyway. Block nesting (indentation) costs linear time in both readers and is not counted.
JSON is not checked: Python's decoder is linear in the depth and refuses nesting beyond the interpreter's
recursion limit (about 1,000), which parse reports with its line."""


_INPUTS: set[str] = set()


def note_input(path: str | Path) -> None:
    """Remember a file this run read, so no output can overwrite it (see output.write_output)."""
    _INPUTS.add(os.path.abspath(path))


def inputs_read() -> list[str]:
    return sorted(_INPUTS)


def forget_inputs() -> None:
    """Start a new run (the CLI calls this once per invocation)."""
    _INPUTS.clear()


_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map")
)


class _SafeLoader(yaml.CSafeLoader):
    """CSafeLoader that also refuses duplicate keys, aliases, merge keys, non-scalar keys and tags.

    Aliases are refused because a shared node can be expanded exponentially by
    everything downstream (billion laughs); evidence files never need them.
    Tags other than the plain JSON-like ones (``!!set``, ``!!omap``, ``!!binary``, …) are refused:
    they build sets (unordered: reports would differ run to run), bytes or pairs no model expects.
    Dates that look like dates but are invalid (2025-13-01) stay strings so the
    model reports them with their field path instead of a bare ValueError.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, _("YAML anchors and aliases (&name, *name) are not allowed; this value is reused by an alias"), node.start_mark
            )
        if node.tag not in _PLAIN_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, _("the YAML tag {tag} is not allowed; write plain values").format(tag=node.tag.replace("tag:yaml.org,2002:", "!!")),
                node.start_mark,
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, _("YAML merge keys (<<) are not allowed"), key_node.start_mark
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, _("a mapping key must be a plain value, not a list or mapping"), key_node.start_mark
                )
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    _("duplicate key '{key}': it appears twice in the same mapping (first on line {first}); keep one of "
                      "them").format(key=key, first=seen[key]),
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise yaml.constructor.ConstructorError(
                None, None, _("the number has too many digits ({count} characters)").format(count=len(node.value)), node.start_mark
            ) from None

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_yaml_timestamp)
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_yaml_int)


def _float_or_text(loader: _SafeLoader, node):
    """A float that is finite, or written as .inf/.nan; 1e999 stays text (as in the fast reader)."""
    value = loader.construct_yaml_float(node)
    if math.isfinite(value) or node.value.lstrip("+-").lower() in (".inf", ".nan"):
        return value
    return node.value


_SafeLoader.add_constructor("tag:yaml.org,2002:float", _float_or_text)

# The YAML 1.2 core schema, as the fast reader resolves plain scalars (and PyYAML, by default, does not:
# its YAML 1.1 resolvers turn yes/no/on/off into booleans, 0755 into 493, 1:20 into 80, 1_000 into 1000 and
# dates into date objects). Quoted scalars are always text. '<<' keeps its merge tag so it can be refused.
_SafeLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$|^[-+]?0x[0-9a-fA-F]+$|^[-+]?0o[0-7]+$|^[-+]?0b[01]+$", "-+0123456789"),
    ("float", r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$"
              r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$", "-+.0123456789"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
):
    _SafeLoader.add_implicit_resolver("tag:yaml.org,2002:" + _tag, re.compile(_pattern), list(_first))

_NEEDS_PYYAML = re.compile(
    r"(?:^[ \t]*+|[\[{,:?][ \t]*+|-[ \t]++)(?:[!&*]|\?(?:[ \t\r\n]|$))|<<|^%|[0-9]{19}|0[xob][0-9a-fA-F]{15}", re.M)
"""Text without these holds no tag (!), anchor (&), alias (*), merge key (<<), complex key (? ), directive (%) or
integer beyond 64 bits (which the fast reader turns into text or refuses): its result is then the same as PyYAML's
with the resolvers above. A tag, an anchor, an alias or a complex key can only begin a node: at the start of a
line, or after '- ', after ':', '?', '[', '{' or ',' (with blanks between); '!', '&', '*' and '?' elsewhere are text
("R&D", an expression's "a && b" or "x != y"), which both readers read alike. Text where one may begin (also inside
a quoted string: 'a: *b') goes to PyYAML, which refuses the constructs with a line number and reads big integers as
integers. ``tests/test_yaml_readers.py`` holds this to PyYAML on random documents."""


def _fast_yaml(text: str) -> Any:
    """The document read by ryaml, or ``_SLOW`` when PyYAML must read it (see _NEEDS_PYYAML); any error of the
    fast reader also goes to PyYAML, whose message and line number are the ones a user sees."""
    if _NEEDS_PYYAML.search(text):
        return _SLOW
    import ryaml

    try:
        return ryaml.loads(text)
    except Exception:  # noqa: BLE001 - PyYAML reads it again and reports the problem with its line
        return _SLOW
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException (a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        return _SLOW


_SLOW = object()

# --- nesting, bounded before parsing -----------------------------------------------------------------------
# _shallow_lines is a grammar of the tokens of libyaml's scanner (which ryaml ports), matched by Python's regex
# engine in one pass (possessive: no backtracking). A text it matches whole opens flow collections at most
# _SHALLOW_LEVELS deep, so _nesting_line accepts it without tokenizing it; any other text is tokenized by libyaml
# itself (_flow_too_deep): exact and linear, but about 0.5 microseconds a token in Python.
# The grammar reads the text line by line. A line is
#  * inert: no bracket and no quote, so it opens and closes nothing, however the reader takes it; or
#  * tokens as libyaml scans them, ending with the line: plain scalars, quoted scalars, flow collections,
#    indicators, a comment (brackets and quotes inside scalars and comments are text).
# libyaml does not always read a line from a fresh start: after a plain scalar it may read the next line as more of
# that scalar, plain text up to its first ': ' (where it stops with an error, "mapping values are not allowed in
# this context"), up to ' #' (a comment) or to the end of the line; such a line opens nothing either. A quoted
# scalar or a flow collection may therefore span lines only if its first line has a ': ' before any ' #' (taken as
# more of a plain scalar, that line stops the reader first), and only before the first line holding | or >
# outside tokens (a block scalar may start there, and the grammar cannot tell its content lines from others).
# So the grammar and libyaml agree on where every line starts: outside any bracket or quote.
# tests/test_hostile_parsing.py holds the grammar to libyaml's tokens on random texts.
_SHALLOW_LEVELS = 8
_OFF = "\\t\\r\\n"  # never in a token of the grammar outside quotes (tabs are left to libyaml)
_BLANKZ = r"(?![^ " + _OFF + r"])"  # a space, a line break or the end next (libyaml's IS_BLANKZ)
_PLAIN_FIRST = r"[^ \-?:,\[\]{}#&*!|>'\"%@`" + _OFF + r"]"
_BLOCK_WORD = r"(?:[^ :" + _OFF + r"]++|:(?=[^ " + _OFF + r"]))"  # ': ' ends a plain scalar
_FLOW_WORD = r"(?:[^ :,\[\]{}" + _OFF + r"]++|:(?=[^ ,?\[\]{}" + _OFF + r"]))"  # so do , [ ] { } in a flow
_COMMENT = r"#[^\r\n]*+"
_MARKER = r"(?:---|\.\.\.)" + _BLANKZ  # a document marker, at the start of a line only
_NEW_LINES = r"(?: |\r?\n(?!" + _MARKER + r"))++"  # spaces and line breaks within a flow, no document marker after
_STOPS_IF_CONTINUED = r"(?=[ \t]*+(?!#)(?:[^ \t:\r\n]++|[ \t]++(?![#\r\n]|\Z)|:(?![ \t\r\n]|\Z))*+:(?![^ \t\r\n]))"
"""A ': ' on the line before any ' #' (tabs are blanks there)."""
_UNUSUAL = ("\x85", "\u2028", "\u2029", "\ufeff")
"""Characters libyaml reads as line breaks, and a BOM (which it skips at the start of a line): the grammar knows
only LF and CR LF, and leaves a text holding any of these, or a lone CR, to libyaml."""


def _grammar_reads(text: str) -> bool:
    return not any(ch in text for ch in _UNUSUAL) and ("\r" not in text or text.count("\r") == text.count("\r\n"))


def _shallow_lines(levels: int, multiline: bool) -> re.Pattern:
    """The lines described above, with flow collections nested at most ``levels`` deep; quoted scalars and flow
    collections end on their line unless ``multiline``."""

    def tokens(span: bool) -> str:
        off = "" if span else r"\r\n"  # a quoted scalar may hold tabs
        escaped = r"[\s\S]" if span else r"[^" + off + r"]"
        double = r'"[^"\\' + off + r']*+(?:\\' + escaped + r'[^"\\' + off + r']*+)*+"'
        single = r"'[^'" + off + r"]*+(?:''[^'" + off + r"]*+)*+'"
        gap = r"(?:" + _NEW_LINES + r"|" + _COMMENT + r")*+" if span else r" *+"
        words = _NEW_LINES if span else r" ++"  # in a flow, a plain scalar goes on over lines
        plain = (r"(?:" + _PLAIN_FIRST + r"|-(?=[^ " + _OFF + r"]))" + _FLOW_WORD + r"*+(?:" + words + r"(?!#)"
                 + _FLOW_WORD + r"++)*+")
        flow = r"(?!)"
        for _ in range(levels):
            item = r"(?:" + double + r"|[,:?]|" + plain + r"|" + flow + r"|" + single + r")"
            flow = r"[\[{]" + gap + r"(?:" + item + gap + r")*+[\]}]"
        block_plain = (r"(?:" + _PLAIN_FIRST + r"|[-?:](?=[^ " + _OFF + r"]))" + _BLOCK_WORD + r"*+(?: ++(?!#)"
                       + _BLOCK_WORD + r"++)*+")
        token = r"(?:" + block_plain + r"|[-?:]" + _BLANKZ + r"|" + double + r"|" + flow + r"|" + single + r"|[,\]}])"
        return r"(?:" + _MARKER + r")?+ *+(?:" + token + r" *+)*+(?:" + _COMMENT + r")?"

    inert = r"[^\[\]{}\"'\r\n]*+"
    single = r"(?:(?:" + inert + r"|" + tokens(False) + r")(?:\r?\n|\Z))*+"
    if not multiline:
        return re.compile(single)
    spanning = (r"(?:(?:[^\[\]{}\"'\r\n|>]*+|" + tokens(False) + r"|" + _STOPS_IF_CONTINUED + tokens(True)
                + r")(?:\r?\n|\Z))*+")  # up to the first line with | or > outside tokens
    return re.compile(spanning + single)


_shallow = functools.lru_cache(maxsize=None)(_shallow_lines)
"""The grammar, compiled on first use: 2 ms, or about 15 ms with multi-line tokens (paid by texts needing them)."""
_TOKENIZE_UP_TO = 64 * 1024
"""A text the one-line grammar does not read is tokenized by libyaml up to this size (0.15 ms a KB), beyond it
first matched by the grammar with multi-line tokens."""
_FLOW_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_FLOW_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)


def _nesting_line(text: str) -> int | None:
    """0 if the YAML text nests flow collections at most MAX_NESTING deep, else the line where it goes deeper;
    None if libyaml cannot tokenize it (PyYAML, not ryaml, then reads it and reports where). Linear in the text."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    if _grammar_reads(text):
        if _shallow(_SHALLOW_LEVELS, False).match(text).end() == len(text):
            return 0
        if len(text) > _TOKENIZE_UP_TO and _shallow(_SHALLOW_LEVELS, True).match(text).end() == len(text):
            return 0
    return _flow_too_deep(text)


def _flow_too_deep(text: str) -> int | None:
    """The line where libyaml's tokens open more than MAX_NESTING flow collections inside each other; 0 if they
    never do; None at a scanner error first. Tokens are read up to the limit only, so libyaml's own cost per token
    stays bounded; but it scans up to 1,024 characters ahead of the last token read (a ``[`` may start a key), so
    a line of brackets meets libyaml's own limit (1,000 levels) there: that too is nesting deeper than the limit."""
    scanner = yaml.CBaseLoader(text)
    depth = 0
    try:
        while (token := scanner.get_token()) is not None:
            if isinstance(token, _FLOW_OPEN):
                depth += 1
                if depth > MAX_NESTING:
                    return token.start_mark.line + 1
            elif isinstance(token, _FLOW_CLOSE) and depth:
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem) and exc.problem_mark is not None:
            return exc.problem_mark.line + 1
        return None
    except yaml.YAMLError:
        return None
    finally:
        scanner.dispose()
    return 0


@contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def os_problem(exc: OSError) -> str:
    """A one-line reason for an OS error on an input path."""
    if exc.errno == errno.ENOENT:
        return _("file not found")
    if exc.errno == errno.ENOTDIR:
        return _("file not found (a part of the path is not a folder)")
    if exc.errno == errno.EACCES:
        return _("cannot read: permission denied")
    if exc.errno == errno.EPERM:
        return _("cannot read: operation not permitted")
    if exc.errno == errno.ELOOP:
        return _("cannot read: too many levels of symbolic links (a symlink loop?)")
    if exc.errno == errno.ENAMETOOLONG:
        return _("cannot read: the file name is too long")
    if exc.errno == errno.EISDIR:
        return _("is a directory, expected a file")
    return _("cannot read: {reason}").format(reason=exc.strerror or exc)


def _cap_for(path: str | Path) -> int:
    return MAX_INPUT_BYTES if str(path).endswith(".json") else MAX_YAML_BYTES


def read_bytes(path: str | Path, cap: int | None = None) -> bytes:
    """Read a regular file of at most ``cap`` bytes; anything else is one located problem.

    Opened non-blocking (a FIFO would otherwise block the open forever) and checked on the
    descriptor, so what is checked is what is read; the read stops at ``cap + 1`` bytes even
    if the file grows, so ``/dev/zero``-like inputs cannot exhaust memory.
    """
    cap = _cap_for(path) if cap is None else cap
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except ValueError:
        raise fail(path, _("the path contains a NUL byte")) from None
    except OSError as exc:
        raise fail(path, os_problem(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise fail(path, _("is a directory, expected a file"))
        if not stat.S_ISREG(st.st_mode):
            raise fail(path, _("is not a regular file (a FIFO, device or socket); save the input to a file first"))
        if st.st_size > cap:
            raise fail(path, _too_big(path, st.st_size, cap))
        chunks, total = [], 0
        while total <= cap:
            chunk = os.read(fd, min(cap + 1 - total, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            raise fail(path, _too_big(path, total, cap))
    except OSError as exc:
        raise fail(path, os_problem(exc)) from None
    finally:
        os.close(fd)
    note_input(path)
    return b"".join(chunks)


def _too_big(path: str | Path, size: int, cap: int) -> str:
    if cap == MAX_YAML_BYTES and not str(path).endswith(".json"):
        return _("file is {size} bytes or more; YAML input is limited to {cap} bytes (the YAML parser needs about 50 times "
                 "the file size in memory): write big lists as a .json facts file (limit {limit} bytes)").format(
                     size=size, cap=cap, limit=MAX_INPUT_BYTES)
    return _("file is {size} bytes or more; the limit is {cap}").format(size=size, cap=cap)


def read_text(path: str | Path) -> str:
    return _utf8(path, read_bytes(path))


def _utf8(path: str | Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(path, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """JSON's parser keeps the last of two equal keys; YAML's loader here refuses them, and so does this."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _duplicate_at(text: str, key: str) -> tuple[str, int, int]:
    """The repeated key and the line and column of its second occurrence in its own object (found only on this
    error)."""
    from compliance.json_locator import NotJson, first_duplicate_key_place

    try:
        found = first_duplicate_key_place(text)
    except NotJson:
        found = None
    return found or (key, 0, 0)


def _json_place(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of a character offset, both 1-based, as JSON problems are located."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


FAST_JSON_CHARS = 1 << 16
"""JSON texts from this length are read by ``_fast_json`` first; shorter ones cost nothing worth a second reader."""
_MSGSPEC_JSON = None
_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


def colon_escaped(raw: bytes) -> bool:
    """Whether a JSON text writes a colon as ``\\u003a``: counting colons then tells nothing about repeated keys
    (``_fast_json``, ``row_decoder.decode_json``). The one-byte search first: it runs at memory speed."""
    return b"\\" in raw and _ESCAPED_COLON.search(raw) is not None


def _fast_json(source: bytes | str) -> Any:
    """The JSON document ``json.loads`` with ``_unique_keys`` would give, read by msgspec in C, or ``_SLOW``.

    msgspec keeps the last of two equal keys without a word, so duplicates are found by counting: in valid JSON
    every ``:`` outside a string separates a key from its value, and msgspec writes every ``:`` of a string as
    itself. The text re-encoded from what was read therefore has as many colons as the source exactly when no
    object lost a key (a source writing a colon as ``\\u003a`` is left to the slow reader). Wherever msgspec and
    Python's reader differ, msgspec refuses (NaN, 1e400, lone surrogates, a BOM, 4,301-digit integers, deep
    nesting): ``_SLOW``, and the slow reader accepts or says what is wrong, where, as before
    (``tests/test_fast_json.py`` holds the two to the same values). 1M-row facts file: 1.1 s against 2.2 s."""
    global _MSGSPEC_JSON
    if _MSGSPEC_JSON is None:
        import msgspec

        _MSGSPEC_JSON = (msgspec.json.Decoder().decode, msgspec.json.encode, msgspec.MsgspecError)
    decode, encode, error = _MSGSPEC_JSON
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    try:
        data = decode(raw)
    except (error, RecursionError, ValueError, OverflowError):
        return _SLOW
    if colon_escaped(raw) or raw.count(b":") != encode(data).count(b":"):
        return _SLOW  # a repeated key (or a colon written escaped): the slow reader says which, where
    return data


def _bounded_containers(text: str, path: str | Path) -> None:
    """Refuse a JSON text with more objects and lists than MAX_JSON_CONTAINERS, before any reader builds them."""
    if len(text) > 2 * MAX_JSON_CONTAINERS:  # a shorter text cannot hold more ("{}" is two characters)
        containers = text.count("{") + text.count("[")  # braces inside strings counted too: an upper bound
        if containers > MAX_JSON_CONTAINERS:
            raise fail(path, _("has {count} '{{' and '[': more than the {limit} objects and lists a JSON input may hold "
                               "(each costs memory however small the file); put long lists in CSV sources").format(
                                   count=f"{containers:,}", limit=f"{MAX_JSON_CONTAINERS:,}"))


def parse(text: str, path: str | Path, as_json: bool = False, raw: bytes | None = None) -> Any:
    """Parse YAML (or JSON, by extension or ``as_json``) text into plain Python values. ``raw``: the UTF-8 bytes of
    ``text`` without a BOM when the caller has them (read once more as text, a non-ASCII ``str`` would keep a UTF-8
    copy of itself as long as it lives)."""
    if as_json or str(path).endswith(".json"):
        _bounded_containers(text, path)
        return _parse_json(text, path, raw)
    deep = _nesting_line(text)  # before either reader: both cost time per token in the depth (MAX_NESTING)
    if deep:
        raise fail(path, _("invalid YAML: {problem}").format(problem=_(
            "nesting deeper than {limit} levels ([ and {{ opened inside each other; the nesting depth is limited so that "
            "reading stays linear, and facts nest fewer than 10)").format(limit=MAX_NESTING)), deep)
    with _gc_paused():
        data = _fast_yaml(text) if deep is not None else _SLOW  # None: libyaml cannot scan it, PyYAML says where
    if data is not _SLOW:
        _remember_lists(text, data)
        return data
    try:
        with _gc_paused():
            data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader subclass
        _remember_lists(text, data)
        return data
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_advice(text, exc)
        raise fail(path, _("invalid YAML: {problem}").format(problem=message), line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: its line, and the character named
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else 0
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        what = f"U+{code:04X}" if isinstance(code, int) else "?"
        raise fail(path, _("invalid YAML: {problem}").format(problem=_(
            "the character {character} is not allowed (control characters cannot appear in YAML)").format(character=what)), line) from None
    except yaml.YAMLError as exc:
        raise fail(path, _("invalid YAML: {problem}").format(problem=exc)) from None
    except RecursionError:
        raise fail(path, _("invalid YAML: {problem}").format(problem=_("nested too deeply")), _deep_line(text)) from None


_INDENT_TAB = re.compile(r"[ \t-]*+\t")
_KEY_THEN_VALUE = re.compile(r"[ \t]*+(?:-[ \t]++)*+([^\s:#'\"\[\]{}][^:#]*?):[ \t]++(\S.*)")
_NO_SPACE_AFTER_COLON = re.compile(r"[ \t]*+(?:-[ \t]++)*+[^\s:#'\"][^:\s]*+:[^\s:]")
_TEXT_AFTER_QUOTE = re.compile(r"""[ \t]*+(?:-[ \t]++)*+[^:#]++:[ \t]++(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"|'[^']*+(?:''[^']*+)*+')[ \t]*+[^\s#]""")


def _yaml_advice(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """(line, sentence) for a YAML syntax error, in words a person who edits the file can act on: what is wrong on
    which line and what to write instead. The parser's own words are kept only for a case not recognised here.
    Looks at the few lines the marks name (and scans once for a closing bracket): linear in the text."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    problem, context = exc.problem or "", exc.context or ""
    lines = text.split("\n")  # libyaml's line numbers (a CR before the break is dropped by at())

    def at(n: int) -> str:  # 1-based
        return lines[n - 1].rstrip("\r") if 0 < n <= len(lines) else ""

    start = exc.context_mark.line + 1 if exc.context_mark else line
    char = at(line)[mark.column] if mark and mark.column < len(at(line)) else ""
    indentation = _("the indentation of this line does not match the lines above: keys of one group start in the same "
                    "column, and the items of a list ('- ') are indented under their key; indent with spaces")
    if isinstance(exc, yaml.constructor.ConstructorError) and exc.context is None:
        return line, problem  # this module's own refusals (duplicate key, alias, tag): already in words
    if "tab" in problem or (char == "\t" and "cannot start any token" in problem):
        tabbed = next((n for n in range(line, 0, -1) if _INDENT_TAB.match(at(n)) and at(n).strip()), line)
        return tabbed, _("a tab is used for indentation: indent with spaces instead of tabs (YAML does not allow tabs there)")
    if "cannot start any token" in problem and char in ("@", "`", "%"):
        return line, _("a value cannot start with {character}: put the value in quotes").format(character=char)
    if "mapping values are not allowed" in problem:
        before = at(line)[: mark.column] if mark else ""
        kv = _KEY_THEN_VALUE.match(at(line))
        if kv and ": " in before.lstrip(" -"):
            value = kv[2].split(" #")[0].rstrip()
            example = f"{kv[1]}: {json.dumps(value, ensure_ascii=False)}"
            return line, _("a value with a colon (:) in it must be in quotes: write {example}").format(example=example)
        previous = next((n for n in range(line - 1, 0, -1) if at(n).strip() and not at(n).lstrip().startswith("#")), 0)
        if previous and _NO_SPACE_AFTER_COLON.match(at(previous)) and ": " not in at(previous):
            key, _colon, value = at(previous).strip().partition(":")
            return previous, _("put a space after the colon: write {example}").format(example=f"{key.lstrip('- ')}: {value}")
        return line, indentation
    if "while scanning a quoted scalar" in context and "end of stream" in problem:
        quote = at(start)[exc.context_mark.column] if exc.context_mark and exc.context_mark.column < len(at(start)) else '"'
        return start, _("the quote {quote} opened on this line is never closed: end the value with {quote}").format(quote=quote)
    if "quoted scalar" in context and "unknown escape" in problem:
        return line, _("a backslash (\\) in double quotes starts an escape: put the value in single quotes instead "
                       "('C:\\folder'), or write each backslash twice")
    if context.startswith("while parsing a flow") and "did not find expected" in problem:
        unclosed = _unclosed(text)
        if unclosed is not None:
            where, bracket = unclosed
            return where, _("the {bracket} opened on this line is never closed: close it with {closing}").format(
                bracket=bracket, closing=_CLOSING[bracket])
        return line, _("inside [ ] and {{ }}, separate the items with commas, and put a value holding a colon (:), a "
                       "comma, a bracket or # in quotes").format()
    if "but found another document" in problem:
        return line, _("a second document starts here (---): this file must hold one document; remove the line with ---")
    if "did not find expected key" in problem and _TEXT_AFTER_QUOTE.match(at(line)):
        return line, _("there is text after the closing quote: put the whole value inside the quotes")
    if ("did not find expected key" in problem or "did not find expected '-'" in problem
            or "expected <block end>" in problem):
        return line, indentation
    message = f"{context}: {problem}" if context and problem else problem or context or "?"
    if exc.context_mark and mark and exc.context_mark.line != mark.line:
        message = _("{problem} (started on line {line})").format(problem=message, line=exc.context_mark.line + 1)
    return line, message


_CLOSING = {"[": "]", "{": "}"}


def _unclosed(text: str) -> tuple[int, str] | None:
    """(line, bracket) of the bracket left open: the one a wrong closing bracket meets, else the innermost still
    open at the end; None when every bracket closes (brackets inside double quotes skipped). One pass."""
    stack: list[tuple[int, str]] = []
    for m in _UP_TO_BRACKET.finditer(text):
        bracket = m[1]
        if not bracket:
            break
        if bracket in _CLOSING:
            stack.append((m.end() - 1, bracket))
        elif not stack or _CLOSING[stack[-1][1]] != bracket:
            break
        else:
            stack.pop()
    if not stack:
        return None
    offset, bracket = stack[-1]
    return text.count("\n", 0, offset) + 1, bracket


_UP_TO_BRACKET = re.compile(r'(?:[^"\[\]{}]++|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"?)*+([\[\]{}]|\Z)')
"""Text up to the next bracket outside a string (an unclosed string ends at its line's end), or to the end: one
match per bracket, and none ever retried from a later start."""


def _deep_line(text: str, limit: int = MAX_NESTING) -> int:
    """The line where brackets (strings skipped) first open more than ``limit`` deep, else where they open deepest;
    0 if none opens. Only called once a parser has refused the nesting; linear (flow-style YAML nests the same)."""
    where = _deep_offset(text, limit)
    return text.count("\n", 0, where) + 1 if where is not None else 0


def _deep_offset(text: str, limit: int = MAX_NESTING) -> int | None:
    """The offset of the bracket of ``_deep_line``, or None."""
    depth = deepest = 0
    where = None
    for m in _UP_TO_BRACKET.finditer(text):
        bracket = m[1]
        if not bracket:
            break
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, m.end() - 1
                if depth > limit:
                    break
        else:
            depth -= 1
    return where


def _parse_json(text: str, path: str | Path, raw: bytes | None) -> Any:
    """``parse`` of a JSON text whose containers are already counted (``_bounded_containers``)."""
    try:
        with _gc_paused():
            data = _fast_json(raw if raw is not None else text) if len(text) >= FAST_JSON_CHARS else _SLOW
            return data if data is not _SLOW else json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        key, line, column = _duplicate_at(text, exc.key)
        raise fail(path, _("duplicate key '{key}': JSON objects must not repeat a key (the second would silently win)").format(
            key=key), line, column=column) from None
    except json.JSONDecodeError as exc:
        raise fail(path, _("invalid JSON: {problem}").format(problem=exc.msg), exc.lineno, column=exc.colno) from None
    except RecursionError:
        deep = _deep_offset(text)
        line, column = _json_place(text, deep) if deep is not None else (0, 0)
        raise fail(path, _("invalid JSON: {problem}").format(problem=_("nested too deeply")), line, column=column) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        long = re.search(r"\d{%d,}" % (sys.get_int_max_str_digits() + 1), text) if sys.get_int_max_str_digits() else None
        line, column = _json_place(text, long.start()) if long else (0, 0)
        raise fail(path, _("invalid JSON: {problem}").format(problem=str(exc).split(";")[0]), line, column=column) from None


def load(path: str | Path, as_json: bool = False, rows_of: type | None = None) -> tuple[Any, str]:
    """Load one file (JSON by extension or ``as_json``, a workbook by ``.xlsx``, else YAML); returns (data, text). The
    text is kept to locate later errors (a workbook's is the canonical JSON text of what it states).

    ``rows_of``: a model whose long lists the caller takes as ``compliance.row_decoder`` structs (``validate_file``'s
    ``rows_as_structs``): a big JSON file's rows are then decoded from its bytes straight into them."""
    if not as_json and str(path).lower().endswith(".xlsx"):
        from compliance.workbook import read_workbook

        return read_workbook(path)
    data = read_bytes(path)
    text = _utf8(path, data)
    raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    del data
    if not (as_json or str(path).endswith(".json")):
        return parse(text, path, as_json), text
    _bounded_containers(text, path)
    if rows_of is not None and len(text) >= FAST_JSON_CHARS:
        from compliance.row_decoder import decode_json

        with _gc_paused():
            read = decode_json(rows_of, raw, _row_models)
        if read is not None:
            return read, text
    return _parse_json(text, path, raw), text


JSON_START = re.compile(r"[ \t\r\n]*\{")
"""A text that opens a JSON object (after blanks): located, and searched for ids, as JSON rather than as YAML."""


class Locator:
    """Maps a field path (('handlers', 3, 'left_on')) to a line of the source text.

    Built lazily: composing is several times slower than loading, and is only
    needed once something is wrong.
    """

    def __init__(self, text: str):
        self._text = text
        self._root: yaml.Node | None = None
        self._built = False
        self._items: dict[str, list[tuple[int, int]] | None] = {}
        self._json = None
        if JSON_START.match(text):  # JSON is walked as JSON: composing YAML nodes costs ~50 bytes per byte of text
            from compliance.json_locator import JsonLocator

            self._json = JsonLocator(text)

    def source_line(self, line: int) -> str:
        """The text of a 1-based line ('' when out of range), e.g. to tell a block scalar's key line."""
        lines = self._text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def _node(self) -> yaml.Node | None:
        if not self._built:
            self._built = True
            try:
                with _gc_paused():
                    self._root = yaml.compose(self._text, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def place(self, loc: Sequence[Any]) -> tuple[int, int]:
        """(line, column) of a field path: the column (1-based) of a JSON text's key or item, 0 for YAML."""
        if self._json is not None:
            from compliance.json_locator import NotJson

            try:
                return self._json.place(loc)
            except NotJson:  # a YAML flow mapping, not JSON: composed below
                self._json = None
        return self.line(loc), 0

    def line(self, loc: Sequence[Any]) -> int:
        if self._json is not None:
            from compliance.json_locator import NotJson

            try:
                return self._json.line(loc)
            except NotJson:  # a YAML flow mapping, not JSON: composed below
                self._json = None
        if not self._built and len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            found = self._item_line(loc[0], loc[1], loc[2:])
            if found:
                return found
        node = self._node()
        if node is None:
            return 0
        return _walk(node, loc, 0)

    def _item_line(self, key: str, index: int, rest: Sequence[Any]) -> int:
        """The line of ``key[index]...`` found by composing that one item: a bad row of a 100k-row list is located
        in milliseconds instead of composing the whole document (2 s). Used only when the text's block layout
        gives exactly as many items as the parsed list has (``_LIST_LENGTHS``); else 0 and the whole is composed."""
        known = _LIST_LENGTHS.get(id(self._text))
        if known is None or known[0] is not self._text or known[1].get(key) is None:
            return 0
        if key not in self._items:
            self._items[key] = _block_items(self._text, key)
        items = self._items[key]
        if items is None or len(items) - 1 != known[1][key] or not 0 <= index < len(items) - 1:
            return 0
        (start, first_line), (end, _) = items[index], items[index + 1]
        try:
            with _gc_paused():
                node = yaml.compose(self._text[start:end], Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            return 0
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 1:
            return 0
        return _walk(node.value[0], rest, first_line)


def _walk(node: yaml.Node, loc: Sequence[Any], offset: int) -> int:
    """Follow ``loc`` down from ``node``; the line of the deepest step found (``offset`` lines before the node's text)."""
    line = offset + node.start_mark.line + 1
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    line = offset + key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                return line
            node = node.value[step]
            line = offset + node.start_mark.line + 1
        else:
            return line
    return line


_LIST_LENGTHS: dict[int, tuple[str, dict[str, int]]] = {}
"""id(text) -> (text, length of each top-level list) of the YAML texts parsed in this run, for Locator."""


def _remember_lists(text: str, data: Any) -> None:
    if isinstance(data, dict):
        _LIST_LENGTHS[id(text)] = (text, {k: len(v) for k, v in data.items() if isinstance(k, str) and isinstance(v, list)})


_ITEM = re.compile(r"^([ \t]*)-(?:[ \t]|\r?$)", re.M)
_TOP_LEVEL = re.compile(r"^(?![ \t#]|-(?:[ \t]|\r?$)|\r?$)", re.M)


def _block_items(text: str, key: str) -> list[tuple[int, int]] | None:
    """Where each item of the block sequence under the top-level ``key:`` starts (offset, line index), and where the
    block ends; None unless the key is written once, at column 0, with its items on lines of their own."""
    heads = list(re.finditer(rf"^(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')[ \t]*:[ \t]*(?:#.*)?\r?$", text, re.M))
    if len(heads) != 1:
        return None
    begin = heads[0].end()
    after = _TOP_LEVEL.search(text, begin + 1)
    end = after.start() if after else len(text)
    starts = [m for m in _ITEM.finditer(text, begin, end)]
    if not starts:
        return None
    indent = starts[0].group(1)
    offsets = [m.start() for m in starts if m.group(1) == indent]
    line = text.count("\n", 0, offsets[0])
    out = []
    previous = offsets[0]
    for off in offsets:
        line += text.count("\n", previous, off)
        previous = off
        out.append((off, line))
    out.append((end, line + text.count("\n", previous, end)))
    return out


def validate_file(path: str | Path, model: type, data: Any = None, text: str | None = None, rows_as_structs: bool = False):
    """Load ``path`` and validate it as ``model`` (pydantic); every error located at once.

    ``rows_as_structs``: the caller reads the model's row lists only by attribute and through
    ``facts.to_evaluation_dict`` (``check``, ``validate``), so rows ``compliance.row_decoder`` takes exactly as
    pydantic would are kept as its structs, without a model each; any other list is validated by pydantic."""
    if data is None or text is None:
        data, text = load(path)
    if not isinstance(data, dict):
        raise fail(path, _("expected a mapping at the top level, found {kind}").format(kind=type(data).__name__), 1)
    decoded = _rows_decoded(model, data) if rows_as_structs else {}
    _rows_in_chunks(model, data)
    try:
        made = model.model_validate(data)
    except ValidationError as exc:
        raise located(path, text, exc) from None
    for name, rows in decoded.items():  # the rows pydantic would have made, as the model's own field
        made.__dict__[name] = rows
        made.__pydantic_fields_set__.add(name)
    return made, text


CHUNK_ROWS = 20_000
"""Rows of a long list validated (``validate_in_chunks``) or dumped (``facts.to_evaluation_dict``) at a time."""
_LIST_ADAPTERS: dict = {}


def list_adapter(row: type):
    """The TypeAdapter of ``list[row]``, made once per row model."""
    from pydantic import TypeAdapter

    return _LIST_ADAPTERS.get(row) or _LIST_ADAPTERS.setdefault(row, TypeAdapter(list[row]))


def _row_models(model: type, data: dict):
    """(name, row model, rows) of each top-level list of models that ``data`` states as a list."""
    from pydantic import BaseModel

    for name, info in (getattr(model, "model_fields", None) or {}).items():
        rows = data.get(name)
        if not isinstance(rows, list) or not rows:
            continue
        args = typing.get_args(info.annotation)  # list[Row] | None
        lists = [a for a in args if typing.get_origin(a) is list] or ([info.annotation] if typing.get_origin(info.annotation) is list else [])
        row = typing.get_args(lists[0])[0] if lists else None
        if isinstance(row, type) and issubclass(row, BaseModel):
            yield name, row, rows


def _rows_decoded(model: type, data: dict) -> dict[str, list]:
    """The row lists ``compliance.row_decoder`` takes, removed from ``data`` (pydantic validates the rest); a list
    that is its structs already (a tabular source's, ``compliance.sources``) is taken as it is."""
    from compliance import row_decoder

    out = {}
    for name, row, rows in list(_row_models(model, data)):
        structs = rows if row_decoder.is_decoded(row, rows) else row_decoder.decode(row, rows)
        if structs is not None:
            out[name] = structs
            del data[name]
    return out


def _rows_in_chunks(model: type, data: dict) -> None:
    """Validate the rows of the model's big top-level lists (handlers, accounts, credentials…) a chunk at a time,
    replacing each chunk of parsed dicts by its model instances, which the model then takes as they are. The
    parsed rows are released as their instances are made, so both never coexist whole: at 1M rows that was the
    peak of a run (3.2 GB, measured). Nothing assigns to a row once validated, and every row field defaults to
    None (dumped without None), so a shared set of stated fields cannot change a dump. The first chunk with an
    error stops this; the whole-model validation that follows then reports every error of the file with its
    location, as before."""
    for _name, row, rows in list(_row_models(model, data)):
        if len(rows) > CHUNK_ROWS and not validate_in_chunks(list_adapter(row), rows):
            return


def validate_in_chunks(adapter, rows: list) -> bool:
    """Validate ``rows`` (a list of parsed rows) with ``adapter`` (a TypeAdapter of a list of models) a chunk at a
    time, replacing each chunk by its instances in place; False at the first chunk with an error (the rows so far
    are instances, which a later validation of the whole list takes as they are, reporting every error)."""
    shared: dict[frozenset, set] = {}
    prev: set | None = None
    for start in range(0, len(rows), CHUNK_ROWS):
        try:
            made = adapter.validate_python(rows[start : start + CHUNK_ROWS])
        except ValidationError:
            return False
        for inst in made:  # rows stating the same fields share one set of them: 728 of a handler's 1,272 bytes
            fs = getattr(inst, "__pydantic_fields_set__", None)
            if fs is None:  # a list of plain values (dates, text)
                break
            if fs == prev:  # the usual case, an export's rows alike: no frozenset made
                _set_attr(inst, "__pydantic_fields_set__", prev)
                continue
            one = shared.get(key := frozenset(fs))
            if one is None:
                one = shared[key] = fs
            elif one is not fs:
                _set_attr(inst, "__pydantic_fields_set__", one)
            prev = one
        rows[start : start + CHUNK_ROWS] = made
    return True


_set_attr = object.__setattr__


def located(path: str | Path, text: str, exc) -> InputError:
    """Turn a pydantic ValidationError into located problems (file:line: field: message), each in the words
    ``compliance.forms.explain`` gives its error type, in the user's language."""
    from compliance.forms import explain

    locator = Locator(text)
    problems = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        # a union member's tag (e.g. "function-before[...]", "literal['unknown']") is pydantic's, not the user's
        loc = tuple(step for step in err["loc"] if not (isinstance(step, str) and ("[" in step or step in ("str", "int", "bool"))))
        if err["type"] == "literal_error" and "'unknown'" in err["msg"]:
            continue  # the other member's message says what is wrong; 'unknown' is mentioned there
        if loc in seen:
            continue
        seen.add(loc)
        line, column = locator.place(loc)
        problems.append(Problem(str(path), line, explain(err), field_path(loc), column=column))
    return InputError(problems)

