"""Past PIPC sanction decisions as data, and which of them cited the duties an audit found failing.

Why: an auditor asked "what would the regulator do?" is better served by the decisions PIPC actually took
on the same duties (with their sources) than by any estimate; amounts are shown as decided, never as a
prediction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from compliance.catalog import Text, matches_control
from compliance.loading import validate_file


class Precedent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$", description="stable id of the decision")
    decided_on: dt.date = Field(description="date of the PIPC plenary decision")
    organization: str = Field(description="the sanctioned organisation")
    summary: Text = Field(description="what happened and what PIPC found, as reported")
    cites: list[str] = Field(min_length=1, description="control ids (or 'prefix/*') of the duties the decision cited")
    cites_as_reported: Text = Field(description="the provisions in the reports' own words")
    administrative_fine_krw: int | None = Field(description="과징금 imposed, KRW (null: none or not known)")
    fine_krw: int | None = Field(description="과태료 imposed, KRW (null: none or not known)")
    subjects_affected: int | None = Field(description="people whose data leaked, as reported")
    sources: list[str] = Field(min_length=1, description="where the figures come from (press reports of PIPC's announcement)")


class PrecedentFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    precedents: list[Precedent] = Field(description="past decisions")


def load_precedents(catalog_dir: str | Path) -> list[Precedent]:
    """Every file of ``<catalogs>/precedents/`` (none is fine: the report then shows no precedents)."""
    out: list[Precedent] = []
    for path in sorted((Path(catalog_dir) / "precedents").glob("*.yaml")):
        out += validate_file(path, PrecedentFile)[0].precedents
    return out


def relevant(precedents: list[Precedent], failing: list[str], as_of: dt.date) -> list[dict]:
    """Decisions taken by the as-of date that cited a duty this audit found failing, newest first."""
    out = []
    for p in sorted(precedents, key=lambda p: p.decided_on, reverse=True):
        hit = sorted({cid for cid in failing for pat in p.cites if matches_control(pat, cid)})
        if hit and p.decided_on <= as_of:
            out.append({**p.model_dump(mode="json"), "matched": hit})
    return out
