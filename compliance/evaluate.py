"""Applicability → checks → one verdict per control; then waivers.

Time comes from the facts: ``as_of`` (or ``--as-of``) is the only "today", so the same
inputs always give the same verdicts.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


from compliance import __version__, expr, sanctions, todo
from compliance.catalog import Catalog, CompiledCheck, CompiledControl, Text
from compliance.precedents import relevant
from compliance.versions import units, versions_applied
from compliance.evidence import AttachmentStatus
from compliance.expr import DATETIME, Budget, EvalError, Missing, OutOfRange, type_of_annotation
from compliance.facts import STRUCT_LISTS, Incident, struct_model
from compliance.row_decoder import is_struct_list
from compliance.i18n import _
from compliance.waivers import Waiver, apply_waiver
from compliance.loading import InputError, Problem, file_sha256
from compliance.located import Document
from compliance.result import (
    FAILING,
    VERDICTS,
    AttachmentResult,
    AuditResult,
    CatalogInfo,
    CheckResult,
    ControlResult,
    DeadlineResult,
    EvidenceResult,
    IncidentTimeline,
    LawApplied,
    MissingFact,
    Offender,
    PLAIN,
    Summary,
    TimelineEvent,
    jsonable,
)


@dataclass
class Inputs:
    """Everything an evaluation reads; built by the CLI (or a test) from files."""

    catalogs: list[Catalog]
    facts: dict
    facts_file: str
    facts_text: str
    as_of: dt.date
    attachments: list[AttachmentStatus]
    waivers: list[Waiver]
    aliases: dict = field(default_factory=dict)
    """former control id -> current id (a waiver file written before a renumbering still applies)"""
    law_changes: list = field(default_factory=list)
    """changes of law between the period start and the as-of date (see pipeline.law_changes_during)"""
    precedents: list = field(default_factory=list)
    """past PIPC decisions (see compliance.precedents)"""
    observations: list = field(default_factory=list)
    """what analysis of the access records shows (compliance.logs.compare.Observation), per control"""
    access_records: dict | None = None
    """the analysis as the report shows it (pipeline.access_record_summary)"""
    disagreements: list = field(default_factory=list)
    """facts stated one way and shown another by a tool's output (compliance.observed.Disagreement)"""

    @functools.cached_property
    def facts_doc(self) -> Document:
        """The facts file as read, to locate a problem found while evaluating (the text travels with the facts)."""
        return Document(self.facts_file, self.facts_text)


def _ident(item, n: int) -> str:
    if isinstance(item, dict):
        return str(item.get("id", f"#{n + 1}"))
    return item.id if item.__class__ in expr.STRUCT_CLASSES else f"#{n + 1}"


def eval_budget() -> int | None:
    """PIPA_AUDIT_EVAL_BUDGET: the macro steps one run may take (``compliance.expr.Budget``); a bad value is an
    input error, not a silent default."""
    raw = os.environ.get("PIPA_AUDIT_EVAL_BUDGET", "").strip()
    if not raw:  # unset or empty: the default, as for PIPA_AUDIT_MAX_ATTACHMENT_BYTES
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 10**15:  # "²" is a digit to isdigit, not to int
        raise InputError([Problem("PIPA_AUDIT_EVAL_BUDGET", 0, _("must be a whole number of steps, got {value}").format(value=repr(raw)))])
    return int(raw)


def _offenders(cc: CompiledCheck, root: dict, items: list, failed: list[int], values_of) -> list[Offender]:
    """The failing items as Offenders, built as ``model_construct`` would from values already checked (strings and
    plain values), without its per-call work: one loop with the id, the values and the model's four slots set
    directly (the 87k offenders of a 100k-row file were half of evaluating it)."""
    out = []
    append, fields_set = out.append, {"id", "label", "values"}
    struct_values = None
    for n in failed:
        item = items[n]
        if type(item) is dict:
            ident = item.get("id", _ABSENT)
            ident = f"#{n + 1}" if ident is _ABSENT else ident if type(ident) is str else str(ident)
            values = values_of(item)
            if "_at" in item:  # an observed row: where the tool's output shows it
                values["observed at"] = item["_at"]
        elif item.__class__ in expr.STRUCT_CLASSES:  # a struct row (the id is required, text)
            if struct_values is None:  # the rows of one list are of one class
                struct_values = _struct_values_of(values_of.fields, item.__class__)
            ident, values = item.id, struct_values(item)
        else:
            ident, values = f"#{n + 1}", {}
        o = _new(Offender)
        _set(o, "__dict__", {"id": ident, "label": ident if cc.label is None else _label(cc, root, item, ident), "values": values})
        _set(o, "__pydantic_fields_set__", fields_set)  # shared: nothing assigns to an offender once made
        _set(o, "__pydantic_extra__", None)
        _set(o, "__pydantic_private__", None)
        append(o)
    return out


