"""The output formats as the renderers declare them (``FORMAT = Format(...)`` in ``compliance/render/*.py``), copied
here as a table: importing a renderer loads the result and catalog models (0.13 s), and ``--help`` or a usage error
about an output's extension needs only the names, suffixes and one-line summaries. Reading them from the renderers'
source took 25 ms of every such command (``ast``, ``dataclasses``, ``pathlib``, parsing eleven files).
``compliance.render.registry`` stays the one registry that renders: ``tests/test_formats.py`` holds this table to it
and, when a renderer's declaration changes, fails with the table to write here (:func:`table_text`)."""

from __future__ import annotations

from collections import namedtuple  # imported by argparse already; typing.NamedTuple and dataclasses are not

Declared = namedtuple("Declared", "name suffixes binary summary framework handover", defaults=(False, False))
"""One format as its renderer declares it: name, suffixes, binary, summary (a message id), framework (takes --framework),
handover (its layout needs the memory: it takes the result and frees it before, ``Format.handover``)."""

_DECLARED = (
    Declared('findings-csv', ('.csv',), False, 'the findings as CSV for auditors: one row per offending item'),
    Declared('findings-xlsx', ('.xlsx',), True, 'the findings as an Excel workbook for auditors: one row per offending item'),
    Declared('html', ('.html', '.htm'), False, 'the report as one self-contained HTML page (fonts embedded)'),
    Declared('json', ('.json',), False, 'the AuditResult (input of pipa-audit diff)', True),
    Declared('junit', ('.xml',), False, 'JUnit XML for CI test reports (GitLab, Jenkins)'),
    Declared('md', ('.md', '.markdown'), False, 'the report as Markdown'),
    Declared('oscal', ('.oscal.json',), False, 'OSCAL 1.2.3 assessment-results (JSON) for GRC tools'),
    Declared('pdf', ('.pdf',), True, "the auditor's report (--pdfa: PDF/A-3b with the JSON result embedded)", False, True),
    Declared('sarif', ('.sarif', '.sarif.json'), False, 'SARIF 2.1.0 for code scanning (GitHub)'),
    Declared('summary', ('.summary.md',), False, 'a short Markdown summary for a CI job page'),
    Declared('text', ('.txt',), False, "the findings table (check's default)", True),
)


def declared() -> dict[str, Declared]:
    """Every output format by name, in name order."""
    return {f.name: f for f in _DECLARED}


def table_text(formats) -> str:
    """``_DECLARED`` as this module writes it, for ``formats`` (the registry's: what a failing test asks to paste)."""
    rows = []
    for f in sorted(formats, key=lambda f: f.name):
        flags = [bool(f.framework), bool(f.handover)]
        while flags and not flags[-1]:  # the defaults left out
            flags.pop()
        args = [repr(f.name), repr(tuple(f.suffixes)), repr(f.binary), repr(f.summary), *map(repr, flags)]
        rows.append(f"    Declared({', '.join(args)}),")
    return "\n".join(["_DECLARED = (", *rows, ")"])


def format_for_path(path, formats: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The format whose suffix ends ``path`` (longest suffix first), or None."""
    table = formats if formats is not None else {f.name: f.suffixes for f in _DECLARED}
    name = _name(str(path)).lower()
    best = None
    for fmt, suffixes in table.items():
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), fmt)
    return best[1] if best else None


def _name(path: str) -> str:
    """``pathlib.Path(path).name`` without importing pathlib: the last part, a trailing separator and ``.`` parts
    ignored."""
    import os

    if os.altsep:
        path = path.replace(os.altsep, os.sep)
        path = path.split(":", 1)[-1] if path[1:2] == ":" else path  # a drive: C:report.pdf
    parts = [p for p in path.split(os.sep) if p and p != "."]
    return parts[-1] if parts else ""
