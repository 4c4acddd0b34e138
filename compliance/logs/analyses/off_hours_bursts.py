"""Off-hours bursts: days an account's off-hours events reach ``burst.min_events`` and ``burst.factor`` times its
mean on its other active days (off hours: outside working hours on a working day, or a weekend or holiday of the
calendar) (``sql/off_hours_bursts.sql``). An anomaly for an auditor's look, not a verdict by itself."""

from __future__ import annotations

import datetime as dt

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class BurstItem(d.Item):
    account: str
    day: dt.date
    day_kind: str  # workday / weekend / holiday
    off_hours_events: int
    events: int
    baseline_days: int
    baseline_off_events: int
    baseline_mean: float | None  # off-hours events per other active day (None without a baseline)


class BurstAnalysis(d.Analysis):
    items: list[BurstItem] = []


def build(c, results, as_of):
    items = []
    for r in results["off_hours_bursts.sql"]:
        n = r["baseline_days"]
        items.append(BurstItem(account=r["account"], day=c.day(r["burst_day"]), day_kind=r["day_kind"],
                               off_hours_events=r["off_events"], events=r["events"], baseline_days=n,
                               baseline_off_events=r["baseline_off_events"],
                               baseline_mean=round(r["baseline_off_events"] / n, 3) if n else None))
    items.sort(key=lambda i: (-i.off_hours_events, i.account, i.day))
    return items, {"bursts": len(items), "accounts": len({i.account for i in items}),
                   "events": sum(i.off_hours_events for i in items)}, {}


def observe(ctx, a: BurstAnalysis):
    return [ctx.seen(item.account, "anomaly",
                     f"{item.account}: {item.day}({item.day_kind}) 업무시간 외 {item.off_hours_events}회 접속",
                     f"{item.account}: {item.off_hours_events} off-hours accesses on {item.day} ({item.day_kind}); "
                     f"usual {item.baseline_mean if item.baseline_mean is not None else 'n/a'} per day",
                     observed={"day": item.day.isoformat(), "events": item.off_hours_events})
            for item in a.items]


def words() -> dict[str, str]:
    return {"bursts": _("bursts"), "accounts": _("accounts"), "events": _("events")}


SPEC = Spec(
    id="off_hours_bursts",
    order=60,
    title=d.Text(ko="업무시간 외 집중 접속(같은 날 다른 계정 대비)", en="Off-hours bursts against the other accounts' activity"),
    files={"off_hours_bursts.sql": ("account", "burst_day", "day_kind", "off_events", "events", "baseline_days",
                                    "baseline_off_events")},
    model=BurstAnalysis, build=build, observe=observe, words=words,
    text=("account", "day_kind"),
)