_new, _set = object.__new__, object.__setattr__
_DAYS = frozenset({dt.date, dt.datetime})
"""written as ``jsonable`` writes them (ISO 8601), without its call"""
_ABSENT = object()


@functools.lru_cache(maxsize=512)
def _values_of(fields: tuple[str, ...]):
    """``item → {field: its value as JSON, or "(absent)"}`` for the fields a check reads: one generated dict
    display per field list (a comprehension calling ``jsonable`` per value cost twice as much per offender)."""
    body = ", ".join(f"{f!r}: (v if (v := g({f!r}, '(absent)')) is None or (t := type(v)) in plain else "
                     f"v.isoformat() if t in days else jsonable(v))" for f in fields)
    space = {"jsonable": jsonable, "plain": PLAIN, "days": _DAYS}
    exec(f"def values_of(item):\n    g = item.get\n    return {{{body}}}\n", space)  # noqa: S102 - names are repr()'d
    space["values_of"].fields = fields
    return space["values_of"]


@functools.lru_cache(maxsize=512)
def _struct_values_of(fields: tuple[str, ...], cls: type):
    """``values_of`` for a struct row: what its evaluation dict would give (None stands for an absent key, except in
    the "did not happen" fields, where 'unknown' does)."""
    settle = expr.none_fields(struct_model(cls))
    parts = []
    for f in fields:
        if f not in cls.__struct_fields__:
            parts.append(f"{f!r}: '(absent)'")
        elif f in settle:
            parts.append(f"{f!r}: ('(absent)' if (t := (v := item.{f}).__class__) is str and v == 'unknown' else "
                         f"v if v is None or t in plain else v.isoformat() if t in days else jsonable(v))")
        else:
            parts.append(f"{f!r}: ('(absent)' if (v := item.{f}) is None else v if (t := type(v)) in plain else "
                         f"v.isoformat() if t in days else jsonable(v))")
    space = {"jsonable": jsonable, "plain": PLAIN, "days": _DAYS}
    exec(f"def values_of(item):\n    return {{{', '.join(parts)}}}\n", space)  # noqa: S102 - field names are identifiers
    return space["values_of"]


@dataclass
class _ItemOutOfRange(Exception):
    list: str | None
    index: int
    check: str
    message: str


class _CheckFailed(Exception):
    """A check (or a control's applies_when or deferral) that raised EvalError — a spent budget, say; ``evaluate``
    knows the catalog and turns it into a located problem (exit 2), never an internal error."""

    def __init__(self, ctl: CompiledControl, chk, message: str, part: str | None = None):
        self.ctl, self.chk, self.message, self.part = ctl, chk, message, part

    def problem(self, catalog: Catalog) -> Problem:
        """Located in the catalog's text as it was read (never read again: the file may have changed since)."""
        j = next((k for k, c in enumerate(self.ctl.control.checks) if c is self.chk), None)
        loc = (("controls", self.ctl.index, "checks", j, "id") if j is not None else
               ("controls", self.ctl.index, self.part) if self.part else ("controls", self.ctl.index))
        if self.chk is not None:
            message = _("check '{check}' of {control} failed to evaluate: {problem}").format(
                check=self.chk.id, control=self.ctl.control.id, problem=self.message)
        else:
            message = _("{part} of {control} failed to evaluate: {problem}").format(
                part=self.part, control=self.ctl.control.id, problem=self.message)
        doc = catalog.doc or Document(catalog.path, "")
        return doc.problem(loc, message, "")


