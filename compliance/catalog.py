"""Catalogs: controls as data, validated by pydantic, expressions compiled and type-checked at load.

A typo in a fact name fails here, with the catalog's file:line, long before an audit runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from compliance import expr
from compliance.bundled import bundled_dir
from compliance.facts import Facts, Incident
from compliance.loading import InputError, Locator, Problem, field_path, validate_file

SEVERITIES = ("critical", "high", "medium", "low")
FACTS_TYPE = expr.T("object", model=Facts)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    ko: str
    en: str


class LegalRef(_Strict):
    """Where the duty is written: article (조), paragraph (항), item (호), sub-item (목)."""

    article: str = Field(pattern=r"^\d+(-\d+)?$", description="'29' or '39-3' (제39조의3)")
    paragraph: int | None = None
    item: int | None = None
    subitem: str | None = None

    @field_validator("article", mode="before")
    @classmethod
    def _article_text(cls, v):
        return str(v) if isinstance(v, int) else v

    @property
    def order(self) -> tuple[int, int, int, int]:
        """Sort key in the instrument's own order: Art 39-4(1)(2) -> (39, 4, 1, 2)."""
        main, _, branch = self.article.partition("-")
        return (int(main), int(branch or 0), self.paragraph or 0, self.item or 0)

    def cite(self, lang: str) -> str:
        art = self.article.split("-")
        if lang == "ko":
            out = f"제{art[0]}조" + (f"의{art[1]}" if len(art) > 1 else "")
            out += f"제{self.paragraph}항" if self.paragraph else ""
            out += f"제{self.item}호" if self.item else ""
            out += f" {self.subitem}목" if self.subitem else ""
            return out
        out = f"Art {art[0]}" + (f"-{art[1]}" if len(art) > 1 else "")
        out += f"({self.paragraph})" if self.paragraph else ""
        out += f"({self.item})" if self.item else ""
        out += f"({self.subitem})" if self.subitem else ""
        return out


class Check(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: Text
    for_each: str | None = None
    where: str | None = None
    expect: str
    label: str | None = Field(None, description="expression naming an offender; default item.id")


class CoverRef(LegalRef):
    """A provision a control also covers, possibly in another instrument (e.g. a Decree article)."""

    instrument: str | None = Field(None, description="outline id; default: the control's catalog")


class AttestationRule(_Strict):
    """A duty no fact can show: it needs a named attester, a recent date and a document."""

    within: str = Field(description="how recent the attestation must be, e.g. '365d'")
    what: Text = Field(description="what the attester confirms")


class Examples(_Strict):
    """Fact fragments for which the control is compliant / non-compliant (docs and tests)."""

    compliant: dict
    non_compliant: dict


class Control(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./-]*$")
    ref: LegalRef
    covers: list[CoverRef] = Field(default_factory=list, description="further provisions this control judges")
    also: list[str] = Field(default_factory=list, description="other provisions this control serves, as text")
    title: Text
    text: Text = Field(description="ko: the legal text verbatim; en: an English gloss")
    text_status: Literal["verified", "unverified"]
    severity: Literal["critical", "high", "medium", "low"]
    applies_when: str | None = None
    not_applicable: Text | None = Field(None, description="why it did not apply, shown when applies_when is false")
    checks: list[Check] = Field(default_factory=list)
    attestation: AttestationRule | None = None
    evidence: list[str] = Field(default_factory=list, description="attachment kinds an auditor expects")
    remediation: Text
    mappings: dict[Literal["isms-p", "iso27001-2022"], list[str]] = Field(default_factory=dict)
    examples: Examples | None = None

    @model_validator(mode="after")
    def _judgeable(self):
        if not self.checks and self.attestation is None:
            raise ValueError("a control needs checks, an attestation rule, or both")
        return self


class CatalogMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    instrument: Text
    cite_as: Text = Field(description="prefix for citations, e.g. ko '고시', en 'PIPC Notice 2023-6'")
    version: str
    effective: dt.date
    supersedes: list[str] = Field(default_factory=list)
    source: str | None = None
    governs: Literal["state", "incidents"] = Field(
        "state",
        description="'incidents': its controls judge each incident under the version in force when the "
        "organisation became aware of it, so an audit spanning a change of law is judged per period",
    )


class Sanction(_Strict):
    """A penalty provision a finding may engage; amounts are caps the law sets, not predictions."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./-]*$")
    ref: LegalRef
    title: Text
    text: Text
    text_status: Literal["verified", "unverified"]
    kind: Literal["administrative-fine", "fine"] = Field(description="과징금 (administrative fine) or 과태료 (fine)")
    revenue_ratio: float | None = Field(None, gt=0, lt=1, description="cap as a share of revenue, e.g. 0.03")
    cap_krw: int | None = Field(None, gt=0, description="fixed cap, or the cap when revenue is not stated")
    triggers: list[str] = Field(min_length=1, description="control ids; 'prefix/*' matches a whole catalog part")
    requires_incident: bool = Field(False, description="engaged only when a leak occurred")


class Deadline(_Strict):
    """A statutory clock on incidents, drawn on the report's timeline."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    control: str
    title: Text
    start: str = Field(description="incident field the clock starts from, e.g. aware_at")
    done: str = Field(description="incident field that stops it, e.g. reported_to_pipc_at")
    within: str = Field(description="duration, e.g. '72h'")
    where: str | None = Field(None, description="incident condition, as in the control's check")


class CatalogFile(_Strict):
    catalog: CatalogMeta
    controls: list[Control] = Field(min_length=1)
    sanctions: list[Sanction] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)


