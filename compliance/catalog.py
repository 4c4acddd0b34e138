"""Catalogs: controls as data, validated by pydantic, expressions compiled and type-checked at load.

A typo in a fact name fails here, with the catalog's file:line, long before an audit runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from compliance import expr, lawtext
from compliance.bundled import bundled_dir
from compliance.i18n import _
from compliance.facts import Facts, Incident
from compliance.loading import InputError, Problem, field_path, validate_file
from compliance.located import Document

from compliance.vocabulary import SEVERITIES  # noqa: E402,F401 - one list, read by the CLI without the models
FACTS_TYPE = expr.T("object", model=Facts)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    ko: str = Field(description="Korean")
    en: str = Field(description="English")


class LegalRef(_Strict):
    """Where the duty is written: article (조), paragraph (항), item (호), sub-item (목)."""

    article: str = Field(
        pattern=r"^\d+(-\d+)?$",
        description="'29' or '39-3' (제39조의3); a number is read as text",
        json_schema_extra={"type": ["string", "integer"], "minimum": 1},  # YAML writes `article: 34`; the pattern binds strings only
    )
    paragraph: int | None = Field(None, description="항: ① is 1")
    item: int | None = Field(None, description="호")
    item_branch: int | None = Field(None, ge=2, description="the branch of an item: 3 for 제4호의3 (needs item)")
    subitem: str | None = Field(None, description="목: its Korean letter, e.g. '가'")

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
            out += f"의{self.item_branch}" if self.item and self.item_branch else ""
            out += f" {self.subitem}목" if self.subitem else ""
            return out
        out = f"Art {art[0]}" + (f"-{art[1]}" if len(art) > 1 else "")
        out += f"({self.paragraph})" if self.paragraph else ""
        out += (f"({self.item}-{self.item_branch})" if self.item_branch else f"({self.item})") if self.item else ""
        out += f"({self.subitem})" if self.subitem else ""
        return out


class Window(_Strict):
    """When a wording, check, deadline or sanction applies: [from, until); open ends are unbounded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date | None = Field(None, alias="from", description="first day (default: the catalog's effective date)")
    until: dt.date | None = Field(None, description="first day it no longer applies (default: still in force)")

    def covers(self, day: dt.date, default_from: dt.date = dt.date.min) -> bool:
        start = self.from_ or default_from
        return start <= day and (self.until is None or day < self.until)


class Check(Window):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="unique within the control, e.g. 'plan-established'")
    description: Text = Field(description="what the check verifies, shown in reports")
    failure: Text | None = Field(
        None,
        description="the same finding said as a failure, per offender (e.g. 'access not revoked within a day of leaving'); "
        "reports put it after the offender's id",
    )
    for_each: str | None = Field(None, description="expression giving a list, e.g. 'handlers': each element is judged as 'item'")
    where: str | None = Field(None, description="condition selecting the items in scope (needs for_each); default: every item")
    expect: str = Field(description="condition that must be true (for each item in scope), e.g. 'internal_plan.revision_history == true'")
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

    compliant: dict = Field(description="facts fragment (merged onto a base example) for which the control is compliant")
    non_compliant: dict = Field(description="facts fragment (merged onto a base example) for which it is non-compliant")


class QuoteSource(_Strict):
    """Where the quoted words stand in the official text shipped in ``controls/law/``."""

    law: str = Field(description="id of a text in controls/law/sources.yaml")
    part: Literal["all", "chapeau"] = Field("all", description="'chapeau': only the words before the items")
    exclude_items: list[str] = Field(default_factory=list, description="items not yet (or no longer) in force")


class Wording(Window):
    """One wording of the provision and the window in which it is the law.

    ``kind`` says what the words are: ``quote`` (compared with ``source`` by lint, so it is exact),
    ``secondary`` (no official copy of this version was found; ``basis`` names where the words come from),
    ``summary`` (요지: not the law's words; ``basis`` says why)."""

    ref: LegalRef | None = Field(None, description="citation in this window, when it differs from the control's")
    kind: Literal["quote", "secondary", "summary"] = Field(
        "quote", description="quote: the official words, checked against 'source'; secondary: words from a non-official copy; summary: 요지, not the law's words"
    )
    source: QuoteSource | None = Field(None, description="for a quote: where the words stand in the official text they are checked against")
    basis: Text | None = Field(None, description="for secondary or summary text: where from, or why")
    amended_by: str | None = Field(None, description="the amendment that brought this wording, e.g. '고시 제2025-9호'")
    applies_when: str | None = Field(None, description="applicability in this window, when it differs")
    not_applicable: Text | None = Field(None, description="why the duty does not apply in this window, when its own applies_when says why")
    ko: str = Field(description="the provision's Korean text (block style: one line per paragraph, item, sub-item)")
    en: str = Field(description="an English gloss")

    @model_validator(mode="after")
    def _sourced(self):
        if self.kind == "quote" and self.source is None:
            raise ValueError("a quoted wording needs 'source' (a text in controls/law/) to be checked against")
        if self.kind != "quote" and self.basis is None:
            raise ValueError(f"a {self.kind} wording needs 'basis': where its words come from, or why it is a summary")
        return self