def _label(cc: CompiledCheck, root: dict, item, ident: str) -> str:
    """How the report names an offender: the check's label, or its id when the label reads a fact the item lacks
    (a label is presentation: it must not turn a finding into missing evidence)."""
    if cc.label is None:
        return ident
    try:
        return str(cc.label.fn(root, {"item": item}))
    except Missing:
        return ident


def _none_stated(name: str, ctl: CompiledControl, root: dict, by_kind: dict[str, list[str]]) -> tuple[Text, str | None]:
    """A list stated empty: what the report says of it, and the evidence it lacks (None when it may be empty)."""
    rule = ctl.populations.get(name)
    if rule is None:
        return Text(ko=f"{name}: 없음으로 기재됨([])", en=f"{name}: stated as none ([])"), None
    pop = rule.population
    try:
        expected = bool(rule.expected_when.fn(root, {}))
    except Missing:
        expected = True  # whether it may be empty cannot be told: the statement needs its evidence all the same
    confirmed = by_kind.get(pop.confirmed_by)
    if confirmed:
        shown = ", ".join(confirmed)
        return Text(ko=f"{name}: 없음으로 기재됨([]), 증적 {shown}({pop.confirmed_by})으로 확인",
                    en=f"{name}: stated as none ([]), confirmed by {shown} ({pop.confirmed_by})"), None
    if not expected:
        return Text(ko=f"{name}: 없음으로 기재됨([])", en=f"{name}: stated as none ([])"), None
    return (Text(ko=f"{name}: 없음으로 기재됨([]) — {pop.means.ko}", en=f"{name}: stated as none ([]) — {pop.means.en}"),
            f"{name}: stated as none ([]); {pop.means.en}: attach the {pop.confirmed_by} that shows none")


def _run_check(cc: CompiledCheck, root: dict, ctl: CompiledControl, by_kind: dict[str, list[str]]) -> CheckResult:
    chk = cc.check
    offenders: list[Offender] = []
    missing: dict[str, list[str]] = defaultdict(list)
    in_scope = total = None
    observed: dict = {}
    plain_failed = False
    none_stated = None
    try:
        if cc.for_each is None:
            observed = _observed(root, cc.expect.paths)
            plain_failed = not cc.expect.fn(root, {})
        else:
            items = cc.for_each.fn(root, {})
            name = chk.for_each.strip()
            if items == [] and root.get(name) == []:  # the list itself stated empty, not a filter leaving none
                none_stated, lacking = _none_stated(name, ctl, root, by_kind)
                if lacking:
                    missing[lacking] = []
            items = items or []
            total = len(items)
            in_scope, failed, absent = cc.scan()(root, items)
            for n, path in absent:
                missing[path].append(_ident(items[n], n))
            if failed:  # the id and the values are only needed on a finding
                fields = tuple(dict.fromkeys([*(cc.where.item_fields if cc.where else []), *cc.expect.item_fields]))
                offenders = _offenders(cc, root, items, failed, _values_of(fields))
    except Missing as exc:
        missing[exc.path] = []
    except EvalError as exc:
        raise _CheckFailed(ctl, chk, str(exc)) from None
    except OutOfRange as exc:
        raise _ItemOutOfRange(cc.for_each.result_path if cc.for_each else None, exc.index, chk.id, exc.message) from None
    status = "fail" if offenders or plain_failed else "insufficient" if missing else "pass"
    return CheckResult(
        id=chk.id,
        description=chk.description,
        failure=chk.failure,
        expect=chk.expect,
        for_each=chk.for_each,
        where=chk.where,
        status=status,
        in_scope=in_scope,
        total=total,
        offenders=offenders,
        observed=observed,
        missing=[MissingFact(path=p, items=ids) for p, ids in missing.items()],
        none_stated=none_stated,
    )


def _observed(root: dict, paths: set[str]) -> dict:
    """The stated values of the top-level facts a plain check read (leaf paths only)."""
    out = {}
    for path in sorted(paths):
        if "[]" in path or path == "as_of" or any(p.startswith((path + ".", path + "[")) for p in paths):
            continue
        value = root
        for step in path.split("."):
            value = value.get(step, "(absent)") if isinstance(value, dict) else "(absent)"
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
            continue  # collections are shown as offenders, not as one value
        out[path] = jsonable(value)
    return out


