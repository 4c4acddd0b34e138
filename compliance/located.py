"""Where an input problem is: every input error is a ``loading.Problem`` (file, line, field path, message; a column
too in a JSON text), and its line is looked up here, from the text the input was read from, kept with what was
loaded from it.

Loaders keep a ``Document`` beside what they built (a catalog keeps its own; the evaluation inputs keep the facts'),
so a problem found later — a check that cannot be evaluated, a date computed out of range — is located without going
back to the file, which may have changed (or gone) since it was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from compliance.loading import Locator, Problem, field_path


@dataclass
class Document:
    """One input's name and text, with a locator built only when a problem needs a line."""

    path: str
    text: str
    _locator: Locator | None = field(default=None, repr=False)

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            self._locator = Locator(self.text)
        return self._locator

    def line(self, loc: Sequence[Any]) -> int:
        return self.locator.line(loc)

    def place(self, loc: Sequence[Any]) -> tuple[int, int]:
        """(line, column) of ``loc``: the column only for a JSON text (0 for YAML), see ``loading.Problem``."""
        return self.locator.place(loc)

    def problem(self, loc: Sequence[Any], message: str, field: str | None = None) -> Problem:
        """The problem at ``loc`` (('controls', 3, 'checks', 0, 'expect')), its field path shown unless ``field`` says
        otherwise ('' for none)."""
        line, column = self.place(loc) if loc else (0, 0)
        return Problem(self.path, line, message, field_path(loc) if field is None else field, column=column)
