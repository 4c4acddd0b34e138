"""The check-expression language: a typed CEL subset compiled once into Python closures.

Why not a CEL library: measured (benchmarks/expr_engines.py) the Rust-backed CEL costs
~13 µs per item for value conversion, ~100x these closures, and it cannot check field
names against the facts model. This subset keeps CEL's syntax and its error-absorbing
``&&``/``||`` so catalogs stay portable, and adds what audits need: dates, durations,
absence of facts, and lookups by id. Nothing here can call arbitrary Python.

Semantics an author relies on:
- A fact that is *absent* from the evidence raises :class:`Missing`; the evaluator turns it
  into ``insufficient-evidence`` (never a silent pass). ``false && <missing>`` is false and
  ``true || <missing>`` is true, as in CEL.
- A fact stated as ``null`` (e.g. ``access_revoked_on: null`` = never revoked) is a value:
  ``== null`` tests it, arithmetic with it gives null, and an ordered comparison with null is
  false (never revoked is not "on or before departure").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import math
import operator
import re
import types
import typing
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

from compliance.i18n import _


class ExprError(Exception):
    """A compile-time error in an expression; ``column`` is 1-based."""

    def __init__(self, message: str, column: int = 0):
        self.message = message
        self.column = column
        super().__init__(_("column {column}: {message}").format(column=column, message=message) if column else message)


class EvalError(Exception):
    """A run-time error that static checks could not rule out (a catalog bug)."""


class OutOfRange(Exception):
    """Date arithmetic on an item's facts left the calendar (a date near year 1 or 9999): an input error of that
    item, not a catalog bug."""

    def __init__(self, index: int, message: str):
        self.index, self.message = index, message
        super().__init__(message)


class Missing(Exception):
    """A fact the expression needs is absent from the evidence."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(path)


_ABSENT = object()


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class T:
    kind: str  # any null bool number string date datetime duration list object
    elem: T | None = None
    model: type | None = None

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list<{self.elem}>"
        if self.kind == "object" and self.model is not None:
            return self.model.__name__
        return self.kind


ANY, NULL, BOOL, NUM, STR = T("any"), T("null"), T("bool"), T("number"), T("string")
DATE, DATETIME, DURATION = T("date"), T("datetime"), T("duration")