def _attestation(ctl: CompiledControl, root: dict, ok_attachments: set[str]) -> CheckResult:
    """insufficient unless the latest attestation names an attester, is recent enough on the
    as-of date and points to a submitted document; fail when it states the duty is not met."""
    c = ctl.control
    mine = [a for a in root.get("attestations") or [] if a.get("control") == c.id]
    latest = max(mine, key=lambda a: (a.get("date") is not None, a.get("date") or dt.date.min), default=None)
    missing: list[str] = []
    observed: dict = {}
    if latest is None:
        missing.append(f"attestations[control={c.id}]")
    else:
        observed = {k: jsonable(latest.get(k)) for k in ("attester", "role", "date", "attachment", "met", "statement")}
        if not latest.get("attester"):
            missing.append("attestations[].attester")
        when = latest.get("date")
        earliest = root["as_of"] - ctl.attest_within
        if when is None:
            missing.append("attestations[].date")
        elif not earliest < when <= root["as_of"]:
            missing.append(f"attestations[].date within {c.attestation.within} before {root['as_of'].isoformat()}")
        if latest.get("attachment") not in ok_attachments:
            missing.append("attestations[].attachment (a submitted document)")
    failed = latest is not None and latest.get("met") is False and not missing
    return _judgement(
        "attestation",
        c.attestation.what,
        f"attestation within {c.attestation.within}",
        "fail" if failed else "insufficient" if missing else "pass",
        observed,
        missing,
    )


def _judgement(check_id: str, description: Text, expect: str, status: str, observed=None, missing=()) -> CheckResult:
    """A check the evaluator makes itself (applicability, attestation) rather than a catalog expression."""
    return CheckResult(
        id=check_id,
        description=description,
        expect=expect,
        for_each=None,
        where=None,
        status=status,
        in_scope=None,
        total=None,
        offenders=[],
        observed=observed or {},
        missing=[MissingFact(path=m) for m in missing],
    )


EMPTY_SCOPE = Text(
    ko="준수 — 대상 0건: 판단할 항목이 없었음(예: 퇴직자 없음)", en="compliant — 0 in scope: there was nothing to judge (e.g. no departed handler)"
)
NOT_IN_WINDOW = Text(
    ko="이 조항이 적용되는 기간에 인지된 사고가 없음", en="No incident stated falls in the period this provision governs"
)


def _deferral(ctl: CompiledControl, root: dict):
    """A deferral in force on the as-of date for the processor's group: (basis, None), or
    (None, missing-check) when the group cannot be told from the facts."""
    for d, cond in ctl.deferrals:
        if root["as_of"] >= d.until:
            continue
        try:
            if cond.fn(root, {}):
                return d.basis, None
        except Missing as exc:
            text = Text(ko="시행 유예 대상 여부 판단", en="Whether the addendum's deferral applies")
            return None, _judgement("deferred", text, d.when, "insufficient", missing=[exc.path])
        except EvalError as exc:
            raise _CheckFailed(ctl, None, str(exc), "deferred") from None
    return None, None


STANDING = Text(ko="기준일 이전 작성(수정될 때까지 유효한 문서)", en="dated on or before the as-of date (in force until amended)")


def _evidence(kind: str, rule, found: list[AttachmentStatus], root: dict) -> EvidenceResult:
    """An expected kind judged by its age rule (the catalog's ``freshness:``; a kind not listed: dated within the audit
    period). The newest stated date of the intact attachments counts. A recurring duty's document needs a date (an
    undated one cannot show the cycle was kept); under the audit-period rule an undated attachment is taken as of the
    as-of date, as the facts give no other."""
    as_of = root["as_of"]
    start = root.get("period_start")
    basis = rule.rule.basis if rule is not None else None
    if rule is None:
        text = (Text(ko=f"점검 기간 내 작성({start.isoformat()} 이후)", en=f"dated within the audit period (from {start.isoformat()})")
                if isinstance(start, dt.date) else None)
    elif rule.within is None:  # a standing document: in force until amended, whatever its date
        text = STANDING
    else:
        text = Text(ko=f"기준일 전 {rule.days:,}일 이내", en=f"within {rule.days:,} days before the as-of date")
    if not found:
        return EvidenceResult(kind=kind, attachments=[], status="missing", rule=text, basis=basis)
    dates = [dt.date.fromisoformat(a.dated) for a in found if a.dated]
    newest = max(dates, default=None)
    if rule is None:  # no period stated: nothing to judge the date by; an undated one is taken as of the as-of date
        fresh = text is None or len(dates) < len(found) or newest >= start
    elif rule.within is None:
        fresh = True
    else:  # a recurring duty: only a date within the cycle shows it was done
        fresh = newest is not None and newest > as_of - rule.within
    status = "ok" if fresh else "stale" if newest is not None else "undated"
    return EvidenceResult(kind=kind, attachments=[a.id for a in found], status=status, dated=newest,
                          age_days=(as_of - newest).days if newest is not None else None, rule=text, basis=basis)


