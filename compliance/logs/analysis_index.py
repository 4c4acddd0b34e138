"""The analyses' ids, order and titles for the help of ``logs``, read from their modules' ``SPEC = Spec(...)`` text with
a few patterns: importing ``compliance.logs.analyses`` to ask its ``index()`` (``ast``, ``dataclasses``, ``pathlib``,
``typing``, ``hashlib``, then parsing every module) was 26 ms of every ``logs`` command's help. The modules stay the one
declaration and ``index()`` the reader that counts: a declaration these patterns do not read plainly (a keyword missing,
an escape in a title) is read by ``index()`` instead, and ``tests/test_logs_cli.py`` holds the two to the same list."""

from __future__ import annotations

import os
import re
import sys

_STATEMENT = re.compile(r"^SPEC = Spec\((.*?)^\)", re.M | re.S)
_TEXT = r'"([^"\\\n]*)"'
_FIELDS = {
    "id": re.compile(rf"^    id={_TEXT},", re.M),
    "order": re.compile(r"^    order=([0-9]+),", re.M),
    "title": re.compile(rf"^    title=d\.Text\(ko={_TEXT}, en={_TEXT}\),", re.M),
}


def listed() -> list[tuple[str, str, str]]:
    """(id, Korean title, English title) of every analysis, in the order of the derived facts."""
    package = sys.modules.get("compliance.logs.analyses")  # imported already: its path, which may have grown
    folders = list(package.__path__) if package is not None else [os.path.join(os.path.dirname(__file__), "analyses")]
    found = []
    for folder, name in ((f, n) for f in folders for n in sorted(os.listdir(f))):
        if name.startswith("_") or not name.endswith(".py"):
            if not name.startswith(("_", ".")) and os.path.isdir(os.path.join(folder, name)):
                return _indexed()  # a package among the modules: as pkgutil finds it
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            statement = _STATEMENT.search(fh.read())
        if statement is None:
            continue  # as index(): a module without SPEC is not an analysis
        fields = {key: pattern.findall(statement[1]) for key, pattern in _FIELDS.items()}
        if any(len(values) != 1 for values in fields.values()):
            return _indexed()
        (aid,), (order,), ((ko, en),) = fields["id"], fields["order"], fields["title"]
        found.append((int(order), aid, ko, en))
    return [(aid, ko, en) for _order, aid, ko, en in sorted(found)]


def _indexed() -> list[tuple[str, str, str]]:
    from compliance.logs.analyses import index

    return [(a.id, a.title_ko, a.title_en) for a in index().values()]
