"""One account used from two networks (/24, /64) within ``concurrent_window_seconds``
(``sql/concurrent_addresses.sql``): clear for an account stated as shared, a finding for one stated as a single
person's (shared against Art 5(4), or a stolen credential), an anomaly for an account the facts do not state."""

from __future__ import annotations

import datetime as dt

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class ConcurrentItem(d.Item):
    account: str
    switches: int
    days: int
    first_at: dt.datetime
    last_at: dt.datetime
    example: d.Example


class ConcurrentAnalysis(d.Analysis):
    items: list[ConcurrentItem] = []


def build(c, results, as_of):
    items = [ConcurrentItem(account=r["account"], switches=r["switches"], days=r["days"], first_at=c.at(r["first_epoch"]),
                            last_at=c.at(r["last_epoch"]), example=c.example(r))
             for r in results["concurrent_addresses.sql"]]
    items.sort(key=lambda i: (-i.switches, i.account))
    return items, {"accounts": len(items), "switches": sum(i.switches for i in items)}, {}


def observe(ctx, a: ConcurrentAnalysis):
    """Which duty the pattern engages: an account stated as shared (with its reason) agrees with the records; one
    stated as a single person's is contradicted — either it is shared, against Art 5(4), or someone else holds its
    credential (the unlawful access Art 6(1) item 2 asks to detect and answer), and the finding says both; an account
    the facts do not state is an anomaly to explain."""
    out = []
    for item in a.items:
        acc = ctx.accounts.get(item.account)
        shared = acc.shared_reason if acc else None
        holders = list(acc.holders or []) if acc else []
        n = item.switches
        if shared:
            out.append(ctx.seen(item.account, "clear",
                                f"{item.account}: 공유 사유가 기재된 계정의 동시 사용 {n}회",
                                f"{item.account}: an account stated as shared, used from two networks at once {n} times",
                                {"shared_reason": shared}, {"switches": n}, [item.example]))
        elif len(holders) == 1:
            out.append(ctx.seen(item.account, "violation",
                                f"{item.account}: {holders[0]}에게만 발급된 계정이 서로 다른 네트워크에서 동시에 {n}회 쓰임 — "
                                "계정 공유(제5조제4항) 또는 인증수단 도용(제6조제1항제2호: 불법적인 접근 시도의 탐지·대응)",
                                f"{item.account}: an account issued to {holders[0]} alone was used from two networks at once "
                                f"{n} times — shared (Art 5(4)) or its credential stolen (Art 6(1) item 2: detect and answer "
                                "unlawful access)",
                                {"holders": holders, "shared_reason": None}, {"switches": n}, [item.example], contradicts=True))
        else:
            out.append(ctx.seen(item.account, "anomaly",
                                f"{item.account}: 서로 다른 네트워크에서 동시 사용 {n}회 — 공유라면 제5조제4항, 도용이라면 "
                                "제6조제1항제2호의 대상(계정의 사용자·공유 사유를 기재하면 판단함)",
                                f"{item.account}: used from two networks within minutes {n} times — Art 5(4) if shared, "
                                "Art 6(1) item 2 if its credential was stolen (state the account's holders or shared reason "
                                "to have it judged)",
                                {"shared_reason": shared}, {"switches": n}, [item.example]))
    return out


def words() -> dict[str, str]:
    return {"accounts": _("accounts"), "switches": _("switches")}


SPEC = Spec(
    id="concurrent_addresses",
    order=70,
    title=d.Text(ko="한 계정의 여러 주소 동시 사용", en="One account used from several networks at once"),
    files={"concurrent_addresses.sql": ("account", "switches", "days", "first_epoch", "last_epoch", "ex_epoch", "ex_ip",
                                        "ex_previous_epoch", "ex_previous_ip", "ex_system", "ex_source", "ex_line")},
    model=ConcurrentAnalysis, build=build, observe=observe, words=words,
    text=("account",),
)