def _verdict(ctl: CompiledControl, unit, by_kind: dict[str, list[str]], ok_attachments: set[str],
             intact: dict[str, list[AttachmentStatus]]):
    """(verdict, checks, evidence, why-not-applicable) for one control under one wording, before waivers."""
    c = ctl.control
    root = unit.root
    basis, unknown = _deferral(ctl, root)
    if unknown is not None:
        return "insufficient-evidence", [unknown], [], None
    if basis is not None:
        return "not-applicable", [], [], basis
    applies_when = unit.wording.applies_when or ctl.applies_when
    if applies_when is not None:
        try:
            applies = applies_when.fn(root, {})
        except Missing as exc:
            check = _judgement(
                "applies-when",
                Text(ko="적용 대상 여부 판단", en="Whether the duty applies"),
                unit.wording.wording.applies_when or c.applies_when or "",
                "insufficient",
                missing=[exc.path],
            )
            return "insufficient-evidence", [check], [], None
        except EvalError as exc:
            raise _CheckFailed(ctl, None, str(exc), "applies_when") from None
        if not applies:
            why = NOT_IN_WINDOW if unit.outside else (unit.wording.wording.not_applicable or c.not_applicable)
            return "not-applicable", [], [], why
    checks = [_run_check(cc, root, ctl, by_kind) for cc in unit.checks]
    if ctl.attest_within is not None:
        checks.append(_attestation(ctl, root, ok_attachments))
    evidence = [_evidence(k, ctl.freshness.get(k), intact.get(k, []), root) for k in c.evidence]
    if any(ch.status == "fail" for ch in checks):
        return "non-compliant", checks, evidence, None
    if any(ch.status == "insufficient" for ch in checks) or any(e.status != "ok" for e in evidence):
        return "insufficient-evidence", checks, evidence, None
    return "compliant", checks, evidence, None


OBSERVED = Text(
    ko="접속기록 분석 결과(제출된 접속기록에서 관찰된 사실)와 기재 사실의 대조",
    en="What the access records show (observed in the records submitted), against what the facts state",
)
OBSERVED_FAILURE = Text(ko="접속기록이 의무 불이행을 보여 줌", en="the access records show the duty was not met")


def _beyond_examples(summary: dict | None, seen) -> int:
    """Findings an analysis counted but kept no example of (it keeps ``examples`` per analysis): each one an item
    like those kept, counted where every kept item of that analysis under this control is a violation."""
    totals = (summary or {}).get("analyses") or {}
    more = 0
    for analysis in {o.analysis for o in seen}:
        mine = [o for o in seen if o.analysis == analysis]
        t = totals.get(analysis)
        if t and t["items_total"] > t["items_kept"] and all(o.status == "violation" for o in mine):
            more += t["items_total"] - t["items_kept"]
    return more