class Deferral(_Strict):
    """An addendum that put off the provision for a named group of processors (e.g. 2023-6 부칙)."""

    until: dt.date = Field(description="first day the provision applies to the group (before it: not-applicable)")
    when: str = Field(description="condition naming the group, e.g. a named condition")
    basis: Text = Field(description="the addendum that defers it, e.g. 'Notice 2023-6 addendum item 1'")


class Control(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./-]*$", description="stable control id, e.g. 'notice/5.2' or 'pipa/34.1'")
    ref: LegalRef = Field(description="the provision as numbered today (the newest wording's citation)")
    covers: list[CoverRef] = Field(default_factory=list, description="further provisions this control judges")
    also: list[str] = Field(default_factory=list, description="other provisions this control serves, as text")
    formerly: list[str] = Field(default_factory=list, description="ids this control had before (still accepted)")
    title: Text = Field(description="short name of the duty")
    wording: list[Wording] = Field(min_length=1, description="the provision's wordings, oldest first")
    severity: Literal["critical", "high", "medium", "low"] = Field(description="how grave a failure is; check --fail-on fails at or above it")
    applies_when: str | None = Field(None, description="condition over the facts; when false the control is not-applicable (default: always applies)")
    not_applicable: Text | None = Field(None, description="why it did not apply, shown when applies_when is false")
    deferred: list[Deferral] = Field(default_factory=list, description="addenda that put the provision off for a group of processors")
    judged_by: str | list[str] | None = Field(
        None,
        description="for incident duties: the incident field(s) whose date selects the law, first stated wins "
        "(default aware_at)",
    )
    governs: Literal["state", "incidents"] | None = Field(None, description="overrides the catalog's 'governs'")
    not_waivable: Text | None = Field(
        None, description="why no waiver can set this duty aside (e.g. a statutory deadline that has passed)"
    )
    checks: list[Check] = Field(default_factory=list, description="rules over the facts that judge the duty; any failing check makes it non-compliant")
    attestation: AttestationRule | None = Field(None, description="for a duty no fact can show: the attestation it needs")
    evidence: list[str] = Field(default_factory=list, description="attachment kinds an auditor expects")
    remediation: Text = Field(description="what to do to comply")
    examples: Examples | list[ExampleSet] | None = Field(
        None, description="facts fragments for which it is compliant / non-compliant: one pair, or a list of pairs each with its as_of"
    )

    _mappings: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _mappings_live_in_the_frameworks(cls, data):
        if isinstance(data, dict) and "mappings" in data:
            raise ValueError(_("a control's mappings are written in the framework files (frameworks/<framework>.yaml, "
                               "under 'mappings:' by criterion), not in the control"))
        return data

    @model_validator(mode="after")
    def _judgeable(self):
        if not self.checks and self.attestation is None:
            raise ValueError("a control needs checks, an attestation rule, or both")
        return self

    @property
    def mappings(self) -> dict[str, list[str]]:
        """Criteria of other frameworks this control maps to, by framework id (e.g. isms-p: ['2.11.5']): the framework
        files own them (``compliance.coverage.control_mappings``); ``load_catalogs`` gives them to the control."""
        return self._mappings

    @property
    def example_sets(self) -> list[ExampleSet]:
        if self.examples is None:
            return []
        if isinstance(self.examples, Examples):
            return [ExampleSet(compliant=self.examples.compliant, non_compliant=self.examples.non_compliant)]
        return list(self.examples)


class ExampleSet(Examples):
    as_of: dt.date | None = Field(None, description="the date the examples are judged on (the law of that date)")


Control.model_rebuild()


class Amendment(_Strict):
    """An instrument that changed the catalog's law, by its official number: `catalog diff`, the report's scope, and
    the instrument as in force on a date (the latest amendment in force then, :meth:`CatalogMeta.in_force_on`)."""

    id: str = Field(description="the amending instrument's number, e.g. '2025-9' (a notice) or '19234' (an Act)")
    title: Text = Field(description="its official number as cited, e.g. ko '개인정보보호위원회 고시 제2025-9호'")
    instrument: str | None = Field(
        None, description="which of the catalog's instruments it amends (a key of catalog.instruments); none declared: the catalog's own"
    )
    issued: dt.date = Field(description="the date it was issued (promulgated)")
    in_force: dt.date = Field(description="the date it took effect; audits as of this date or later apply it")
    deferred: list[str] = Field(default_factory=list, description="what the addendum put off, and to when")
    source: str | None = Field(None, description="where the number and dates are read, e.g. 'law/decree-2026.md, 부칙 <제36671호,2026.9.10>'")

    @model_validator(mode="after")
    def _dated_in_order(self):
        if self.in_force < self.issued:
            raise ValueError(_("in_force ({in_force}) is before issued ({issued})").format(in_force=self.in_force, issued=self.issued))
        return self