@dataclass
class CompiledCheck:
    check: Check
    for_each: expr.Compiled | None
    where: expr.Compiled | None
    expect: expr.Compiled
    label: expr.Compiled | None


@dataclass
class CompiledControl:
    control: Control
    catalog: CatalogMeta
    applies_when: expr.Compiled | None
    checks: list[CompiledCheck]
    attest_within: dt.timedelta | None = None
    index: int = 0
    """position in the catalog file (for file:line of later problems)"""

    def cite(self, lang: str) -> str:
        return f"{getattr(self.catalog.cite_as, lang)} {self.control.ref.cite(lang)}"

    @property
    def fact_paths(self) -> set[str]:
        out: set[str] = set()
        for c in [self.applies_when, *[x for ch in self.checks for x in (ch.for_each, ch.where, ch.expect)]]:
            if c is not None:
                out |= c.paths
        return out


@dataclass
class CompiledDeadline:
    deadline: Deadline
    within: dt.timedelta
    where: expr.Compiled | None


@dataclass
class Catalog:
    meta: CatalogMeta
    path: str
    sha256: str
    controls: list[CompiledControl] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    deadlines: list[CompiledDeadline] = field(default_factory=list)

    def cite(self, ref: LegalRef, lang: str) -> str:
        return f"{getattr(self.meta.cite_as, lang)} {ref.cite(lang)}"


def _compile_at(source, locator, loc, path, problems, scope=None, want_bool=True):
    try:
        c = expr.compile_expr(source, FACTS_TYPE, scope)
    except expr.ExprError as exc:
        problems.append(Problem(path, locator.line(loc), f"{exc.message} (column {exc.column}): {source}", field_path(loc)))
        return None
    if want_bool and c.type.kind not in ("bool", "any"):
        problems.append(Problem(path, locator.line(loc), f"must be true/false, but gives {c.type}", field_path(loc)))
        return None
    return c



def load_catalog(path: str | Path) -> Catalog:
    """Validate one catalog file and compile every expression in it."""
    model, text = validate_file(path, CatalogFile)
    path = str(path)
    locator = Locator(text)
    problems: list[Problem] = []
    compiled: list[CompiledControl] = []
    seen: dict[str, int] = {}
    for i, control in enumerate(model.controls):
        if control.id in seen:
            problems.append(
                Problem(path, locator.line(("controls", i, "id")), f"duplicate control id '{control.id}'", f"controls[{i}].id")
            )
        seen[control.id] = i
        applies = None
        if control.applies_when is not None:
            applies = _compile_at(control.applies_when, locator, ("controls", i, "applies_when"), path, problems)
        checks = []
        check_ids: set[str] = set()
        for j, chk in enumerate(control.checks):
            base = ("controls", i, "checks", j)
            if chk.id in check_ids:
                problems.append(Problem(path, locator.line((*base, "id")), f"duplicate check id '{chk.id}'", ""))
            check_ids.add(chk.id)
            scope = None
            coll = None
            if chk.for_each is not None:
                coll = _compile_at(chk.for_each, locator, (*base, "for_each"), path, problems, want_bool=False)
                if coll is not None and coll.type.kind not in ("list", "any"):
                    problems.append(Problem(path, locator.line((*base, "for_each")), f"must be a list, but gives {coll.type}", ""))
                    coll = None
                if coll is None:
                    continue
                elem = coll.type.elem if coll.type.kind == "list" and coll.type.elem else expr.ANY
                scope = {"item": (elem, f"{coll.result_path}[]" if coll.result_path else "item")}
            elif chk.where is not None or chk.label is not None:
                problems.append(Problem(path, locator.line(base), "'where' and 'label' need 'for_each'", ""))
                continue
            where = _compile_at(chk.where, locator, (*base, "where"), path, problems, scope) if chk.where else None
            expect = _compile_at(chk.expect, locator, (*base, "expect"), path, problems, scope)
            label = (
                _compile_at(chk.label, locator, (*base, "label"), path, problems, scope, want_bool=False)
                if chk.label
                else None
            )
            if expect is not None:
                checks.append(CompiledCheck(chk, coll, where, expect, label))
        within = None
        if control.attestation is not None:
            try:
                within = expr.parse_duration(control.attestation.within)
            except ValueError as exc:
                loc = ("controls", i, "attestation", "within")
                problems.append(Problem(path, locator.line(loc), str(exc), field_path(loc)))
        compiled.append(CompiledControl(control, model.catalog, applies, checks, within, i))
    deadlines = _compile_deadlines(model, locator, path, problems, set(seen))
    for k, sanction in enumerate(model.sanctions):
        for t, trigger in enumerate(sanction.triggers):
            if not trigger.endswith("*") and trigger not in seen:
                loc = ("sanctions", k, "triggers", t)
                problems.append(Problem(path, locator.line(loc), f"no control '{trigger}' in this catalog", field_path(loc)))
    if problems:
        raise InputError(problems)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    compiled.sort(key=lambda cc: cc.control.ref.order)  # reports list duties in the instrument's order
    return Catalog(model.catalog, path, sha, compiled, list(model.sanctions), deadlines)


