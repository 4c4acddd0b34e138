"""The access-record analyses: a registry, one module per analysis.

Each module of this package declares ``SPEC = Spec(...)``: its id (the module's name), its place among the
analyses, its title, the SQL files it runs (``compliance/logs/sql/*.sql``; the logic lives there) with their result
columns, its section of the derived facts (a model), how rows become that section's items, and what it observes
against the stated facts. Every other place takes its list from :func:`registry`: the derived facts' ``analyses``
object (``derived.Analyses``), ``logs analyze`` and its summary, ``export-sql`` and ``import-results``, the
comparison with the facts, the SQL lint, ``--help``. Adding an analysis is adding one module here, its SQL,
and its line in a catalog's ``analyses:``.

Which controls an analysis informs, and so which provision it cites, is written in the catalogs (``analyses:`` in
``controls/pipc-notice.yaml``), never here: :func:`provisions` reads it, and ``catalog lint`` refuses a binding to an
analysis or a control that does not exist, and an analysis bound to none.

This ``__init__`` imports no model: ``--help`` and the catalogs' lint read the declarations from the source
(:func:`index`, as ``compliance.format_index`` reads the output formats). Rows are sorted in Python
(:func:`canonical`), so a result never depends on an engine's ordering.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent.parent / "sql"
CATALOG_DIR: Path | None = None
"""the catalogs whose ``analyses:`` bind each analysis to its controls (None: the bundled ones)"""


@dataclass(frozen=True, eq=False)
class Spec:
    """One analysis, as its module declares it."""

    id: str
    """the module's name; the key of its section in the derived facts"""
    order: int
    """its place in the derived facts and in every list (the shipped ones: 10, 20, …)"""
    title: Any
    """``derived.Text``"""
    files: dict[str, tuple[str, ...]]
    """each SQL file it runs (in ``sql_dir``) → the query's result columns, in order: results brought back from another
    engine must carry exactly these (``export.import_results``), and every engine's result is held to them"""
    model: type
    """its section of the derived facts: a subclass of ``derived.Analysis``"""
    build: Callable
    """(Convert, {file: rows}, as-of day number) → (items, counts, further fields of ``model``); items sorted"""
    observe: Callable
    """(compare.Context, its section) → the ``compare.Seen`` it finds against the stated facts"""
    needs: str | None = None
    """a parameter without which it cannot run (e.g. networks)"""
    unmet: str | None = None
    """why it did not run without ``needs``, as the derived facts record it (English in every language)"""
    fields: tuple[str, ...] = ()
    """fields (beyond account, time and address, which every ingested row has) it needs to show its duty: an export
    without them cannot show the duty there (insufficient evidence, never a clean zero)"""
    run_lacking: bool = True
    """False: not run when an export lacks ``fields`` (it would mislead)"""
    not_needed: Callable | None = None
    """(an ingest manifest input) → true when that export needs none of ``fields`` (nothing there to count)"""
    extra: Callable | None = None
    """(the ingest manifest's inputs) → further fields of ``model`` (e.g. task names the mapping did not know)"""
    limits: Callable | None = None
    """(compare.Context, its section) → ``compare.Seen`` of what the records cannot show, beyond missing columns"""
    lacking_text: Callable | None = None
    """(export name, fields in English, fields in Korean) → (English, Korean) of an export lacking ``fields``"""
    words: Callable | None = None
    """() → its count names and ``unmet`` in the user's language, by their English (the summary's words)"""
    notes: Callable | None = None
    """(its section, the derived facts) → lines the summary adds below its table, in the user's language"""
    whole: bool = False
    """its items are bounded by the facts (per system, per period): kept whole, never cut to ``--examples``"""
    text: tuple[str, ...] = ()
    """result columns read as text when results are imported (others are whole numbers; ``ex_*`` as Example reads)"""
    flags: tuple[str, ...] = ()
    """result columns read as true/false when results are imported"""
    reads: Callable | None = None
    """(the ingested folder, its manifest) → what it reads from the folder itself rather than by SQL (the chain of
    ingests, its manifests), found by ``build`` as ``results[id]``; run beside the queries. Results imported from
    another engine come without the folder: it is then not run (``NOT_READ``), which is never a clean result"""
    sql_dir: Path = SQL_DIR

    @property
    def provision(self):
        """The provision it cites and the controls it informs, as the catalogs bind it (``derived.Provision``)."""
        return provisions()[self.id]


NOT_READ = "the ingested folder was not read (results imported from another engine): run 'logs analyze' on it"
"""why an analysis that ``reads`` the folder did not run (English in every language, as ``Spec.unmet``)"""


@dataclass(frozen=True)
class Declared:
    """An analysis as its module's source declares it (read without importing it)."""

    id: str
    order: int
    title_ko: str
    title_en: str
    path: str


def _modules():
    return [info for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]


