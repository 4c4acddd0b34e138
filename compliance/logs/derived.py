"""Derived facts: what the access records *show*, kept apart from what the facts file *states* (decision 12).

One JSON document per analysis run (``pipa-audit logs analyze -o derived.json``). Each analysis carries the
provision it serves, the controls it informs, counts, a bounded list of items (the examples), the SHA-256 of
its query text, and the run carries the engine, its version, the parameters and the SHA-256 of every input,
so a reader can reproduce it. ``analyses`` holds one section per analysis of the registry (each module of
``compliance/logs/analyses/`` declares its section's model), composed on first use. ``pipa-audit schema``-style
JSON Schema: ``DerivedFacts.model_json_schema()`` (also ``pipa-audit logs analyze --schema``). Dates are
``YYYY-MM-DD`` (local, KST by default); times are ISO 8601 with the local offset.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

SCHEMA_ID = "pipa-audit/derived-facts"



LEFT, ACCESS_REVOKED, REVOKED = 0, 1, 2
CUTOFF_REASONS = (  # why an account or key stopped being allowed: English (in the derived facts) and Korean
    ("{id} left on {day}", "{id} 퇴직({day})"),
    ("{id}'s access revoked on {day}", "{id} 권한 말소({day})"),
    ("{id} revoked on {day}", "{id} 폐기({day})"),
)


def cutoff_reason(kind: int, ident: str, day: dt.date) -> str:
    return CUTOFF_REASONS[kind][0].format(id=ident, day=day.isoformat())


def cutoff_reason_ko(reason: str) -> str:
    """The Korean of a reason ``cutoff_reason`` wrote (it travels through the SQL as text); other text as is."""
    for en, ko in CUTOFF_REASONS:
        pattern = re.escape(en).replace(r"\{id\}", "(?P<id>.+)").replace(r"\{day\}", r"(?P<day>\d{4}-\d{2}-\d{2})")
        m = re.fullmatch(pattern, reason)
        if m:
            return ko.format(**m.groupdict())
    return reason

class _D(BaseModel):
    model_config = ConfigDict(extra="forbid")


Item = _D
"""the base of an analysis's item models (``compliance/logs/analyses/*.py``): unknown fields refused"""


class Text(_D):
    ko: str
    en: str


class Provision(_D):
    instrument: str  # e.g. "개인정보의 안전성 확보조치 기준"
    article: int
    paragraph: int | None = None
    item: int | None = None
    cite: Text
    controls: list[str]  # catalog control ids whose checks may compare stated with this observation


class Example(_D):
    """One access record, traceable to its export line."""

    source: str
    line: int
    at: dt.datetime | None = None
    ip: str | None = None
    system: str | None = None
    country: str | None = None
    records: int | None = None
    previous_ip: str | None = None
    previous_at: dt.datetime | None = None


class QueryRef(_D):
    file: str
    sha256: str  # of the query text as run (UTF-8 bytes of the file)


class Analysis(_D):
    id: str
    title: Text
    provision: Provision
    status: Literal["ran", "not-run"]
    reason: str | None = None  # why not run
    queries: list[QueryRef] = []
    counts: dict[str, int] = {}  # items (all, not just those listed), events, … per analysis
    items_total: int = 0
    items_truncated: bool = False
    items: list[Any] = []
    # {export file: fields the analysis needs that it has no column for}: the records cannot show the duty there
    # (insufficient evidence, see ``Spec.fields``); an analysis that would mislead without them is not run
    missing_columns: dict[str, list[str]] = {}


class InputRef(_D):
    role: Literal["records", "manifest", "rejects", "facts", "params", "geo", "calendar", "results"]
    path: str  # relative to the records folder for records; as given otherwise
    sha256: str
    rows: int | None = None


class Engine(_D):
    name: Literal["duckdb", "spark", "imported"]
    version: str
    threads: int | None = None
    memory_limit: str | None = None
    url: str | None = None  # Spark master / Connect URL (credentials removed)


class Dataset(_D):
    """The rows analysed. Counts are None for results imported from another engine without an ingest manifest."""

    timezone: str
    first_day: dt.date | None
    last_day: dt.date | None
    rows_in: int | None
    rows_out: int | None
    rows_rejected: int | None
    rejected_ratio: float | None
    max_rejected_ratio: float
    sufficient: bool | None  # rejected_ratio <= max_rejected_ratio; None = unknown (treat as insufficient evidence)


class CalendarUsed(_D):
    """The working calendar the analyses used (``compliance.logs.calendar.Working``): the facts' ``working_calendar``
    over the public calendar (source ``facts``), or the Korean public calendar and 09:00–18:00 (``default``)."""

    source: Literal["facts", "default"]
    public_holidays: str  # the shipped public calendar and the years it covers: "KR 2020-2027"
    working_hours: dict[str, str]  # {start, end} as HH:MM
    holidays: dict[str, str] = {}  # the organisation's own days off: {YYYY-MM-DD: name}
    workdays: list[str] = []  # weekend days or public holidays it worked


class _Run(_D):
    kind: Literal["pipa-audit/derived-facts"] = SCHEMA_ID
    version: Literal[1] = 1
    tool: str
    as_of: dt.date
    period_start: dt.date
    facts_sha256: str
    engine: Engine
    parameters: dict[str, Any]
    inputs: list[InputRef]
    dataset: Dataset
    notes: list[str] = []
    calendar: CalendarUsed | None = None  # None: written before the calendar was recorded


def __getattr__(name: str):
    """``Analyses`` (one field per registered analysis, its section: ``compliance.logs.analyses``) and ``DerivedFacts``
    (the run, then its ``analyses``), composed from the registry when first asked for."""
    if name in ("Analyses", "DerivedFacts"):
        from compliance.logs.analyses import registry

        return _compose(tuple((s.id, s.model) for s in registry().values()))[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=4)
def _compose(sections: tuple[tuple[str, type], ...]) -> dict[str, type]:
    analyses = create_model("Analyses", __base__=_D, __module__=__name__, **{i: (m, ...) for i, m in sections})
    facts = create_model("DerivedFacts", __base__=_Run, __module__=__name__, analyses=(analyses, ...))
    return {"Analyses": analyses, "DerivedFacts": facts}