class UndatedAmendment(_Strict):
    """An amendment whose number the official texts name but whose dates they do not give: it is never given a
    guessed date. On a day from ``after`` up to ``before`` it may be the latest amendment in force, so the report
    says that the instrument in force then cannot be named with certainty."""

    id: str = Field(description="its number, e.g. '36121'")
    title: Text = Field(description="its official number as cited, e.g. ko '대통령령 제36121호'")
    instrument: str | None = Field(None, description="which of the catalog's instruments it amends (as for amendments)")
    after: dt.date | None = Field(
        None, description="the earliest day it can have taken effect (e.g. the promulgation of the amendment numbered before it); null: unknown"
    )
    before: dt.date | None = Field(
        None, description="the day a later, dated amendment took effect: from then it is not the latest; null: unknown"
    )
    note: Text = Field(description="what the texts say of it, and what they do not (no date is guessed)")

    @model_validator(mode="after")
    def _window(self):
        if self.after is not None and self.before is not None and self.before <= self.after:
            raise ValueError(_("'before' ({before}) must be later than 'after' ({after})").format(before=self.before, after=self.after))
        return self


@dataclass(frozen=True)
class InForce:
    """One instrument of a catalog as in force on a day: the latest amendment in force then (its official number and
    dates), the amendments named without dates that may have been in force instead, and the next one to come."""

    key: str | None
    """the instrument's key in catalog.instruments; None: the catalog's one instrument"""
    name: Text
    amendment: Amendment | None
    """the latest amendment in force on the day; None: none of those listed was in force yet (number not found)"""
    unsettled: tuple[UndatedAmendment, ...]
    next: Amendment | None
    """the first listed amendment that takes effect after the day"""


class Definition(_Strict):
    """A named condition or parameter, declared once and used by name in expressions."""

    expr: str = Field(description="the expression: a condition gives true/false, a parameter a value, e.g. 'days(1)' or '10'")
    means: Text = Field(description="what it stands for; for a parameter, why this value is the catalog's reading")


class CatalogMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="the catalog's id, e.g. 'pipc-notice'; unique among the catalogs")
    instrument: Text = Field(description="the legal instrument the catalog encodes")
    cite_as: Text = Field(description="prefix for citations, e.g. ko '고시', en 'PIPC Notice 2023-6'")
    id_prefix: str | None = Field(None, description="every control id starts with '<prefix>/'; lint checks the rest")
    version: str = Field(description="the version of the law it encodes, e.g. the latest amendment's number ('2026-9', or '21445' for the Act)")
    effective: dt.date = Field(description="first day the catalog applies; also where a wording without 'from' starts")
    supersedes: list[str] = Field(default_factory=list, description="ids of catalogs this one replaces from its effective date")
    instruments: dict[str, Text] = Field(
        default_factory=dict,
        description="when the catalog encodes several instruments (an Act and its Decree), each by key: its name, e.g. "
        "decree: {ko: '「개인정보 보호법 시행령」'}; none: one instrument, named by cite_as",
    )
    amendments: list[Amendment] = Field(
        default_factory=list,
        description="the instruments that changed this law, by official number: for catalog diff and the report, which names "
        "each instrument as in force on the as-of date by the latest amendment in force then",
    )
    undated: list[UndatedAmendment] = Field(
        default_factory=list, description="amendments the official texts name without dates: the report says the instrument in force may be one of them"
    )
    source: str | None = Field(None, description="the official instruments the catalog follows, as text")
    not_judged: list[Text] = Field(
        default_factory=list, description="duties of the instrument no control judges (e.g. its official text was not found): reports list them"
    )
    governs: Literal["state", "incidents"] = Field(
        "state",
        description="'incidents': its controls judge each incident under the wording in force on the date the "
        "control's judged_by field gives (awareness by default), so an audit spanning a change of law is judged per period",
    )

    @model_validator(mode="after")
    def _amendments_known(self):
        keys = set(self.instruments)
        seen: set[tuple[str | None, str]] = set()
        for a in [*self.amendments, *self.undated]:
            if keys and a.instrument not in keys:
                raise ValueError(
                    _("amendment {id}: instrument must be one of {keys}").format(id=a.id, keys=", ".join(sorted(keys)))
                )
            if not keys and a.instrument is not None:
                raise ValueError(_("amendment {id} names instrument '{key}' but the catalog declares no instruments").format(id=a.id, key=a.instrument))
            if (a.instrument, a.id) in seen:
                raise ValueError(_("amendment {id} listed twice").format(id=a.id))
            seen.add((a.instrument, a.id))
        return self

    def in_force_on(self, day: dt.date) -> list[InForce]:
        """Each instrument the catalog encodes as in force on ``day``: the latest amendment that took effect on or
        before it (its official number), with the amendments named without dates that may have been in force then."""
        out = []
        for key in list(self.instruments) or [None]:
            mine = [a for a in self.amendments if a.instrument == key]
            latest = max((a for a in mine if a.in_force <= day), key=lambda a: (a.in_force, a.issued), default=None)
            coming = min((a for a in mine if a.in_force > day), key=lambda a: (a.in_force, a.issued), default=None)
            unsettled = tuple(
                u for u in self.undated
                if u.instrument == key and (u.after is None or u.after <= day) and (u.before is None or day < u.before)
            )
            out.append(InForce(key, self.instruments[key] if key else self.cite_as, latest, unsettled, coming))
        return out


