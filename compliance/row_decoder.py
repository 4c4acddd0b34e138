"""A second decoder for the long lists of a facts file (handlers, accounts, keys…): msgspec structs made from the
pydantic row models, so that 100,000 rows are checked in C without a pydantic model each.

Pydantic stays the one model and the one source of error messages. A struct is made from a row model's own fields
(names, order, types, bounds, the model's 4,096-character text limit) only when each field's type has an exact
equivalent; otherwise that list is validated by pydantic as before. The decoder only ever *accepts* rows or gives
up: a row it cannot take exactly as pydantic would (text with surrounding spaces, which pydantic strips; ``예`` for
true; a date written ``2025. 3. 31.`` is fine, see below; an unknown key; a number where text belongs) makes it give
up on the whole list, and pydantic then validates that list and says what is wrong, where. Dates and times are
read by the very functions pydantic runs (``compliance.forms.to_date``/``to_stamp``), after the structural decode,
so every accepted form means the same day. ``tests/test_row_decoder.py`` holds the two to the same values on
random and hostile rows.

Measured (``benchmarks/floor.py``/``bench_targets.py``): 100,000 handlers and accounts decode and convert in a tenth
of pydantic's validation and evaluation form. The price: a field type without an equivalent below must be added
here (or its list falls back to pydantic, which is only slower), and the differential test must cover it.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from functools import cache
from itertools import chain, repeat
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from compliance import forms

_UNION = (typing.Union, types.UnionType)
_BOUNDS = {Ge: "ge", Le: "le", Gt: "gt", Lt: "lt"}


class _Unsupported(Exception):
    """A field type without an exact msgspec equivalent: the list stays with pydantic."""


def _members(annotation) -> tuple[list, bool]:
    """The members of an optional union, and whether None is one of them."""
    if typing.get_origin(annotation) in _UNION:
        args = typing.get_args(annotation)
        return [a for a in args if a is not type(None)], type(None) in args
    return [annotation], False


def _text(max_length: int | None) -> Any:
    return Annotated[str, msgspec.Meta(max_length=max_length)] if max_length else str


def _reader(member) -> Any:
    """forms.to_date / forms.to_stamp when the member is the model's Date / Stamp, else None."""
    if typing.get_origin(member) is Annotated:
        for meta in typing.get_args(member)[1:]:
            func = getattr(meta, "func", None)
            if func in (forms.to_date, forms.to_stamp):
                return func
    return None


def _scalar(member, max_length: int | None) -> Any:
    """The msgspec type of one union member that needs no conversion after decoding."""
    if member is str:
        return _text(max_length)
    if typing.get_origin(member) is Literal and all(isinstance(v, str) for v in typing.get_args(member)):
        return member
    if typing.get_origin(member) is Annotated:
        base, *metas = typing.get_args(member)
        funcs = [getattr(m, "func", None) for m in metas]
        if base is bool and forms.to_yes_no in funcs:  # YesNo: true/false as such; its words go to pydantic
            return bool
        if base is int and all(type(m).__name__ == "Strict" and m.strict for m in metas):
            return int
    raise _Unsupported(repr(member))


def _is_text(kind) -> bool:
    """Whether a struct field holds free text (or a list of it), which pydantic would strip."""
    members, _ = _members(kind)
    inner = [typing.get_args(m)[0] if typing.get_origin(m) is list else m for m in members]
    return any(m is str or (typing.get_origin(m) is Annotated and typing.get_args(m)[0] is str) for m in inner)


def _field(info, max_length: int | None) -> tuple[Any, Any]:
    """(msgspec type, reader run after decoding or None) of one model field."""
    members, optional = _members(info.annotation)
    bounds = {}
    for meta in info.metadata:
        kind = _BOUNDS.get(type(meta))
        if kind is None:
            raise _Unsupported(repr(meta))
        bounds[kind] = getattr(meta, kind)
    readers = [r for r in map(_reader, members) if r is not None]
    if readers:  # a date or time, maybe 'unknown': decoded as text, read after by forms (as pydantic reads it)
        unknown = [m for m in members if m == Literal["unknown"]]
        if len(readers) != 1 or len(members) != 1 + len(unknown) or bounds:
            raise _Unsupported(repr(info.annotation))
        return (str | None) if optional else str, (readers[0], bool(unknown))
    if len(members) != 1:
        raise _Unsupported(repr(info.annotation))
    member = members[0]
    if typing.get_origin(member) is list:
        (elem,) = typing.get_args(member)
        if bounds or _reader(elem) is not None:
            raise _Unsupported(repr(member))
        out = list[_scalar(elem, max_length)]
    else:
        out = _scalar(member, max_length)
        if bounds:
            if out is not int:
                raise _Unsupported(repr(member))
            out = Annotated[int, msgspec.Meta(**bounds)]
    return (out | None) if optional else out, None


