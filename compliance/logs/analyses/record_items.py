"""The items each access record must carry (Notice Art 2: who, when, from where, the data subject processed, the
task performed; kept under Art 8(1)): per system and month, how many records lack the data subject or the task
(``sql/record_items.sql``). Account, time and address are checked at ingest (a row without them is rejected); a
column the export lacks altogether makes the duty insufficient evidence, never a clean zero."""

from __future__ import annotations

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec


class RecordItemsItem(d.Item):
    system: str
    period: str  # YYYY-MM
    records: int
    no_subject: int
    no_task: int


class RecordItemsAnalysis(d.Analysis):
    items: list[RecordItemsItem] = []


def build(c, results, as_of):
    items = [RecordItemsItem(system=r["system"], period=f"{r['month'] // 100:04d}-{r['month'] % 100:02d}",
                             records=r["records"], no_subject=r["no_subject"], no_task=r["no_task"])
             for r in results["record_items.sql"]]
    items.sort(key=lambda i: (i.system, i.period))
    lacking = [i for i in items if i.no_subject or i.no_task]
    return items, {"periods": len(items), "periods_lacking": len(lacking),
                   "records_lacking": sum(max(i.no_subject, i.no_task) for i in lacking)}, {}


def observe(ctx, a: RecordItemsAnalysis):
    out = []
    by_system: dict[str, list[RecordItemsItem]] = {}
    for item in a.items:
        if item.system in ctx.systems:
            by_system.setdefault(item.system, []).append(item)
    for system, items in by_system.items():
        lacking = [i for i in items if i.no_subject or i.no_task]
        if not lacking:
            out.append(ctx.seen(system, "clear", f"{system}: 모든 접속기록에 정보주체·수행업무 기록",
                                f"{system}: every record carries the data subject and the task"))
            continue
        subject, task = sum(i.no_subject for i in lacking), sum(i.no_task for i in lacking)
        months = ", ".join(i.period for i in lacking[:6]) + (" …" if len(lacking) > 6 else "")
        out.append(ctx.seen(
            system, "violation",
            f"{system}: 정보주체 정보가 빠진 접속기록 {subject:,}건, 수행업무가 빠진 접속기록 {task:,}건({months})",
            f"{system}: {subject:,} records without the data subject and {task:,} without the task ({months})",
            observed={"records_without_subject": subject, "records_without_task": task, "periods": [i.period for i in lacking]},
            contradicts=False))
    return out


def lacking_text(name: str, en_fields: str, ko_fields: str) -> tuple[str, str]:
    return (f"{name}: no column for {en_fields}: the records do not show every item access records must hold "
            f"(Notice Art 2)", f"{name}: {ko_fields} 열이 없어 접속기록이 갖추어야 할 항목을 확인할 수 없음(고시 제2조)")


def words() -> dict[str, str]:
    return {"periods": _("periods"), "periods_lacking": _("periods_lacking"), "records_lacking": _("records_lacking")}


SPEC = Spec(
    id="record_items",
    order=15,
    title=d.Text(ko="접속기록의 필수 항목(정보주체·수행업무)", en="Items every access record carries (data subject, task)"),
    files={"record_items.sql": ("system", "month", "records", "no_subject", "no_task")},
    model=RecordItemsAnalysis, build=build, observe=observe,
    fields=("subject", "action"), run_lacking=False, lacking_text=lacking_text, words=words,
    whole=True,  # one item per system and month: bounded by the facts and the period
    text=("system",),
)
