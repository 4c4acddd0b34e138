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
from compliance.vocabulary import FAILING  # noqa: E402,F401 - one list, read by the CLI without the models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Offender(_Model):
    id: str = Field(description="identifier of the failing item (e.g. a handler id)")
    label: str = Field(description="how the report names the item: the check's label expression, by default its id")
    values: dict[str, Any] = Field(description="the item's facts the check read, as stated")


class MissingFact(_Model):
    path: str = Field(description="fact path that was absent, e.g. item.access_log")
    items: list[str] = Field(default_factory=list, description="ids of the items that lack it (empty: top-level fact)")


class CheckResult(_Model):
    id: str = Field(description="the catalog check's id, or the evaluator's own: 'applies-when', 'attestation', 'deferred'")
    description: Text = Field(description="what the check verifies")
    failure: Text | None = Field(None, description="the finding said as a failure (from the catalog), to follow each offender's id")
    expect: str = Field(description="the expression that must be true (for each item in scope), as written in the catalog")
    for_each: str | None = Field(description="expression giving the items judged one by one; null for a plain expect")
    where: str | None = Field(description="condition selecting the items in scope; null: every item")
    status: Literal["pass", "fail", "insufficient"] = Field(
        description="pass; fail: the stated facts break the rule; insufficient: a fact it needs is not stated"
    )
    in_scope: int | None = Field(description="items the check judged (after 'where'); null for a plain expect")
    total: int | None = Field(description="items in the collection")
    offenders: list[Offender] = Field(description="the items in scope that break the rule")
    failed: int | None = Field(
        None, description="how many items break the rule when the offenders listed are only examples (an access-record "
        "analysis keeps a bounded number of examples of each finding); null: every one is listed"
    )
    observed: dict[str, Any] = Field(description="for a plain expect: the stated values of the facts it read")
    missing: list[MissingFact] = Field(description="facts the check needed that are not stated (insufficient unless it already fails)")
    law: str | None = Field(None, description="the window of the wording that judged this check, when a control was judged under several")
    none_stated: Text | None = Field(
        None, description="the list the check iterates was stated empty ([]): what that statement is worth (shown as 'none stated', not as 0 in scope)"
    )


TextStatus = Literal["verified", "inferred", "secondary", "summary"]


class LawApplied(_Model):
    """One wording of a provision used in this audit: when it was the law and how sure its words are."""

    start: dt.date = Field(description="first day this wording was the law")
    until: dt.date | None = Field(description="first day it no longer was; null: still in force")
    cite: Text = Field(description="the citation of this wording, e.g. 'PIPA Art 34(1)'")
    text: Text = Field(description="the provision's words in this wording (Korean) and an English gloss")
    text_status: TextStatus = Field(
        description="verified: equal to the official text in force on the date judged; inferred: equal to the official "
        "text of another version that no known amendment changed; secondary: no official copy found; summary: 요지"
    )
    source: str = Field(description="the official text compared with, or where secondary words come from")
    amended_by: str | None = Field(description="the amendment that brought this wording, e.g. '고시 제2025-9호'; null: the catalog names none")
    incidents: list[str] | None = Field(description="incident duties: the incidents judged under this wording")
    judged_on: dt.date = Field(description="the date the law was read on (and its text status judged): the as-of date, or for incident duties, whose own dates chose this wording, the last day of its window not after the as-of date")


EvidenceStatus = Literal["ok", "missing", "stale", "undated"]


class EvidenceResult(_Model):
    kind: str = Field(description="an attachment kind the control expects, e.g. 'internal-management-plan'")
    attachments: list[str] = Field(description="ids of the attachments of that kind found intact")
    status: EvidenceStatus = Field(
        description="ok: an attachment of the kind was found intact and recent enough under the rule; missing: none found "
        "intact; stale: found, but the newest is dated before the rule allows (older than the duty's cycle, or before the "
        "audit period); undated: found, but the duty recurs and no such attachment states its date. A control whose "
        "evidence is not ok is insufficient-evidence unless its checks fail"
    )
    dated: dt.date | None = Field(None, description="the newest date stated among the intact attachments of the kind; null: none states one")
    age_days: int | None = Field(None, description="days from that date to the as-of date; null: no date stated")
    rule: Text | None = Field(
        None, description="how recent the kind must be, e.g. 'within 365 days before the as-of date', 'dated within the "
        "audit period (from 2024-12-01)'; null: no rule could be applied (no audit period stated)"
    )
    basis: Text | None = Field(None, description="where the rule comes from (the catalog's freshness rule); null: the audit period")


