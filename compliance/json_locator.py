"""Lines and columns of a field path in a JSON text, found without building the document.

``loading.Locator`` finds lines by composing YAML nodes, about 50 bytes of memory per byte of text: for a
181 MB JSON facts file of 1M rows that was 10 GB when SARIF asked for offenders' lines. JSON needs no YAML:
this walks the text with the standard decoder's ``raw_decode`` (C) to step over the values beside the path,
so memory stays that of one value. The start of every item of a list and of every key of an object read so far
are remembered, so asking for any number of paths costs one pass over the text (4,000 problems located after a
list of 100,000 rows took 5 minutes when each stepped over that list again). A JSON file is often one line, so a
problem in it is shown at its line and column (``loading.Problem``): where its key, or its list item, starts.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotJson(Exception):
    """The text is not the JSON this walks (the caller falls back to composing it as YAML)."""


@dataclass
class _Keys:
    """The keys of one object read so far: key -> (offset of the key, offset of its value), and the offset where
    reading goes on (-1 once the whole object is read; ``pending`` while it is the value of the last key found)."""

    found: dict[str, tuple[int, int]]
    resume: int
    pending: bool = False


class JsonLocator:
    def __init__(self, text: str):
        self.text = text
        self._items: dict[int, list[int]] = {}  # offset of a list -> offset where each of its items starts
        self._keys: dict[int, _Keys] = {}  # offset of an object -> the keys read so far and where reading stopped
        self._asked = 0
        self._breaks: list[int] | None = None

    def _index(self) -> list[int] | None:
        """The offsets of the line breaks, indexed once after a few questions. Counting the breaks before an offset
        each time made many lines quadratic (32,000 bad rows of an 18 MB file: 19 of 24 s)."""
        self._asked += 1
        if self._breaks is None and self._asked > 16:
            breaks, i = [], self.text.find("\n")
            while i >= 0:
                breaks.append(i)
                i = self.text.find("\n", i + 1)
            self._breaks = breaks
        return self._breaks

    def line_at(self, offset: int) -> int:
        """1-based line of a character offset."""
        breaks = self._index()
        if breaks is None:
            return self.text.count("\n", 0, offset) + 1
        return bisect.bisect_left(breaks, offset) + 1

    def place_at(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset, both 1-based; the column counts characters from the line's start."""
        breaks = self._index()
        if breaks is None:
            return self.text.count("\n", 0, offset) + 1, offset - self.text.rfind("\n", 0, offset)
        n = bisect.bisect_left(breaks, offset)
        return n + 1, offset - (breaks[n - 1] if n else -1)

    def line(self, loc: Sequence[Any]) -> int:
        """1-based line of the deepest step of ``loc`` found (the key's line for a key, the item's for an index);
        raises NotJson when the text cannot be walked as JSON."""
        return self.line_at(self.offset(loc))

    def place(self, loc: Sequence[Any]) -> tuple[int, int]:
        """(line, column) of the deepest step of ``loc`` found: where its key, or its item, starts."""
        return self.place_at(self.offset(loc))

    def offset(self, loc: Sequence[Any]) -> int:
        """Offset of the deepest step of ``loc`` found. Each object's keys and each list's items are read once
        however many paths go through them, so locating every row of a file costs one pass over it: a key after a
        long list (``accounts`` after 100,000 handlers) was found by stepping over that list again for every
        problem (400 problems of an 18 MB file: 32 s)."""
        pos = self._skip(0)
        found = pos
        for step in loc:
            if self._at(pos) == "{":
                if not isinstance(step, str):
                    break
                key_at, value_at = self._key(pos, step)
                if key_at is None:
                    break
                found, pos = key_at, value_at
            elif self._at(pos) == "[":
                if not isinstance(step, int):
                    break
                starts = self._starts(pos)
                if not 0 <= step < len(starts):
                    break
                found = pos = starts[step]
            else:
                break
        return found

    def _at(self, pos: int) -> str:
        return self.text[pos] if pos < len(self.text) else ""

    def _skip(self, pos: int) -> int:
        return _SPACE.match(self.text, pos).end()

    def _value_end(self, pos: int) -> int:
        try:
            return _DECODER.raw_decode(self.text, pos)[1]
        except (json.JSONDecodeError, RecursionError) as exc:
            raise NotJson(str(exc)) from None

    def _key(self, pos: int, wanted: str) -> tuple[int | None, int]:
        """(offset of the key ``wanted`` in the object at ``pos``, offset of its value); (None, pos) if absent.
        The object is read up to that key and no further; the next question about it goes on from there."""
        keys = self._keys.get(pos)
        if keys is None:
            keys = self._keys[pos] = _Keys({}, self._skip(pos + 1))
        found = keys.found.get(wanted)
        if found is not None:
            return found
        at = keys.resume
        if at < 0:
            return None, pos
        if keys.pending:  # the value of the key found last: step over it now
            at = self._skip(self._value_end(at))
            at = self._after_member(at, keys)
        elif self._at(at) == "}":
            at = -1
        while at >= 0:
            if self._at(at) != '"':
                raise NotJson(f"expected a key at offset {at}")
            key_at = at
            try:
                key, at = _DECODER.raw_decode(self.text, at)
            except json.JSONDecodeError as exc:
                raise NotJson(str(exc)) from None
            at = self._skip(at)
            if self._at(at) != ":":
                raise NotJson(f"expected ':' at offset {at}")
            at = self._skip(at + 1)
            keys.found.setdefault(key, (key_at, at))  # the first of two equal keys, as YAML composing gives
            if key == wanted:
                keys.resume, keys.pending = at, True
                return key_at, at
            at = self._after_member(self._skip(self._value_end(at)), keys)
        keys.resume, keys.pending = -1, False
        return None, pos

    def _after_member(self, at: int, keys: _Keys) -> int:
        """The offset of the next key after a member's value ending at ``at``; -1 at the object's end."""
        if self._at(at) == ",":
            return self._skip(at + 1)
        if self._at(at) == "}":
            return -1
        raise NotJson(f"expected ',' or '}}' at offset {at}")

    def _starts(self, pos: int) -> list[int]:
        """Offsets of the items of the list at ``pos`` (walked once per list)."""
        cached = self._items.get(pos)
        if cached is not None:
            return cached
        starts: list[int] = []
        at = self._skip(pos + 1)
        if self._at(at) != "]":
            while True:
                starts.append(at)
                at = self._skip(self._value_end(at))
                if self._at(at) == ",":
                    at = self._skip(at + 1)
                elif self._at(at) == "]":
                    break
                else:
                    raise NotJson(f"expected ',' or ']' at offset {at}")
        self._items[pos] = starts
        return starts


