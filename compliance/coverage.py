"""Outlines of the legal instruments, the certification frameworks, and the coverage gate.

An outline lists every article, paragraph and item of an instrument as data, marking which
impose a duty. Coverage is then computable: every duty node needs a control (on the node or
on an enclosing paragraph/article) or a written reason.

A framework file (``frameworks/<id>.yaml``, one per framework, as Prowler keeps its compliance files) lists the
framework's criteria as published and, under ``mappings:``, the pipa-audit controls that map to each criterion: the
one place a mapping is written. Loading the catalogs gives every control its mappings from these files
(``control_mappings``). ``catalog lint`` checks that every mapping names a criterion of its framework and a control
of the catalogs, and that every control's examples are valid facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compliance.catalog import Catalog, LegalRef, Text
from compliance.examples import example_facts
from compliance.expr import Compiled, ExprError
from compliance.facts import Facts
from compliance.i18n import _
from compliance.loading import InputError, Problem, validate_file
from compliance.located import Document


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutlineNode(LegalRef):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date | None = Field(None, alias="from", description="first day the provision is law (default: always)")
    until: dt.date | None = Field(None, description="first day it is no longer law (default: still law)")
    title: str | None = None
    duty: bool = Field(description="does this node itself impose a duty on the processor?")
    reason: str | None = Field(None, description="why a non-duty node needs no control, or why a duty is not covered")

    @model_validator(mode="after")
    def _reason_for_non_duty(self):
        if not self.duty and not self.reason:
            raise ValueError(_("a node that imposes no duty needs a reason (e.g. 'definitions')"))
        return self


class OutlineMeta(_Strict):
    id: str
    title: Text
    source: str | None = None
    text_status: str = Field(description="how the outline's structure was checked")


class OutlineFile(_Strict):
    outline: OutlineMeta
    nodes: list[OutlineNode] = Field(min_length=1)


class Criterion(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$",
                    description="the criterion's number, e.g. '2.5.2' or 'A.5.18'")
    name: str = Field(description="its title as published (in the framework's language)")
    group: str | None = Field(None, description="the section it belongs to, e.g. '2.5 인증 및 권한관리'")


class FrameworkMeta(_Strict):
    id: str = Field(description="the id --framework and the results use, e.g. 'isms-p'")
    name: Text
    version: str
    source: str | None = Field(None, description="where the criteria's ids and names are read")


class FrameworkFile(_Strict):
    framework: FrameworkMeta
    criteria: list[Criterion]
    mappings: dict[str, list[str]] = Field(
        default_factory=dict,
        description="criterion id -> the ids of the pipa-audit controls that map to it (the one place a mapping is written)",
    )


def _load_dir(directory: Path, model):
    out, problems = [], []
    if not directory.is_dir():
        return out
    for f in sorted(directory.glob("*.yaml")):
        try:
            out.append(validate_file(f, model)[0])
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def load_outlines(catalog_dir: str | Path) -> list[OutlineFile]:
    return _load_dir(Path(catalog_dir) / "outlines", OutlineFile)


def load_frameworks(catalog_dir: str | Path) -> dict[str, FrameworkFile]:
    return {f.framework.id: f for _doc, f in _framework_files(catalog_dir)}


def _framework_files(catalog_dir: str | Path) -> list[tuple[Document, FrameworkFile]]:
    """Every framework file beside the catalogs, with its text (lint locates its problems in it)."""
    out, problems = [], []
    directory = Path(catalog_dir) / "frameworks"
    if not directory.is_dir():
        return out
    for f in sorted(directory.glob("*.yaml")):
        try:
            model, text = validate_file(f, FrameworkFile)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        out.append((Document(str(f), text), model))
    if problems:
        raise InputError(problems)
    return out


def control_mappings(frameworks: dict[str, FrameworkFile]) -> dict[str, dict[str, list[str]]]:
    """Control id -> framework id -> the criteria it maps to, in the order the framework lists its criteria:
    the frameworks' ``mappings:`` turned round, as a control's result shows them."""
    out: dict[str, dict[str, list[str]]] = {}
    for fid, fw in frameworks.items():
        order = {c.id: k for k, c in enumerate(fw.criteria)}
        for crit in sorted(fw.mappings, key=lambda c: order.get(c, len(order))):
            for cid in fw.mappings[crit]:
                ids = out.setdefault(cid, {}).setdefault(fid, [])
                if crit not in ids:
                    ids.append(crit)
    return out


Key = tuple[str, str, int | None, int | None]


def _key(instrument: str, ref: LegalRef) -> Key:
    return (instrument, ref.article, ref.paragraph, ref.item)


def _encloses(outer: Key, inner: Key) -> bool:
    """A control on an article covers its paragraphs; on a paragraph, its items."""
    if outer[:2] != inner[:2]:
        return False
    if outer[2] is None:
        return True
    return outer[2] == inner[2] and (outer[3] is None or outer[3] == inner[3])


@dataclass
class CoverageRow:
    node: OutlineNode
    cite: str
    controls: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.controls:
            return "covered"
        if not self.node.duty:
            return "no-duty"
        return "reason" if self.node.reason else "gap"


def _in_force(node: OutlineNode, day: dt.date | None) -> bool:
    return day is None or ((node.from_ is None or node.from_ <= day) and (node.until is None or day < node.until))


def coverage(catalogs: list[Catalog], outline: OutlineFile, as_of: dt.date | None = None) -> list[CoverageRow]:
    """Per node of the outline (those in force on ``as_of``, or every node of every version when None),
    the controls whose wording in force then cites it or encloses it."""
    claims: list[tuple[Key, str]] = []
    for cat in catalogs:
        for ctl in cat.controls:
            c = ctl.control
            wordings = [w for w in ctl.wordings if as_of is None or w.covers(as_of)]
            claims += [(_key(cat.meta.id, w.ref), c.id) for w in wordings]
            if wordings:
                claims += [(_key(cv.instrument or cat.meta.id, cv), c.id) for cv in c.covers]
    rows = []
    for node in outline.nodes:
        if not _in_force(node, as_of):
            continue
        key = _key(outline.outline.id, node)
        ids = sorted({cid for k, cid in claims if _encloses(k, key)})
        rows.append(CoverageRow(node, node.cite("ko"), ids))
    return rows


def _expressions(obj, seen=None):
    """Every compiled expression reachable from a catalog (controls, wordings, checks, sanctions, deadlines)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Compiled):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _expressions(x, seen)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _expressions(x, seen)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _expressions(getattr(obj, f.name), seen)