class Sanction(Window):
    """A penalty provision a finding may engage; amounts are caps the law sets, not predictions."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./-]*$", description="unique sanction id, e.g. 'pipa/64-2.1.9'")
    ref: LegalRef = Field(description="the penalty provision, e.g. Art 64-2(1) item 9")
    title: Text = Field(description="short name, e.g. the cap it sets")
    text: Text = Field(description="the provision's words (Korean) and an English gloss stating the cap")
    source: QuoteSource | None = Field(None, description="official text the Korean is compared with")
    kind: Literal["administrative-fine", "fine"] = Field(description="과징금 (administrative fine) or 과태료 (fine)")
    revenue_ratio: float | None = Field(None, gt=0, lt=1, description="cap as a share of revenue, e.g. 0.03")
    cap_krw: int | None = Field(None, gt=0, description="cap when there is no revenue (or a fixed cap for a 과태료)")
    triggers: list[str] = Field(min_length=1, description="control ids; 'prefix/*' matches a whole catalog part")
    except_triggers: list[str] = Field(
        default_factory=list, description="control ids (or 'prefix/*') the provision leaves out, e.g. the internal plan in former Art 39-15(1)5"
    )
    requires_incident: bool = Field(False, description="engaged only when a leak occurred")
    kinds: list[Literal["loss", "theft", "leak", "forgery", "alteration", "damage"]] = Field(
        default_factory=list,
        description="what must have happened to the data for the provision to reach an incident (its kind); an incident "
        "whose kind is not stated engages it with that said",
    )
    excludes_fines: bool = Field(
        True, description="Art 76 of its time bars a 과태료 for the act this 과징금 sanctions (the former Art 76 named only Art 34-2)"
    )
    revenue: Literal["total", "related"] = Field(
        "total", description="what revenue_ratio is a share of: total revenue (Art 64-2, Decree Art 60-2) or the revenue "
        "related to the violation (former Art 39-15)"
    )
    where: str | None = Field(None, description="incident condition (e.g. the aggravating grounds of Art 64-2(2))")
    judged_by: str | None = Field(
        None,
        description="incident field whose date selects this provision's window (default aware_at), or 'violation_end': the "
        "day the violation ended (violation_ended_on, else contained_at; never contained = still going on at the as-of date), "
        "by which Act 19234 addendum Art 8 picks the 과징금 regime",
    )


class Deadline(Window):
    """A statutory clock on incidents, drawn on the report's timeline."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="unique deadline id, e.g. 'report-pipc'")
    control: str = Field(description="id of the control in this catalog whose incidents the clock runs on, e.g. 'pipa/34.4'")
    title: Text = Field(description="short name, e.g. 'Report to the PIPC or KISA (72 hours)'")
    start: str = Field(description="incident field the clock starts from, e.g. aware_at")
    done: str = Field(description="incident field that stops it, e.g. reported_to_pipc_at")
    within: str = Field(description="duration, e.g. '72h'")
    where: str | None = Field(None, description="incident condition, as in the control's check")


class Population(_Strict):
    """When a list the checks iterate is stated empty (``credentials: []``): whether, for this organisation, it can
    be, and which evidence confirms that it is. An empty list is a statement, never a pass by itself."""

    expected_when: str = Field(description="condition (or named condition) under which the list cannot be empty")
    confirmed_by: str = Field(description="evidence kind (an attachment kind) that shows the list is empty, e.g. an export")
    means: Text = Field(description="why the list cannot be empty then, and what the evidence is")


class Freshness(_Strict):
    """How recent an attachment of a kind the controls expect must be on the as-of date (``freshness:`` of a catalog,
    by kind). A kind without a rule must be dated within the audit period (``period_start`` .. ``as_of``)."""

    within: str | None = Field(
        None, description="a recurring duty's cycle (an annual inspection, a review cycle): the document must be dated "
        "less than this before the as-of date, in whole days, e.g. '365d'"
    )
    standing: bool = Field(
        False, description="a document in force until it is replaced (a plan, a policy): any date up to the as-of date"
    )
    basis: Text = Field(description="where the rule comes from, e.g. 'Art 4(4): inspected at least once a year'")

    @model_validator(mode="after")
    def _one_rule(self):
        if (self.within is None) == (not self.standing):
            raise ValueError(_("state either 'within' (a recurring duty's cycle, e.g. '365d') or 'standing: true', not both"))
        return self


class AnalysisBinding(_Strict):
    controls: list[str] = Field(
        min_length=1, description="this catalog's controls whose checks the analysis informs; it cites the first one's ref"
    )
    item: int | None = Field(None, ge=1, description="호: the one item of that provision it shows (2: Art 6(1) item 2)")


class AnalysisBindings(_Strict):
    cite_as: Text = Field(description="the derived facts' citation before the article, e.g. en 'Notice'")
    informs: dict[str, AnalysisBinding] = Field(description="analysis id (compliance/logs/analyses/<id>.py) → its controls")


