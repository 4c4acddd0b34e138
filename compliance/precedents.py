"""Past PIPC sanction decisions as data, and which of them cited the duties an audit found failing.

Why: an auditor asked "what would the regulator do?" is better served by the decisions PIPC actually took
on the same duties (with their sources) than by any estimate; amounts are shown as decided, never as a
prediction.

A decision is judged under the law in force when the violation ended (a continuing violation, such as a safety
duty left unmet until a leak, under the law of its last day), so each citation says which instrument and version
applied and links only the controls that encode that version: their window in the catalogs covers the violation's
last day (``violation.until``). A decision taken under an instrument since replaced (the pre-2023 Act, Notice
2021-3) is marked ``former``: it links the former catalog's controls where they model the duty, else none (the
provision stays free text), and may name ``successors``, today's controls that carry the same duty. A failing
successor shows the decision in the report, listed apart as a match through the former instrument.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from compliance.catalog import Text, matches_control
from compliance.loading import validate_file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Violation(_Strict):
    """When the sanctioned conduct took place, as the sources report it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date | None = Field(None, alias="from", description="when it began, as reported (null: not reported)")
    until: dt.date = Field(
        description="its last day as reported (the leak, or when the processor learned of it): the law in force that day "
        "is the one the decision applied; where only the month is reported, the month's last day"
    )
    basis: Text = Field(description="what the sources say about these dates")

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_ is not None and self.from_ > self.until:
            raise ValueError("violation.from is after violation.until")
        return self


class Citation(_Strict):
    """One duty the decision found breached, the provision it applied, and the controls that encode it."""

    duty: Text = Field(description="the duty and the failings found, in the sources' words")
    provision: Text = Field(description="the provision applied: article, instrument and version (or why it is not known)")
    basis: Literal["reported", "inferred", "not-verified"] = Field(
        description="reported: a cited source names this provision; inferred: this project's reading of the sources (the "
        "violation's date, the processor's kind); not-verified: the sources name no provision for this finding"
    )
    former: bool = Field(False, description="the provision belongs to an instrument since replaced (e.g. the Act before 19234, Notice 2021-3)")
    controls: list[str] = Field(
        default_factory=list,
        description="control ids (or 'prefix/*') encoding the provision as in force on violation.until; none: the provision "
        "is not modelled by a shipped catalog and stays free text",
    )
    successors: list[str] = Field(
        default_factory=list,
        description="for a former provision only: today's controls carrying the same duty; the report lists a match "
        "through them apart ('matched_via_former')",
    )

    @model_validator(mode="after")
    def _successors_only_for_former(self):
        if self.successors and not self.former:
            raise ValueError("successors are for a former provision only: link a current control under 'controls'")
        return self


class Figure(_Strict):
    """A further reported figure: a part of an amount, a count from another stage or source."""

    label: Text = Field(description="what the figure is, and whose figure")
    value: StrictInt = Field(description="the figure as reported, in units")
    unit: Literal["KRW", "people", "records"] = Field(description="KRW, people, or records (건)")
    sources: list[str] = Field(min_length=1, description="where it is reported")