def first_duplicate_key(text: str) -> tuple[str, int] | None:
    """(key, line) of the first key, in reading order, that repeats a key of its own object; None if none does.
    Only called once the parser has refused a duplicate: it walks every key, nested ones included."""
    found = first_duplicate_key_place(text)
    return (found[0], found[1]) if found else None


def first_duplicate_key_place(text: str) -> tuple[str, int, int] | None:
    """(key, line, column) of the first key that repeats a key of its own object (``first_duplicate_key``)."""
    loc = JsonLocator(text)
    found = _first_duplicate(loc)
    return (found[0], *loc.place_at(found[1])) if found else None


def _first_duplicate(loc: JsonLocator) -> tuple[str, int] | None:
    """(key, offset) of the first repeated key of ``loc``'s text, or None."""
    text = loc.text
    stack: list[tuple[str, set | None]] = []  # ("{", keys seen) or ("[", None) for each open container
    pos = loc._skip(0)
    expect_value = True
    while pos < len(text):
        c = text[pos]
        if expect_value:
            if c == "{":
                stack.append(("{", set()))
                pos = loc._skip(pos + 1)
                if loc._at(pos) == "}":
                    stack.pop()
                    pos, expect_value = loc._skip(pos + 1), False
                    continue
                pos = _read_key(loc, stack, pos)
                if isinstance(pos, tuple):
                    return pos
                continue
            if c == "[":
                stack.append(("[", None))
                pos = loc._skip(pos + 1)
                if loc._at(pos) == "]":
                    stack.pop()
                    pos, expect_value = loc._skip(pos + 1), False
                continue
            pos, expect_value = loc._skip(loc._value_end(pos)), False
            continue
        if not stack:
            return None
        kind, _ = stack[-1]
        if c == ",":
            pos = loc._skip(pos + 1)
            if kind == "{":
                pos = _read_key(loc, stack, pos)
                if isinstance(pos, tuple):
                    return pos
            expect_value = True
            continue
        if c in "}]":
            stack.pop()
            pos = loc._skip(pos + 1)
            continue
        raise NotJson(f"unexpected {c!r} at offset {pos}")
    return None


def _read_key(loc: JsonLocator, stack: list, pos: int):
    """Read ``"key":`` at ``pos`` into the innermost object; the offset of its value, or (key, offset) if repeated."""
    if loc._at(pos) != '"':
        raise NotJson(f"expected a key at offset {pos}")
    try:
        key, end = _DECODER.raw_decode(loc.text, pos)
    except json.JSONDecodeError as exc:
        raise NotJson(str(exc)) from None
    keys = stack[-1][1]
    if key in keys:
        return key, pos
    keys.add(key)
    end = loc._skip(end)
    if loc._at(end) != ":":
        raise NotJson(f"expected ':' at offset {end}")
    return loc._skip(end + 1)