class WaiverResult(_Model):
    owner: str = Field(description="who owns the fix, as stated in the waiver")
    justification: str = Field(description="why the finding is accepted for now, as stated")
    expires: dt.date = Field(description="the waiver's expiry date: it still applies on that day and has expired after it")
    approved_by: str | None = Field(description="who approved the waiver; null: not stated")
    status: Literal["active", "expired", "not-needed", "not-yet-granted"] = Field(
        description="active: sets the failing verdict aside; expired: the as-of date is past its expiry; not-needed: the control does not fail; not-yet-granted: its granted_on is after the as-of date"
    )


class ControlResult(_Model):
    id: str = Field(description="the control's id, e.g. 'notice/5.2'")
    catalog: str = Field(description="id of the catalog the control comes from, e.g. 'pipc-notice'")
    cite: Text = Field(description="the citation of the newest wording applied")
    ref: LegalRef = Field(description="the provision as numbered in the newest wording applied")
    also: list[str] = Field(description="other provisions this control serves, as text")
    title: Text = Field(description="short name of the duty")
    text: Text = Field(description="the newest wording applied (Korean) and an English gloss")
    text_status: TextStatus = Field(description="how sure the newest wording's words are (see law[].text_status)")
    law: list[LawApplied] = Field(description="each wording that judged this control (several for incidents under several laws)")
    severity: Literal["critical", "high", "medium", "low"] = Field(description="how grave a failure is; --fail-on fails the run at or above a severity")
    verdict: Verdict = Field(
        description="non-compliant: the stated facts break the duty; insufficient-evidence: a fact or document it needs is missing; "
        "waived: failing, but an active waiver sets it aside; compliant; not-applicable"
    )
    underlying_verdict: Verdict | None = Field(description="the verdict a waiver set aside")
    not_applicable: Text | None = Field(description="why the duty did not apply; null unless the verdict is not-applicable")
    applies_when: str | None = Field(description="the catalog's applicability condition, as written; null: always applies")
    checks: list[CheckResult] = Field(description="each check's outcome, under every wording applied")
    evidence: list[EvidenceResult] = Field(description="the attachment kinds the control expects, and whether each was found")
    waiver: WaiverResult | None = Field(description="the waiver naming this control and its status; null: none")
    scope_note: Text | None = Field(
        None, description="why 'compliant' says little: nothing was in scope (e.g. no departed handler to check)"
    )
    remediation: Text = Field(description="what to do to comply")
    mappings: dict[str, list[str]] = Field(description="criteria of other frameworks the control maps to, by framework: 'isms-p', 'iso27001-2022'")


class AttachmentResult(_Model):
    id: str = Field(description="the attachment's id in the facts file")
    kind: str = Field(description="kind of evidence, e.g. 'internal-management-plan'")
    path: str = Field(description="path as stated, relative to the facts file's folder")
    status: Literal["ok", "missing", "mismatch"] = Field(
        description="ok: found (and equal to the stated sha256, if any); missing: file not found; mismatch: differs from the stated sha256"
    )
    sha256: str | None = Field(description="SHA-256 of the file as found; null when missing")
    size: int | None = Field(description="file size in bytes; null when missing")
    note: str = Field(description="why it is missing or mismatched, or a remark (e.g. hard links); empty if none")
    dated: str | None = Field(description="date of the document as stated (YYYY-MM-DD); null: not stated")


class SanctionExposure(_Model):
    id: str = Field(description="the catalog's sanction id, e.g. 'pipa/64-2.1.9'")
    cite: Text = Field(description="citation of the penalty provision")
    title: Text = Field(description="short name, e.g. the cap it sets")
    text: Text = Field(description="the provision's words (Korean) and an English gloss")
    text_status: Literal["verified", "secondary"] = Field(
        description="verified: the Korean was checked against the official text; secondary: not checked"
    )
    kind: Literal["administrative-fine", "fine"] = Field(description="administrative-fine: 과징금; fine: 과태료")
    triggered_by: list[str] = Field(description="non-compliant controls that engage the provision")
    revenue_ratio: float | None = Field(description="cap as a share of revenue, e.g. 0.03; null for a fixed cap")
    max_krw: int | None = Field(
        description="the statutory maximum computed from the stated revenue (a legal maximum, not an estimate of the fine); null when revenue is not stated"
    )
    basis: Literal[
        "revenue", "revenue-less-unrelated", "revenue-3y-average", "revenue-3y-average-less-unrelated",
        "greater-of-revenue", "greater-of-revenue-less-unrelated", "greater-of-revenue-3y-average",
        "greater-of-revenue-3y-average-less-unrelated", "related-revenue", "fixed", "unknown"
    ] = Field(description="what max_krw is a share of (stated related revenue, the 3-year average or last year's revenue, "
              "or from 2026-05-19 the greater of the two — 'greater-of-' names the one that was greater — less unrelated revenue), or a fixed cap")
    lower_bound: bool = Field(False, description="true: a figure the revenue rule needs is not stated, so the real maximum may be higher")
    notes: list[Text] = Field(default_factory=list, description="what the reader must know about this exposure (regime chosen without a date, a kind not stated, an approximated base)")
    excluded_acts: list[str] = Field(default_factory=list, description="failing controls (acts) for which Art 76 leaves no 과태료, because a 과징금 sanctions them")
    incident: str | None = Field(None, description="the incident whose law set this cap")
    cap_without_revenue_krw: int | None = Field(None, description="the cap the law sets where there is no revenue, or it cannot be computed")
    excluded: Text | None = Field(None, description="why this provision cannot add to another (e.g. Art 76)")


