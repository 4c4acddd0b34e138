"""Which wording and which checks of a provision apply on a date — decided here and nowhere else.

Why one module: an amendment adds or closes windows on the provisions it changed; it never copies the
unchanged ones. A duty about the organisation's state is judged under the wording in force on the audit's
as-of date; a duty about an incident is judged under the wording in force on the date the law itself
names (awareness for notice and report, occurrence for harm minimisation — Act 21445 addendum Art 2), so
one audit can judge a 2023 leak and a 2026 leak each under its own law.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compliance.catalog import Catalog, CompiledCheck, CompiledControl, CompiledWording, in_force
from compliance.lawtext import normalise


@dataclass
class Unit:
    """One wording of one control, the facts it judges and the checks in force with it."""

    wording: CompiledWording
    root: dict
    checks: list[CompiledCheck]
    incidents: list[str] | None = None
    """for incident duties: the incidents judged under this wording"""
    outside: bool = False
    """incidents are stated, but none falls in a period this provision governs"""


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def judging_day(ctl: CompiledControl, incident: dict) -> dt.date | None:
    """The date that selects the law for this incident: the first stated field of ``judged_by``."""
    fields = ctl.control.judged_by or "aware_at"
    for name in [fields] if isinstance(fields, str) else fields:
        if (day := _day(incident.get(name))) is not None:
            return day
    return None


def units(ctl: CompiledControl, governs: str, root: dict, as_of: dt.date) -> list[Unit]:
    """What to evaluate for one control; empty when the provision is not law on the as-of date and
    governs no incident stated."""
    now = ctl.wording_at(as_of)
    incidents = root.get("incidents")
    governs = ctl.control.governs or governs
    if governs != "incidents" or incidents is None:
        return [Unit(now, root, ctl.checks_at(as_of))] if now else []
    groups: dict[int, list[dict]] = {}
    for inc in incidents:
        day = judging_day(ctl, inc)
        w = ctl.wording_at(day) if day is not None and day <= as_of else now
        if w is not None:
            groups.setdefault(ctl.wordings.index(w), []).append(inc)
    if not groups:
        return [Unit(now, {**root, "incidents": []}, ctl.checks_at(as_of), [], outside=bool(incidents))] if now else []
    out = []
    for k in sorted(groups):
        w = ctl.wordings[k]
        chosen = groups[k]
        out.append(Unit(w, {**root, "incidents": chosen}, ctl.checks_at(w.start), [str(i.get("id", "")) for i in chosen]))
    return out


# --------------------------------------------------------------------------- what changed between two dates


@dataclass
class Change:
    control: str
    catalog: str
    kind: str  # added | removed | reworded | renumbered | re-checked | deferral-ended
    on: dt.date
    before: str | None
    after: str | None
    amended_by: str | None
    detail: str

    def line(self) -> str:
        what = {"added": "in force", "removed": "no longer in force"}.get(self.kind, self.kind)
        cites = " → ".join(c for c in (self.before, self.after) if c) if self.before != self.after else self.after
        by = f" ({self.amended_by})" if self.amended_by else ""
        return f"{self.on.isoformat()}  {self.control}  {what}: {cites}{by}{'; ' + self.detail if self.detail else ''}"


def _checks(ctl: CompiledControl, day: dt.date) -> set[str]:
    return {cc.check.id for cc in ctl.checks_at(day)}


def diff(catalogs: list[Catalog], start: dt.date, end: dt.date) -> list[Change]:
    """Provisions added, removed, re-worded, renumbered or re-checked between two dates (start < end)."""
    if end < start:
        start, end = end, start
    live_start = {c.meta.id for c in in_force(catalogs, start)}
    live_end = {c.meta.id for c in in_force(catalogs, end)}
    out: list[Change] = []
    for cat in catalogs:
        if cat.meta.id not in live_start | live_end:
            continue
        for ctl in cat.controls:
            a = ctl.wording_at(start) if cat.meta.id in live_start else None
            b = ctl.wording_at(end) if cat.meta.id in live_end else None
            cid = ctl.control.id
            if a is None and b is None:
                continue
            cite_a = ctl.cite("en", a.ref) if a else None
            cite_b = ctl.cite("en", b.ref) if b else None
            if a is None:
                out.append(Change(cid, cat.meta.id, "added", b.start if b.start > start else cat.meta.effective, None, cite_b, b.wording.amended_by, ""))
                continue
            if b is None:  # its wording ended, or its catalog was superseded inside the range: on that day
                on = a.until or next((c.meta.effective for c in catalogs if cat.meta.id in c.meta.supersedes
                                      and start < c.meta.effective <= end), start)
                out.append(Change(cid, cat.meta.id, "removed", on, cite_a, None, None, ""))
                continue
            if a is not b:
                on = b.start
                if a.ref != b.ref:
                    out.append(Change(cid, cat.meta.id, "renumbered", on, cite_a, cite_b, b.wording.amended_by, ""))
                if normalise(a.wording.ko) != normalise(b.wording.ko):
                    out.append(Change(cid, cat.meta.id, "reworded", on, cite_a, cite_b, b.wording.amended_by, ""))
            ca, cb = _checks(ctl, start), _checks(ctl, end)
            if ca != cb:
                parts = [f"+{x}" for x in sorted(cb - ca)] + [f"-{x}" for x in sorted(ca - cb)]
                ends = [cc.check.until for cc in ctl.checks if cc.check.until and start < cc.check.until <= end]
                begins = [cc.check.from_ for cc in ctl.checks if cc.check.from_ and start < cc.check.from_ <= end]
                on = min([*ends, *begins], default=end)
                out.append(Change(cid, cat.meta.id, "re-checked", on, cite_a, cite_b, b.wording.amended_by, " ".join(parts)))
            for d, _ in ctl.deferrals:
                if start < d.until <= end:
                    out.append(Change(cid, cat.meta.id, "deferral-ended", d.until, cite_a, cite_b, None, d.basis.en))
    return sorted(out, key=lambda c: (c.on, c.control, c.kind))


def versions_applied(catalogs: list[Catalog], as_of: dt.date) -> list[dict]:
    """Per catalog: the amendments in force on the as-of date, for the report's scope section."""
    out = []
    for cat in catalogs:
        applied = [a for a in cat.meta.amendments if a.in_force <= as_of]
        out.append(
            {
                "catalog": cat.meta.id,
                "instrument": cat.meta.instrument,
                "amendments": [
                    {"id": a.id, "title": a.title, "in_force": a.in_force, "deferred": a.deferred} for a in applied
                ],
                "not_yet": [{"id": a.id, "title": a.title, "in_force": a.in_force} for a in cat.meta.amendments if a.in_force > as_of],
            }
        )
    return out