def _compile_deadlines(model: CatalogFile, locator, path, problems, control_ids) -> list[CompiledDeadline]:
    stamps = {n for n, f in Incident.model_fields.items() if expr.type_of_annotation(f.annotation) == expr.DATETIME}
    incident = {"item": (expr.T("object", model=Incident), "incidents[]")}
    out = []
    for k, d in enumerate(model.deadlines):
        base = ("deadlines", k)
        for key in ("start", "done"):
            if getattr(d, key) not in stamps:
                problems.append(Problem(path, locator.line((*base, key)), f"must be a timestamp field of an incident: {sorted(stamps)}", field_path((*base, key))))
        if d.control not in control_ids:
            problems.append(Problem(path, locator.line((*base, "control")), f"no control '{d.control}' in this catalog", field_path((*base, "control"))))
        try:
            within = expr.parse_duration(d.within)
        except ValueError as exc:
            problems.append(Problem(path, locator.line((*base, "within")), str(exc), field_path((*base, "within"))))
            continue
        where = _compile_at(d.where, locator, (*base, "where"), path, problems, incident) if d.where else None
        out.append(CompiledDeadline(d, within, where))
    return out


def catalog_files(directory: str | Path) -> list[Path]:
    d = Path(directory)
    if not d.is_dir():
        raise InputError([Problem(str(d), 0, "catalog directory not found")])
    files = sorted([*d.glob("*.yaml"), *d.glob("*.yml")])
    if not files:
        raise InputError([Problem(str(d), 0, "no catalog files (*.yaml) in this directory")])
    return files


def load_catalogs(directory: str | Path) -> list[Catalog]:
    """Load every catalog of a directory; all problems of all files reported together."""
    catalogs, problems = [], []
    for f in catalog_files(directory):
        try:
            catalogs.append(load_catalog(f))
        except InputError as exc:
            problems.extend(exc.problems)
    ids: dict[str, str] = {}
    for c in catalogs:
        if c.meta.id in ids:
            problems.append(Problem(c.path, 0, f"catalog id '{c.meta.id}' also used by {ids[c.meta.id]}"))
        ids[c.meta.id] = c.path
    if problems:
        raise InputError(problems)
    return catalogs


def in_force(catalogs: list[Catalog], as_of: dt.date) -> list[Catalog]:
    """The catalog versions in force on ``as_of``: already effective, and not superseded by one that is."""
    effective = [c for c in catalogs if c.meta.effective <= as_of]
    superseded = {s for c in effective for s in c.meta.supersedes}
    return sorted((c for c in effective if c.meta.id not in superseded), key=lambda c: c.meta.id)


Window = tuple[dt.date, dt.date | None]


def in_window(window: Window, day: dt.date) -> bool:
    """[start, end): end None means the version is still in force."""
    start, end = window
    return start <= day and (end is None or day < end)


def incident_periods(catalogs: list[Catalog], as_of: dt.date, aware_dates: list[dt.date]) -> dict[str, Window]:
    """For catalogs that govern incidents: each version's window [effective, successor's effective).

    The version in force on ``as_of`` is always returned; an older version only when an incident
    became known inside its window, so each incident is judged under the law of its time.
    """
    governing = [c for c in catalogs if c.meta.governs == "incidents" and c.meta.effective <= as_of]
    successor: dict[str, dt.date] = {}
    for c in governing:
        for old in c.meta.supersedes:
            successor[old] = min(successor.get(old, c.meta.effective), c.meta.effective)
    current = {c.meta.id for c in in_force(governing, as_of)}
    known = {c.meta.id for c in governing}
    out: dict[str, Window] = {}
    for c in governing:
        # the oldest shipped version also judges incidents from before it: never silently drop one
        earliest = not any(old in known for old in c.meta.supersedes)
        window = (dt.date.min if earliest else c.meta.effective), successor.get(c.meta.id)
        if c.meta.id in current or any(in_window(window, d) for d in aware_dates):
            out[c.meta.id] = window
    return out


def default_catalog_dir() -> Path:
    return bundled_dir("controls")
