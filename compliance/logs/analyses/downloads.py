"""Downloads above the threshold with no recorded reason, per system and account (``sql/downloads.sql``). The
records must show the task, the number of records and the reason: an export without those columns cannot show the
duty, and the analysis is not run (a download would be invisible, or every one a violation)."""

from __future__ import annotations

import datetime as dt

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec, unmapped_actions, unmapped_seen


class DownloadItem(d.Item):
    system: str
    account: str
    downloads: int
    unknown_size: int
    records_total: int
    first_at: dt.datetime
    last_at: dt.datetime
    example: d.Example


class DownloadAnalysis(d.Analysis):
    items: list[DownloadItem] = []
    unmapped_rows: int = 0  # records whose task name the mapping does not know (read as 'other', never a download)
    unmapped_actions: dict[str, int] = {}  # the most frequent such names, with their records


def build(c, results, as_of):
    rows = results["downloads.sql"]
    items = [DownloadItem(system=r["system"], account=r["account"], downloads=r["downloads"],
                          unknown_size=r["unknown_size"], records_total=r["records_total"], first_at=c.at(r["first_epoch"]),
                          last_at=c.at(r["last_epoch"]), example=c.example(r)) for r in rows]
    items.sort(key=lambda i: (-i.records_total, -i.downloads, i.system, i.account))
    return items, {"accounts": len(items), "downloads": sum(i.downloads for i in items),
                   "records": sum(i.records_total for i in items)}, {}


def not_needed(f) -> bool:
    """A file with a task column and no download in it (every task name known) shows the duty without a count or a
    reason column: there is nothing to count."""
    return "action" in f.columns and f.actions is not None and not f.unmapped_rows and not f.actions.get("download")


def extra(inputs) -> dict:
    rows, names = unmapped_actions(inputs)
    return {"unmapped_rows": rows, "unmapped_actions": names}


def limits(ctx, a: DownloadAnalysis):
    return unmapped_seen(ctx, a, "다운로드는 확인할 수 없음", "download",
                         "(매핑 파일의 actions 항목에 지정, 다운로드가 아니면 other)",
                         "name them in a mapping file (actions:, 'other' if not a download)")


def observe(ctx, a: DownloadAnalysis):
    values = ctx.derived.parameters.get("no_reason") or []
    shown = ", ".join(repr(v) for v in values[:3]) + (", …" if len(values) > 3 else "")
    none_en = f" (a blank reason or {shown} counts as none)" if values else " (a blank reason)"
    none_ko = f"(빈칸 또는 {shown}은 사유 없음으로 봄)" if values else "(빈칸은 사유 없음으로 봄)"
    out = []
    for item in a.items:
        s = ctx.systems.get(item.system)
        checked = s.access_log.downloads_reason_checked if s and s.access_log else None
        out.append(ctx.seen(f"{item.system}/{item.account}", "violation",
                            f"{item.account}: 사유 없는 다운로드 {item.downloads}건({item.records_total:,}건의 개인정보){none_ko}",
                            f"{item.account}: {item.downloads} downloads ({item.records_total:,} records) with no recorded "
                            f"reason{none_en}",
                            {"downloads_reason_checked": checked},
                            {"downloads": item.downloads, "records": item.records_total},
                            [item.example], contradicts=bool(checked)))
    return out


def lacking_text(name: str, en_fields: str, ko_fields: str) -> tuple[str, str]:
    return (f"{name}: no column for {en_fields}: downloads without a recorded reason cannot be shown from these "
            f"records", f"{name}: {ko_fields} 열이 없어 사유 없는 다운로드를 접속기록으로 확인할 수 없음")


def notes(a: DownloadAnalysis, derived) -> list[str]:
    lines = []
    if a.unmapped_rows:
        lines.append(_("  {rows} records have task names the mapping does not know (read as 'other', never as "
                       "downloads): {names}").format(rows=f"{a.unmapped_rows:,}", names=_names(a.unmapped_actions)))
    values = derived.parameters.get("no_reason") or []
    shown = ", ".join(repr(v) for v in values[:5]) + (_(", … ({count} values)").format(count=len(values))
                                                       if len(values) > 5 else "")
    lines.append(_("  downloads: a blank reason, or one of {values}, records no reason (parameters: no_reason)").format(
        values=shown or "—"))
    return lines


def _names(counts: dict[str, int], top: int = 5) -> str:
    """'엑셀 다운' 30, '화면 캡처' 5, …: the most frequent task names with their records."""
    shown = [f"{name!r} {n:,}" for name, n in list(counts.items())[:top]]
    return ", ".join(shown) + (", …" if len(counts) > top else "")


def words() -> dict[str, str]:
    return {"accounts": _("accounts"), "downloads": _("downloads"), "records": _("records")}


SPEC = Spec(
    id="downloads",
    order=30,
    title=d.Text(ko="사유 없는 대량 다운로드", en="Downloads above the threshold without a recorded reason"),
    files={"downloads.sql": ("system", "account", "downloads", "unknown_size", "records_total", "first_epoch",
                             "last_epoch", "ex_epoch", "ex_source", "ex_line", "ex_ip", "ex_records")},
    model=DownloadAnalysis, build=build, observe=observe,
    fields=("action", "records", "reason"), run_lacking=False, not_needed=not_needed, extra=extra, limits=limits,
    lacking_text=lacking_text, words=words, notes=notes,
    text=("system", "account"),
)
