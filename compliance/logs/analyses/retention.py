"""Access records kept: how far back each system's records reach against the period the Notice requires, and the
working days without any record (``sql/retention_coverage.sql``, ``sql/retention_gaps.sql``)."""

from __future__ import annotations

import datetime as dt

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class RetentionItem(d.Item):
    system: str
    known_system: bool  # false: in the records but not in the facts
    required_days: int | None
    required_basis: str | None
    stated_days: int | None
    window_start: dt.date | None  # first day records must exist from (as_of - required + 1, or operating_since)
    first_record: dt.date | None
    last_record: dt.date | None
    covered_days: int | None  # as_of - first_record + 1: how far back the records actually reach
    days_with_records: int
    records: int
    missing_head_days: int | None  # days between window_start and first_record without records


class GapItem(d.Item):
    system: str
    start: dt.date
    end: dt.date
    days: int
    workdays: int


class RetentionAnalysis(d.Analysis):
    items: list[RetentionItem] = []
    gaps: list[GapItem] = []


def build(c, results, as_of: int):
    items = []
    for r in results["retention_coverage.sql"]:
        first = r["first_day"]
        items.append(RetentionItem(
            system=r["system"], known_system=r["known_system"], required_days=r["required_days"],
            required_basis=r["required_basis"], stated_days=r["stated_days"], window_start=c.day(r["window_start_day"]),
            first_record=c.day(first), last_record=c.day(r["last_day"]),
            covered_days=None if first is None else as_of - first + 1, days_with_records=r["days_with_records"],
            records=r["records"], missing_head_days=r["missing_head_days"]))
    gaps = [GapItem(system=r["system"], start=c.day(r["start_day"]), end=c.day(r["end_day"]), days=r["days"],
                    workdays=r["workdays"]) for r in results["retention_gaps.sql"]]
    short = [i for i in items if i.known_system and (i.missing_head_days or 0) > 0]
    counts = {"systems": len(items), "systems_short": len(short), "gaps": len(gaps),
              "gap_workdays": sum(g.workdays for g in gaps), "unknown_systems": sum(1 for i in items if not i.known_system)}
    # worst first: most days missing at the head, then by system
    items.sort(key=lambda i: (-(i.missing_head_days or 0), i.system))
    gaps.sort(key=lambda g: (-g.workdays, g.system, g.start))
    return items, counts, {"gaps": gaps}


def observe(ctx, a: RetentionAnalysis):
    out = []
    for item in a.items:
        stated = {"retention_days": item.stated_days} if item.known_system else {}
        if not item.known_system:
            continue
        if item.first_record is None:
            out.append(ctx.seen(item.system, "insufficient", f"{item.system}: 제출된 접속기록 없음",
                                f"{item.system}: no access records submitted", stated))
            continue
        observed = {"first_record": item.first_record.isoformat(), "covered_days": item.covered_days,
                    "required_days": item.required_days}
        if (item.missing_head_days or 0) > 0:
            contradicts = item.stated_days is not None and item.stated_days > (item.covered_days or 0)
            out.append(ctx.seen(
                item.system, "violation",
                f"{item.system}: 보관기간 {item.stated_days}일로 기재, 접속기록은 {item.first_record}부터 {item.covered_days}일분"
                f"만 존재(법정 {item.required_days}일)",
                f"{item.system}: stated retention {item.stated_days} days; records exist from {item.first_record}: "
                f"{item.covered_days} days (required {item.required_days}: {item.required_basis})",
                stated, observed, contradicts=contradicts))
        else:
            out.append(ctx.seen(item.system, "clear", f"{item.system}: 접속기록 {item.covered_days}일분 보관 확인",
                                f"{item.system}: records cover {item.covered_days} days", stated, observed))
    for gap in a.gaps:
        if gap.system in ctx.systems:
            out.append(ctx.seen(gap.system, "violation",
                                f"{gap.system}: {gap.start}~{gap.end} 접속기록 없음(근무일 {gap.workdays}일)",
                                f"{gap.system}: no records {gap.start} – {gap.end} ({gap.workdays} working days)",
                                observed={"gap_start": gap.start.isoformat(), "gap_end": gap.end.isoformat(),
                                          "workdays": gap.workdays}, contradicts=True))
    return out


def lacking_text(name: str, en_fields: str, ko_fields: str) -> tuple[str, str]:
    # access records hold the data subject and the task (Notice Art 2 item 19)
    return (f"{name}: no column for {en_fields}: the records do not show every item access records must hold "
            f"(Notice Art 2)", f"{name}: {ko_fields} 열이 없어 접속기록이 갖추어야 할 항목을 확인할 수 없음(고시 제2조)")


def words() -> dict[str, str]:
    return {"systems": _("systems"), "systems_short": _("systems_short"), "gaps": _("gaps"),
            "gap_workdays": _("gap_workdays"), "unknown_systems": _("unknown_systems")}


SPEC = Spec(
    id="retention",
    order=10,
    title=d.Text(ko="접속기록 보관 기간과 공백", en="Access records kept: span and gaps"),
    files={
        "retention_coverage.sql": ("system", "known_system", "required_days", "required_basis", "stated_days",
                                   "window_start_day", "first_day", "last_day", "days_with_records", "records",
                                   "missing_head_days"),
        "retention_gaps.sql": ("system", "start_day", "end_day", "days", "workdays"),
    },
    model=RetentionAnalysis, build=build, observe=observe,
    fields=("subject", "action"), lacking_text=lacking_text, words=words,
    whole=True,  # one item per system: bounded by the facts
    text=("system", "required_basis"), flags=("known_system",),
)