class CatalogFile(_Strict):
    catalog: CatalogMeta = Field(description="what the catalog encodes: id, instrument, version, effective date, amendments")
    conditions: dict[str, Definition] = Field(default_factory=dict, description="named conditions over the facts")
    parameters: dict[str, Definition] = Field(default_factory=dict, description="the catalog's readings of open terms")
    controls: list[Control] = Field(min_length=1, description="the controls, each judging the duty of one provision")
    sanctions: list[Sanction] = Field(default_factory=list, description="penalty provisions that failing controls may engage")
    deadlines: list[Deadline] = Field(default_factory=list, description="statutory clocks on incidents, e.g. 72 hours to report")
    populations: dict[str, Population] = Field(
        default_factory=dict, description="per list of the facts the checks iterate: when it cannot be stated empty ([]) without evidence"
    )
    freshness: dict[str, Freshness] = Field(
        default_factory=dict,
        description="per attachment kind the controls expect: how recent it must be on the as-of date (a kind not listed: "
        "dated within the audit period)",
    )
    analyses: AnalysisBindings | None = Field(
        None, description="the access-record analyses (compliance/logs/analyses/) and the controls each informs"
    )


@dataclass
class CompiledCheck:
    check: Check
    for_each: expr.Compiled | None
    where: expr.Compiled | None
    expect: expr.Compiled
    label: expr.Compiled | None
    _scan: Any = None

    def scan(self):
        """The generated loop over the items of a for_each check (compiled on first use)."""
        if self._scan is None:
            self._scan = expr.compile_scan(self.where, self.expect)
        return self._scan


@dataclass
class CompiledWording:
    wording: Wording
    start: dt.date
    until: dt.date | None
    ref: LegalRef
    applies_when: expr.Compiled | None
    source: lawtext.Source | None = None
    """the official text the wording was checked against (None for secondary or summary text)"""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.until is None or day < self.until)

    def text_status(self, day: dt.date) -> str:
        """'verified': equal to the official text of the version in force on ``day``; 'inferred': equal to the
        official text of another version, no amendment known to have changed it; else secondary or summary."""
        if self.wording.kind != "quote":
            return self.wording.kind
        return "verified" if self.source is not None and self.source.covers(day) else "inferred"


@dataclass
class CompiledPopulation:
    population: Population
    expected_when: expr.Compiled


@dataclass
class CompiledFreshness:
    rule: Freshness
    within: dt.timedelta | None
    """the cycle of a recurring duty (whole days); None: a standing document"""

    @property
    def days(self) -> int | None:
        return self.within.days if self.within is not None else None


@dataclass
class CompiledControl:
    control: Control
    catalog: CatalogMeta
    applies_when: expr.Compiled | None
    checks: list[CompiledCheck]
    attest_within: dt.timedelta | None = None
    index: int = 0
    """position in the catalog file (for file:line of later problems)"""
    wordings: list[CompiledWording] = field(default_factory=list)
    deferrals: list[tuple[Deferral, expr.Compiled]] = field(default_factory=list)
    populations: dict[str, CompiledPopulation] = field(default_factory=dict)
    """the catalog's rules for lists stated empty (shared by its controls)"""
    freshness: dict[str, CompiledFreshness] = field(default_factory=dict)
    """the catalog's age rules by attachment kind (shared by its controls; a kind not listed: the audit period)"""

    def cite(self, lang: str, ref: LegalRef | None = None) -> str:
        return f"{getattr(self.catalog.cite_as, lang)} {(ref or self.control.ref).cite(lang)}"

    def wording_at(self, day: dt.date) -> CompiledWording | None:
        return next((w for w in self.wordings if w.covers(day)), None)

    def checks_at(self, day: dt.date) -> list[CompiledCheck]:
        return [cc for cc in self.checks if cc.check.covers(day)]

    @property
    def start(self) -> dt.date:
        return self.wordings[0].start

    @property
    def until(self) -> dt.date | None:
        return self.wordings[-1].until

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
class CompiledSanction:
    sanction: Sanction
    where: expr.Compiled | None


@dataclass
class Catalog:
    meta: CatalogMeta
    path: str
    sha256: str
    controls: list[CompiledControl] = field(default_factory=list)
    sanctions: list[CompiledSanction] = field(default_factory=list)
    deadlines: list[CompiledDeadline] = field(default_factory=list)
    defs: dict[str, Definition] = field(default_factory=dict)
    doc: Document | None = None
    """the catalog's text as read: later problems (a check that cannot be evaluated) are located in it"""
    freshness: dict[str, CompiledFreshness] = field(default_factory=dict)
    """how recent each attachment kind must be (``freshness:``); a kind not listed: dated within the audit period"""
    analyses: AnalysisBindings | None = None
    """the access-record analyses and the controls each informs (``analyses:``; ``compliance.logs.analyses``)"""

    def cite(self, ref: LegalRef, lang: str) -> str:
        return f"{getattr(self.meta.cite_as, lang)} {ref.cite(lang)}"


def _compile_at(source, doc, loc, problems, scope=None, want_bool=True, defs=None):
    try:
        c = expr.compile_expr(source, FACTS_TYPE, scope, defs)
    except expr.ExprError as exc:
        where = f" (column {exc.column})" if exc.column else ""
        shown = source if len(source) <= 200 else source[:200] + "…"  # a 10,000-character expression is not repeated
        problems.append(doc.problem(loc, f"{exc.message}{where}: {shown}"))
        return None
    if want_bool and c.type.kind not in ("bool", "any"):
        problems.append(doc.problem(loc, f"must be true/false, but gives {c.type}"))
        return None
    return c


