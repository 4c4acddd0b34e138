"""Stated against observed: what a check needs from the derived facts, one ``Observation`` per finding.

``compare(facts, derived)`` turns the analyses into observations tied to catalog controls, each citing the
stated fact and what the records show ("stated retention 730 days; the records reach back to 2025-07-16:
138 days"), with its examples. The evaluator decides verdicts from ``status``:

- ``violation``: the records show the duty was not met (an offender for the control);
- ``insufficient``: the records cannot support a finding (too many rejected rows, no records for a system);
- ``anomaly``: worth an auditor's look (off-hours burst, one account on two networks), not a verdict by itself;
- ``clear``: the analysis ran and found nothing against the statement.

``load_derived(path, facts_path)`` validates the JSON against ``DerivedFacts`` and refuses derived facts made
from another version of the facts file (their SHA-256 is recorded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from compliance.i18n import _
from compliance.loading import InputError, fail, load, located
from compliance.located import Document
from compliance.logs import derived as d
from compliance.logs.derived import cutoff_reason_ko
from compliance.logs.manifest import sha256_file


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control: str  # catalog control id, e.g. "notice/8.1"
    analysis: str  # derived-facts analysis id
    subject: str  # system, account, credential or "dataset"
    status: Literal["violation", "insufficient", "anomaly", "clear"]
    contradicts_stated: bool  # the records contradict something the facts state
    stated: dict[str, Any] = {}
    observed: dict[str, Any] = {}
    text: d.Text
    examples: list[d.Example] = []


def load_derived(path: str | Path, facts_path: str | Path | None = None, controls: set[str] | None = None) -> d.DerivedFacts:
    """The derived facts of ``path``; with ``controls`` (the ids the catalogs know), an analysis bound to a control no
    catalog has is refused at its line: what it found would otherwise inform nothing, without a word."""
    p = Path(path)
    # bounded, regular files only, an input of the run (no output may overwrite it); duplicate keys, deep nesting
    # and huge numbers are one located line
    data, text = load(p, as_json=True)
    if not isinstance(data, dict):
        raise fail(p, _("not derived facts: expected a JSON object, found {kind}").format(kind=type(data).__name__), 1)
    try:
        derived = d.DerivedFacts.model_validate(data)
    except ValidationError as exc:
        problems = located(p, text, exc).problems
        first = problems[0]
        text = _("not derived facts of this version ({field}: {message}; {count} problem(s)); run 'logs analyze' again")
        raise fail(p, text.format(field=first.field, message=first.message, count=len(problems)), first.line) from None
    if facts_path is not None and sha256_file(Path(facts_path)) != derived.facts_sha256:
        raise fail(p, _("was derived from another version of {facts} (SHA-256 differs); run 'logs analyze' "
                        "again").format(facts=facts_path))
    if controls is not None:
        doc = Document(str(p), text)
        unknown = [doc.problem(("analyses", name, "provision", "controls", i),
                               _("no control '{control}' in the catalogs: the {analysis} analysis would inform "
                                 "nothing; run 'logs analyze' with these catalogs again").format(control=cid,
                                                                                                  analysis=name))
                   for name, an in dict(derived.analyses).items() for i, cid in enumerate(an.provision.controls) if cid not in controls]
        if unknown:
            raise InputError(unknown)
    return derived


def _obs(control, analysis, subject, status, text_ko, text_en, stated=None, observed=None, examples=(),
         contradicts=False) -> Observation:
    return Observation(control=control, analysis=analysis, subject=subject, status=status,
                       contradicts_stated=contradicts, stated=stated or {}, observed=observed or {},
                       text=d.Text(ko=text_ko, en=text_en), examples=list(examples))


FIELD_KO = {"subject": "처리한 정보주체 정보", "action": "수행업무", "records": "처리건수", "reason": "사유"}


def _cannot_show(analysis: str, name: str, fields: list[str]) -> tuple[str, str]:
    """(English, Korean) of an export that lacks the columns an analysis needs."""
    en_fields, ko_fields = ", ".join(fields), ", ".join(FIELD_KO.get(f, f) for f in fields)
    if analysis == "downloads":
        return (f"{name}: no column for {en_fields}: downloads without a recorded reason cannot be shown from these "
                f"records", f"{name}: {ko_fields} 열이 없어 사유 없는 다운로드를 접속기록으로 확인할 수 없음")
    return (f"{name}: no column for {en_fields}: the records do not show every item access records must hold "
            f"(Notice Art 2)", f"{name}: {ko_fields} 열이 없어 접속기록이 갖추어야 할 항목을 확인할 수 없음(고시 제2조)")


def compare(facts, derived: d.DerivedFacts) -> list[Observation]:
    out: list[Observation] = []
    a = derived.analyses
    ds = derived.dataset
    if not ds.sufficient:
        why_en = ("the share of rejected rows is unknown" if ds.rejected_ratio is None else
                  f"{ds.rows_rejected:,} of {ds.rows_in:,} rows were rejected ({ds.rejected_ratio:.2%} > "
                  f"{ds.max_rejected_ratio:.2%})")
        why_ko = ("거부된 행의 비율을 알 수 없음" if ds.rejected_ratio is None else
                  f"전체 {ds.rows_in:,}행 중 {ds.rows_rejected:,}행 거부({ds.rejected_ratio:.2%} > {ds.max_rejected_ratio:.2%})")
        for an in (a.retention, a.reviews, a.downloads, a.after_departure, a.outside_networks, a.off_hours_bursts,
                   a.concurrent_addresses):
            for control in an.provision.controls:
                out.append(_obs(control, an.id, "dataset", "insufficient", f"접속기록으로 판단할 수 없음: {why_ko}",
                                f"The access records cannot support a finding: {why_en}",
                                observed={"rows_in": ds.rows_in, "rows_rejected": ds.rows_rejected}))
        return out
    systems = {s.id: s for s in facts.systems or []}
    accounts = {x.id: x for x in facts.accounts or []}

    # duties the records cannot show: columns an export lacks, task names the mapping does not know
    for an in (a.retention, a.reviews, a.downloads, a.after_departure, a.outside_networks, a.off_hours_bursts,
               a.concurrent_addresses):
        for name, fields in sorted(an.missing_columns.items()):
            en, ko = _cannot_show(an.id, name, fields)
            for control in an.provision.controls:
                out.append(_obs(control, an.id, name, "insufficient", ko, en, observed={"missing_columns": fields}))
    if a.downloads.unmapped_rows:
        names = a.downloads.unmapped_actions
        top_en = ", ".join(f"{k!r} {v:,}" for k, v in list(names.items())[:5]) + (", …" if len(names) > 5 else "")
        for control in a.downloads.provision.controls:
            out.append(_obs(
                control, "downloads", "dataset", "insufficient",
                f"매핑에 없는 수행업무 이름의 기록 {a.downloads.unmapped_rows:,}건({top_en}): 그 가운데 다운로드는 확인할 수 "
                f"없음(매핑 파일의 actions 항목에 지정, 다운로드가 아니면 other)",
                f"{a.downloads.unmapped_rows:,} records have task names the mapping does not know ({top_en}): any "
                f"download among them is not seen; name them in a mapping file (actions:, 'other' if not a download)",
                observed={"unmapped_rows": a.downloads.unmapped_rows, "unmapped_actions": names}))

    # Art 8(1): retention
    for item in a.retention.items:
        stated = {"retention_days": item.stated_days} if item.known_system else {}
        if not item.known_system:
            continue
        if item.first_record is None:
            out.append(_obs("notice/8.1", "retention", item.system, "insufficient",
                            f"{item.system}: 제출된 접속기록 없음", f"{item.system}: no access records submitted",
                            stated))
            continue
        observed = {"first_record": item.first_record.isoformat(), "covered_days": item.covered_days,
                    "required_days": item.required_days}
        if (item.missing_head_days or 0) > 0:
            contradicts = item.stated_days is not None and item.stated_days > (item.covered_days or 0)
            out.append(_obs(
                "notice/8.1", "retention", item.system, "violation",
                f"{item.system}: 보관기간 {item.stated_days}일로 기재, 접속기록은 {item.first_record}부터 {item.covered_days}일분"
                f"만 존재(법정 {item.required_days}일)",
                f"{item.system}: stated retention {item.stated_days} days; records exist from {item.first_record}: "
                f"{item.covered_days} days (required {item.required_days}: {item.required_basis})",
                stated, observed, contradicts=contradicts))
        else:
            out.append(_obs("notice/8.1", "retention", item.system, "clear",
                            f"{item.system}: 접속기록 {item.covered_days}일분 보관 확인",
                            f"{item.system}: records cover {item.covered_days} days", stated, observed))
    for gap in a.retention.gaps:
        if gap.system in systems:
            out.append(_obs("notice/8.1", "retention", gap.system, "violation",
                            f"{gap.system}: {gap.start}~{gap.end} 접속기록 없음(근무일 {gap.workdays}일)",
                            f"{gap.system}: no records {gap.start} – {gap.end} ({gap.workdays} working days)",
                            observed={"gap_start": gap.start.isoformat(), "gap_end": gap.end.isoformat(),
                                      "workdays": gap.workdays}, contradicts=True))

    # Art 8(2): reviews
    missed: dict[str, list[str]] = {}
    for r in a.reviews.items:
        if r.missed:
            missed.setdefault(r.system, []).append(r.period)
    for system, periods in missed.items():
        s = systems.get(system)
        stated_reviews = [x.isoformat() for x in (s.access_log.reviews or [])] if s and s.access_log else []
        out.append(_obs("notice/8.2", "reviews", system, "violation",
                        f"{system}: 접속기록이 있으나 점검 기록이 없는 기간 {', '.join(periods)}",
                        f"{system}: periods with records and no stated review: {', '.join(periods)}",
                        {"reviews": stated_reviews}, {"missed": periods}, contradicts=bool(stated_reviews)))

    # Art 8(2): downloads without a reason
    values = derived.parameters.get("no_reason") or []
    shown = ", ".join(repr(v) for v in values[:3]) + (", …" if len(values) > 3 else "")
    none_en = f" (a blank reason or {shown} counts as none)" if values else " (a blank reason)"
    none_ko = f"(빈칸 또는 {shown}은 사유 없음으로 봄)" if values else "(빈칸은 사유 없음으로 봄)"
    for item in a.downloads.items:
        s = systems.get(item.system)
        checked = s.access_log.downloads_reason_checked if s and s.access_log else None
        out.append(_obs("notice/8.2", "downloads", f"{item.system}/{item.account}", "violation",
                        f"{item.account}: 사유 없는 다운로드 {item.downloads}건({item.records_total:,}건의 개인정보){none_ko}",
                        f"{item.account}: {item.downloads} downloads ({item.records_total:,} records) with no recorded "
                        f"reason{none_en}",
                        {"downloads_reason_checked": checked}, {"downloads": item.downloads, "records": item.records_total},
                        [item.example], contradicts=bool(checked)))

    # Art 5(2): access after departure or revocation
    for item in a.after_departure.items:
        out.append(_obs("notice/5.2", "after_departure", item.principal, "violation",
                        f"{item.principal}: {cutoff_reason_ko(item.cutoff_reason)} 이후 {item.first_at:%Y-%m-%d}~{item.last_at:%Y-%m-%d} "
                        f"{item.accesses}회 접속",
                        f"{item.principal}: {item.accesses} accesses {item.first_at:%Y-%m-%d} – {item.last_at:%Y-%m-%d} "
                        f"after {item.cutoff_reason}", {"cutoff": item.cutoff.isoformat()},
                        {"accesses": item.accesses, "first_at": item.first_at.isoformat(),
                         "last_at": item.last_at.isoformat()}, [item.example], contradicts=True))

    # Art 6(1) item 2: access from outside the approved networks
    for item in a.outside_networks.items:
        s = systems.get(item.system)
        where = f"{item.ip} ({item.country})" if item.country else item.ip
        out.append(_obs("notice/6.1", "outside_networks", f"{item.system}/{item.account}", "violation",
                        f"{item.account}: 허용되지 않은 주소 {where}에서 {item.accesses}회 접속",
                        f"{item.account}: {item.accesses} accesses from {where}, outside the approved networks",
                        {"ip_restricted": s.ip_restricted if s else None,
                         "ip_leak_detection": s.ip_leak_detection if s else None},
                        {"ip": item.ip, "country": item.country, "accesses": item.accesses}, [item.example],
                        contradicts=bool(s and (s.ip_restricted or s.ip_leak_detection))))

    # anomalies an auditor should look at
    for item in a.off_hours_bursts.items:
        out.append(_obs("notice/8.2", "off_hours_bursts", item.account, "anomaly",
                        f"{item.account}: {item.day}({item.day_kind}) 업무시간 외 {item.off_hours_events}회 접속",
                        f"{item.account}: {item.off_hours_events} off-hours accesses on {item.day} ({item.day_kind}); "
                        f"usual {item.baseline_mean if item.baseline_mean is not None else 'n/a'} per day",
                        observed={"day": item.day.isoformat(), "events": item.off_hours_events}))
    for item in a.concurrent_addresses.items:
        acc = accounts.get(item.account)
        shared = acc.shared_reason if acc else None
        out.append(_obs("notice/5.4", "concurrent_addresses", item.account, "clear" if shared else "anomaly",
                        f"{item.account}: 서로 다른 네트워크에서 동시 사용 {item.switches}회",
                        f"{item.account}: used from two networks within minutes {item.switches} times",
                        {"shared_reason": shared}, {"switches": item.switches}, [item.example]))
    return out