class TimelineEvent(_Model):
    key: str = Field(description="incident field, e.g. aware_at")
    at: str = Field(description="when, as stated (ISO 8601 timestamp with its UTC offset)")
    hours: float = Field(description="hours after the organisation became aware (negative: before)")


class DeadlineResult(_Model):
    id: str = Field(description="the catalog's deadline id, e.g. 'report-pipc'")
    control: str = Field(description="id of the control whose duty the clock times")
    title: Text = Field(description="short name, e.g. 'Report to the PIPC or KISA (72 hours)'")
    start: str = Field(description="incident field the clock starts from, e.g. aware_at")
    due: str = Field(description="when it falls due (ISO 8601 timestamp); empty when the start is not stated")
    due_hours: float = Field(description="hours from the start to the due time, e.g. 72; 0 when the start is not stated")
    done_at: str | None = Field(description="when the duty was done (ISO 8601 timestamp); null: not stated")
    done_hours: float | None = Field(description="hours after awareness it was done; null when not done or awareness is not stated")
    status: Literal["met", "missed", "open", "not-applicable", "unknown"] = Field(
        description="met; missed: done late, or not done and past due on the as-of date; open: not done, not yet due; not-applicable: its condition is false; unknown: start or condition not stated, or the time it was done stated as unknown"
    )
    done_unknown: bool = Field(
        default=False,
        description="the time it was done is stated as unknown (e.g. reported_to_pipc_at: unknown): whether it was done, and in time, is not known",
    )


class IncidentTimeline(_Model):
    id: str = Field(description="the incident's id as stated")
    aware_at: str | None = Field(description="when the organisation became aware (ISO 8601 timestamp); null: not stated")
    events: list[TimelineEvent] = Field(description="the incident's stated timestamps, in hours from awareness")
    deadlines: list[DeadlineResult] = Field(description="the statutory clocks that run on this incident under the law that judged it")


class CatalogInfo(_Model):
    id: str = Field(description="the catalog's id, e.g. 'pipc-notice'")
    instrument: Text = Field(description="the legal instrument the catalog encodes")
    cite_as: Text = Field(description="prefix for citations, e.g. en 'PIPA'")
    version: str = Field(description="the catalog's version, e.g. the number of the latest amendment it includes")
    effective: dt.date = Field(description="the date from which the catalog applies")
    sha256: str = Field(description="SHA-256 of the catalog file read")
    not_judged: list[Text] = Field(default_factory=list, description="duties of the instrument no control judges, and why")


class Summary(_Model):
    total: int = Field(description="number of controls judged")
    by_verdict: dict[str, int] = Field(description="number of controls per verdict (every verdict listed, 0 included)")
    failing_by_severity: dict[str, int] = Field(description="non-compliant or insufficient-evidence controls per severity")