def _with_observations(result, seen, beyond: int = 0):
    """Add one check built from the records' observations; a violation fails the control, records that
    cannot support a finding make it insufficient, anomalies are shown without a verdict. ``beyond``: violations the
    analyses counted past the examples they kept (the check counts them; the offenders listed are the examples)."""
    verdict, checks, evidence, why = result
    bad = [o for o in seen if o.status == "violation"]
    unsure = [o for o in seen if o.status == "insufficient"]
    status = "fail" if bad else "insufficient" if unsure else "pass"
    offenders = [
        # what the records show is said in both languages in the report's access-record section; here, the stated values
        Offender(id=o.subject, label=o.subject, values={f"stated.{k}": jsonable(v) for k, v in o.stated.items()})
        for o in bad
    ]
    check = CheckResult(
        id="access-records", description=OBSERVED, failure=OBSERVED_FAILURE, expect="derived facts: no violation",
        for_each=None, where=None, status=status, in_scope=len(seen) + beyond, total=len(seen) + beyond, offenders=offenders,
        failed=len(offenders) + beyond if beyond else None,
        # anomalies only, in both languages: a clear result is no part of a finding (the report's access-record
        # section lists every result), and a Korean report must not show the English sentence
        observed={f"{o.analysis} {o.subject}": {"ko": o.text.ko, "en": o.text.en} for o in seen if o.status == "anomaly"},
        missing=[MissingFact(path=f"access records: {o.text.en}") for o in unsure],
    )
    checks = [*checks, check]
    if verdict in ("not-applicable",):
        return result
    if status == "fail":
        verdict = "non-compliant"
    elif status == "insufficient" and verdict == "compliant":
        verdict = "insufficient-evidence"
    return verdict, checks, evidence, why


STATED_VS_OBSERVED = Text(
    ko="기재한 사실이 조직의 시스템·점검 도구 출력에서 관찰된 사실과 일치함",
    en="What the facts state agrees with what the organisation's own systems and tools show",
)
STATED_VS_OBSERVED_FAILURE = Text(ko="기재 사실과 관찰 사실이 다름", en="stated and observed facts differ")


def _with_disagreements(result, told):
    """A failing check listing each fact told two ways, with both values and where the tool's output shows it: a
    statement its own systems contradict cannot clear a duty."""
    verdict, checks, evidence, why = result
    if verdict == "not-applicable":
        return result
    offenders = [Offender(id=d.item, label=f"{d.item} ({d.at})",
                          values={f"{d.field} (stated)": jsonable(d.stated), f"{d.field} (observed)": jsonable(d.observed),
                                  "observed at": d.at}) for d in told]
    check = CheckResult(
        id="stated-vs-observed", description=STATED_VS_OBSERVED, failure=STATED_VS_OBSERVED_FAILURE,
        expect="stated facts == observed facts", for_each=None, where=None, status="fail", in_scope=len(told),
        total=len(told), offenders=offenders, observed={}, missing=[],
    )
    return "non-compliant", [*checks, check], evidence, why


def _law_applied(ctl: CompiledControl, unit, as_of: dt.date) -> LawApplied:
    w = unit.wording
    # one date for both the reading and the text's status: the as-of date, or for incident duties (whose own
    # dates picked this wording) the last day of the wording's window that is not after the as-of date
    last = w.until - dt.timedelta(days=1) if w.until else as_of
    judged_on = as_of if unit.incidents is None else max(w.start, min(as_of, last))
    src = w.source
    return LawApplied(
        start=w.start,
        until=w.until,
        cite=Text(ko=ctl.cite("ko", w.ref), en=ctl.cite("en", w.ref)),
        text=Text(ko=w.wording.ko, en=w.wording.en),
        text_status=w.text_status(judged_on),
        source=(f"{src.id}: {src.provenance}" if src else (w.wording.basis.en if w.wording.basis else "")),
        amended_by=w.wording.amended_by,
        incidents=unit.incidents,
        judged_on=judged_on,
    )


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return round((b - a).total_seconds() / 3600, 2)


