"""AuditResult: the one structure every renderer reads, and the JSON that ``check --format json`` prints.

Its JSON Schema is printed by ``pipa-audit schema result``. Values are plain JSON
(dates as ISO strings) so the same inputs always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance.catalog import SEVERITIES, LegalRef, Text

SCHEMA_VERSION = "1.0"
Verdict = Literal["compliant", "non-compliant", "insufficient-evidence", "not-applicable", "waived"]
# worst first: sorting, "worst verdict of a group" and the report's chart all follow this order
VERDICTS: tuple[str, ...] = ("non-compliant", "insufficient-evidence", "waived", "compliant", "not-applicable")
FAILING = ("non-compliant", "insufficient-evidence")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Offender(_Model):
    id: str = Field(description="identifier of the failing item (e.g. a handler id)")
    label: str
    values: dict[str, Any] = Field(description="the item's facts the check read, as stated")


class MissingFact(_Model):
    path: str = Field(description="fact path that was absent, e.g. item.access_log")
    items: list[str] = Field(default_factory=list, description="ids of the items that lack it (empty: top-level fact)")


class CheckResult(_Model):
    id: str
    description: Text
    expect: str
    for_each: str | None
    where: str | None
    status: Literal["pass", "fail", "insufficient"]
    in_scope: int | None = Field(description="items the check judged (after 'where'); null for a plain expect")
    total: int | None = Field(description="items in the collection")
    offenders: list[Offender]
    observed: dict[str, Any] = Field(description="for a plain expect: the stated values of the facts it read")
    missing: list[MissingFact]
    law: str | None = Field(None, description="the window of the wording that judged this check, when a control was judged under several")


TextStatus = Literal["verified", "inferred", "secondary", "summary"]


class LawApplied(_Model):
    """One wording of a provision used in this audit: when it was the law and how sure its words are."""

    start: dt.date
    until: dt.date | None
    cite: Text
    text: Text
    text_status: TextStatus = Field(
        description="verified: equal to the official text in force on the date judged; inferred: equal to the official "
        "text of another version that no known amendment changed; secondary: no official copy found; summary: 요지"
    )
    source: str = Field(description="the official text compared with, or where secondary words come from")
    amended_by: str | None
    incidents: list[str] | None = Field(description="incident duties: the incidents judged under this wording")
    judged_on: dt.date


class EvidenceResult(_Model):
    kind: str
    attachments: list[str]
    status: Literal["ok", "missing"]


class WaiverResult(_Model):
    owner: str
    justification: str
    expires: dt.date
    approved_by: str | None
    status: Literal["active", "expired", "not-needed", "not-yet-granted"]


class ControlResult(_Model):
    id: str
    catalog: str
    cite: Text = Field(description="the citation of the newest wording applied")
    ref: LegalRef
    also: list[str]
    title: Text
    text: Text
    text_status: TextStatus
    law: list[LawApplied] = Field(description="each wording that judged this control (several for incidents under several laws)")
    severity: Literal["critical", "high", "medium", "low"]
    verdict: Verdict
    underlying_verdict: Verdict | None = Field(description="the verdict a waiver set aside")
    not_applicable: Text | None
    applies_when: str | None
    checks: list[CheckResult]
    evidence: list[EvidenceResult]
    waiver: WaiverResult | None
    remediation: Text
    mappings: dict[str, list[str]]


class AttachmentResult(_Model):
    id: str
    kind: str
    path: str
    status: Literal["ok", "missing", "mismatch"]
    sha256: str | None
    size: int | None
    note: str
    dated: str | None


class SanctionExposure(_Model):
    id: str
    cite: Text
    title: Text
    text: Text
    text_status: Literal["verified", "secondary"]
    kind: Literal["administrative-fine", "fine"]
    triggered_by: list[str] = Field(description="non-compliant controls that engage the provision")
    revenue_ratio: float | None
    max_krw: int | None = Field(
        description="the statutory maximum computed from the stated revenue (a legal maximum, not an estimate of the fine); null when revenue is not stated"
    )
    basis: Literal["revenue", "fixed", "unknown"] = Field(description="how max_krw was found")
    incident: str | None = Field(None, description="the incident whose law set this cap")
    cap_without_revenue_krw: int | None = Field(None, description="the cap the law sets where there is no revenue, or it cannot be computed")
    excluded: Text | None = Field(None, description="why this provision cannot add to another (e.g. Art 76)")


class TimelineEvent(_Model):
    key: str = Field(description="incident field, e.g. aware_at")
    at: str
    hours: float = Field(description="hours after the organisation became aware (negative: before)")


class DeadlineResult(_Model):
    id: str
    control: str
    title: Text
    start: str
    due: str
    due_hours: float
    done_at: str | None
    done_hours: float | None
    status: Literal["met", "missed", "open", "not-applicable", "unknown"]


class IncidentTimeline(_Model):
    id: str
    aware_at: str | None
    events: list[TimelineEvent]
    deadlines: list[DeadlineResult]


class CatalogInfo(_Model):
    id: str
    instrument: Text
    cite_as: Text
    version: str
    effective: dt.date
    sha256: str


class Summary(_Model):
    total: int
    by_verdict: dict[str, int]
    failing_by_severity: dict[str, int]


class AuditResult(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: str = "pipa-audit"
    tool_version: str
    as_of: dt.date
    period_start: dt.date | None
    auditor: str | None
    organization: dict[str, Any]
    facts_file: str
    facts_sha256: str
    catalogs: list[CatalogInfo]
    summary: Summary
    controls: list[ControlResult]
    attachments: list[AttachmentResult]
    incidents: list[dict[str, Any]] = Field(description="incidents as stated")
    timelines: list[IncidentTimeline] = Field(description="each incident against the statutory clocks")
    sanctions: list[SanctionExposure] = Field(description="penalty provisions the findings may engage")
    remediation_plan: list[dict[str, Any]] = Field(description="remediation actions as stated in the facts")
    scope: str | None
    not_examined: list[str]
    systems: list[dict[str, Any]] = Field(description="systems as stated (id, name, subjects), for the scope section")
    law_versions: list[dict[str, Any]] = Field(default_factory=list, description="per catalog, the amendments applied on the as-of date")
    law_changes: list[str] = Field(default_factory=list, description="changes of law inside the audit period")

    def failing(self, threshold: str) -> list[ControlResult]:
        """Findings at or above ``threshold`` severity ('none' = never fail)."""
        if threshold == "none":
            return []
        limit = SEVERITIES.index(threshold)
        return [c for c in self.controls if c.verdict in FAILING and SEVERITIES.index(c.severity) <= limit]


def jsonable(value: Any) -> Any:
    """Facts values as JSON: dates and timestamps in ISO 8601, durations in seconds."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not k.startswith("\0")}
    return value