class TodoItem(_Model):
    """One thing still missing, by item: what ``check --todo`` prints and the internal report lists first."""

    kind: Literal["fact", "attestation", "attachment"] = Field(
        description="fact: a fact needed to judge a duty (or whether it applies) is not stated; attestation: a control "
        "judged on an attestation whose condition holds has none, or one lacking its attester, a recent date or a submitted "
        "document; attachment: no intact attachment of a kind a control expects (or that shows a list stated empty is empty), "
        "or only a stale one to renew, or only undated ones whose date is to be stated"
    )
    item: str | None = Field(
        description="the list item that lacks it (its id, e.g. 'sys-crm'); for an attestation, the control attested; for "
        "an attachment, the evidence kind expected; null: a top-level fact"
    )
    label: Text = Field(description="the field as a reader names it (the facts model's label), in Korean and English")
    field: str = Field(
        description="where to state it, as the facts file writes it: e.g. 'systems[].network_zone', 'organization.subjects', "
        "'attestations[]' (a whole attestation), 'attachments[].kind' (an attachment of the kind named by item, or a newer "
        "one), 'attachments[].dated' (the date of the attachments of that kind)"
    )
    provision: Text = Field(description="the provisions that need it, e.g. '「개인정보의 안전성 확보조치 기준」 제6조제1항, 제8조제1항'")
    controls: list[str] = Field(description="ids of the controls that need it, in the order of their provisions")


class AuditResult(_Model):
    schema_version: str = Field(SCHEMA_VERSION, description="version of this result format (pipa-audit schema result)")
    tool: str = Field("pipa-audit", description="the program that wrote the result")
    tool_version: str = Field(description="its version")
    as_of: dt.date = Field(description="the audit's as-of date: every duty is judged under the law and facts of this date")
    period_start: dt.date | None = Field(description="start of the audited period; null: not stated")
    auditor: str | None = Field(description="who carried out the audit, as stated; null: not stated")
    organization: dict[str, Any] = Field(description="the organisation's facts as stated (kind, size, subjects, …)")
    privacy_officer: dict[str, Any] | None = Field(
        None, description="the chief privacy officer as stated (name, position, designated_on, …): the cover and sign-off")
    facts_file: str = Field(description="file name of the facts file audited")
    facts_sha256: str = Field(description="SHA-256 of the facts file's text")
    catalogs: list[CatalogInfo] = Field(description="the catalogs in force on the as-of date that judged the audit")
    summary: Summary = Field(description="counts of the controls by verdict and of failing controls by severity")
    controls: list[ControlResult] = Field(description="each control judged, with its verdict")
    attachments: list[AttachmentResult] = Field(description="each attachment the facts list, as found on disk")
    incidents: list[dict[str, Any]] = Field(description="incidents as stated")
    timelines: list[IncidentTimeline] = Field(description="each incident against the statutory clocks")
    sanctions: list[SanctionExposure] = Field(description="penalty provisions the findings may engage")
    remediation_plan: list[dict[str, Any]] = Field(description="remediation actions as stated in the facts")
    scope: str | None = Field(description="the audit's scope in words, as stated; null: not stated")
    not_examined: list[str] = Field(description="what was not examined, as stated")
    systems: list[dict[str, Any]] = Field(description="systems as stated (id, name, subjects), for the scope section")
    law_versions: list[dict[str, Any]] = Field(default_factory=list, description="per catalog, the amendments applied on the as-of date")
    access_records: dict[str, Any] | None = Field(
        None, description="what analysis of the access records showed (with --derived): source, rows, observations with examples, records and reviews per month"
    )
    attestations: list[dict[str, Any]] = Field(
        default_factory=list, description="attestations as stated: who confirmed which duty, when, with which document, and what they said"
    )
    precedents: list[dict[str, Any]] = Field(
        default_factory=list, description="past PIPC decisions that cited a duty this audit found failing (as decided, not a prediction)"
    )
    law_changes: list[str] = Field(default_factory=list, description="changes of law inside the audit period")
    todo: list[TodoItem] = Field(
        default_factory=list,
        description="what is still missing, one entry per item and field (facts not stated, attestations whose condition "
        "holds and that are absent or incomplete, attachments of an expected kind not submitted), by provision then item",
    )

    def failing(self, threshold: str) -> list[ControlResult]:
        """Findings at or above ``threshold`` severity ('none' = never fail)."""
        if threshold == "none":
            return []
        limit = SEVERITIES.index(threshold)
        return [c for c in self.controls if c.verdict in FAILING and SEVERITIES.index(c.severity) <= limit]


PLAIN = frozenset({str, int, bool, float})
"""types a value keeps as JSON (``jsonable`` returns it as it is)"""


def jsonable(value: Any) -> Any:
    """Facts values as JSON: dates and timestamps in ISO 8601, durations in seconds."""
    if value is None or type(value) in PLAIN:  # most values of an offender: the checks below cost 4 calls each
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not k.startswith("\0")}
    return value


def failed_count(ch: CheckResult) -> int:
    """How many items break the rule: every one, even where only examples are listed as offenders."""
    return ch.failed if ch.failed is not None else len(ch.offenders)
