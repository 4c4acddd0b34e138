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


COLUMNS: dict[str, tuple[str, ...]] = {
    # each query's result columns, in order: results brought back from another engine must carry exactly these
    # (``export.import_results``), and every engine's result is held to them (``analyze.run_queries``)
    "after_departure.sql": ("principal", "kind", "holder", "cutoff_day", "cutoff_reason", "accesses", "days",
                            "addresses", "systems", "first_epoch", "last_epoch", "ex_epoch", "ex_system", "ex_ip",
                            "ex_country", "ex_source", "ex_line"),
    "concurrent_addresses.sql": ("account", "switches", "days", "first_epoch", "last_epoch", "ex_epoch", "ex_ip",
                                 "ex_previous_epoch", "ex_previous_ip", "ex_system", "ex_source", "ex_line"),
    "downloads.sql": ("system", "account", "downloads", "unknown_size", "records_total", "first_epoch", "last_epoch",
                      "ex_epoch", "ex_source", "ex_line", "ex_ip", "ex_records"),
    "off_hours_bursts.sql": ("account", "burst_day", "day_kind", "off_events", "events", "baseline_days",
                             "baseline_off_events"),
    "outside_networks.sql": ("system", "account", "ip", "ip_hex", "country", "country_source", "accesses", "days",
                             "first_epoch", "last_epoch", "ex_source", "ex_line"),
    "retention_coverage.sql": ("system", "known_system", "required_days", "required_basis", "stated_days",
                               "window_start_day", "first_day", "last_day", "days_with_records", "records",
                               "missing_head_days"),
    "retention_gaps.sql": ("system", "start_day", "end_day", "days", "workdays"),
    "reviews.sql": ("system", "period", "start_day", "end_day", "rule", "records", "reviews", "first_review_day",
                    "missed"),
}

NEEDS: dict[str, tuple[str, ...]] = {
    # fields (beyond account, time and address, which every ingested row has) an analysis needs to show its duty:
    # Art 8(1) keeps access records, which hold the data subject and the task (Notice Art 2 item 19); Art 8(2)
    # downloads need the task, the number of records and the reason. An export without them cannot show the duty:
    # insufficient evidence, never a clean zero.
    "retention": ("subject", "action"),
    "downloads": ("action", "records", "reason"),
}


def missing_columns(inputs) -> dict[str, dict[str, list[str]]]:
    """analysis id → {input file: the fields it needs that the file has no column for}. ``inputs``: the manifest's
    (name, columns, actions, unmapped_rows). A file with a task column and no download in it (every task name
    known) shows the downloads duty without a count or a reason column: there is nothing to count."""
    out: dict[str, dict[str, list[str]]] = {}
    for f in inputs:
        have = set(f.columns)
        for aid, needed in NEEDS.items():
            lacking = [x for x in needed if x not in have]
            if aid == "downloads" and lacking and "action" in have:
                known = f.actions is not None and not f.unmapped_rows
                if known and not f.actions.get("download"):
                    lacking = []
            if lacking:
                out.setdefault(aid, {})[f.name] = lacking
    return out


def unmapped_actions(inputs, top: int = 20) -> tuple[int, dict[str, int]]:
    """(rows whose task name the mapping does not know, the most frequent such names with their rows)."""
    rows, names = 0, {}
    for f in inputs:
        rows += f.unmapped_rows or 0
        for name, n in (f.unmapped_actions or {}).items():
            names[name] = names.get(name, 0) + n
    ranked = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return rows, dict(ranked)


def cannot_show(missing: dict[str, list[str]]) -> str:
    """Why an analysis cannot run, as the derived facts record it (English in every language)."""
    return "the records cannot show it: " + "; ".join(
        f"{name} has no column for {', '.join(fields)}" for name, fields in sorted(missing.items()))


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
          not_run: str | None = None, missing: dict[str, list[str]] | None = None, **fields) -> d.Analysis:
    """One analysis of the derived facts. ``missing``: {file: fields} the records lack for it (``missing_columns``);
    ``fields``: further fields of its model (the downloads' unmapped task names)."""
    queries = [d.QueryRef(file=f"sql/{f}", sha256=sha256_text(query_text(f))) for f in spec.files]
    extra_fields = {"missing_columns": missing or {}, **fields}
    if results is None:
        return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="not-run", reason=not_run,
                          queries=queries, **extra_fields)
    items, counts, extra = BUILDERS[spec.id](c, results, as_of_day)
    extra = {**extra, **extra_fields}
    # retention and review items are per system/period: bounded by the facts, kept whole
    keep = items if spec.id in ("retention", "reviews") else items[:limit]
    counts = {"items": len(items), **counts}
    return spec.model(id=spec.id, title=spec.title, provision=spec.provision, status="ran", queries=queries,
                      counts=counts, items_total=len(items), items_truncated=len(keep) < len(items), items=keep, **extra)