@cache
def decoder(model: type[BaseModel]) -> tuple[type, Any, tuple] | None:
    """(struct type, after-decode reader, its text columns) for rows of ``model``, or None when a field has no exact
    equivalent."""
    config = model.model_config
    if config.get("extra") != "forbid" or not config.get("str_strip_whitespace"):
        return None
    max_length = config.get("str_max_length")
    fields, readers, texts = [], [], []
    try:
        for name, info in model.model_fields.items():
            if info.alias not in (None, name) or info.validation_alias is not None:
                return None
            kind, reader = _field(info, max_length)
            if info.is_required():
                fields.append((name, kind))
            elif info.default is None and info.default_factory is None:
                fields.append((name, kind, None))
            else:
                return None
            if reader is not None:
                readers.append((name, *reader))
            elif _is_text(kind):
                texts.append((attrgetter(name), typing.get_origin(_members(kind)[0][0]) is list))
    except _Unsupported:
        return None
    struct = msgspec.defstruct(model.__name__, fields, forbid_unknown_fields=True, omit_defaults=True)
    return struct, _after(readers), tuple(texts)


def _unstripped(rows: list, texts, valid: bool = False) -> bool:
    """Whether any text of ``rows`` has whitespace at an end (pydantic would strip it) or a lone surrogate (pydantic
    refuses it): the decoder gives up. Per column, ``str.strip`` mapped over the values in C (it returns the value
    itself when there is nothing to strip, so the lists compare by identity). Python's whitespace is a superset of
    the Unicode White_Space pydantic's core strips: where they differ, as for U+001C, the decoder gives up and
    pydantic decides."""
    for get, many in texts:
        values = list(filter(None, map(get, rows)))
        if many:
            values = list(filter(None, chain.from_iterable(values)))
        if list(map(str.strip, values)) != values:
            return True
        if valid:  # decoded from UTF-8 bytes: no lone surrogate
            continue
        joined = "".join(values)
        if not joined.isascii() and not _encodes(joined):
            return True
    return False