def _timelines(catalogs: list[Catalog], root: dict, scoped: dict[str, list]) -> list[IncidentTimeline]:
    """Each incident's events and statutory clocks, in hours from awareness; a clock runs on an incident
    only when its control judged that incident under the law that sets the clock (``scoped``: control id
    -> the units it was evaluated in, see versions.units)."""
    stamp_fields = [n for n, f in Incident.model_fields.items() if type_of_annotation(f.annotation) == DATETIME]
    governing: dict[int, list[tuple[Catalog, object]]] = defaultdict(list)
    for cat in catalogs:
        for cd in cat.deadlines:
            for unit in scoped.get(cd.deadline.control, []):
                for inc in unit.root.get("incidents") or []:
                    if cd.deadline.covers(unit.wording.start, cat.meta.effective):
                        governing[id(inc)].append((cat, cd))
    out = []
    for inc in root.get("incidents") or []:
        aware = inc.get("aware_at")
        events = [
            TimelineEvent(key=k, at=inc[k].isoformat(), hours=_hours(aware, inc[k]) if aware else 0.0)
            for k in stamp_fields
            if isinstance(inc.get(k), dt.datetime)
        ]
        deadlines = []
        for _cat, cd in governing[id(inc)]:
            d = cd.deadline
            start, done = inc.get(d.start), inc.get(d.done)
            done_unknown = d.done not in inc  # stated 'unknown' (not done is None): neither met nor missed
            try:
                applies = cd.where is None or bool(cd.where.fn(root, {"item": inc}))
            except Missing:
                applies = None
            if not isinstance(start, dt.datetime):
                status, due = "unknown", None
            else:
                due = start + cd.within
                if applies is False:
                    status = "not-applicable"
                elif applies is None or done_unknown:
                    status = "unknown"
                elif done is None:
                    status = "missed" if due < dt.datetime.combine(root["as_of"], dt.time.max, due.tzinfo) else "open"
                else:
                    status = "met" if done <= due else "missed"
            deadlines.append(
                DeadlineResult(
                    id=d.id, control=d.control, title=d.title, start=d.start,
                    due=due.isoformat() if due else "", due_hours=_hours(start, due) if due else 0.0,
                    done_at=done.isoformat() if isinstance(done, dt.datetime) else None,
                    done_hours=_hours(aware, done) if isinstance(done, dt.datetime) and aware else None,
                    status=status, done_unknown=done_unknown,
                )
            )
        out.append(IncidentTimeline(id=inc.get("id", ""), aware_at=aware.isoformat() if aware else None, events=events, deadlines=deadlines))
    return out


def evaluate(inputs: Inputs) -> AuditResult:
    Budget.reset(eval_budget())
    root = dict(inputs.facts)
    root["as_of"] = inputs.as_of
    structs = {m: root[name][0].__class__ for name, m in STRUCT_LISTS.items() if is_struct_list(root.get(name))}
    with expr.read_as_structs(structs):
        return _evaluate(inputs, root)


