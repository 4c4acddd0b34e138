"""What the package imports is what it declares: a module imported from a package that only an extra (or the
developer's machine) happens to install makes the README's `pip install -e .` fail at run time (it did: the ingest
digests imported NumPy, which only the spark extra brought)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from tests.conftest import ROOT

OPTIONAL = {"pyspark": "spark", "babel": "test"}  # imported only where an extra is needed: Spark's commands (which say so
# when it is missing) and the developers' message-catalog tool (compliance.messages)


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(names: set[str]) -> set[str]:
    """The declared distributions and everything they require (pydantic brings pydantic-core)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


def test_every_third_party_import_of_the_package_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _closure({_name(r) for r in project["dependencies"]})
    owners = metadata.packages_distributions()
    imported: dict[str, str] = {}
    for path in sorted((ROOT / "compliance").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top != "compliance" and top not in sys.stdlib_module_names:
                    imported.setdefault(top, str(path.relative_to(ROOT)))
    assert {"pydantic", "msgspec", "numpy", "pyarrow"} <= set(imported)  # the scan sees the imports
    undeclared = {top: where for top, where in imported.items() if top not in OPTIONAL
                  and not {_name(d) for d in owners.get(top, [top])} & declared}
    assert not undeclared, f"imported but not declared in [project] dependencies: {undeclared}"
    extras = project["optional-dependencies"]
    assert all(top in {_name(x) for x in extras[extra]} for top, extra in OPTIONAL.items())