@lru_cache(maxsize=1)
def index() -> dict[str, Declared]:
    """Every analysis declared in this package, by id in its order, read from the source (no model is imported)."""
    found = []
    for info in _modules():
        path = Path(info.module_finder.path) / f"{info.name}.py"
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and any(isinstance(t, ast.Name) and t.id == "SPEC" for t in node.targets)):
                continue
            kw = {k.arg: k.value for k in node.value.keywords}
            title = {k.arg: ast.literal_eval(k.value) for k in kw["title"].keywords}
            found.append(Declared(ast.literal_eval(kw["id"]), ast.literal_eval(kw["order"]), title["ko"], title["en"],
                                  str(path)))
    return {x.id: x for x in sorted(found, key=lambda x: (x.order, x.id))}


@lru_cache(maxsize=1)
def registry() -> dict[str, Spec]:
    """Every module of this package (but ``_*``) and its ``SPEC``, by id in their order."""
    from compliance.logs import derived as d

    found: list[Spec] = []
    for info in _modules():
        spec = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SPEC", None)
        if not isinstance(spec, Spec):
            raise RuntimeError(f"{__name__}.{info.name} declares no SPEC = Spec(...)")
        if spec.id != info.name:
            raise RuntimeError(f"{__name__}.{info.name} declares the analysis {spec.id!r}: name the module after it")
        if not (isinstance(spec.model, type) and issubclass(spec.model, d.Analysis)):
            raise RuntimeError(f"analysis {spec.id!r}: its model must be a subclass of derived.Analysis")
        found.append(spec)
    found.sort(key=lambda s: (s.order, s.id))
    orders: dict[int, str] = {}
    files: dict[str, str] = {}
    for s in found:
        if s.order in orders:
            raise RuntimeError(f"analyses {orders[s.order]!r} and {s.id!r} declare the same order {s.order}")
        orders[s.order] = s.id
        for f in s.files:
            if f in files:
                raise RuntimeError(f"SQL file {f!r} claimed by analyses {files[f]!r} and {s.id!r}")
            files[f] = s.id
    return {s.id: s for s in found}


def reset() -> None:
    """Forget what was discovered (a test that adds a module to ``__path__``)."""
    index.cache_clear()
    registry.cache_clear()
    provisions.cache_clear()


def __getattr__(name: str):
    # the lists the analyses module had, derived from the registry
    if name == "SPECS":
        return tuple(registry().values())
    if name == "COLUMNS":
        return columns()
    if name == "NEEDS":
        return {s.id: s.fields for s in registry().values() if s.fields}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def columns() -> dict[str, tuple[str, ...]]:
    """Each shipped query's result columns, in order (by file name)."""
    return dict(sorted((f, cols) for s in registry().values() for f, cols in s.files.items()))


def sql_path(name: str) -> Path:
    for s in registry().values():
        if name in s.files:
            return s.sql_dir / name
    raise KeyError(name)


def sql_files() -> list[Path]:
    """The SQL files the analyses run, by name."""
    return sorted((s.sql_dir / f for s in registry().values() for f in s.files), key=lambda p: p.name)


def query_text(name: str) -> str:
    return sql_path(name).read_text(encoding="utf-8")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def provisions(catalog_dir: str | None = None) -> dict:
    """analysis id → ``derived.Provision``: the controls the catalogs bind it to (``analyses:``), and the provision of
    the first of them (its ``ref``; ``item`` narrows it), cited with the binding catalog's ``cite_as``. Only the
    catalogs holding ``analyses:`` are read, held to the rules ``catalog lint`` holds them to."""
    import re
    from types import SimpleNamespace

    from compliance.catalog import CatalogFile, catalog_files, check_analyses, default_catalog_dir, unbound_analyses
    from compliance.i18n import _
    from compliance.loading import InputError, Problem, read_text, validate_file
    from compliance.located import Document
    from compliance.logs import derived as d

    where = catalog_dir or CATALOG_DIR or default_catalog_dir()
    out, problems, binding = {}, [], []
    for path in catalog_files(where):
        if not re.search(r"^analyses:", read_text(path), re.M):  # loading every catalog costs 0.3 s
            continue
        model, text = validate_file(path, CatalogFile)
        doc = Document(str(path), text)
        controls = {c.id: c for c in model.controls}
        check_analyses(model, doc, problems, {c.id: i for i, c in enumerate(model.controls)})
        binding.append(SimpleNamespace(path=str(path), doc=doc, analyses=model.analyses))
        for aid, b in model.analyses.informs.items():
            first = controls.get(b.controls[0])
            if first is None or not first.ref.article.isdigit():
                continue  # a problem above
            ref = first.ref
            out[aid] = d.Provision(
                instrument=model.catalog.cite_as.ko.replace("「", "").replace("」", ""), article=int(ref.article),
                paragraph=ref.paragraph, item=b.item if b.item is not None else ref.item,
                cite=d.Text(ko=f"{model.analyses.cite_as.ko} {_cite_ko(ref, b.item)}",
                            en=f"{model.analyses.cite_as.en} {_cite_en(ref, b.item)}"),
                controls=list(b.controls))
    problems += unbound_analyses(binding)
    if not binding:
        text = _("no catalog binds the access-record analyses to controls (analyses:)")
        problems.append(Problem(str(where), 0, text))
    if problems:
        raise InputError(problems)
    return out


