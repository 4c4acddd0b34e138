"""The output formats as the renderers declare them (``FORMAT = Format(...)`` in ``compliance/render/*.py``), read
from their source without importing them: importing a renderer loads the result and catalog models (0.13 s), and
``--help`` or a usage error about an output's extension needs only the names, suffixes and one-line summaries.
``compliance.render.registry`` stays the one registry that renders; a test holds the two to the same formats."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Declared:
    name: str
    suffixes: tuple[str, ...]
    binary: bool
    summary: str
    framework: bool = False


@lru_cache(maxsize=1)
def declared() -> dict[str, Declared]:
    found: dict[str, Declared] = {}
    for path in sorted((Path(__file__).parent / "render").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and any(isinstance(t, ast.Name) and t.id == "FORMAT" for t in node.targets)):
                continue
            args, kw = node.value.args, {k.arg: k.value for k in node.value.keywords}
            value = lambda i, key: ast.literal_eval(args[i] if i < len(args) else kw[key])  # noqa: E731
            framework = ast.literal_eval(kw["framework"]) if "framework" in kw else False
            fmt = Declared(value(0, "name"), value(1, "suffixes"), value(2, "binary"), value(4, "summary"), framework)
            found[fmt.name] = fmt
    return dict(sorted(found.items()))


def format_for_path(path: str | Path, formats: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The format whose suffix ends ``path`` (longest suffix first), or None."""
    table = formats if formats is not None else {f.name: f.suffixes for f in declared().values()}
    name = Path(str(path)).name.lower()
    best = None
    for fmt, suffixes in table.items():
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), fmt)
    return best[1] if best else None
