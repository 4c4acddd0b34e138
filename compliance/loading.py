"""Read YAML/JSON input safely and point every error at ``file:line``.

The fast path is PyYAML's C parser with the garbage collector paused; line numbers
are only computed (by composing the document again) when an error needs one, so a
clean 100k-row facts file never pays for a location index it does not use.
For very large exports JSON is the fast format (0.2 s vs 6 s for 100k handlers); see
benchmarks/README.md for why a Rust YAML parser was measured and not adopted.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

MAX_INPUT_BYTES = 128 * 1024 * 1024
"""Inputs larger than this are refused before parsing (a facts file of 100k handlers is ~13 MB)."""


@dataclass(frozen=True)
class Problem:
    """One located problem in one input file."""

    path: str
    line: int
    message: str
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: one or more located problems. The CLI prints them and exits 2."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def fail(path: str | Path, message: str, line: int = 0, field: str = "") -> InputError:
    return InputError([Problem(str(path), line, message, field)])


class _SafeLoader(yaml.CSafeLoader):
    """CSafeLoader that also refuses duplicate keys, aliases and merge keys.

    Aliases are refused because a shared node can be expanded exponentially by
    everything downstream (billion laughs); evidence files never need them.
    Dates that look like dates but are invalid (2025-13-01) stay strings so the
    model reports them with their field path instead of a bare ValueError.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML anchors and aliases (&name, *name) are not allowed; this value is reused by an alias", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "YAML merge keys (<<) are not allowed", key_node.start_mark
                )
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key '{key}' (first defined on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLoader.construct_yaml_timestamp)


@contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise fail(path, "file not found") from None
    except OSError as exc:
        raise fail(path, f"cannot read: {exc.strerror}") from None
    if p.is_dir():
        raise fail(path, "is a directory, expected a file")
    if size > MAX_INPUT_BYTES:
        raise fail(path, f"file is {size} bytes; the limit is {MAX_INPUT_BYTES}")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise fail(path, f"cannot read: {exc.strerror}") from None


def parse(text: str, path: str | Path) -> Any:
    """Parse YAML (or JSON, by extension) text into plain Python values."""
    if str(path).endswith(".json"):
        try:
            with _gc_paused():
                return json.loads(text)
        except json.JSONDecodeError as exc:
            raise fail(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    try:
        with _gc_paused():
            return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and "duplicate" not in exc.problem:
            message = f"{exc.context}: {exc.problem}"
            if exc.context_mark and mark and exc.context_mark.line != mark.line:
                message += f" (started on line {exc.context_mark.line + 1})"
        raise fail(path, f"invalid YAML: {message}", line) from None
    except yaml.YAMLError as exc:
        raise fail(path, f"invalid YAML: {exc}") from None


def load(path: str | Path) -> tuple[Any, str]:
    """Load one file; returns (data, text). The text is kept to locate later errors."""
    text = read_text(path)
    return parse(text, path), text


class Locator:
    """Maps a field path (('handlers', 3, 'left_on')) to a line of the source text.

    Built lazily: composing is several times slower than loading, and is only
    needed once something is wrong.
    """

    def __init__(self, text: str):
        self._text = text
        self._root: yaml.Node | None = None
        self._built = False

    def _node(self) -> yaml.Node | None:
        if not self._built:
            self._built = True
            try:
                self._root = yaml.compose(self._text, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def line(self, loc: Sequence[Any]) -> int:
        node = self._node()
        if node is None:
            return 0
        line = node.start_mark.line + 1
        for step in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(step):
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    return line
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def field_path(loc: Sequence[Any]) -> str:
    """('handlers', 3, 'left_on') -> 'handlers[3].left_on'."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


def validate_file(path: str | Path, model: type, data: Any = None, text: str | None = None):
    """Load ``path`` and validate it as ``model`` (pydantic); every error located at once."""
    if data is None or text is None:
        data, text = load(path)
    if not isinstance(data, dict):
        raise fail(path, f"expected a mapping at the top level, found {type(data).__name__}", 1)
    try:
        return model.model_validate(data), text
    except ValidationError as exc:
        raise located(path, text, exc) from None


def located(path: str | Path, text: str, exc) -> InputError:
    """Turn a pydantic ValidationError into located problems (file:line: field: message)."""
    locator = Locator(text)
    problems = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field (not in the model; check the spelling)"
        elif err["type"] not in ("missing",) and "input" in err and not isinstance(err["input"], (dict, list)):
            shown = repr(err["input"])
            message = f"{message} (got {shown[:60]})"
        problems.append(Problem(str(path), locator.line(loc), message, field_path(loc)))
    return InputError(problems)