def _overlap(a: Window, b: Window, default_from: dt.date) -> bool:
    """Two windows share a day."""
    a0, b0 = a.from_ or default_from, b.from_ or default_from
    return a0 < (b.until or dt.date.max) and b0 < (a.until or dt.date.max)


def matches_control(pattern: str, control_id: str) -> bool:
    """A control id against a pattern of the catalogs: an exact id, or 'prefix/*' for a whole part."""
    return control_id.startswith(pattern[:-1]) if pattern.endswith("*") else control_id == pattern


def provision_key(ref: LegalRef) -> str:
    """The id a control citing ``ref`` carries after its prefix: Art 6-2(1) -> '6-2.1', Art 64-2(1) item 9 -> '64-2.1.9'."""
    out = ref.article
    for part in (ref.paragraph, ref.item):
        out += f".{part}" if part is not None else ""
    out += f"-{ref.item_branch}" if ref.item is not None and ref.item_branch else ""
    return out


def _compile_defs(model: CatalogFile, doc, problems) -> dict[str, expr.Compiled]:
    defs: dict[str, expr.Compiled] = {}
    facts_fields = set(Facts.model_fields)
    for section in ("parameters", "conditions"):
        for name, d in getattr(model, section).items():
            loc = (section, name, "expr")
            if name in facts_fields or name in defs or name in ("as_of", "item"):
                problems.append(doc.problem((section, name), f"name '{name}' is already taken", section))
                continue
            c = _compile_at(d.expr, doc, loc, problems, want_bool=section == "conditions", defs=defs)
            if c is not None:
                defs[name] = c
    return defs


def _compile_wordings(control: Control, meta: CatalogMeta, i, doc, problems, defs, library) -> list[CompiledWording]:
    out: list[CompiledWording] = []
    prev_until: dt.date | None = None
    for k, w in enumerate(control.wording):
        loc = ("controls", i, "wording", k)
        start = w.from_ or meta.effective
        if k and prev_until != start:
            problems.append(doc.problem(loc, f"wording starts {start} but the previous one ends {prev_until}: windows must follow each other"))
        if w.until is not None and w.until <= start:
            problems.append(doc.problem(loc, "'until' must be after 'from'"))
        prev_until = w.until
        applies = _compile_at(w.applies_when, doc, (*loc, "applies_when"), problems, defs=defs) if w.applies_when else None
        ref = w.ref or control.ref
        source = None
        if w.source is not None:
            source = _check_quote(w.ko, w.source, ref, doc, (*loc, "ko"), problems, library)
        out.append(CompiledWording(w, start, w.until, ref, applies, source))
    if out and out[-1].until is None and out[-1].ref != control.ref:
        problems.append(doc.problem(("controls", i, "ref"), f"'ref' must be the newest wording's citation ({out[-1].ref.cite('en')})"))
    return out


