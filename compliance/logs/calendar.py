"""The working calendar: which local days are working days, so "off-hours" means the organisation's off-hours.

Weekdays are computed here in Python (never in SQL: engines number weekdays differently, and a transpiler was
measured getting it silently wrong); public, substitute and temporary holidays come from the shipped
``data/kr_calendar.yaml``, and the organisation's own days off, worked holidays and working hours from the facts
(``working_calendar``: one source, so the analyses and the officer's statement cannot disagree). The SQL receives a
plain table ``calendar(day_num, workday, kind, name)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from compliance.i18n import _

EPOCH = dt.date(1970, 1, 1)
_FILE = Path(__file__).parent / "data" / "kr_calendar.yaml"


def day_num(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day_num(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=n)


@lru_cache(maxsize=1)
def shipped() -> dict:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    data["holidays"] = {dt.date.fromisoformat(str(k)): v for k, v in data["holidays"].items()}
    return data


def hhmm(text: str) -> int:
    """'09:00' → minute of the day."""
    try:
        h, m = (int(part) for part in str(text).split(":"))
    except ValueError:  # no colon, two, or no number: Python's words ("not enough values to unpack") are not for users
        h, m = -1, 0
    if not (0 <= h <= 23 and 0 <= m < 60) and (h, m) != (24, 0):
        raise ValueError(_("invalid time of day {value}").format(value=repr(text)))
    return h * 60 + m


@dataclass(frozen=True)
class Working:
    """The working calendar the analyses use: the facts' ``working_calendar`` over the public calendar (``stated``),
    or the public calendar and the default hours alone."""

    stated: bool
    start: str
    end: str
    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: list[dt.date] = field(default_factory=list)

    def record(self) -> dict:
        """As the derived facts record it (``calendar``)."""
        lo, hi = shipped()["years"]
        return {"source": "facts" if self.stated else "default", "public_holidays": f"KR {lo}-{hi}",
                "working_hours": {"start": self.start, "end": self.end},
                "holidays": {d.isoformat(): n for d, n in sorted(self.holidays.items())},
                "workdays": [d.isoformat() for d in sorted(self.workdays)]}

    def note(self) -> str:
        """One sentence for the derived facts' notes (English, as the other notes)."""
        if not self.stated:
            return (f"Working calendar: the Korean public calendar, {self.start}-{self.end} (the facts state no "
                    "working_calendar).")
        return (f"Working calendar: the facts' working_calendar over the Korean public calendar, {self.start}-{self.end}; "
                f"{len(self.holidays)} days off of the organisation's own, {len(self.workdays)} worked days.")


def of_facts(facts) -> Working:
    """The calendar the facts state (``working_calendar``), defaults filled from the facts model's; stated only when
    some part of it is (an unfilled template's ``working_calendar:`` of blanks states nothing)."""
    from compliance.facts import WORKING_HOURS

    wc = facts.working_calendar
    hours = wc.working_hours if wc is not None else None
    start, end = (hours.start, hours.end) if hours is not None else (None, None)
    if wc is None or (wc.holidays is None and wc.workdays is None and start is None and end is None):
        return Working(False, *WORKING_HOURS)
    return Working(True, start or WORKING_HOURS[0], end or WORKING_HOURS[1],
                   {h.date: h.name or "기관 휴무일" for h in wc.holidays or []}, list(wc.workdays or []))


def build(first: dt.date, last: dt.date, holidays: dict[dt.date, str] | None = None,
          workdays: list[dt.date] | None = None) -> tuple[list[tuple[int, bool, str, str]], list[int]]:
    """Rows (day_num, workday, kind, name) for every day from first to last, and the years the shipped
    holiday list does not cover (off-hours results for them count only weekends and the stated holidays as
    non-working days: an organisation's own days off say nothing of that year's public holidays)."""
    base = shipped()
    known = dict(base["holidays"])
    known.update(holidays or {})
    extra_work = set(workdays or [])
    lo, hi = base["years"]
    rows, uncovered = [], set()
    d = first
    while d <= last:
        if not lo <= d.year <= hi:
            uncovered.add(d.year)
        if d in extra_work:
            rows.append((day_num(d), True, "workday", "declared working day"))
        elif d in known:
            rows.append((day_num(d), False, "holiday", known[d]))
        elif d.weekday() >= 5:
            rows.append((day_num(d), False, "weekend", "토요일" if d.weekday() == 5 else "일요일"))
        else:
            rows.append((day_num(d), True, "workday", ""))
        d += dt.timedelta(days=1)
    return rows, sorted(uncovered)
