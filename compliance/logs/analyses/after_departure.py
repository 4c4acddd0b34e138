"""Access after the holder left or the access was revoked: any access by an account (all its holders gone) or a
credential (revoked, or its owner gone) after that day (``sql/after_departure.sql``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec
from compliance.logs.derived import cutoff_reason_ko


class AfterDepartureItem(d.Item):
    principal: str
    kind: Literal["account", "credential"]
    holder: str | None
    cutoff: dt.date
    cutoff_reason: str
    accesses: int
    days: int
    addresses: int
    systems: int
    first_at: dt.datetime
    last_at: dt.datetime
    example: d.Example


class AfterDepartureAnalysis(d.Analysis):
    items: list[AfterDepartureItem] = []


def build(c, results, as_of):
    items = [AfterDepartureItem(principal=r["principal"], kind=r["kind"], holder=r["holder"], cutoff=c.day(r["cutoff_day"]),
                                cutoff_reason=r["cutoff_reason"], accesses=r["accesses"], days=r["days"],
                                addresses=r["addresses"], systems=r["systems"], first_at=c.at(r["first_epoch"]),
                                last_at=c.at(r["last_epoch"]), example=c.example(r)) for r in results["after_departure.sql"]]
    items.sort(key=lambda i: (-i.accesses, i.principal))
    return items, {"principals": len(items), "accesses": sum(i.accesses for i in items)}, {}


def observe(ctx, a: AfterDepartureAnalysis):
    return [ctx.seen(item.principal, "violation",
                     f"{item.principal}: {cutoff_reason_ko(item.cutoff_reason)} 이후 {item.first_at:%Y-%m-%d}~{item.last_at:%Y-%m-%d} "
                     f"{item.accesses}회 접속",
                     f"{item.principal}: {item.accesses} accesses {item.first_at:%Y-%m-%d} – {item.last_at:%Y-%m-%d} "
                     f"after {item.cutoff_reason}", {"cutoff": item.cutoff.isoformat()},
                     {"accesses": item.accesses, "first_at": item.first_at.isoformat(),
                      "last_at": item.last_at.isoformat()}, [item.example], contradicts=True)
            for item in a.items]


def words() -> dict[str, str]:
    return {"principals": _("principals"), "accesses": _("accesses")}


SPEC = Spec(
    id="after_departure",
    order=40,
    title=d.Text(ko="퇴직·권한 말소 후 접속", en="Access after the holder left or access was revoked"),
    files={"after_departure.sql": ("principal", "kind", "holder", "cutoff_day", "cutoff_reason", "accesses", "days",
                                   "addresses", "systems", "first_epoch", "last_epoch", "ex_epoch", "ex_system",
                                   "ex_ip", "ex_country", "ex_source", "ex_line")},
    model=AfterDepartureAnalysis, build=build, observe=observe, words=words,
    text=("principal", "kind", "holder", "cutoff_reason"),
)
