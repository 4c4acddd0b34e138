"""The analyses: which SQL file answers which provision, and how its rows become derived facts.

The SQL files (``sql/*.sql``) hold the logic; this module only names them, ties each to its provision and the
catalog controls it informs, and turns rows into typed items (day numbers → dates, epoch seconds → local
times). Rows are sorted here, in Python, so the result never depends on an engine's ordering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from compliance.logs import derived as d
from compliance.logs.calendar import from_day_num

SQL_DIR = Path(__file__).parent / "sql"
NOTICE = "개인정보의 안전성 확보조치 기준"


def _prov(article, paragraph, item, ko, en, controls) -> d.Provision:
    return d.Provision(instrument=NOTICE, article=article, paragraph=paragraph, item=item,
                       cite=d.Text(ko=ko, en=en), controls=list(controls))


@dataclass(frozen=True)
class Spec:
    id: str
    files: tuple[str, ...]
    title: d.Text
    provision: d.Provision
    model: type[d.Analysis]
    needs: str | None = None  # a parameter without which it cannot run (e.g. networks)


SPECS: tuple[Spec, ...] = (
    Spec("retention", ("retention_coverage.sql", "retention_gaps.sql"),
         d.Text(ko="접속기록 보관 기간과 공백", en="Access records kept: span and gaps"),
         _prov(8, 1, None, "안전성 확보조치 기준 제8조제1항", "Notice Art 8(1)", ["notice/8.1"]), d.RetentionAnalysis),
    Spec("reviews", ("reviews.sql",),
         d.Text(ko="접속기록 점검 주기", en="Reviews of the access records per period"),
         _prov(8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)", ["notice/8.2"]), d.ReviewAnalysis),
    Spec("downloads", ("downloads.sql",),
         d.Text(ko="사유 없는 대량 다운로드", en="Downloads above the threshold without a recorded reason"),
         _prov(8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)", ["notice/8.2"]), d.DownloadAnalysis),
    Spec("after_departure", ("after_departure.sql",),
         d.Text(ko="퇴직·권한 말소 후 접속", en="Access after the holder left or access was revoked"),
         _prov(5, 2, None, "안전성 확보조치 기준 제5조제2항", "Notice Art 5(2)", ["notice/5.2"]),
         d.AfterDepartureAnalysis),
    Spec("outside_networks", ("outside_networks.sql",),
         d.Text(ko="허용되지 않은 IP 주소에서의 접속", en="Access from outside the approved networks"),
         _prov(6, 1, 2, "안전성 확보조치 기준 제6조제1항제2호", "Notice Art 6(1) item 2", ["notice/6.1"]),
         d.OutsideNetworkAnalysis, needs="networks"),
    Spec("off_hours_bursts", ("off_hours_bursts.sql",),
         d.Text(ko="업무시간 외 평소와 다른 집중 접속", en="Off-hours bursts against the account's own baseline"),
         _prov(8, 2, None, "안전성 확보조치 기준 제8조제2항", "Notice Art 8(2)", ["notice/8.2"]), d.BurstAnalysis),
    Spec("concurrent_addresses", ("concurrent_addresses.sql",),
         d.Text(ko="한 계정의 여러 주소 동시 사용", en="One account used from several networks at once"),
         _prov(5, 4, None, "안전성 확보조치 기준 제5조제4항", "Notice Art 5(4)", ["notice/5.4"]),
         d.ConcurrentAnalysis),
)


def sql_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


def query_text(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Rows = list[dict]


def canonical(columns: list[str], rows: list[tuple]) -> Rows:
    """Rows as dicts, sorted on every column (None first): one order whatever the engine returned."""
    out = [dict(zip(columns, (int(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r))) for r in rows]
    return sorted(out, key=lambda r: tuple((v is not None, v) for v in r.values()))


class Convert:
    def __init__(self, tz_minutes: int):
        self.tz = dt.timezone(dt.timedelta(minutes=tz_minutes))

    def day(self, n):
        return None if n is None else from_day_num(int(n))

    def at(self, epoch):
        return None if epoch is None else dt.datetime.fromtimestamp(int(epoch), self.tz)

    def example(self, r: dict) -> d.Example:
        return d.Example(source=r["ex_source"], line=r["ex_line"], at=self.at(r.get("ex_epoch")), ip=r.get("ex_ip"),
                         system=r.get("ex_system"), country=r.get("ex_country"), records=r.get("ex_records"),
                         previous_ip=r.get("ex_previous_ip"), previous_at=self.at(r.get("ex_previous_epoch")))


def _retention(c: Convert, results: dict[str, Rows], as_of: int):
    items = []
    for r in results["retention_coverage.sql"]:
        first = r["first_day"]
        items.append(d.RetentionItem(
            system=r["system"], known_system=r["known_system"], required_days=r["required_days"],
            required_basis=r["required_basis"], stated_days=r["stated_days"], window_start=c.day(r["window_start_day"]),
            first_record=c.day(first), last_record=c.day(r["last_day"]),
            covered_days=None if first is None else as_of - first + 1, days_with_records=r["days_with_records"],
            records=r["records"], missing_head_days=r["missing_head_days"]))
    gaps = [d.GapItem(system=r["system"], start=c.day(r["start_day"]), end=c.day(r["end_day"]), days=r["days"],
                      workdays=r["workdays"]) for r in results["retention_gaps.sql"]]
    short = [i for i in items if i.known_system and (i.missing_head_days or 0) > 0]
    counts = {"systems": len(items), "systems_short": len(short), "gaps": len(gaps),
              "gap_workdays": sum(g.workdays for g in gaps), "unknown_systems": sum(1 for i in items if not i.known_system)}
    # worst first: most days missing at the head, then by system
    items.sort(key=lambda i: (-(i.missing_head_days or 0), i.system))
    gaps.sort(key=lambda g: (-g.workdays, g.system, g.start))
    return items, counts, {"gaps": gaps}


def _reviews(c: Convert, results, as_of):
    items = [d.ReviewItem(system=r["system"], period=r["period"], start=c.day(r["start_day"]), end=c.day(r["end_day"]),
                          rule=r["rule"], records=r["records"], reviews=r["reviews"],
                          first_review=c.day(r["first_review_day"]), missed=r["missed"]) for r in results["reviews.sql"]]
    items.sort(key=lambda i: (i.system, i.start))
    counts = {"periods": len(items), "periods_with_records": sum(1 for i in items if i.records),
              "missed": sum(1 for i in items if i.missed)}
    return items, counts, {}


def _downloads(c: Convert, results, as_of):
    rows = results["downloads.sql"]
    items = [d.DownloadItem(system=r["system"], account=r["account"], downloads=r["downloads"],
                            unknown_size=r["unknown_size"], records_total=r["records_total"], first_at=c.at(r["first_epoch"]),
                            last_at=c.at(r["last_epoch"]), example=c.example(r)) for r in rows]
    items.sort(key=lambda i: (-i.records_total, -i.downloads, i.system, i.account))
    return items, {"accounts": len(items), "downloads": sum(i.downloads for i in items),
                   "records": sum(i.records_total for i in items)}, {}


def _after(c: Convert, results, as_of):
    items = [d.AfterDepartureItem(principal=r["principal"], kind=r["kind"], holder=r["holder"], cutoff=c.day(r["cutoff_day"]),
                                  cutoff_reason=r["cutoff_reason"], accesses=r["accesses"], days=r["days"],
                                  addresses=r["addresses"], systems=r["systems"], first_at=c.at(r["first_epoch"]),
                                  last_at=c.at(r["last_epoch"]), example=c.example(r)) for r in results["after_departure.sql"]]
    items.sort(key=lambda i: (-i.accesses, i.principal))
    return items, {"principals": len(items), "accesses": sum(i.accesses for i in items)}, {}


def _outside(c: Convert, results, as_of):
    items = [d.OutsideNetworkItem(system=r["system"], account=r["account"], ip=r["ip"], country=r["country"],
                                  country_source=r["country_source"], accesses=r["accesses"], days=r["days"],
                                  first_at=c.at(r["first_epoch"]), last_at=c.at(r["last_epoch"]), example=c.example(r))
             for r in results["outside_networks.sql"]]
    items.sort(key=lambda i: (-i.accesses, i.system, i.account, i.ip))
    return items, {"addresses": len({i.ip for i in items}), "accounts": len({i.account for i in items}),
                   "accesses": sum(i.accesses for i in items),
                   "countries": len({i.country for i in items if i.country})}, {}


def _bursts(c: Convert, results, as_of):
    items = []
    for r in results["off_hours_bursts.sql"]:
        n = r["baseline_days"]
        items.append(d.BurstItem(account=r["account"], day=c.day(r["burst_day"]), day_kind=r["day_kind"],
                                 off_hours_events=r["off_events"], events=r["events"], baseline_days=n,
                                 baseline_off_events=r["baseline_off_events"],
                                 baseline_mean=round(r["baseline_off_events"] / n, 3) if n else None))
    items.sort(key=lambda i: (-i.off_hours_events, i.account, i.day))
    return items, {"bursts": len(items), "accounts": len({i.account for i in items}),
                   "events": sum(i.off_hours_events for i in items)}, {}


def _concurrent(c: Convert, results, as_of):
    items = [d.ConcurrentItem(account=r["account"], switches=r["switches"], days=r["days"], first_at=c.at(r["first_epoch"]),
                              last_at=c.at(r["last_epoch"]), example=c.example(r))
             for r in results["concurrent_addresses.sql"]]
    items.sort(key=lambda i: (-i.switches, i.account))
    return items, {"accounts": len(items), "switches": sum(i.switches for i in items)}, {}


BUILDERS: dict[str, Callable] = {
    "retention": _retention, "reviews": _reviews, "downloads": _downloads, "after_departure": _after,
    "outside_networks": _outside, "off_hours_bursts": _bursts, "concurrent_addresses": _concurrent,
}


def build(spec: Spec, results: dict[str, Rows] | None, c: Convert, as_of_day: int, limit: int,
          not_run: str | None = None) -> d.Analysis:
    queries = [d.QueryRef(file=f"sql/{f}", sha256=sha256_text(query_text(f))) for f in spec.files]
    if results is None:
        return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="not-run", reason=not_run,
                          queries=queries)
    items, counts, extra = BUILDERS[spec.id](c, results, as_of_day)
    # retention and review items are per system/period: bounded by the facts, kept whole
    keep = items if spec.id in ("retention", "reviews") else items[:limit]
    counts = {"items": len(items), **counts}
    return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="ran", queries=queries,
                      counts=counts, items_total=len(items), items_truncated=len(keep) < len(items), items=keep, **extra)