class Precedent(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$", description="stable id of the decision")
    decided_on: dt.date = Field(description="date of the PIPC plenary decision")
    organization: str = Field(description="the sanctioned organisation")
    summary: Text = Field(description="what happened and what PIPC found, as reported")
    violation: Violation = Field(description="when the conduct took place; its last day selects the law the decision applied")
    cites: list[Citation] = Field(min_length=1, description="the duties the decision found breached, each with its provision and controls")
    cites_as_reported: Text = Field(description="the provisions in the reports' own words (shown in reports)")
    administrative_fine_krw: StrictInt | None = Field(
        description="과징금 imposed for the violations cited here, KRW, as reported (null: none or not known); other "
        "parts of the decision's 과징금 are under figures"
    )
    fine_krw: StrictInt | None = Field(description="과태료 imposed, KRW, as reported (null: none or not known)")
    subjects_affected: StrictInt | None = Field(description="people whose data leaked, as the decision is reported (null: not reported)")
    figures: list[Figure] = Field(default_factory=list, description="other reported figures (parts of the amount, other counts), labelled")
    not_verified: Text | None = Field(None, description="what the sources leave open (provisions, exact amounts, dates)")
    sources: list[str] = Field(min_length=1, description="where the figures come from (PIPC releases, press reports of them)")


class PrecedentFile(_Strict):
    precedents: list[Precedent] = Field(description="past decisions")


def load_precedents(catalog_dir: str | Path) -> list[Precedent]:
    """Every file of ``<catalogs>/precedents/`` (none is fine: the report then shows no precedents)."""
    out: list[Precedent] = []
    for path in sorted((Path(catalog_dir) / "precedents").glob("*.yaml")):
        out += validate_file(path, PrecedentFile)[0].precedents
    return out


def _hits(patterns: list[str], failing: list[str]) -> set[str]:
    return {cid for cid in failing for pat in patterns if matches_control(pat, cid)}


def relevant(precedents: list[Precedent], failing: list[str], as_of: dt.date) -> list[dict]:
    """Decisions taken by the as-of date that cited a duty this audit found failing, newest first. ``matched`` lists
    every failing control that matched; ``matched_via_former`` those matched only as the successor of a former
    instrument's duty (the decision applied that instrument, not today's control)."""
    out = []
    for p in sorted(precedents, key=lambda p: p.decided_on, reverse=True):
        if p.decided_on > as_of:
            continue
        direct = _hits([pat for c in p.cites for pat in c.controls], failing)
        via = _hits([pat for c in p.cites for pat in c.successors], failing) - direct
        if direct or via:
            out.append({**p.model_dump(mode="json", by_alias=True), "matched": sorted(direct | via), "matched_via_former": sorted(via)})
    return out


def control_windows(catalogs) -> dict[str, tuple[dt.date, dt.date | None]]:
    """Each shipped control's window [start, end): from its first wording (not before its catalog's effective date)
    to its last wording's end or the day a catalog superseding its own took effect, whichever is first."""
    superseded_on: dict[str, dt.date] = {}
    for c in catalogs:
        for old in c.meta.supersedes:
            superseded_on[old] = min(superseded_on.get(old, c.meta.effective), c.meta.effective)
    out: dict[str, tuple[dt.date, dt.date | None]] = {}
    for c in catalogs:
        cut = superseded_on.get(c.meta.id)
        for ctl in c.controls:
            start = max(ctl.start, c.meta.effective)
            ends = [d for d in (ctl.until, cut) if d is not None]
            out[ctl.control.id] = (start, min(ends) if ends else None)
    return out


def link_problems(precedents: list[Precedent], catalogs) -> list[str]:
    """What is wrong with the precedents' links to the catalogs: an id or pattern naming no shipped control; a
    control (of ``controls``) not in force on the violation's last day; a successor (former provisions only) that no
    longer exists. Empty: every link is honest for its date."""
    windows = control_windows(catalogs)
    problems: list[str] = []
    for p in precedents:
        day = p.violation.until
        for i, c in enumerate(p.cites):
            for kind, patterns in (("controls", c.controls), ("successors", c.successors)):
                for pat in patterns:
                    ids = sorted(cid for cid in windows if matches_control(pat, cid))
                    if not ids:
                        problems.append(f"{p.id}: cites[{i}].{kind} '{pat}' names no shipped control")
                        continue
                    if kind == "successors":
                        continue
                    for cid in ids:
                        start, end = windows[cid]
                        if not (start <= day and (end is None or day < end)):
                            problems.append(
                                f"{p.id}: cites[{i}].controls '{pat}' -> {cid} is in force {start}..{end or 'open'}, "
                                f"not on the violation's last day {day}"
                                + ("" if c.former else " (a former instrument's duty: mark it former and name the control under successors)")
                            )
    return problems
