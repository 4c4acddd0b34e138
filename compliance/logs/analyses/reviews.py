"""Reviews of the access records: each period (a month, or the internal plan's cycle) that has records and no
stated review (``sql/reviews.sql``)."""

from __future__ import annotations

import datetime as dt

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class ReviewItem(d.Item):
    system: str
    period: str  # YYYY-MM, or start/end of a plan cycle
    start: dt.date
    end: dt.date
    rule: str
    records: int
    reviews: int
    first_review: dt.date | None
    missed: bool  # closed period with records and no stated review


class ReviewAnalysis(d.Analysis):
    items: list[ReviewItem] = []


def build(c, results, as_of):
    items = [ReviewItem(system=r["system"], period=r["period"], start=c.day(r["start_day"]), end=c.day(r["end_day"]),
                        rule=r["rule"], records=r["records"], reviews=r["reviews"],
                        first_review=c.day(r["first_review_day"]), missed=r["missed"]) for r in results["reviews.sql"]]
    items.sort(key=lambda i: (i.system, i.start))
    counts = {"periods": len(items), "periods_with_records": sum(1 for i in items if i.records),
              "missed": sum(1 for i in items if i.missed)}
    return items, counts, {}


def observe(ctx, a: ReviewAnalysis):
    missed: dict[str, list[str]] = {}
    for r in a.items:
        if r.missed:
            missed.setdefault(r.system, []).append(r.period)
    out = []
    for system, periods in missed.items():
        s = ctx.systems.get(system)
        stated_reviews = [x.isoformat() for x in (s.access_log.reviews or [])] if s and s.access_log else []
        out.append(ctx.seen(system, "violation", f"{system}: 접속기록이 있으나 점검 기록이 없는 기간 {', '.join(periods)}",
                            f"{system}: periods with records and no stated review: {', '.join(periods)}",
                            {"reviews": stated_reviews}, {"missed": periods}, contradicts=bool(stated_reviews)))
    return out


def words() -> dict[str, str]:
    return {"periods": _("periods"), "periods_with_records": _("periods_with_records"), "missed": _("missed")}


SPEC = Spec(
    id="reviews",
    order=20,
    title=d.Text(ko="접속기록 점검 주기", en="Reviews of the access records per period"),
    files={"reviews.sql": ("system", "period", "start_day", "end_day", "rule", "records", "reviews",
                           "first_review_day", "missed")},
    model=ReviewAnalysis, build=build, observe=observe, words=words,
    whole=True,  # one item per system and period: bounded by the facts
    text=("system", "period", "rule"), flags=("missed",),
)