def type_of_annotation(ann: Any) -> T:
    """Map a pydantic field annotation to an expression type."""
    origin = get_origin(ann)
    if origin is typing.Annotated:
        return type_of_annotation(get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        # None and the literal 'unknown' (an event not known to have happened or not) are absence, not a type
        inner = [a for a in get_args(ann) if a is not type(None) and get_args(a) != ("unknown",)]
        return type_of_annotation(inner[0]) if len(inner) == 1 else ANY
    if origin is list:
        return T("list", type_of_annotation(get_args(ann)[0]))
    if origin is Literal:
        return STR
    if ann is AwareDatetime or (isinstance(ann, type) and issubclass(ann, dt.datetime)):
        return DATETIME
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return T("object", model=ann)
        if issubclass(ann, bool):
            return BOOL
        if issubclass(ann, (int, float)):
            return NUM
        if issubclass(ann, (str, Enum)):
            return STR
        if issubclass(ann, dt.date):
            return DATE
        if issubclass(ann, dt.timedelta):
            return DURATION
    return ANY


def fields_of(t: T) -> dict[str, T] | None:
    """Known fields of an object type, or None when unknown (any)."""
    if t.kind != "object" or t.model is None:
        return None
    return _model_fields(t.model)


@functools.cache
def _model_fields(model: type) -> dict[str, T]:
    # once per model: compiling a catalog's ~200 expressions asked it ~600 times (0.12 s of a small `check`)
    return {name: type_of_annotation(f.annotation) for name, f in model.model_fields.items()}


# --------------------------------------------------------------------------- lexer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+\.\d+|\d+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:.,()\[\]])
    """,
    re.VERBOSE,
)


@dataclass
class Tok:
    kind: str
    text: str
    col: int


def _lex(src: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise ExprError(_("unexpected character {char}").format(char=repr(src[pos])), pos + 1)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Tok(kind, m.group(), pos + 1))
        pos = m.end()
    out.append(Tok("end", "", len(src) + 1))
    return out


# --------------------------------------------------------------------------- AST


@dataclass
class Node:
    op: str
    col: int
    args: list[Any] = field(default_factory=list)
    value: Any = None


class _Parser:
    _REL = {"==", "!=", "<", "<=", ">", ">=", "in"}

    def __init__(self, src: str):
        self.toks = _lex(src)
        self.i = 0
        self.depth = 0  # parentheses, calls, brackets, ternaries and prefix operators open here

    def _enter(self, col: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(_("nested more than {depth} levels deep; split it into named conditions").format(depth=MAX_DEPTH), col)

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self, text: str | None = None, kind: str | None = None) -> Tok:
        t = self.tok
        if (text is not None and t.text != text) or (kind is not None and t.kind != kind):
            want = repr(text) if text else kind
            got = repr(t.text) if t.text else _("end of expression")
            raise ExprError(_("expected {want}, found {got}").format(want=want, got=got), t.col)
        self.i += 1
        return t

    def parse(self) -> Node:
        node = self.ternary()
        if self.tok.kind != "end":
            raise ExprError(_("unexpected {token}").format(token=repr(self.tok.text)), self.tok.col)
        return node

    def ternary(self) -> Node:
        self._enter(self.tok.col)
        cond = self.binary(0)
        if self.tok.text == "?":
            col = self.take("?").col
            a = self.ternary()
            self.take(":")
            b = self.ternary()
            cond = Node("?:", col, [cond, a, b])
        self.depth -= 1
        return cond

    _LEVELS: list[set[str]] = [{"||"}, {"&&"}, _REL, {"+", "-"}, {"*", "/", "%"}]

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        ops = self._LEVELS[level]
        while self.tok.text in ops and self.tok.kind in ("op", "id"):
            t = self.take()
            right = self.binary(level + 1)
            left = Node(t.text, t.col, [left, right])
            if ops is self._REL and self.tok.text in ops:
                raise ExprError(_("comparisons do not chain; use &&"), self.tok.col)
        return left

    def unary(self) -> Node:
        if self.tok.text in ("!", "-") and self.tok.kind == "op":
            t = self.take()
            self._enter(t.col)
            node = Node("neg" if t.text == "-" else "!", t.col, [self.unary()])
            self.depth -= 1
            return node
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.tok.text == ".":
                self.take(".")
                name = self.take(kind="id")
                if self.tok.text == "(":
                    node = Node("call", name.col, [node, *self.call_args()], name.text)
                else:
                    node = Node("field", name.col, [node], name.text)
            elif self.tok.text == "[":
                col = self.take("[").col
                idx = self.ternary()
                self.take("]")
                node = Node("index", col, [node, idx])
            else:
                return node

    def call_args(self) -> list[Node]:
        self.take("(")
        args: list[Node] = []
        if self.tok.text != ")":
            args.append(self.ternary())
            while self.tok.text == ",":
                self.take(",")
                args.append(self.ternary())
        self.take(")")
        return args

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            if len(t.text) > MAX_NUMBER_DIGITS:
                raise ExprError(_("a number literal of {length} characters (at most {limit})").format(
                    length=f"{len(t.text):,}", limit=MAX_NUMBER_DIGITS), t.col)
            self.i += 1
            return Node("lit", t.col, value=float(t.text) if "." in t.text else int(t.text))
        if t.kind == "str":
            self.i += 1
            body = t.text[1:-1]
            return Node("lit", t.col, value=re.sub(r"\\(.)", r"\1", body))
        if t.kind == "id":
            self.i += 1
            if t.text in ("true", "false"):
                return Node("lit", t.col, value=t.text == "true")
            if t.text == "null":
                return Node("lit", t.col, value=None)
            if self.tok.text == "(":
                return Node("call", t.col, [None, *self.call_args()], t.text)
            return Node("ident", t.col, value=t.text)
        if t.text == "(":
            self.take("(")
            node = self.ternary()
            self.take(")")
            return node
        if t.text == "[":
            col = self.take("[").col
            items: list[Node] = []
            if self.tok.text != "]":
                items.append(self.ternary())
                while self.tok.text == ",":
                    self.take(",")
                    items.append(self.ternary())
            self.take("]")
            return Node("list", col, items)
        got = repr(t.text) if t.text else _("end of expression")
        raise ExprError(_("unexpected {token}").format(token=got), t.col)


# --------------------------------------------------------------------------- runtime helpers

Fn = Callable[[dict, dict], Any]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|ms|m|s)")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}


def parse_duration(text: str) -> dt.timedelta:
    """'72h', '30d', '1h30m' -> timedelta (CEL units plus 'd' for days)."""
    pos, total = 0, dt.timedelta()
    if not text:
        raise ValueError(_("empty duration"))
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        total += dt.timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
        pos = m.end()
    if pos != len(text):
        raise ValueError(_("invalid duration {text} (use e.g. '72h', '30d', '1h30m')").format(text=repr(text)))
    return total


def _missed_months(dates: list, start: dt.date, end: dt.date) -> list[str]:
    """Calendar months from start's month up to (not including) end's month with no date."""
    if dates is None or start is None or end is None:
        return []
    # the months it walks and may list, charged before: each an item and its 7 characters (120,000 from 0001 to 9999)
    _spend(8 * max((end.year - start.year) * 12 + end.month - start.month, 0))
    seen = {(d.year, d.month) for d in dates if d is not None}
    out = []
    y, m = start.year, start.month
    while (y, m) < (end.year, end.month):
        if (y, m) not in seen:
            out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _longest_gap(dates: list, start, end) -> dt.timedelta | None:
    if dates is None or start is None or end is None:
        return None
    points = sorted(d for d in dates if d is not None and start <= d <= end)
    edges = [start, *points, end]
    return max((b - a for a, b in zip(edges, edges[1:], strict=False)), default=dt.timedelta())


def _index(root: dict, coll: list) -> dict:
    cache = root.setdefault("\0index", {})
    key = id(coll)
    hit = cache.get(key)
    if hit is None or hit[0] is not coll:
        kinds = set(map(type, coll))
        if kinds == {dict}:  # a list of rows, in C (the last of two equal ids wins, as in the loop below)
            found = dict(zip(map(dict.get, coll, itertools.repeat("id")), coll))
        elif len(kinds) == 1 and kinds <= STRUCT_CLASSES:
            found = dict(zip(map(_ID, coll), coll))
        else:
            found = {x.get("id") if x.__class__ is dict else x.id: x for x in coll
                     if isinstance(x, dict) or x.__class__ in STRUCT_CLASSES}
        hit = (coll, found)
        cache[key] = hit
    return hit[1]


_ID = operator.attrgetter("id")


# --------------------------------------------------------------------------- compiler
#
# Each expression becomes the source of one Python function, compiled once: field reads, comparisons and
# arithmetic are inlined (walrus temporaries keep each operand evaluated once, left to right), so a check over
# 100k rows makes one call per row instead of one closure call per node (measured in benchmarks/expr_engines.py).
# What cannot be an expression (the && / || that absorb a missing fact, the macros' loops) becomes a small
# helper function of the same generated module. Generated code only ever names the helpers below, the
# temporaries it made and literals rendered with repr(): nothing from a catalog is executed as code.

MAX_SOURCE = 4000  # characters of one expression
MAX_DEPTH = 40  # nesting of the syntax tree (generated Python nests ~3 levels per node; CPython's parser stops at 200)
MAX_LIST_LITERAL = 256  # items of a [..] literal
MAX_STRING_LITERAL = 1000  # characters of a string literal
MAX_NUMBER_DIGITS = 30  # characters of a number literal (int() refuses 4,300 digits; a catalog needs far fewer)
MAX_MACRO_NESTING = 3  # all/exists/filter/map inside one another
MAX_EXPANDED = 20_000  # operations of one expression with the named conditions and parameters it uses written out
DEFAULT_BUDGET = 50_000_000  # steps one evaluation run may spend (see Budget)


class Budget:
    """Steps one run may take: a catalog that passes lint can still loop over two big lists inside each other
    (10^10 steps at 100k rows), or build a list of 256 items in the body of three macros nested over 256 items
    each (4*10^9 list items, 34 GB); this stops it with an error naming the check instead of hanging or running
    out of memory. A step is an item an all/exists/filter/map visits, an item of a list it builds (map: one per
    item visited; filter: one per item kept), an item of a ``[..]`` literal each time it is evaluated (except as
    the right of ``in``), of ``missed_months`` (8 a month: the item and its text) or of lists joined or repeated,
    and a character of text joined (``+``) or repeated (``*`` where a type is only known at run time). What is
    built is charged before it is built (a list literal, at most 256 items, and what filter keeps, at most what it
    visited, just after). The evaluator resets it for each run (``PIPA_AUDIT_EVAL_BUDGET`` sets the size)."""

    left = DEFAULT_BUDGET
    size = DEFAULT_BUDGET

    @classmethod
    def reset(cls, size: int | None = None) -> None:
        cls.size = cls.left = DEFAULT_BUDGET if size is None else size


def _over_budget(built: bool = False):
    why = (_("the lists and text it builds are too large (each item or character built is a step)") if built else
           _("an all/exists/filter/map runs over a list inside another"))
    raise EvalError(_("the evaluation budget of {steps} steps is spent: {reason} (set PIPA_AUDIT_EVAL_BUDGET to allow "
                      "more)").format(steps=f"{Budget.size:,}", reason=why))


def _spend(n: int) -> None:
    """Charge ``n`` list items or characters about to be built."""
    Budget.left -= n
    if Budget.left < 0:
        _over_budget(built=True)


def _built(items: list) -> list:
    """A ``[..]`` literal with a value that is not a constant: a new list each time it is evaluated."""
    _spend(len(items))
    return items


_SEQ = (str, list)


def _cat(a, b):
    """``a + b`` where a type is only known at run time: text or lists joined are charged for the length built."""
    if isinstance(a, _SEQ) and isinstance(b, _SEQ):
        _spend(len(a) + len(b))
    return a + b


def _join_text(a: str, b: str) -> str:
    """``a + b`` of text: charged for the length built (inlined _spend: a label may join text on each of 100k rows)."""
    Budget.left -= len(a) + len(b)
    if Budget.left < 0:
        _over_budget(built=True)
    return a + b


def _times(a, b):
    """``a * b`` when a type is only known at run time: text or a list repeated is charged for the length built."""
    if isinstance(a, _SEQ) and isinstance(b, int):
        _spend(len(a) * max(b, 0))
    elif isinstance(b, _SEQ) and isinstance(a, int):
        _spend(len(b) * max(a, 0))
    return a * b


def _mod(a, b):
    """``a % b`` when a type is only known at run time: numbers only (on text, Python's % formats: ``'%0999999999d'
    % 1`` builds a gigabyte)."""
    if isinstance(a, (str, bytes)):
        raise TypeError(_("'%' needs numbers, got string and {type}").format(type=type(b).__name__))
    return a % b


def _miss(path: str):
    raise Missing(path)


def _at(c, i):
    if c is None:
        return None
    try:
        return c[int(i)]
    except IndexError:
        return None


def _runtime(name: str, impl: Callable) -> Callable:
    def call(*vals):
        try:
            return impl(*vals)
        except (TypeError, AttributeError) as exc:
            raise EvalError(f"{name}(): {exc}") from None

    return call


_NAMESPACE = {"_miss": _miss, "_ABSENT": _ABSENT, "_at": _at, "_index": _index, "Missing": Missing, "OutOfRange": OutOfRange,
              "EvalError": EvalError, "Budget": Budget, "_over_budget": _over_budget, "_spend": _spend,
              "_built": _built, "_cat": _cat, "_join_text": _join_text, "_times": _times, "_mod": _mod}
_serial = itertools.count()


def _fresh(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


@dataclass
class Code:
    """A fragment of generated Python: an expression over ``r`` (the facts) and ``s`` (the scope), the helper
    functions it calls, and whether evaluating it can raise Missing."""

    src: str
    may_miss: bool = False
    aux: list[str] = field(default_factory=list)
    names: dict[str, Any] = field(default_factory=dict)


def _join(*parts: Code) -> tuple[list[str], dict[str, Any]]:
    aux, names = [], {}
    for p in parts:
        aux += p.aux
        names |= p.names
    return aux, names


def _code(src: str, *parts: Code, may_miss: bool | None = None, aux: list[str] | None = None,
          names: dict | None = None) -> Code:
    a, n = _join(*parts)
    return Code(src, any(p.may_miss for p in parts) if may_miss is None else may_miss, a + (aux or []), n | (names or {}))


def _function(name: str, body: Code) -> str:
    """A generated function evaluating ``body``: run-time type and arithmetic errors become EvalError (a catalog
    bug that the static types could not rule out)."""
    return (f"def {name}(r, s):\n"
            f"    try:\n"
            f"        return {body.src}\n"
            f"    except (TypeError, ZeroDivisionError) as exc:\n"
            f"        raise EvalError(str(exc)) from None\n")


def _build(code: Code) -> Fn:
    name = _fresh("_e")
    return _define(name, [*code.aux, _function(name, code)], code.names, "<catalog expression>")


def _define(name: str, sources: list[str], names: dict[str, Any], origin: str) -> Callable:
    """Execute generated function sources with the helpers (and the fragments' constants) in scope; the function
    ``name`` they define."""
    space = dict(_NAMESPACE) | _CURRENT | names
    try:
        exec(compile("\n".join(sources), origin, "exec"), space)  # noqa: S102 - source generated in this module
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise ExprError(_("too complex to compile ({error}); split it into named conditions").format(
            error=type(exc).__name__)) from None
    if _STRUCT_ROWS:
        _DEFINED.add(space[name])  # its globals follow read_as_structs
    return space[name]


# --------------------------------------------------------------------------- rows read as structs
#
# The long lists (handlers, accounts, keys) may reach the evaluator as compliance.row_decoder's structs instead of
# the evaluation form's dicts (a dict per row was 1 s of a 1M-row check). A field of such a row is read by
# ``_G_<Model>(row, name, _X_<Model>)``: ``dict.get`` with ``_ABSENT`` for dicts, ``getattr`` with ``None`` for
# structs (a struct holds None where the dict has no key). A "did not happen" field reads None as None in both
# forms and 'unknown' as not known (the dict form has dropped the key). The generated functions' globals hold these
# names; ``read_as_structs`` rebinds them in every function defined, for the one evaluation that reads structs.

_STRUCT_ROWS: dict[type, frozenset[str]] = {}
"""row model -> its "did not happen" fields (``facts`` registers the models whose lists may be structs)"""
STRUCT_CLASSES: set[type] = set()
"""the struct classes the running evaluation reads as structs (``read_as_structs``); empty outside one"""
_READS: dict[str, Any] = {}
"""the reads of dict rows, for every registered model"""
_CURRENT: dict[str, Any] = {}
"""the reads in force (a function compiled during an evaluation that reads structs gets them too)"""
_DEFINED: weakref.WeakSet = weakref.WeakSet()


def none_fields(model: type) -> frozenset[str]:
    """The "did not happen" fields of a row model registered by ``rows_may_be_structs``."""
    return _STRUCT_ROWS[model]


def rows_may_be_structs(models: dict[type, frozenset[str]]) -> None:
    """Register the row models whose lists the evaluator may get as structs (before any catalog compiles)."""
    _STRUCT_ROWS.update(models)
    _READS.update(_dict_reads(models))
    _CURRENT.update(_READS)


def _dict_reads(models) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in models:
        out |= {f"_G_{m.__name__}": dict.get, f"_X_{m.__name__}": _ABSENT, f"_H_{m.__name__}": dict.__contains__}
    return out


def _struct_has(none_fields: frozenset[str]):
    def has(row, name: str) -> bool:  # as ``name in`` the row's evaluation dict
        v = getattr(row, name, None)
        return (v.__class__ is not str or v != "unknown") if name in none_fields else v is not None
    return has


@contextlib.contextmanager
def read_as_structs(classes: dict[type, type]):
    """For the block, rows of each model in ``classes`` (model -> its struct class) are read as structs; the rest as
    dicts. Not reentrant, not thread-safe: one evaluation at a time."""
    reads = dict(_READS)
    for model, cls in classes.items():
        g = model.__name__
        reads |= {f"_G_{g}": getattr, f"_X_{g}": None, f"_H_{g}": _struct_has(_STRUCT_ROWS[model])}
    STRUCT_CLASSES.update(classes.values())
    _CURRENT.update(reads)
    for fn in list(_DEFINED):
        fn.__globals__.update(reads)
    try:
        yield
    finally:
        STRUCT_CLASSES.clear()
        _CURRENT.update(_READS)
        for fn in list(_DEFINED):
            fn.__globals__.update(_READS)


@dataclass
class Compiled:
    """A compiled expression: call ``fn(root, scope)``. The Python function is built on first use: a run reads
    a fraction of the catalogs' ~200 expressions (the wordings and checks in force, of the controls that apply),
    and building them all cost a small check 0.04 s."""

    source: str
    code: Code
    type: T
    paths: set[str]
    """Fact paths read, e.g. 'handlers[].left_on', for templates and coverage."""
    item_fields: list[str]
    """Top-level fields of ``item`` read, in order: shown beside each offender."""
    result_path: str | None = None
    """The fact path the whole expression denotes, when it is one (e.g. 'handlers')."""
    weight: int = 1
    """Operations with the named conditions and parameters it uses written out (see MAX_EXPANDED)."""
    _fn: Fn | None = None

    @property
    def fn(self) -> Fn:
        if self._fn is None:
            self._fn = _build(self.code)
        return self._fn


_COMPARABLE = {
    frozenset({"number"}),
    frozenset({"string"}),
    frozenset({"date"}),
    frozenset({"datetime"}),
    frozenset({"duration"}),
    frozenset({"bool"}),
}


class _Compiler:
    def __init__(self, root: T, scope: dict[str, tuple[T, str]], defs: dict[str, Compiled] | None = None):
        self.root = root
        self.root_fields = fields_of(root) or {}
        self.scope = dict(scope)  # name -> (type, path prefix for reporting)
        self.defs = defs or {}  # named conditions and parameters a catalog declares once
        self.paths: set[str] = set()
        self.item_fields: list[str] = []
        self.macros = 0  # macros open around the node being compiled
        self.weight = 0  # nodes visited, a definition's counting as its own weight

    # each visit returns (code, type, path) where path is a fact path or None
    def visit(self, n: Node) -> tuple[Code, T, str | None]:
        self.weight += 1
        method = getattr(self, "v_" + {"?:": "ternary", "!": "not"}.get(n.op, n.op), None)
        if method is None:
            return self.v_binary(n)
        return method(n)

    def v_lit(self, n: Node):
        v = n.value
        t = NULL if v is None else BOOL if isinstance(v, bool) else NUM if isinstance(v, (int, float)) else STR
        if isinstance(v, str) and len(v) > MAX_STRING_LITERAL:
            raise ExprError(_("a text literal of {length} characters (at most {limit})").format(
                length=f"{len(v):,}", limit=f"{MAX_STRING_LITERAL:,}"), n.col)
        if isinstance(v, float) and not math.isfinite(v):
            raise ExprError(_("a number literal out of range"), n.col)
        return Code(repr(v)), t, None

    def v_list(self, n: Node, charged: bool = True):
        if len(n.args) > MAX_LIST_LITERAL:
            raise ExprError(_("a list literal of {count} items (at most {limit})").format(
                count=f"{len(n.args):,}", limit=MAX_LIST_LITERAL), n.col)
        parts = [self.visit(a) for a in n.args]
        elem = parts[0][1] if parts and all(p[1] == parts[0][1] for p in parts) else ANY
        value = _constant(n)
        if value is not _ABSENT:  # a constant list is built once, here (nothing changes a list in place) ...
            k = _fresh("_k")
            # ... but each evaluation is charged as if built, so that what the budget allows is what the catalog says
            # (a test `x in [..]` produces no list: not charged, see v_binary)
            return Code(k if not charged else f"_built({k})", names={k: value}), T("list", elem), None
        src = "_built([" + ", ".join(p[0].src for p in parts) + "])"  # a new list each time: charged (Budget)
        return _code(src, *(p[0] for p in parts)), T("list", elem), None

    def v_ident(self, n: Node):
        name = n.value
        if name in self.scope:
            t, path = self.scope[name]
            return Code(f"s[{name!r}]"), t, path
        if name == "as_of":
            self.paths.add("as_of")
            return Code('r["as_of"]'), DATE, "as_of"
        if name in self.defs:
            d = self.defs[name]
            self.paths |= d.paths
            self.weight += d.weight  # each use evaluates it again
            if not d.code.aux and len(d.code.src) <= 60:  # a constant or a short reading: inlined
                return d.code, d.type, None
            f = _fresh("_d")  # else its own function, compiled once with the catalog's definitions
            return Code(f"{f}(r, s)", d.code.may_miss, names={f: _lazy(d)}), d.type, None
        if name in self.root_fields:
            return self._field(Code("r"), self.root, name, None, n.col)
        known = sorted([*self.scope, "as_of", *self.defs, *self.root_fields])
        raise ExprError(_("unknown name '{name}'{hint}").format(name=name, hint=_hint(name, known)), n.col)

    def v_field(self, n: Node):
        target = n.args[0]
        inner, t, path = self.visit(target)
        if target.op == "ident" and target.value == "item" and n.value not in self.item_fields:
            self.item_fields.append(n.value)
        return self._field(inner, t, n.value, path, n.col)

    def _field(self, inner: Code, t: T, name: str, path: str | None, col: int):
        known = fields_of(t)
        if t.kind not in ("object", "any"):
            raise ExprError(_("'{name}': a {type} has no fields").format(name=name, type=t), col)
        if known is not None and name not in known:
            raise ExprError(_("unknown field '{name}' of {type}{hint}").format(name=name, type=t, hint=_hint(name, list(known))), col)
        full = f"{path}.{name}" if path else name
        self.paths.add(full)
        ftype = known[name] if known is not None else ANY
        v = _fresh("_v")
        rows = _STRUCT_ROWS.get(t.model) if t.model is not None else None
        if rows is None:
            read = f"(_miss({full!r}) if ({v} := {{obj}}.get({name!r}, _ABSENT)) is _ABSENT else {v})"
        elif name in rows:  # 'did not happen' when absent (None), not known when 'unknown', in either form
            read = (f"(_miss({full!r}) if ({v} := _G_{t.model.__name__}({{obj}}, {name!r}, _ABSENT)) is _ABSENT or "
                    f"{v}.__class__ is str and {v} == 'unknown' else {v})")
        else:  # dict.get and its _ABSENT, or getattr and None (see read_as_structs)
            g = t.model.__name__
            read = f"(_miss({full!r}) if ({v} := _G_{g}({{obj}}, {name!r}, _X_{g})) is _X_{g} else {v})"
        if inner.src == "r":  # the facts themselves are never null
            return _code(read.format(obj="r"), inner, may_miss=True), ftype, full
        o = _fresh("_o")
        src = f"(None if ({o} := {inner.src}) is None else {read.format(obj=o)})"
        return _code(src, inner, may_miss=True), ftype, full

    def v_index(self, n: Node):
        coll, t, path = self.visit(n.args[0])
        idx, it, _p = self.visit(n.args[1])
        if t.kind not in ("list", "any") or it.kind not in ("number", "any"):
            raise ExprError(_("cannot index {type} with {index}").format(type=t, index=it), n.col)
        return _code(f"_at({coll.src}, {idx.src})", coll, idx), (t.elem or ANY) if t.kind == "list" else ANY, (
            f"{path}[]" if path else None)

    def v_not(self, n: Node):
        f, t, _p = self.visit(n.args[0])
        self._need(t, BOOL, n.col, "!")
        return _code(f"(not {f.src})", f), BOOL, None

    def v_neg(self, n: Node):
        f, t, _p = self.visit(n.args[0])
        if t.kind not in ("number", "duration", "any"):
            raise ExprError(_("cannot negate {type}").format(type=t), n.col)
        a = _fresh("_a")
        return _code(f"(None if ({a} := {f.src}) is None else -{a})", f), t, None

    def v_ternary(self, n: Node):
        c, ct, _p = self.visit(n.args[0])
        a, at, _p = self.visit(n.args[1])
        b, bt, _p = self.visit(n.args[2])
        self._need(ct, BOOL, n.col, "?:")
        return _code(f"({a.src} if {c.src} else {b.src})", c, a, b), at if at == bt else ANY, None

    def _need(self, t: T, want: T, col: int, what: str):
        if t.kind not in (want.kind, "any"):
            raise ExprError(_("'{what}' needs {want}, got {type}").format(what=what, want=want, type=t), col)

    def v_binary(self, n: Node):
        op = n.op
        lf, lt, _p = self.visit(n.args[0])
        if op == "in" and n.args[1].op == "list":  # a membership test: a constant list is not charged
            self.weight += 1
            rf, rt, _p = self.v_list(n.args[1], charged=False)
        else:
            rf, rt, _p = self.visit(n.args[1])
        if op in ("&&", "||"):
            self._need(lt, BOOL, n.col, op)
            self._need(rt, BOOL, n.col, op)
            return _absorbing(op, lf, rf), BOOL, None
        if op == "in":
            if rt.kind not in ("list", "any"):
                raise ExprError(_("'in' needs a list on the right, got {type}").format(type=rt), n.col)
            return _code(f"({lf.src} in ({rf.src} or ()))", lf, rf), BOOL, None
        if op in ("==", "!=", "<", "<=", ">", ">="):
            ordered = op not in ("==", "!=")
            kinds = frozenset({lt.kind, rt.kind})
            if "any" not in kinds and kinds not in _COMPARABLE:
                if ordered or "null" not in kinds:
                    raise ExprError(_("cannot compare {left} {op} {right}").format(left=lt, op=op, right=rt), n.col)
            if not ordered:
                return _code(f"({lf.src} {op} {rf.src})", lf, rf), BOOL, None
            return _both(lf, rf, "False", op), BOOL, None  # an ordered comparison with null is false
        result = _arith_type(op, lt, rt)
        if result is None:
            raise ExprError(_("cannot apply '{op}' to {left} and {right}").format(op=op, left=lt, right=rt), n.col)
        # text built, and what a type only known at run time may build (lists, repeated text), is charged (Budget)
        if result.kind == "any":
            fn = {"+": "_cat", "*": "_times", "%": "_mod"}.get(op)
        else:
            fn = "_join_text" if op == "+" and result.kind == "string" else None
        return _both(lf, rf, "None", op, fn), result, None  # arithmetic with null is null

    def v_call(self, n: Node):
        name = n.value
        target, args = n.args[0], n.args[1:]
        if name in ("all", "exists", "filter", "map") and target is not None:
            return self._macro(n, name, target, args)
        if name == "has":
            if target is None and len(args) == 1 and args[0].op == "ident" and args[0].value in self.root_fields:
                key = args[0].value  # a top-level fact: has(period_start)
                self.paths.add(key)
                return Code(f"({key!r} in r)"), BOOL, None
            if target is not None or len(args) != 1 or args[0].op != "field":
                raise ExprError(_("has() takes one field, e.g. has(item.left_on) or has(period_start)"), n.col)
            obj, t, _p = self.visit(args[0].args[0])
            self.visit(args[0])  # validates the field name
            key, o = args[0].value, _fresh("_o")
            if t.model is not None and t.model in _STRUCT_ROWS:
                return _code(f"(({o} := {obj.src}) is not None and _H_{t.model.__name__}({o}, {key!r}))", obj), BOOL, None
            return _code(f"(({o} := {obj.src}) is not None and {key!r} in {o})", obj), BOOL, None
        if target is not None:
            args = [target, *args]
        spec = _FUNCTIONS.get(name)
        if spec is None:
            raise ExprError(_("unknown function '{name}'{hint}").format(name=name, hint=_hint(name, list(_FUNCTIONS))), n.col)
        arity, typer, impl, const_only = spec
        if len(args) not in arity:
            raise ExprError(_("{name}() takes {arity} argument(s), got {count}").format(
                name=name, arity=_(" or ").join(map(str, arity)), count=len(args)), n.col)
        if const_only:
            if len(args) != 1 or args[0].op != "lit" or not isinstance(args[0].value, str):
                raise ExprError(_("{name}() takes one string literal").format(name=name), n.col)
            try:
                value = impl(args[0].value)
            except (ValueError, OverflowError) as exc:
                raise ExprError(f"{name}(): {exc}", args[0].col) from None
            k = _fresh("_k")
            return Code(k, names={k: value}), typer([]), None
        parts = [self.visit(a) for a in args]
        try:
            rtype = typer([p[1] for p in parts])
        except ExprError as exc:
            raise ExprError(f"{name}(): {exc.message}", n.col) from None
        codes = [p[0] for p in parts]
        if name == "get":
            c, k = codes
            lst = _fresh("_l")
            return _code(f"(None if ({lst} := {c.src}) is None else _index(r, {lst}).get({k.src}))", c, k), rtype, parts[0][2]
        f = _fresh("_f")
        return _code(f"{f}({', '.join(c.src for c in codes)})", *codes, names={f: _runtime(name, impl)}), rtype, None

    def _macro(self, n: Node, name: str, target: Node, args: list[Node]):
        if len(args) != 2 or args[0].op != "ident":
            raise ExprError(_("{name}() takes a variable and an expression, e.g. x.{name}(h, h.id != null)").format(name=name), n.col)
        coll, ct, cpath = self.visit(target)
        if ct.kind not in ("list", "any"):
            raise ExprError(_("{name}() needs a list, got {type}").format(name=name, type=ct), n.col)
        if self.macros >= MAX_MACRO_NESTING:
            raise ExprError(_("{name}() inside {count} other all/exists/filter/map: at most {limit} deep (each level "
                              "multiplies the steps)").format(name=name, count=self.macros, limit=MAX_MACRO_NESTING), n.col)
        var = args[0].value
        saved = self.scope.get(var)
        self.scope[var] = ((ct.elem or ANY) if ct.kind == "list" else ANY, f"{cpath}[]" if cpath else var)
        self.macros += 1
        try:
            body, bt, _p = self.visit(args[1])
        finally:
            self.macros -= 1
            if saved is None:
                del self.scope[var]
            else:
                self.scope[var] = saved
        if name != "map":
            self._need(bt, BOOL, args[1].col, name)
        fn = _fresh("_m")
        # a step per item visited; map also pays up front for the item it builds from each, filter for those it kept
        head = (f"def {fn}(r, s):\n"
                f"    c = {coll.src} or ()\n"
                f"    Budget.left -= {'2 * ' if name == 'map' else ''}len(c)\n"
                f"    if Budget.left < 0:\n"
                f"        _over_budget()\n"
                f"    s = dict(s)\n")
        if name in ("filter", "map"):
            keep = f"        if {body.src}:\n            out.append(x)\n" if name == "filter" else f"        out.append({body.src})\n"
            kept = "    _spend(len(out))\n" if name == "filter" else ""
            src = head + f"    out = []\n    for x in c:\n        s[{var!r}] = x\n{keep}{kept}    return out\n"
        else:  # all / exists: a missing fact only decides when no other item does
            want = name == "exists"
            src = head + (f"    missing = None\n"
                          f"    for x in c:\n"
                          f"        s[{var!r}] = x\n"
                          f"        try:\n"
                          f"            if bool({body.src}) == {want}:\n"
                          f"                return {want}\n"
                          f"        except Missing as exc:\n"
                          f"            missing = missing or exc.with_traceback(None)\n"
                          f"    if missing is not None:\n"
                          f"{_raise_kept('        ')}"
                          f"    return {not want}\n")
        out_type = ct if name == "filter" else T("list", bt) if name == "map" else BOOL
        return _code(f"{fn}(r, s)", coll, body, aux=[src]), out_type, None


def _lazy(d: Compiled) -> Fn:
    """``d.fn`` built when first called (a definition used only by expressions that never run is never built)."""

    def call(r, s):
        return d.fn(r, s)

    return call


def _hint(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    return _(" (did you mean '{name}'?)").format(name=close[0]) if close else ""


def _absorbing(op: str, lf: Code, rf: Code) -> Code:
    """CEL's && and ||: ``false && <missing>`` is false and ``true || <missing>`` is true; otherwise a missing fact
    on either side is missing. When the left side cannot be missing this is Python's own short circuit."""
    if not lf.may_miss:
        src = f"(bool({rf.src}) if {lf.src} else False)" if op == "&&" else f"(True if {lf.src} else bool({rf.src}))"
        return _code(src, lf, rf)
    fn = _fresh("_j")
    decide = "not " if op == "&&" else ""
    result = "False" if op == "&&" else "True"
    src = (f"def {fn}(r, s):\n"
           f"    missing = None\n"
           f"    try:\n"
           f"        if {decide}({lf.src}):\n"
           f"            return {result}\n"
           f"    except Missing as exc:\n"
           f"        missing = exc.with_traceback(None)\n"
           f"    right = {rf.src}\n"
           f"    if missing is None:\n"
           f"        return bool(right)\n"
           f"    if {decide}right:\n"
           f"        return {result}\n"
           f"{_raise_kept('    ')}")
    return _code(f"{fn}(r, s)", lf, rf, aux=[src])


def _raise_kept(indent: str) -> str:
    """How a generated function raises the Missing it kept while trying the other side or the other items. A kept
    exception keeps no traceback, and the local is cleared as it is raised: a frame holding the exception that its
    own traceback holds is a cycle, which only the collector frees. The collector is off for a command, so each
    absorbed missing fact kept its frames, and with them the facts, until the process ended (the facts of a 1M-row
    check could not be freed before a PDF's layout)."""
    return (f"{indent}try:\n"
            f"{indent}    raise missing from None\n"
            f"{indent}finally:\n"
            f"{indent}    missing = None\n")


def _both(lf: Code, rf: Code, if_null: str, op: str, fn: str | None = None) -> Code:
    """``a op b`` (or ``fn(a, b)``) with both sides evaluated (left first), ``if_null`` when either is null."""
    a, b = _fresh("_a"), _fresh("_b")
    value = f"{fn}({a}, {b})" if fn else f"{a} {op} {b}"
    return _code(f"({if_null} if (({a} := {lf.src}) is None) | (({b} := {rf.src}) is None) else {value})", lf, rf)


def _constant(n: Node) -> Any:
    """The value of a literal, or of a ``[..]`` of them at any depth; _ABSENT when evaluation decides it."""
    if n.op == "lit":
        return n.value
    if n.op == "neg" and n.args[0].op == "lit" and type(n.args[0].value) in (int, float):
        return -n.args[0].value
    if n.op == "list":
        items = [_constant(a) for a in n.args]
        return _ABSENT if any(v is _ABSENT for v in items) else items
    return _ABSENT


def _arith_type(op: str, a: T, b: T) -> T | None:
    ka, kb = a.kind, b.kind
    if "any" in (ka, kb):
        return ANY
    if ka == kb == "number":
        return NUM
    if op == "+" and ka == kb == "string":
        return STR
    if op in ("+", "-") and ka in ("date", "datetime") and kb == "duration":
        return a
    if op == "+" and ka == "duration" and kb in ("date", "datetime"):
        return b
    if op == "-" and ka == kb and ka in ("date", "datetime"):
        return DURATION
    if op in ("+", "-") and ka == kb == "duration":
        return DURATION
    if op in ("*", "/") and ka == "duration" and kb == "number":
        return DURATION
    return None


def _t_list_elem(ts: list[T]) -> T:
    if ts[0].kind not in ("list", "any"):
        raise ExprError(_("needs a list, got {type}").format(type=ts[0]))
    return ts[0].elem or ANY


def _t_minmax(ts: list[T]) -> T:
    if len(ts) == 1:
        return _t_list_elem(ts)
    return ts[0] if ts[0] == ts[1] else ANY


def _minmax(pick):
    def f(*args):
        vals = args[0] if len(args) == 1 else args
        vals = [v for v in (vals or ()) if v is not None]
        return pick(vals) if vals else None

    return f


def _size(x):
    return None if x is None else len(x)


def _timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(_("timestamp {text} needs a timezone, e.g. +09:00").format(text=repr(text)))
    return value


def _days(n):
    return None if n is None else dt.timedelta(days=n)


def _date_of(x):
    return None if x is None else x.date() if isinstance(x, dt.datetime) else x


def _lower(x):
    return None if x is None else x.lower()


def _t_string(ts: list[T]) -> T:
    if ts[0].kind not in ("string", "any", "null"):
        raise ExprError(_("expects a string, got {type}").format(type=ts[0]), 0)
    return STR


# name -> (arities, result typer, implementation, literal-only argument)
_FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[[list[T]], T], Callable, bool]] = {
    "size": ((1,), lambda ts: NUM, _size, False),
    "duration": ((1,), lambda ts: DURATION, parse_duration, True),
    "date": ((1,), lambda ts: DATE, dt.date.fromisoformat, True),
    "timestamp": ((1,), lambda ts: DATETIME, _timestamp, True),
    "days": ((1,), lambda ts: DURATION, _days, False),
    "day": ((1,), lambda ts: DATE, _date_of, False),
    "lower": ((1,), _t_string, _lower, False),
    "get": ((2,), _t_list_elem, None, False),
    "max": ((1, 2), _t_minmax, _minmax(max), False),
    "min": ((1, 2), _t_minmax, _minmax(min), False),
    "longest_gap": ((3,), lambda ts: DURATION, _longest_gap, False),
    "missed_months": ((3,), lambda ts: T("list", STR), _missed_months, False),
}


