"""Access from addresses outside the approved networks (parameter ``networks``), with the address's country (the
user's table, else the export's column, else the shipped special-purpose label) (``sql/outside_networks.sql``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec

UNMET = "no approved networks given (parameters: networks)"


class OutsideNetworkItem(d.Item):
    system: str
    account: str
    ip: str
    country: str | None
    country_source: Literal["address table", "export", "shipped table"] | None
    accesses: int
    days: int
    first_at: dt.datetime
    last_at: dt.datetime
    example: d.Example


class OutsideNetworkAnalysis(d.Analysis):
    items: list[OutsideNetworkItem] = []


def build(c, results, as_of):
    items = [OutsideNetworkItem(system=r["system"], account=r["account"], ip=r["ip"], country=r["country"],
                                country_source=r["country_source"], accesses=r["accesses"], days=r["days"],
                                first_at=c.at(r["first_epoch"]), last_at=c.at(r["last_epoch"]), example=c.example(r))
             for r in results["outside_networks.sql"]]
    items.sort(key=lambda i: (-i.accesses, i.system, i.account, i.ip))
    return items, {"addresses": len({i.ip for i in items}), "accounts": len({i.account for i in items}),
                   "accesses": sum(i.accesses for i in items),
                   "countries": len({i.country for i in items if i.country})}, {}


def observe(ctx, a: OutsideNetworkAnalysis):
    out = []
    for item in a.items:
        s = ctx.systems.get(item.system)
        where = f"{item.ip} ({item.country})" if item.country else item.ip
        out.append(ctx.seen(f"{item.system}/{item.account}", "violation",
                            f"{item.account}: 허용되지 않은 주소 {where}에서 {item.accesses}회 접속",
                            f"{item.account}: {item.accesses} accesses from {where}, outside the approved networks",
                            {"ip_restricted": s.ip_restricted if s else None,
                             "ip_leak_detection": s.ip_leak_detection if s else None},
                            {"ip": item.ip, "country": item.country, "accesses": item.accesses}, [item.example],
                            contradicts=bool(s and (s.ip_restricted or s.ip_leak_detection))))
    return out


def words() -> dict[str, str]:
    return {"addresses": _("addresses"), "accounts": _("accounts"), "accesses": _("accesses"),
            "countries": _("countries"), UNMET: _("no approved networks given (parameters: networks)")}


SPEC = Spec(
    id="outside_networks",
    order=50,
    title=d.Text(ko="허용되지 않은 IP 주소에서의 접속", en="Access from outside the approved networks"),
    files={"outside_networks.sql": ("system", "account", "ip", "ip_hex", "country", "country_source", "accesses",
                                    "days", "first_epoch", "last_epoch", "ex_source", "ex_line")},
    model=OutsideNetworkAnalysis, build=build, observe=observe, words=words,
    needs="networks", unmet=UNMET,
    text=("system", "account", "ip", "ip_hex", "country", "country_source"),
)