def _encodes(text: str) -> bool:
    """Whether the text is Unicode pydantic takes: a lone surrogate (JSON's "\\ud800") is refused there."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _after(readers: list[tuple[str, Any, bool]]):
    """A generated loop reading each row's dates and times with forms' readers (what pydantic's validators run)."""
    if not readers:
        return None
    lines = ["def after(rows):", "    for r in rows:"]
    space: dict[str, Any] = {"iso": dt.date.fromisoformat}
    for k, (name, func, unknown) in enumerate(readers):
        space[f"f{k}"] = func
        skip = " and v != 'unknown'" if unknown else ""
        lines += [f"        v = r.{name}", f"        if v is not None{skip}:"]
        if func is forms.to_date:  # its first test inlined (2025-03-31 read in C); any other form: to_date itself
            lines += ["            day = None",
                      "            if len(v) == 10 and v[4] == '-' and v[7] == '-':",
                      "                try:", "                    day = iso(v)", "                except ValueError:", "                    pass",
                      f"            r.{name} = day if day is not None else f{k}(v)"]
        else:
            lines += [f"            r.{name} = f{k}(v)"]
    exec("\n".join(lines), space)  # noqa: S102 - field names are the model's identifiers
    return space["after"]


def decode(model: type[BaseModel], rows: list, stripped: bool = False) -> list | None:
    """``rows`` (parsed dicts) as structs with the values pydantic would give, or None: pydantic must validate them
    (a row the decoder cannot take exactly, or a model it has no struct for).

    ``stripped``: every text of ``rows`` is already as pydantic leaves it, stripped by ``str.strip`` and valid
    Unicode (a tabular source's converted cells, ``compliance.sources``): ``_unstripped``, half the decode of 1M
    rows, is not asked."""
    made = decoder(model)
    if made is None:
        return None
    struct, after, texts = made
    try:
        out = msgspec.convert(rows, list[struct])
        if not stripped and _unstripped(out, texts):
            return None
        if after is not None:
            after(out)
    except (msgspec.ValidationError, PydanticCustomError, TypeError, ValueError):
        return None
    return out


def decode_json(model: type[BaseModel], raw: bytes, rows_of) -> dict | None:
    """A JSON document of ``model`` read from its bytes, its long lists straight into structs (no dict per row in
    between), the rest as ``json.loads`` reads it; or None when Python's reader must read it (a repeated key,
    anything msgspec refuses, a ``null``), as ``loading.parse`` then does.

    ``rows_of(model, data)`` names the row lists (``loading._row_models``). A list the structs cannot take exactly is
    read as plain values, and validated as before. Repeated keys are found as ``loading._fast_json`` finds them, by
    counting colons: every value is written back (the structs as they were read, before their dates are read), and
    the top level's keys, their colons and the colons written back must be all the colons of the text. A struct
    leaves a ``null`` field out, so that a text with ``null`` in it is not read here. ``tests/test_row_decoder.py``
    holds this to ``json.loads`` and pydantic on random files."""
    from compliance.loading import colon_escaped

    if b"null" in raw or colon_escaped(raw):
        return None
    try:
        top = _TOP(raw)
    except (msgspec.MsgspecError, RecursionError, ValueError):
        return None
    lists = {name: row for name, row, _rows in rows_of(model, {k: [None] for k in top})}
    data = {}
    colons = len(top) + sum(k.count(":") for k in top)
    for key, value in top.items():
        row = lists.get(key)
        made = decoder(row) if row is not None else None
        read = _typed(made, value) if made is not None else None
        if read is None:
            try:
                plain = _PLAIN(value)
            except (msgspec.MsgspecError, RecursionError, ValueError):
                return None
            read = plain, _WRITE(plain)
        data[key], written = read
        colons += written.count(b":")
    return data if colons == raw.count(b":") else None


_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_PLAIN = msgspec.json.Decoder().decode
_WRITE = msgspec.json.encode


def _may_strip(written: bytes) -> bool:
    """Whether a string of ``written`` (compact JSON, as msgspec writes it) may begin or end with whitespace: a space
    next to a quote, any escape (msgspec escapes only control characters, quotes and backslashes), or any of the
    non-ASCII whitespace characters anywhere. One-byte searches first: they run at memory speed."""
    if b"\\" in written or (b" " in written and (b'" ' in written or b' "' in written)):
        return True
    return not written.isascii() and any(lead in written for lead in WIDE_SPACE_LEADS)


WIDE_SPACE_LEADS = (b"\xc2\x85", b"\xc2\xa0", b"\xe1\x9a\x80", b"\xe2\x80", b"\xe2\x81\x9f", b"\xe3\x80\x80")
"""UTF-8 beginnings of every non-ASCII character Python's ``str.strip`` strips (U+0085, U+00A0, U+1680, U+2000-U+200A,
U+2028, U+2029, U+202F, U+205F, U+3000; ``tests/test_row_decoder.py`` derives them again). U+20xx also holds common
punctuation (… ‘ ” –): text holding it gets the exact check."""


def _typed(made, raw) -> tuple[list, bytes] | None:
    """(rows, the rows written back) of a list decoded from its bytes into ``made``'s structs, as ``decode`` would
    take the same rows parsed; or None (read it as plain values)."""
    struct, after, texts = made
    try:
        out = msgspec.json.decode(raw, type=list[struct])
        written = _WRITE(out)
        if not out or (_may_strip(written) and _unstripped(out, texts, valid=True)):
            return None  # text pydantic would strip (read as plain values, then pydantic validates them)
        if after is not None:
            after(out)
    except (msgspec.MsgspecError, PydanticCustomError, RecursionError, TypeError, ValueError):
        return None
    return out, written


def from_columns(model: type[BaseModel], names: list[str], columns: list) -> list | None:
    """Rows of ``model`` as structs made from a table's converted columns (``compliance.sources``: text stripped,
    valid Unicode, None for an empty cell; an ``itertools.repeat`` for a field stated as not tracked), as ``decode``
    would make them from the same rows as dicts; or None (pydantic validates the rows). Each column is checked
    against its field's type in one ``msgspec.convert`` and the structs are made by ``map`` in C: a dict per row
    and a conversion of each were 1.3 s of a 1M-row source."""
    made = decoder(model)
    if made is None:
        return None
    struct, after, _texts = made
    given = dict(zip(names, columns))
    fields = struct.__struct_fields__
    required = fields[: len(fields) - len(struct.__struct_defaults__)]
    if len(given) != len(names) or not set(given) <= set(fields) or not set(required) <= set(given):
        return None  # an unknown field, or a required one not mapped: pydantic says which
    kinds = _kinds(struct)
    args = []
    try:
        for name in struct.__struct_fields__:
            column = given.get(name)
            if column is None:
                args.append(repeat(None))
            elif isinstance(column, repeat):
                (value,) = msgspec.convert([next(column)], list[kinds[name]])
                args.append(repeat(value))
            else:
                args.append(msgspec.convert(column, list[kinds[name]]))
        out = list(map(struct, *args))
        if after is not None:
            after(out)
    except (msgspec.ValidationError, PydanticCustomError, TypeError, ValueError):
        return None
    return out


@cache
def _kinds(struct: type) -> dict[str, Any]:
    return {f.name: f.type for f in msgspec.structs.fields(struct)}


def is_struct_list(rows) -> bool:
    return bool(rows) and isinstance(rows, list) and isinstance(rows[0], msgspec.Struct)


def is_decoded(model: type[BaseModel], rows) -> bool:
    """Whether ``rows`` is a list ``decode(model, …)`` returned (every row is made by it, so the first tells)."""
    made = decoder(model)
    return made is not None and is_struct_list(rows) and rows[0].__class__ is made[0]


def evaluation_rows(rows: list) -> list[dict]:
    """Structs as the evaluation form's dicts: the fields stated (None omitted, as pydantic's dump without None),
    dates and times as Python values (``facts.to_evaluation_dict`` then settles them as it settles pydantic's)."""
    return msgspec.to_builtins(rows, builtin_types=(dt.date, dt.datetime))