def _check_quote(text: str, src: QuoteSource, ref: LegalRef, doc, loc, problems, library) -> lawtext.Source | None:
    """The quoted words must be the official words of the cited provision (typography aside)."""
    if library is None:
        problems.append(doc.problem(loc, "no law texts (law/sources.yaml) beside the catalogs to compare this quote with"))
        return None
    source = library.sources.get(src.law)
    if source is None:
        problems.append(doc.problem(loc, f"no law text '{src.law}' in {library.index_path.name}"))
        return None
    item = (f"{ref.item}의{ref.item_branch}" if ref.item_branch else str(ref.item)) if ref.item else None
    node = library.texts[src.law].find(ref.article, ref.paragraph, item, ref.subitem)
    if node is None:
        problems.append(doc.problem(loc, f"{ref.cite('en')} is not in {src.law}: check the citation"))
        return None
    official = node.text if src.part == "chapeau" else node.full(frozenset(src.exclude_items))
    want, got = lawtext.normalise(official), lawtext.normalise(text)
    if want != got:
        at = next((n for n, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        line = doc.line(loc)
        if doc.locator.source_line(line).rstrip().endswith(("|", "|-", ">", ">-")):  # block style: point at the first line that differs
            mine = text.strip().split("\n")
            theirs = official.split("\n")
            k = next((n for n, (a, b) in enumerate(zip(mine, theirs)) if lawtext.normalise(a) != lawtext.normalise(b)), min(len(mine), len(theirs)) - 1)
            line += 1 + k
        problems.append(
            Problem(
                doc.path, line,
                f"differs from {src.law} {ref.cite('en')} at character {at + 1}: official '…{want[max(0, at - 15):at + 25]}…', quoted '…{got[max(0, at - 15):at + 25]}…'",
                field_path(loc),
            )
        )
    return source


def load_catalog(path: str | Path) -> Catalog:
    """Validate one catalog file, compile every expression in it and check every quote against the law."""
    model, text = validate_file(path, CatalogFile)
    path = str(path)
    doc = Document(path, text)
    problems: list[Problem] = []
    library = lawtext.load_library(str(Path(path).parent))
    defs = _compile_defs(model, doc, problems)
    populations = _compile_populations(model, doc, problems, defs)
    freshness = _compile_freshness(model, doc, problems)
    compiled: list[CompiledControl] = []
    seen: dict[str, int] = {}
    prefix = model.catalog.id_prefix
    for i, control in enumerate(model.controls):
        if control.id in seen:
            problems.append(
                doc.problem(("controls", i, "id"), f"duplicate control id '{control.id}'", f"controls[{i}].id")
            )
        seen[control.id] = i
        if prefix is not None and control.id != f"{prefix}/{provision_key(control.ref)}":
            problems.append(
                doc.problem(("controls", i, "id"), f"id does not agree with the provision it cites ({control.ref.cite('en')}): expected '{prefix}/{provision_key(control.ref)}'", f"controls[{i}].id")
            )
        wordings = _compile_wordings(control, model.catalog, i, doc, problems, defs, library)
        applies = None
        if control.applies_when is not None:
            applies = _compile_at(control.applies_when, doc, ("controls", i, "applies_when"), problems, defs=defs)
        deferrals = []
        for k, d in enumerate(control.deferred):
            c = _compile_at(d.when, doc, ("controls", i, "deferred", k, "when"), problems, defs=defs)
            if c is not None:
                deferrals.append((d, c))
        checks = []
        check_ids: dict[str, list[Check]] = {}
        for j, chk in enumerate(control.checks):
            base = ("controls", i, "checks", j)
            # one id may name one duty in several windows (its reading changed with the law), never twice at once
            if any(_overlap(chk, other, model.catalog.effective) for other in check_ids.get(chk.id, ())):
                problems.append(doc.problem((*base, "id"), f"duplicate check id '{chk.id}'", ""))
            check_ids.setdefault(chk.id, []).append(chk)
            scope = None
            coll = None
            if chk.for_each is not None:
                coll = _compile_at(chk.for_each, doc, (*base, "for_each"), problems, want_bool=False, defs=defs)
                if coll is not None and coll.type.kind not in ("list", "any"):
                    problems.append(doc.problem((*base, "for_each"), f"must be a list, but gives {coll.type}", ""))
                    coll = None
                if coll is None:
                    continue
                elem = coll.type.elem if coll.type.kind == "list" and coll.type.elem else expr.ANY
                scope = {"item": (elem, f"{coll.result_path}[]" if coll.result_path else "item")}
            elif chk.where is not None or chk.label is not None:
                problems.append(doc.problem(base, "'where' and 'label' need 'for_each'", ""))
                continue
            where = _compile_at(chk.where, doc, (*base, "where"), problems, scope, defs=defs) if chk.where else None
            expect = _compile_at(chk.expect, doc, (*base, "expect"), problems, scope, defs=defs)
            label = (
                _compile_at(chk.label, doc, (*base, "label"), problems, scope, want_bool=False, defs=defs)
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
                problems.append(doc.problem(loc, str(exc)))
        compiled.append(CompiledControl(control, model.catalog, applies, checks, within, i, wordings, deferrals, populations,
                                        freshness))
    deadlines = _compile_deadlines(model, doc, problems, set(seen), defs)
    sanctions = []
    for k, sanction in enumerate(model.sanctions):
        for t, trigger in enumerate(sanction.triggers):
            if not trigger.endswith("*") and trigger not in seen:
                loc = ("sanctions", k, "triggers", t)
                problems.append(doc.problem(loc, f"no control '{trigger}' in this catalog"))
        if sanction.source is not None:
            _check_quote(sanction.text.ko, sanction.source, sanction.ref, doc, ("sanctions", k, "text", "ko"), problems, library)
        incident = {"item": (expr.T("object", model=Incident), "incidents[]")}
        where = _compile_at(sanction.where, doc, ("sanctions", k, "where"), problems, incident, defs=defs) if sanction.where else None
        sanctions.append(CompiledSanction(sanction, where))
    check_analyses(model, doc, problems, seen)
    if problems:
        raise InputError(problems)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    compiled.sort(key=lambda cc: cc.control.ref.order)  # reports list duties in the instrument's order
    return Catalog(model.catalog, path, sha, compiled, sanctions, deadlines, {**model.parameters, **model.conditions}, doc,
                   freshness, model.analyses)


def check_analyses(model: CatalogFile, doc, problems, control_index: dict[str, int]) -> None:
    """Each analysis bound here is one of the registry (a module of compliance/logs/analyses/, read from its source),
    and each control it informs is a control of this catalog whose article is a number (the derived facts' citation)."""
    if model.analyses is None:
        return
    from compliance.logs.analyses import index  # reads the declarations; imports no model

    known = index()
    for aid, binding in model.analyses.informs.items():
        loc = ("analyses", "informs", aid)
        if aid not in known:
            problems.append(doc.problem(loc, f"no access-record analysis '{aid}' (compliance/logs/analyses/): the "
                                             f"analyses are {', '.join(known)}", ""))
        for k, cid in enumerate(binding.controls):
            at = (*loc, "controls", k)
            if cid not in control_index:
                problems.append(doc.problem(at, f"no control '{cid}' in this catalog", ""))
            elif k == 0 and not (article := model.controls[control_index[cid]].ref.article).isdigit():
                problems.append(doc.problem(at, f"'{cid}' cites Art {article}: the derived facts cite an article by "
                                                "its number; put a control of a numbered article first", ""))


def unbound_analyses(catalogs: list[Catalog]) -> list[Problem]:
    """Once the catalogs bind analyses, each analysis of the registry is bound, in one catalog: one that informs no
    control would find what nothing judges."""
    binding = [c for c in catalogs if c.analyses is not None]
    if not binding:
        return []
    from compliance.logs.analyses import index

    problems: list[Problem] = []
    where: dict[str, str] = {}
    for c in binding:
        doc = c.doc or Document(c.path, Path(c.path).read_text(encoding="utf-8"))
        for aid in c.analyses.informs:
            if aid in where:
                text = f"analysis '{aid}' is also bound in {where[aid]}: bind it in one catalog"
                problems.append(doc.problem(("analyses", "informs", aid), text, ""))
            where.setdefault(aid, c.path)
    first = binding[0].doc or Document(binding[0].path, Path(binding[0].path).read_text(encoding="utf-8"))
    for aid in index():
        if aid not in where:
            text = f"analysis '{aid}' is bound to no control: name the controls it informs ({aid}: {{controls: [...]}})"
            problems.append(first.problem(("analyses", "informs"), text, ""))
    return problems


def _compile_populations(model: CatalogFile, doc, problems, defs) -> dict[str, CompiledPopulation]:
    """Each rule names a list of the facts (a top-level list of rows) and compiles its condition."""
    lists = {name for name, f in Facts.model_fields.items() if expr.type_of_annotation(f.annotation).kind == "list"}
    out = {}
    for name, pop in model.populations.items():
        loc = ("populations", name)
        if name not in lists:
            problems.append(doc.problem(loc, f"no list '{name}' in the facts (lists: {', '.join(sorted(lists))})"))
            continue
        c = _compile_at(pop.expected_when, doc, (*loc, "expected_when"), problems, defs=defs)
        if c is not None:
            out[name] = CompiledPopulation(pop, c)
    return out


def _compile_freshness(model: CatalogFile, doc, problems) -> dict[str, CompiledFreshness]:
    """Each kind's age rule; a cycle is a positive number of whole days ('365d')."""
    out = {}
    for kind, rule in model.freshness.items():
        within = None
        if rule.within is not None:
            loc = ("freshness", kind, "within")
            try:
                within = expr.parse_duration(rule.within)
            except ValueError as exc:
                problems.append(doc.problem(loc, str(exc)))
                continue
            if within.days < 1 or within != dt.timedelta(days=within.days):
                problems.append(doc.problem(loc, _("an evidence age must be a whole number of days, at least one, e.g. "
                                                   "'365d'; got {value}").format(value=repr(rule.within))))
                continue
        out[kind] = CompiledFreshness(rule, within)
    return out


def _compile_deadlines(model: CatalogFile, doc, problems, control_ids, defs) -> list[CompiledDeadline]:
    stamps = {n for n, f in Incident.model_fields.items() if expr.type_of_annotation(f.annotation) == expr.DATETIME}
    incident = {"item": (expr.T("object", model=Incident), "incidents[]")}
    out = []
    for k, d in enumerate(model.deadlines):
        base = ("deadlines", k)
        for key in ("start", "done"):
            if getattr(d, key) not in stamps:
                problems.append(doc.problem((*base, key), f"must be a timestamp field of an incident: {sorted(stamps)}"))
        if d.control not in control_ids:
            problems.append(doc.problem((*base, "control"), f"no control '{d.control}' in this catalog"))
        try:
            within = expr.parse_duration(d.within)
        except ValueError as exc:
            problems.append(doc.problem((*base, "within"), str(exc)))
            continue
        where = _compile_at(d.where, doc, (*base, "where"), problems, incident, defs=defs) if d.where else None
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
        except InputError as exc:  # the law texts are shared: their problem is reported once, not per catalog
            problems.extend(p for p in exc.problems if p not in problems)
    ids: dict[str, str] = {}
    for c in catalogs:
        if c.meta.id in ids:
            problems.append(Problem(c.path, 0, f"catalog id '{c.meta.id}' also used by {ids[c.meta.id]}"))
        ids[c.meta.id] = c.path
    if not problems:
        problems += unbound_analyses(catalogs)
    if problems:
        raise InputError(problems)
    from compliance.coverage import control_mappings, load_frameworks  # coverage imports this module

    by_control = control_mappings(load_frameworks(directory))  # the framework files own the mappings
    for c in catalogs:
        for ctl in c.controls:
            ctl.control._mappings = by_control.get(ctl.control.id, {})
    return catalogs


def in_force(catalogs: list[Catalog], as_of: dt.date) -> list[Catalog]:
    """The catalog versions in force on ``as_of``: already effective, and not superseded by one that is."""
    effective = [c for c in catalogs if c.meta.effective <= as_of]
    superseded = {s for c in effective for s in c.meta.supersedes}
    return sorted((c for c in effective if c.meta.id not in superseded), key=lambda c: c.meta.id)


def default_catalog_dir() -> Path:
    return bundled_dir("controls")