def _evaluate(inputs: Inputs, root: dict) -> AuditResult:
    by_kind: dict[str, list[str]] = defaultdict(list)
    intact: dict[str, list[AttachmentStatus]] = defaultdict(list)
    for a in inputs.attachments:
        if a.status == "ok":
            by_kind[a.kind].append(a.id)
            intact[a.kind].append(a)
    waivers = {inputs.aliases.get(w.control, w.control): w for w in inputs.waivers}
    ok_attachments = {a for ids in by_kind.values() for a in ids}
    controls: list[ControlResult] = []
    scoped: dict[str, list] = defaultdict(list)  # control id -> units (for the timelines and sanctions)
    for cat in inputs.catalogs:
        for ctl in cat.controls:
            c = ctl.control
            parts = units(ctl, cat.meta.governs, root, inputs.as_of)
            if not parts:
                continue  # not law on the as-of date and no incident under it
            scoped[c.id] = parts
            try:
                results = [_verdict(ctl, u, by_kind, ok_attachments, intact) for u in parts]
            except _CheckFailed as exc:  # a catalog check that cannot be evaluated: its file and line
                raise InputError([exc.problem(cat)]) from None
            except _ItemOutOfRange as exc:  # the item's dates: the facts file's line
                loc = (exc.list, exc.index) if exc.list else ()
                where = f"{exc.list}[{exc.index}]" if exc.list else _("a listed item")
                raise InputError([inputs.facts_doc.problem(loc, _(
                    "{item}: a date computed by check '{check}' of {control} is out of range ({problem}); check dates near "
                    "year 1 or 9999").format(item=where, check=exc.check, control=c.id, problem=exc.message), "")]) from None
            seen = [o for o in inputs.observations if o.control == c.id]
            if seen:  # the records judge the state on the as-of date: they join the current wording's checks
                results[-1] = _with_observations(results[-1], seen, _beyond_examples(inputs.access_records, seen))
            told = [d for d in inputs.disagreements if d.path in ctl.fact_paths]
            if told:  # the organisation's statement and its own systems differ on a fact this duty reads
                results[-1] = _with_disagreements(results[-1], told)
            law = [_law_applied(ctl, u, inputs.as_of) for u in parts]
            if len(parts) > 1:  # each wording's checks say which law judged them
                for u, (_v, checks, _e, _w) in zip(parts, results):
                    for ch in checks:
                        ch.law = f"{u.wording.start.isoformat()}–{u.wording.until.isoformat() if u.wording.until else ''}"
            verdict = min((r[0] for r in results), key=VERDICTS.index)  # worst wins (no waiver applied yet)
            checks = [ch for r in results for ch in r[1]]
            evidence = next((r[2] for r in results if r[2]), [])
            why = next((r[3] for r in results if r[0] == verdict and r[3] is not None), None)
            verdict, waiver, underlying = apply_waiver(verdict, waivers.get(c.id), inputs.as_of)
            latest = law[-1]
            empty = verdict == "compliant" and checks and all(ch.in_scope == 0 for ch in checks)
            stated = [ch.none_stated for ch in checks if ch.none_stated is not None]
            scope_note = (Text(ko="준수 — " + "; ".join(t.ko for t in stated), en="compliant — " + "; ".join(t.en for t in stated))
                          if empty and stated else EMPTY_SCOPE if empty else None)
            controls.append(
                ControlResult(
                    id=c.id,
                    catalog=cat.meta.id,
                    cite=latest.cite,
                    ref=parts[-1].wording.ref,
                    also=c.also,
                    title=c.title,
                    text=latest.text,
                    text_status=latest.text_status,
                    law=law,
                    severity=c.severity,
                    verdict=verdict,
                    underlying_verdict=underlying,
                    not_applicable=why if verdict == "not-applicable" else None,
                    applies_when=c.applies_when,
                    checks=checks,
                    evidence=evidence,
                    waiver=waiver,
                    scope_note=scope_note,
                    remediation=c.remediation,
                    mappings=c.mappings,
                )
            )
    by_verdict = {v: sum(1 for c in controls if c.verdict == v) for v in VERDICTS}
    failing = {
        s: sum(1 for c in controls if c.severity == s and c.verdict in FAILING) for s in ("critical", "high", "medium", "low")
    }
    facts = inputs.facts
    catalogs = [
        CatalogInfo(
            id=c.meta.id, instrument=c.meta.instrument, cite_as=c.meta.cite_as, version=c.meta.version, effective=c.meta.effective, sha256=c.sha256,
            not_judged=c.meta.not_judged,
        )
        for c in inputs.catalogs
    ]
    return AuditResult(
        tool_version=__version__,
        as_of=inputs.as_of,
        period_start=facts.get("period_start"),
        auditor=facts.get("auditor"),
        organization=jsonable(facts.get("organization", {})),
        privacy_officer=jsonable(facts.get("privacy_officer")) or None,
        facts_file=Path(inputs.facts_file).name,
        facts_sha256=file_sha256(inputs.facts_file) or hashlib.sha256(inputs.facts_text.encode("utf-8")).hexdigest(),
        catalogs=catalogs,
        summary=Summary(total=len(controls), by_verdict=by_verdict, failing_by_severity=failing),
        controls=controls,
        attachments=[AttachmentResult(**a.__dict__) for a in inputs.attachments],
        incidents=jsonable(facts.get("incidents") or []),
        timelines=_timelines(inputs.catalogs, root, scoped),
        sanctions=sanctions.sanctions(inputs.catalogs, controls, root),
        remediation_plan=jsonable(facts.get("remediation_plan") or []),
        scope=facts.get("scope"),
        not_examined=facts.get("not_examined") or [],
        systems=[
            {k: s.get(k) for k in ("id", "name", "subjects", "user_data", "unique_identifiers", "sensitive_data")}
            for s in facts.get("systems") or []
        ],
        law_versions=jsonable(versions_applied(inputs.catalogs, inputs.as_of)),
        law_changes=inputs.law_changes,
        attestations=jsonable(facts.get("attestations") or []),
        access_records=inputs.access_records,
        precedents=relevant(inputs.precedents, [c.id for c in controls if c.verdict == "non-compliant"], inputs.as_of),
        todo=todo.build(controls, catalogs, inputs.catalogs, root,  # what is still missing, by item
                        {o.text.en: {"ko": o.text.ko, "en": o.text.en} for o in inputs.observations}),
    )
