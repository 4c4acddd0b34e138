"""Waivers: a failing control accepted for now — owned, justified, approved, and expiring.

One module decides what a waivers file may say, so ``validate`` and ``check`` refuse the same files with the same
lines, and one function decides what a waiver does to a verdict on the as-of date (the evaluator only calls it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, model_validator

from compliance.facts import Date, Strict
from compliance.i18n import _
from compliance.loading import InputError, Problem, validate_file
from compliance.located import Document
from compliance.result import FAILING, WaiverResult


class Waiver(Strict):
    control: str = Field(description="id of the control whose failing verdict is accepted for now")
    owner: str = Field(min_length=1, description="who owns the fix")
    justification: str = Field(min_length=10, description="why the finding is accepted for now")
    approved_by: str = Field(min_length=1, description="who approved the waiver (a waiver nobody approved waives nothing)")
    granted_on: Date | None = Field(None, description="when it was approved; before this date it does not apply")
    expires: Date = Field(description="last day it applies (on later as-of dates it has expired)")

    @model_validator(mode="after")
    def _expires_after_grant(self):
        if self.granted_on is not None and self.expires <= self.granted_on:
            raise ValueError(_("expires ({expires}) must be after granted_on ({granted_on})").format(
                expires=self.expires, granted_on=self.granted_on))
        return self


class WaiverFile(Strict):
    waivers: list[Waiver] = Field(description="failing controls accepted for now: at most one waiver per control")


def load_waivers(path: str | Path, catalogs: list, as_of: dt.date | None, data=None, text: str | None = None) -> list[Waiver]:
    """The waivers of ``path``, or InputError with every problem at its line: the file's shape, then a waiver naming
    no control in force on ``as_of`` (any catalog's control when no as-of date is known, as in ``validate`` of a
    waivers file alone), a duty the catalog says cannot be waived, or two waivers for one control (also when one
    names the control by a former id)."""
    from compliance.pipeline import former_ids, unwaivable  # pipeline imports this module
    from compliance.catalog import in_force

    wf, text = validate_file(path, WaiverFile, data, text)
    aliases = former_ids(catalogs)
    chosen = in_force(catalogs, as_of) if as_of is not None else catalogs
    known = {c.control.id for cat in chosen for c in cat.controls}
    known |= {old for old, new in aliases.items() if new in known}
    problems = waiver_problems(wf, text, str(path), known, unwaivable(catalogs, aliases), aliases)
    if problems:
        raise InputError(problems)
    return wf.waivers


def waiver_problems(waivers: WaiverFile, text: str, path: str, known: set[str], unwaivable: dict[str, str],
                    aliases: dict[str, str]) -> list[Problem]:
    doc = Document(path, text)
    problems, seen = [], set()
    for i, w in enumerate(waivers.waivers):
        loc = ("waivers", i, "control")
        current = aliases.get(w.control, w.control)
        if w.control not in known:
            why = _("no control '{control}' in the catalogs in force").format(control=w.control)
        elif w.control in unwaivable:
            why = _("'{control}' cannot be waived: {reason}").format(control=w.control, reason=unwaivable[w.control])
        elif current in seen and current != w.control:
            why = _("second waiver for '{control}' (named by its former id '{former}')").format(control=current, former=w.control)
        elif current in seen:
            why = _("second waiver for '{control}'").format(control=current)
        else:
            why = None
        if why:
            problems.append(doc.problem(loc, why))
        seen.add(current)
    return problems


def apply_waiver(verdict: str, waiver: Waiver | None, as_of: dt.date):
    """(verdict, waiver as reported, verdict underneath): a waiver waives a failing verdict from the day it was
    granted through the day it expires (an as-of date after ``expires`` finds it expired)."""
    if waiver is None:
        return verdict, None, None
    if waiver.granted_on and waiver.granted_on > as_of:
        status = "not-yet-granted"
    elif waiver.expires < as_of:
        status = "expired"
    elif verdict not in FAILING:
        status = "not-needed"
    else:
        status = "active"
    info = WaiverResult(
        owner=waiver.owner,
        justification=waiver.justification,
        expires=waiver.expires,
        approved_by=waiver.approved_by,
        status=status,
    )
    return ("waived", info, verdict) if status == "active" else (verdict, info, None)