def _lint_frameworks(catalog_dir: str | Path, catalogs: list[Catalog]) -> list[Problem]:
    """Every mapping of a framework file names one of its criteria and a control of the catalogs (by its id now,
    not a former one), once; no criterion or framework id is given twice."""
    problems: list[Problem] = []
    controls = {ctl.control.id for cat in catalogs for ctl in cat.controls}
    former = {old: ctl.control.id for cat in catalogs for ctl in cat.controls for old in ctl.control.formerly}
    defined: dict[str, str] = {}
    for doc, fw in _framework_files(catalog_dir):
        fid = fw.framework.id
        if fid in defined:
            problems.append(doc.problem(("framework", "id"), _("framework '{framework}' is also defined by {path}").format(
                framework=fid, path=defined[fid])))
        defined.setdefault(fid, doc.path)
        criteria: set[str] = set()
        for i, crit in enumerate(fw.criteria):
            if crit.id in criteria:
                problems.append(doc.problem(("criteria", i, "id"), _("criterion '{id}' is listed twice").format(id=crit.id)))
            criteria.add(crit.id)
        for crit, ids in fw.mappings.items():
            if crit not in criteria:
                message = _("'{id}' is not a {framework} criterion").format(id=crit, framework=fid)
                problems.append(doc.problem(("mappings", crit), message))
            for j, cid in enumerate(ids):
                if cid in ids[:j]:
                    message = _("control '{control}' is named twice under {criterion}").format(control=cid, criterion=crit)
                elif cid not in controls and cid in former:
                    message = _("'{former}' is a former control id: write '{control}'").format(former=cid, control=former[cid])
                elif cid not in controls:
                    message = _("no control '{control}' in the catalogs").format(control=cid)
                else:
                    continue
                problems.append(doc.problem(("mappings", crit, j), message))
    return problems


def _lint_freshness(catalogs: list[Catalog]) -> list[Problem]:
    """Every evidence age rule (a catalog's ``freshness:``) is for a kind a control of its catalog expects, and a kind
    has one rule across the catalogs: the to-do list tells an officer how recent one document must be, not two answers."""
    problems: list[Problem] = []
    seen: dict[str, tuple[str, tuple]] = {}
    for cat in catalogs:
        if not cat.freshness:
            continue
        doc = cat.doc or Document(cat.path, Path(cat.path).read_text(encoding="utf-8"))  # the text as loaded
        expected = {k for ctl in cat.controls for k in ctl.control.evidence}
        for kind, rule in cat.freshness.items():
            loc = ("freshness", kind)
            if kind not in expected:
                problems.append(doc.problem(loc, _("no control of this catalog expects evidence '{kind}': its age rule is "
                                                   "never applied").format(kind=kind), ""))
            key = (rule.days, rule.rule.standing)
            first = seen.setdefault(kind, (cat.meta.id, key))
            if first[1] != key:
                problems.append(doc.problem(loc, _("evidence '{kind}' has another age rule in catalog '{catalog}': one kind, "
                                                   "one rule").format(kind=kind, catalog=first[0]), ""))
    return problems


def lint(catalog_dir: str | Path, catalogs: list[Catalog]) -> list[Problem]:
    """Every mapping of the framework files names a criterion and a control (``_lint_frameworks``); every
    control's examples are valid facts; every ``covers`` reference names an outline node."""
    problems: list[Problem] = []
    for cat in catalogs:  # expressions are built on first use when auditing; lint builds every one
        for c in _expressions(cat):
            try:
                c.fn
            except ExprError as exc:
                problems.append(Problem(cat.path, 0, f"{exc.message}: {c.source[:200]}"))
    problems += _lint_frameworks(catalog_dir, catalogs)
    problems += _lint_freshness(catalogs)
    outlines = {o.outline.id: {_key(o.outline.id, n) for n in o.nodes} for o in load_outlines(catalog_dir)}
    for cat in catalogs:
        doc = cat.doc or Document(cat.path, Path(cat.path).read_text(encoding="utf-8"))  # the text as loaded
        for ctl in cat.controls:
            c, i = ctl.control, ctl.index
            for j, cv in enumerate(c.covers):
                inst = cv.instrument or cat.meta.id
                if inst in outlines and not any(_encloses(_key(inst, cv), k) for k in outlines[inst]):
                    loc = ("controls", i, "covers", j)
                    problems.append(doc.problem(loc, _("no such provision in outline '{outline}'").format(outline=inst), f"{c.id}.covers"))
            for ex in c.example_sets:
                for kind in ("compliant", "non_compliant"):
                    try:
                        Facts.model_validate(example_facts(getattr(ex, kind)))
                    except Exception as exc:  # noqa: BLE001 - any invalid example is a catalog problem
                        first = str(exc).splitlines()[:3]
                        loc = ("controls", i, "examples", kind)
                        problems.append(doc.problem(loc, _("example is not valid facts: {reason}").format(reason=" ".join(first)), f"{c.id}.examples"))
    return problems