def _depth(tree: Node) -> tuple[int, int]:
    """(depth, column) of the deepest node: chains such as ``a + b + c`` or ``x.a.b.c`` nest without parentheses."""
    deepest, col = 0, tree.col
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest, col = d, node.col
        stack.extend((a, d + 1) for a in node.args if isinstance(a, Node))
    return deepest, col


def compile_expr(
    source: str, root: T, scope: dict[str, tuple[T, str]] | None = None, defs: dict[str, Compiled] | None = None
) -> Compiled:
    """Parse, type-check and compile ``source``. ``scope`` binds extra names (e.g. ``item``); ``defs``
    binds names to expressions compiled earlier (a catalog's named conditions and parameters).

    The cost of an expression is bounded here, at lint time: its length, nesting, literal sizes, macro nesting and
    size with its definitions written out (``MAX_*``); what only the data decides (a macro over a long list, the
    lists and text built in its body) is bounded by ``Budget``."""
    if not isinstance(source, str) or not source.strip():
        raise ExprError(_("empty expression"))
    if len(source) > MAX_SOURCE:
        raise ExprError(_("{length} characters long (at most {limit}); split it into named conditions").format(
            length=f"{len(source):,}", limit=f"{MAX_SOURCE:,}"))
    tree = _Parser(source).parse()
    depth, col = _depth(tree)
    if depth > MAX_DEPTH:
        raise ExprError(_("nested more than {depth} levels deep; split it into named conditions").format(depth=MAX_DEPTH), col)
    comp = _Compiler(root, scope or {}, defs)
    code, t, path = comp.visit(tree)
    if comp.weight > MAX_EXPANDED:
        raise ExprError(_("{count} operations with the named conditions and parameters it uses written out (at most "
                          "{limit}): each use of a name evaluates it again, so names built on names grow "
                          "exponentially").format(count=f"{comp.weight:,}", limit=f"{MAX_EXPANDED:,}"))
    return Compiled(source, code, t, comp.paths, comp.item_fields, path, comp.weight)


