"""Where an input problem is: every input error is a ``Problem`` (file, line, field path, message; a column too in a
JSON text), and its line is looked up here, from the text the input was read from, kept with what was loaded from it.

Loaders keep a ``Document`` beside what they built (a catalog keeps its own; the evaluation inputs keep the facts'),
so a problem found later — a check that cannot be evaluated, a date computed out of range — is located without going
back to the file, which may have changed (or gone) since it was read.

This module imports neither YAML nor pydantic (``Document`` builds its ``loading.Locator`` when a line is asked).
``compliance.loading`` re-exports these types, as every module has imported them from there.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field

from compliance.inert import escaped, inert  # noqa: F401 - re-exported: every module has imported them from here

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (1.6 ms of a usage error's 20)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any

    from compliance.loading import Locator


@dataclass(frozen=True)
class Problem:
    """One located problem in one input file: ``FILE:LINE: field: message``, or ``FILE:LINE:COLUMN: …`` when the
    input is JSON (``column``, 1-based, in characters): a JSON file is often one line, where the line alone says
    nothing. YAML problems keep the line alone."""

    path: str
    line: int
    message: str
    field: str = ""
    column: int = dataclasses.field(default=0, kw_only=True)  # keyword-only: subclasses add positional fields

    def __str__(self) -> str:
        where, message = self.path, self.message
        if self.line:
            where += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        place = _PLACES.get(os.path.abspath(self.path)) if _PLACES and self.path else None
        if place is not None:  # a workbook read as facts: its sheet!cell, never a line of the text it was read into
            cell = place(self.line, self.field)
            where = f"{self.path}:{cell}" if cell else self.path
            message = _LINE_IN_MESSAGE.sub(lambda m: place(int(m[1] or m[2]), "") or m[0], message)
        text = f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"
        return inert(text)


_PLACES: dict[str, Any] = {}


def note_places(path: str | Path, where) -> None:
    """A workbook was read as facts (``compliance.workbook``): its problems are shown at ``sheet!cell``, which
    ``where(line, field)`` names from a problem's field path or from a line of the text the workbook was read into
    (what every locator walks), so every located problem of these facts points at a cell without knowing it."""
    _PLACES[os.path.abspath(path)] = where


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of the bytes of a facts file read into another text (a workbook); None for a text file."""
    return getattr(_PLACES.get(os.path.abspath(path)), "sha256", None)


_LINE_IN_MESSAGE = re.compile(r"\bline ([0-9]+)(?:, column [0-9]+)?\b|(?<![0-9])([0-9]+)번째 줄(?: [0-9]+번째 글자)?")
"""'(first on line 62)' ('(처음은 62번째 줄)' in Korean) in a message about a workbook: the cell of that line instead
(with the column a JSON text gives: 'line 62, column 4', '62번째 줄 4번째 글자'). The Korean catalog writes a line
of the facts text as 'N번째 줄' and nothing else so (a workbook row is 'N행')."""


class InputError(Exception):
    """Bad input: one or more located problems. The CLI prints them and exits 2."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def fail(path: str | Path, message: str, line: int = 0, field: str = "", column: int = 0) -> InputError:
    return InputError([Problem(str(path), line, message, field, column=column)])


def field_path(loc: Sequence[Any]) -> str:
    """('handlers', 3, 'left_on') -> 'handlers[3].left_on'."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


@dataclass
class Document:
    """One input's name and text, with a locator built only when a problem needs a line."""

    path: str
    text: str
    _locator: Locator | None = field(default=None, repr=False)

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            from compliance.loading import Locator

            self._locator = Locator(self.text)
        return self._locator

    def line(self, loc: Sequence[Any]) -> int:
        return self.locator.line(loc)

    def place(self, loc: Sequence[Any]) -> tuple[int, int]:
        """(line, column) of ``loc``: the column only for a JSON text (0 for YAML), see ``Problem``."""
        return self.locator.place(loc)

    def problem(self, loc: Sequence[Any], message: str, field: str | None = None) -> Problem:
        """The problem at ``loc`` (('controls', 3, 'checks', 0, 'expect')), its field path shown unless ``field`` says
        otherwise ('' for none)."""
        line, column = self.place(loc) if loc else (0, 0)
        return Problem(self.path, line, message, field_path(loc) if field is None else field, column=column)
