"""The Korean working calendar: which local days are working days, so "off-hours" means what it means in Korea.

Weekdays are computed here in Python (never in SQL: engines number weekdays differently, and a transpiler was
measured getting it silently wrong); public, substitute and temporary holidays come from the shipped
``data/kr_calendar.yaml`` plus the user's additions. The SQL receives a plain table
``calendar(day_num, workday, kind, name)``.
"""

from __future__ import annotations

import datetime as dt
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
    if not (0 <= h <= 24 and 0 <= m < 60):
        raise ValueError(_("invalid time of day {value}").format(value=repr(text)))
    return h * 60 + m


def build(first: dt.date, last: dt.date, holidays: dict[dt.date, str] | None = None,
          workdays: list[dt.date] | None = None) -> tuple[list[tuple[int, bool, str, str]], list[int]]:
    """Rows (day_num, workday, kind, name) for every day from first to last, and the years the shipped
    holiday list does not cover (off-hours results for them count only weekends as non-working days)."""
    base = shipped()
    known = dict(base["holidays"])
    known.update(holidays or {})
    extra_work = set(workdays or [])
    lo, hi = base["years"]
    covered_by_user = {d.year for d in (holidays or {})}
    rows, uncovered = [], set()
    d = first
    while d <= last:
        if not lo <= d.year <= hi and d.year not in covered_by_user:
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
