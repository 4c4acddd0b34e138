"""Access records kept unaltered and complete across ingests (Notice Art 8(3): kept safe from forgery, alteration,
theft and loss): the chain of ingests back from the analysed folder (``compliance.logs.chain``), no SQL — a day's
rows rewritten since an earlier ingest, days no ingest covers, a predecessor's files changed. One ingest alone, or a
predecessor that cannot be reached, shows nothing across ingests: insufficient evidence, never a clean result."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import NOT_READ, Spec


class ChainLinkItem(d.Item):
    folder: str  # the earlier ingest, below the folder holding the analysed one
    follows: str  # the ingest that recorded it as its predecessor
    manifest_sha256: str  # as that one recorded it
    first_day: dt.date | None
    last_day: dt.date | None
    status: Literal["verified", "not-comparable", "not-verifiable", "broken"]
    # missing · link · not-folder · unreadable (not verifiable); manifest-changed · records-changed (broken);
    # no-digests · zones-differ (its days cannot be compared)
    problem: str | None = None
    file: str | None = None
    detail: str | None = None  # the reader's words, when a file could not be read
    days_compared: int = 0  # system-days both ingests cover, compared digest to digest


class RewriteItem(d.Item):
    system: str
    day: dt.date
    earlier: str  # folder
    later: str
    earlier_rows: int
    earlier_digest: str
    later_rows: int
    later_digest: str
    from_at: dt.datetime | None = None  # only the rows from this time were compared (the later export's start)
    to_at: dt.datetime | None = None  # … up to this one (the earlier export's end)


class ChainGapItem(d.Item):
    start: dt.date
    end: dt.date
    days: int
    after: str  # the ingest whose records end before the gap
    before: str  # the one whose records resume after it


class RecordIntegrityAnalysis(d.Analysis):
    items: list[ChainLinkItem] = []
    rewrites: list[RewriteItem] = []
    gaps: list[ChainGapItem] = []
    digests: bool = False  # the analysed folder holds per-day digests (written by a version that records them)


def _chain(results) -> dict:
    """What ``chain.verify`` read, as ``results[id]`` (``Spec.reads``)."""
    return results["record_integrity"]


def reads(folder, manifest) -> dict:
    from compliance.logs import chain

    return chain.verify(folder, manifest)


def build(c, results, as_of):
    found = _chain(results)
    links = [ChainLinkItem(**row) for row in found["links"]]
    rewrites = [RewriteItem(**{k: v for k, v in r.items() if not k.endswith("_epoch")},
                            from_at=c.at(r["from_epoch"]), to_at=c.at(r["to_epoch"])) for r in found["rewrites"]]
    rewrites.sort(key=lambda r: (r.system, r.day, r.later))
    gaps = [ChainGapItem(**g) for g in found["gaps"]]
    counts = {"ingests": _verified(links) + 1 if found["digests"] else 1,
              "links": len(links), "broken": sum(x.status == "broken" for x in links),
              "not_verifiable": sum(x.status in ("not-verifiable", "not-comparable") for x in links),
              "days_compared": sum(x.days_compared for x in links), "rewrites": len(rewrites),
              "gap_days": sum(g.days for g in gaps)}
    return links, counts, {"rewrites": rewrites, "gaps": gaps, "digests": found["digests"]}


def _verified(links: list[ChainLinkItem]) -> int:
    """Predecessors verified one after the other from the newest (a chain holds up to its first unverified link)."""
    n = 0
    for x in links:
        if x.status != "verified":
            break
        n += 1
    return n


def _stated(ctx, system: str | None = None) -> dict:
    """What the facts state about tamper protection (the system's, else whether every system states it)."""
    systems = [ctx.systems[system]] if system in ctx.systems else list(ctx.systems.values()) if system is None else []
    said = [s.access_log.tamper_protected for s in systems if s.access_log is not None]
    return {"tamper_protected": all(said)} if said and None not in said else {}


def limits(ctx, a: RecordIntegrityAnalysis):
    if a.status != "ran":
        return [ctx.seen("dataset", "insufficient",
                         "수집 폴더를 읽지 않아(다른 엔진에서 가져온 결과) 수집 간 접속기록의 무결성을 확인할 수 없음",
                         f"The access records' integrity across ingests cannot be shown: {a.reason}")]
    if not a.digests:
        return [ctx.seen("dataset", "insufficient",
                         "일별 요약값(digest)이 없는 이전 버전으로 수집되어 수집 간 무결성을 확인할 수 없음(다시 수집 필요)",
                         "Ingested by a version that recorded no per-day digests: integrity across ingests cannot be "
                         "shown (ingest the exports again)")]
    if not a.items:
        return [ctx.seen("dataset", "insufficient",
                         "수집이 한 번뿐이어서 이전에 보관한 접속기록이 위ㆍ변조ㆍ분실되지 않았음을 보여주지 못함"
                         "(다음 수집 때 --previous로 이번 폴더를 지정)",
                         "A single ingest: the records cannot show that the records kept earlier were not altered or "
                         "lost (ingest the next export with --previous naming this folder)")]
    out = []
    for x in a.items:
        if x.status == "not-verifiable":
            ko, en = _UNREACHABLE[x.problem or "unreadable"]
            out.append(ctx.seen(x.folder, "insufficient",
                                f"{x.folder}({x.follows}의 이전 수집): {ko}: 확인할 수 없음(검증된 것으로 보지 않음)",
                                f"{x.folder} (the ingest {x.follows} follows): {en}: not verifiable (never counted as "
                                f"verified)" + (f" ({x.detail})" if x.detail else ""),
                                observed={"folder": x.folder, "problem": x.problem, "file": x.file}))
        elif x.status == "not-comparable":
            ko, en = _INCOMPARABLE[x.problem or "no-digests"]
            out.append(ctx.seen(x.folder, "insufficient", f"{x.folder}와 {x.follows}: {ko}",
                                f"{x.folder} and {x.follows}: {en}", observed={"folder": x.folder, "problem": x.problem}))
    return out


_UNREACHABLE = {
    "missing": ("폴더가 없음", "its folder is not there"),
    "link": ("폴더가 심볼릭 링크여서 읽지 않음", "its folder is a symlink, refused (it could lead anywhere)"),
    "not-folder": ("폴더가 아님", "not a folder"),
    "unreadable": ("읽을 수 없음", "cannot be read"),
}
_INCOMPARABLE = {
    "no-digests": ("일별 요약값이 없는 이전 버전의 수집이어서 날짜별 기록을 비교할 수 없음",
                   "one was ingested by a version without per-day digests: their days cannot be compared"),
    "zones-differ": ("기준 시간대가 달라 날짜별 기록을 비교할 수 없음",
                     "ingested with different local zones: their days cannot be compared"),
}


def observe(ctx, a: RecordIntegrityAnalysis):
    if a.status != "ran" or not a.digests or not a.items:
        return []  # said by limits
    out = []
    for x in a.items:
        if x.status != "broken":
            continue
        if x.problem == "manifest-changed":
            ko = f"{x.file}: {x.follows}가 기록한 SHA-256과 다름(이전 수집의 매니페스트가 수집 후 변경됨)"
            en = f"{x.file}: SHA-256 differs from what {x.follows} recorded (the earlier ingest's manifest was changed)"
        else:
            ko = f"{x.file}: 매니페스트의 SHA-256과 다름(보관 중인 이전 접속기록이 수집 후 변경됨)"
            en = f"{x.file}: SHA-256 differs from its manifest (the kept records were changed after they were ingested)"
        out.append(ctx.seen(x.folder, "violation", ko, en, _stated(ctx),
                            {"folder": x.folder, "file": x.file, "problem": x.problem},
                            contradicts=bool(_stated(ctx).get("tamper_protected"))))
    by_system: dict[str, list[RewriteItem]] = {}
    for r in a.rewrites:
        by_system.setdefault(r.system, []).append(r)
    for system, found in by_system.items():
        first = found[0]
        days = ", ".join(str(r.day) for r in found[:6]) + (" …" if len(found) > 6 else "")
        stated = _stated(ctx, system)
        out.append(ctx.seen(
            system, "violation",
            f"{system}: 이전 수집 이후 접속기록이 바뀐 날 {len(found)}일({days}): {first.day} {first.earlier} "
            f"{first.earlier_rows:,}건 {first.earlier_digest}, {first.later} {first.later_rows:,}건 {first.later_digest}",
            f"{system}: records of {len(found)} day(s) changed since an earlier ingest ({days}): {first.day} was "
            f"{first.earlier_rows:,} rows, digest {first.earlier_digest} in {first.earlier}; now {first.later_rows:,} "
            f"rows, digest {first.later_digest} in {first.later}",
            stated, {"days": [{"day": r.day.isoformat(), "earlier": r.earlier, "earlier_rows": r.earlier_rows,
                               "earlier_digest": r.earlier_digest, "later": r.later, "later_rows": r.later_rows,
                               "later_digest": r.later_digest} for r in found]},
            contradicts=bool(stated.get("tamper_protected"))))
    for g in a.gaps:
        out.append(ctx.seen(
            "dataset", "violation",
            f"{g.start}~{g.end}({g.days}일): 어느 수집에도 접속기록이 없음({g.after}와 {g.before} 사이): 접속기록 분실",
            f"{g.start} – {g.end} ({g.days} days): no ingest holds records (between {g.after} and {g.before}): "
            f"records lost", _stated(ctx),
            {"gap_start": g.start.isoformat(), "gap_end": g.end.isoformat(), "days": g.days},
            contradicts=bool(_stated(ctx).get("tamper_protected"))))
    verified = _verified(a.items)
    if not out and verified:
        oldest = a.items[verified - 1]
        compared = sum(x.days_compared for x in a.items[:verified])
        out.append(ctx.seen(
            "dataset", "clear",
            f"수집 {verified + 1}회의 연결 검증({oldest.folder}부터, {oldest.first_day}~): 겹치는 {compared:,}일(시스템별) "
            f"기록 변경 없음, 빠진 날 없음",
            f"Chain of {verified + 1} ingests verified (back to {oldest.folder}, from {oldest.first_day}): "
            f"{compared:,} system-days both covered are unchanged, no day missing",
            _stated(ctx), {"ingests": verified + 1, "days_compared": compared}))
    return out


def words() -> dict[str, str]:
    return {"ingests": _("ingests"), "links": _("links"), "broken": _("broken"), "not_verifiable": _("not_verifiable"),
            "days_compared": _("days_compared"), "rewrites": _("rewrites"), "gap_days": _("gap_days"),
            NOT_READ: _("the ingested folder was not read (results imported from another engine): run 'logs analyze' "
                        "on it")}


SPEC = Spec(
    id="record_integrity",
    order=75,
    title=d.Text(ko="수집 간 접속기록의 위·변조 및 분실 여부", en="Access records unaltered and complete across ingests"),
    files={},  # read from the manifests of the chain of ingests (reads), no SQL
    model=RecordIntegrityAnalysis, build=build, observe=observe, limits=limits, reads=reads, words=words,
    whole=True,  # one item per ingest of the chain
)
