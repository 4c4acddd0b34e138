"""Lines of a field path in a JSON text, found without building the document.

``loading.Locator`` finds lines by composing YAML nodes, about 50 bytes of memory per byte of text: for a
181 MB JSON facts file of 1M rows that was 10 GB when SARIF asked for offenders' lines. JSON needs no YAML:
this walks the text with the standard decoder's ``raw_decode`` (C) to step over the values beside the path,
so memory stays that of one value, and the start of every item of a long list is remembered once, so asking
for many items of the same list costs one pass.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotJson(Exception):
    """The text is not the JSON this walks (the caller falls back to composing it as YAML)."""


class JsonLocator:
    def __init__(self, text: str):
        self.text = text
        self._items: dict[tuple, list[int]] = {}  # path of a list -> offset where each of its items starts
        self._asked = 0
        self._breaks: list[int] | None = None

    def line_at(self, offset: int) -> int:
        """1-based line of a character offset. Counting the breaks before it each time made many lines quadratic
        (32,000 bad rows of an 18 MB file: 19 of 24 s); after a few questions the breaks are indexed once."""
        self._asked += 1
        if self._breaks is None and self._asked > 16:
            breaks, i = [], self.text.find("\n")
            while i >= 0:
                breaks.append(i)
                i = self.text.find("\n", i + 1)
            self._breaks = breaks
        if self._breaks is None:
            return self.text.count("\n", 0, offset) + 1
        return bisect.bisect_left(self._breaks, offset) + 1

    def line(self, loc: Sequence[Any]) -> int:
        """1-based line of the deepest step of ``loc`` found (the key's line for a key, the item's for an index);
        raises NotJson when the text cannot be walked as JSON."""
        pos = self._skip(0)
        found = pos
        path: tuple = ()
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
                starts = self._starts(path, pos)
                if not 0 <= step < len(starts):
                    break
                found = pos = starts[step]
            else:
                break
            path = (*path, step)
        return self.line_at(found)

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
        """(offset of the key ``wanted`` in the object at ``pos``, offset of its value); (None, pos) if absent."""
        pos = self._skip(pos + 1)
        if self._at(pos) == "}":
            return None, pos
        while True:
            if self._at(pos) != '"':
                raise NotJson(f"expected a key at offset {pos}")
            key_at = pos
            try:
                key, pos = _DECODER.raw_decode(self.text, pos)
            except json.JSONDecodeError as exc:
                raise NotJson(str(exc)) from None
            pos = self._skip(pos)
            if self._at(pos) != ":":
                raise NotJson(f"expected ':' at offset {pos}")
            pos = self._skip(pos + 1)
            if key == wanted:
                return key_at, pos
            pos = self._skip(self._value_end(pos))
            if self._at(pos) == ",":
                pos = self._skip(pos + 1)
            elif self._at(pos) == "}":
                return None, pos
            else:
                raise NotJson(f"expected ',' or '}}' at offset {pos}")

    def _starts(self, path: tuple, pos: int) -> list[int]:
        """Offsets of the items of the list at ``pos`` (walked once per list)."""
        cached = self._items.get(path)
        if cached is not None:
            return cached
        starts: list[int] = []
        pos = self._skip(pos + 1)
        if self._at(pos) != "]":
            while True:
                starts.append(pos)
                pos = self._skip(self._value_end(pos))
                if self._at(pos) == ",":
                    pos = self._skip(pos + 1)
                elif self._at(pos) == "]":
                    break
                else:
                    raise NotJson(f"expected ',' or ']' at offset {pos}")
        self._items[path] = starts
        return starts


def first_duplicate_key(text: str) -> tuple[str, int] | None:
    """(key, line) of the first key, in reading order, that repeats a key of its own object; None if none does.
    Only called once the parser has refused a duplicate: it walks every key, nested ones included."""
    loc = JsonLocator(text)
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
    """Read ``"key":`` at ``pos`` into the innermost object; the offset of its value, or (key, line) if repeated."""
    if loc._at(pos) != '"':
        raise NotJson(f"expected a key at offset {pos}")
    try:
        key, end = _DECODER.raw_decode(loc.text, pos)
    except json.JSONDecodeError as exc:
        raise NotJson(str(exc)) from None
    keys = stack[-1][1]
    if key in keys:
        return key, loc.line_at(pos)
    keys.add(key)
    end = loc._skip(end)
    if loc._at(end) != ":":
        raise NotJson(f"expected ':' at offset {end}")
    return loc._skip(end + 1)