def compile_scan(where: Compiled | None, expect: Compiled, var: str = "item") -> Callable[[dict, list], tuple]:
    """One generated loop for a check over a list: ``scan(root, items)`` gives (items in scope, indexes of the
    items that fail, [(index, missing fact path)]). The where and expect expressions are inlined in the loop, so
    a row costs no function call of its own (the per-row loop was the largest part of evaluating 100k rows)."""
    parts = [expect.code] + ([where.code] if where is not None else [])
    aux, names = _join(*parts)
    skip = f"                if not ({where.code.src}):\n                    continue\n" if where is not None else ""
    name = _fresh("_scan")
    src = (f"def {name}(r, items):\n"
           f"    in_scope = 0\n"
           f"    failed = []\n"
           f"    missing = []\n"
           f"    s = {{}}\n"
           f"    try:\n"
           f"        for n, x in enumerate(items):\n"
           f"            s[{var!r}] = x\n"
           f"            try:\n"
           f"{skip}"
           f"                in_scope += 1\n"
           f"                if not ({expect.code.src}):\n"
           f"                    failed.append(n)\n"
           f"            except Missing as exc:\n"
           f"                missing.append((n, exc.path))\n"
           f"            except OverflowError as exc:\n"
           f"                raise OutOfRange(n, str(exc)) from None\n"
           f"    except (TypeError, ZeroDivisionError) as exc:\n"
           f"        raise EvalError(str(exc)) from None\n"
           f"    return in_scope, failed, missing\n")
    return _define(name, [*aux, src], names, "<catalog check>")