def _cite_ko(ref, item: int | None) -> str:
    return ref.cite("ko") if item is None else ref.model_copy(update={"item": item}).cite("ko")


def _cite_en(ref, item: int | None) -> str:
    """'Art 8(2)', 'Art 6(1) item 2'."""
    base = ref.model_copy(update={"item": None, "item_branch": None, "subitem": None}).cite("en")
    item = ref.item if item is None else item
    return base if item is None else f"{base} item {item}"


# ------------------------------------------------------------------------------------------ running an analysis

Rows = list[dict]


def canonical(columns: list[str], rows: list[tuple]) -> Rows:
    """Rows as dicts, sorted on every column (None first): one order whatever the engine returned."""
    out = [dict(zip(columns, (int(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r))) for r in rows]
    return sorted(out, key=lambda r: tuple((v is not None, v) for v in r.values()))


class Convert:
    """Day numbers → dates, epoch seconds → local times, ``ex_*`` columns → an Example."""

    def __init__(self, tz_minutes: int):
        self.tz = dt.timezone(dt.timedelta(minutes=tz_minutes))

    def day(self, n):
        from compliance.logs.calendar import from_day_num

        return None if n is None else from_day_num(int(n))

    def at(self, epoch):
        return None if epoch is None else dt.datetime.fromtimestamp(int(epoch), self.tz)

    def example(self, r: dict):
        from compliance.logs import derived as d

        return d.Example(source=r["ex_source"], line=r["ex_line"], at=self.at(r.get("ex_epoch")), ip=r.get("ex_ip"),
                         system=r.get("ex_system"), country=r.get("ex_country"), records=r.get("ex_records"),
                         previous_ip=r.get("ex_previous_ip"), previous_at=self.at(r.get("ex_previous_epoch")))


def missing_columns(inputs) -> dict[str, dict[str, list[str]]]:
    """analysis id → {input file: the fields it needs that the file has no column for}. ``inputs``: the manifest's
    (name, columns, actions, unmapped_rows); an analysis may say a file needs none of them (``Spec.not_needed``)."""
    out: dict[str, dict[str, list[str]]] = {}
    for f in inputs:
        have = set(f.columns)
        for spec in registry().values():
            lacking = [x for x in spec.fields if x not in have]
            if lacking and spec.not_needed is not None and spec.not_needed(f):
                lacking = []
            if lacking:
                out.setdefault(spec.id, {})[f.name] = lacking
    return out


def unmapped_actions(inputs, top: int = 20) -> tuple[int, dict[str, int]]:
    """(rows whose task name the mapping does not know, the most frequent such names with their rows)."""
    rows, names = 0, {}
    for f in inputs:
        rows += f.unmapped_rows or 0
        for name, n in (f.unmapped_actions or {}).items():
            names[name] = names.get(name, 0) + n
    ranked = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return rows, dict(ranked)


def unmapped_seen(ctx, a, what_ko: str, what_en: str, name_ko: str, name_en: str) -> list:
    """The records whose task names the mapping does not know, as an analysis that reads task kinds says it: what it
    cannot see among them (``what_*``) and how to name them in a mapping file (``name_*``)."""
    if not a.unmapped_rows:
        return []
    names = a.unmapped_actions
    top = ", ".join(f"{k!r} {v:,}" for k, v in list(names.items())[:5]) + (", …" if len(names) > 5 else "")
    return [ctx.seen(
        "dataset", "insufficient",
        f"매핑에 없는 수행업무 이름의 기록 {a.unmapped_rows:,}건({top}): 그 가운데 {what_ko}{name_ko}",
        f"{a.unmapped_rows:,} records have task names the mapping does not know ({top}): any {what_en} among them is "
        f"not seen; {name_en}",
        observed={"unmapped_rows": a.unmapped_rows, "unmapped_actions": names})]


def cannot_show(missing: dict[str, list[str]]) -> str:
    """Why an analysis cannot run, as the derived facts record it (English in every language)."""
    return "the records cannot show it: " + "; ".join(
        f"{name} has no column for {', '.join(fields)}" for name, fields in sorted(missing.items()))


def build(spec: Spec, results: dict[str, Rows] | None, c: Convert, as_of_day: int, limit: int,
          not_run: str | None = None, missing: dict[str, list[str]] | None = None, **fields):
    """One analysis of the derived facts. ``missing``: {file: fields} the records lack for it (``missing_columns``);
    ``fields``: further fields of its model (``Spec.extra``)."""
    from compliance.logs import derived as d

    queries = [d.QueryRef(file=f"sql/{f}", sha256=sha256_text(query_text(f))) for f in spec.files]
    extra_fields = {"missing_columns": missing or {}, **fields}
    if results is None:
        return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="not-run", reason=not_run,
                          queries=queries, **extra_fields)
    items, counts, extra = spec.build(c, results, as_of_day)
    extra = {**extra, **extra_fields}
    keep = items if spec.whole else items[:limit]
    counts = {"items": len(items), **counts}
    return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="ran", queries=queries,
                      counts=counts, items_total=len(items), items_truncated=len(keep) < len(items), items=keep, **extra)
