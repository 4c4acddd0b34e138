"""Penalty provisions that failing controls engage, each under the regime the law applies to the incident.

Which regime: a 과징금 for a violation that ended before 2023-09-15 follows the former Arts 34-2 and 39-15, one not
ended by then the amended Art 64-2 (Act 19234 addendum Art 8); so a sanction's window is chosen by the day the
violation ended, not by the day the organisation learned of it. The revenue a cap is a share of follows Decree Art
60-2(1) as it stood on that day (the greater of two figures from 2026-05-19). A cap is a statutory maximum computed
from stated figures, never an estimate of the fine; where a figure the rule needs is not stated the cap is unknown
or shown as a lower bound, with the reason. Art 76: a 과태료 is not added for an act a 과징금 already sanctions —
decided per act (failing control), and the acts are named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compliance.catalog import Catalog, Text, matches_control
from compliance.expr import Missing
from compliance.result import ControlResult, SanctionExposure

ART_76 = Text(
    ko="「개인정보 보호법」 제76조: 과징금을 부과한 행위에 대하여는 과태료를 부과할 수 없음",
    en="PIPA Art 76: no fine (과태료) for an act already sanctioned with an administrative fine (과징금)",
)

DECREE_36340 = dt.date(2026, 5, 19)
"""Decree 36340 (in force on promulgation, 2026-05-19) rewrote Art 60-2(1): the greater of the last business year's
revenue and the 3-year average, where it had been the 3-year average alone."""

LEAK_KINDS = ("loss", "theft", "leak", "forgery", "alteration", "damage")
"""What the penalty provisions reach in every version: 분실ㆍ도난ㆍ유출ㆍ위조ㆍ변조ㆍ훼손 (Art 64-2(1)9, former Arts
34-2(1) and 39-15(1)5)."""


@dataclass(frozen=True)
class Base:
    """The revenue a cap is a share of, what it is, and what the report must say about it."""

    krw: int | None
    basis: str
    lower_bound: bool = False
    note: Text | None = None


def revenue_base(org: dict, day: dt.date, related_only: bool = False) -> Base:
    """The revenue base of a revenue cap on ``day`` (the day the violation ended).

    ``related_only``: the former Art 39-15 set the cap on the revenue *related* to the violation; total revenue is
    not a substitute for it. Otherwise the stated related revenue, or total revenue by Decree Art 60-2(1) as in force
    on ``day``, less the revenue stated as unrelated (Art 64-2(2), (3) from 2026-09-11)."""
    if org.get("related_revenue_krw") is not None:
        return Base(org["related_revenue_krw"], "related-revenue")
    if related_only:
        return Base(None, "unknown", note=Text(
            ko="종전 제39조의15는 위반행위와 관련한 매출액을 기준으로 함: 관련 매출액(related_revenue_krw)이 기재되지 않아 상한을 계산하지 않음",
            en="The former Art 39-15 caps the fine on the revenue related to the violation: related_revenue_krw is not stated, so no cap is computed",
        ))
    last, avg = org.get("revenue_krw"), org.get("revenue_3y_avg_krw")
    unrelated = org.get("unrelated_revenue_krw") or 0
    less = "-less-unrelated" if unrelated else ""
    if day >= DECREE_36340:
        if last is not None and avg is not None:
            basis = "revenue" if last >= avg else "revenue-3y-average"
            return Base(max(max(last, avg) - unrelated, 0), f"greater-of-{basis}{less}")
        known = last if last is not None else avg
        if known is None:
            return Base(None, "unknown")
        missing = "revenue_3y_avg_krw" if avg is None else "revenue_krw"
        return Base(max(known - unrelated, 0), ("revenue" if last is not None else "revenue-3y-average") + less, lower_bound=True, note=Text(
            ko=f"시행령 제60조의2제1항(2026. 5. 19. 개정)은 직전 사업연도 매출액과 직전 3개 사업연도 연평균 매출액 중 큰 금액을 기준으로 함: {missing}이(가) 기재되지 않아 표시한 상한은 최솟값임",
            en=f"Decree Art 60-2(1) as amended on 2026-05-19 takes the greater of last year's revenue and the 3-year average: {missing} is not stated, so the cap shown is a lower bound",
        ))
    if avg is not None:
        return Base(max(avg - unrelated, 0), "revenue-3y-average" + less)
    if last is None:
        return Base(None, "unknown")
    return Base(max(last - unrelated, 0), "revenue" + less, note=Text(
        ko="시행령 제60조의2제1항(2026. 5. 19. 개정 전)은 직전 3개 사업연도 연평균 매출액을 기준으로 함: 3년 평균이 기재되지 않아 직전 사업연도 매출액으로 계산한 근사치임",
        en="Decree Art 60-2(1) before 2026-05-19 takes the 3-year average revenue: it is not stated, so the cap is approximated from last year's revenue",
    ))


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def violation_end(inc: dict, as_of: dt.date) -> dt.date | None:
    """The day the violation ended: as stated; else the day the leak was contained; a leak never contained is a
    violation still going on at the as-of date. None: not known (containment stated as unknown)."""
    if inc.get("violation_ended_on") is not None:
        return inc["violation_ended_on"]
    if "contained_at" not in inc:
        return None  # stated as unknown
    contained = _day(inc["contained_at"])
    return as_of if contained is None else contained


def _undetermined(start: dt.date, until: dt.date | None) -> Text:
    """The note of a regime shown because the day the violation ended is not known: which ends it covers."""
    ko_until = f"{until - dt.timedelta(days=1):%Y. %-m. %-d.}" if until else ""
    en_until = f"{until - dt.timedelta(days=1)}" if until else "now"
    return Text(
        ko=f"위반행위가 끝난 날이 기재되지 않음(violation_ended_on, contained_at): 이 규정은 {start:%Y. %-m. %-d.}~{ko_until}에 끝난 위반행위에 적용되며, 다른 날에 끝났다면 그 시기의 규정이 적용됨",
        en=f"When the violation ended is not stated (violation_ended_on, contained_at): this provision applies to a violation that ended {start} to {en_until}; another period's applies otherwise",
    )
KIND_UNSTATED = Text(
    ko="사고에서 개인정보에 일어난 일(kind)이 기재되지 않음: 분실·도난·유출·위조·변조·훼손이 아니면 과징금 규정은 적용되지 않음",
    en="What happened to the personal data (kind) is not stated: the 과징금 provision applies only to loss, theft, leak, forgery, alteration or damage",
)
RESTORED = Text(
    ko="훼손·변조된 개인정보를 모두 복구하여 피해가 없었다고 기재됨: 조문은 훼손·변조에도 적용되나, 과징금 산정에서 고려될 사정임",
    en="Stated as fully restored with no subject affected: the provision's text still reaches damage and alteration; the fact bears on the amount",
)


def _engagement(cs, cat: Catalog, inc: dict, root: dict) -> list[Text] | None:
    """Whether the sanction engages on this incident: None if not; otherwise the notes the report must carry
    (a regime chosen without the day the violation ended, a kind not stated)."""
    s = cs.sanction
    as_of = root["as_of"]
    notes: list[Text] = []
    if s.judged_by == "violation_end":
        day = violation_end(inc, as_of)
        if day is None:
            low = _day(inc.get("began_on")) or cat.meta.effective
            start, until = s.from_ or cat.meta.effective, s.until
            if not (start <= as_of and (until is None or low < until)):
                return None
            notes.append(_undetermined(start, until))
        elif not s.covers(min(day, as_of), cat.meta.effective):
            return None
    else:
        day = _day(inc.get(s.judged_by or "aware_at")) or as_of
        if not s.covers(min(day, as_of), cat.meta.effective):
            return None
    if s.kinds:
        kinds = inc.get("kind")
        if kinds is None:
            notes.append(KIND_UNSTATED)
        elif not set(kinds) & set(s.kinds):
            return None
        elif inc.get("restored_without_harm") is True and set(kinds) <= {"damage", "alteration"}:
            notes.append(RESTORED)
    try:
        if cs.where is not None and not cs.where.fn(root, {"item": inc}):
            return None
    except Missing:
        return None
    return notes


def sanctions(catalogs: list[Catalog], controls: list[ControlResult], root: dict) -> list[SanctionExposure]:
    """Provisions engaged by non-compliant controls, per incident under the penalty law of its time."""
    failing = [c.id for c in controls if c.verdict == "non-compliant"]
    incidents = root.get("incidents") or []
    org = root.get("organization") or {}
    as_of = root["as_of"]
    out: list[SanctionExposure] = []
    barring: set[str] = set()  # acts sanctioned by a 과징금 that Art 76 of its time lets bar a 과태료
    for cat in catalogs:
        for cs in cat.sanctions:
            s = cs.sanction
            hit = [cid for cid in failing if any(matches_control(t, cid) for t in s.triggers)
                   and not any(matches_control(t, cid) for t in s.except_triggers)]
            if not hit:
                continue
            cases: list[tuple[dict | None, list[Text]]] = []
            if not s.requires_incident and s.where is None and s.covers(as_of, cat.meta.effective):
                cases = [(None, [])]  # not tied to an incident, and the law on the as-of date
            else:
                for inc in incidents:
                    notes = _engagement(cs, cat, inc, root)
                    if notes is not None:
                        cases.append((inc, notes))
            for inc, notes in cases:
                base = None
                if s.revenue_ratio is not None:
                    day = (violation_end(inc, as_of) if inc else None) or as_of
                    base = revenue_base(org, min(day, as_of), related_only=s.revenue == "related")
                    cap = int(base.krw * s.revenue_ratio) if base.krw is not None else None
                    basis = base.basis
                    if base.note:
                        notes = [*notes, base.note]
                elif s.cap_krw is not None:
                    cap, basis = s.cap_krw, "fixed"
                else:
                    cap, basis = None, "unknown"
                if s.kind == "administrative-fine" and s.excludes_fines:
                    barring.update(hit)
                out.append(
                    SanctionExposure(
                        id=s.id, cite=Text(ko=cat.cite(s.ref, "ko"), en=cat.cite(s.ref, "en")), title=s.title, text=s.text,
                        text_status="verified" if s.source is not None else "secondary", kind=s.kind, triggered_by=hit,
                        revenue_ratio=s.revenue_ratio, max_krw=cap, basis=basis, lower_bound=bool(base and base.lower_bound),
                        incident=str(inc.get("id")) if inc else None, cap_without_revenue_krw=s.cap_krw if s.revenue_ratio else None,
                        notes=notes,
                    )
                )
    _art_76(out, barring)
    return out


def _art_76(out: list[SanctionExposure], sanctioned: set[str]) -> None:
    """Art 76, per act: the failing controls a 과징금 sanctions leave no 과태료 for the same failures; a 과태료 whose
    every act is so sanctioned is excluded, one with other acts keeps them and names those it loses."""
    for fine in out:
        if fine.kind != "fine":
            continue
        covered = [cid for cid in fine.triggered_by if cid in sanctioned]
        if not covered:
            continue
        fine.excluded_acts = covered
        if len(covered) == len(fine.triggered_by):
            fine.excluded = ART_76
