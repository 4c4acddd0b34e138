"""Dates that cannot be right: input errors (``FILE:LINE``, exit 2), never a verdict.

Only the impossible is refused; the merely unusual (a leak contained before anyone noticed it, a first signal
before the estimated start of the leak) is a fact like any other:

- the file's ``as_of`` before its ``period_start`` (an audit cannot end before it starts);
- an incident event after the file's ``as_of`` (the facts cannot state what had not happened on their own date);
  every timestamp is read on its own calendar day, in its own UTC offset;
- becoming aware of a leak, reporting it or notifying subjects of it before the day it began;
- reporting or notifying (of a possible or a confirmed leak) before the first moment the organisation learned
  anything about the incident (the earliest of ``aware_at``, ``possible_leak_aware_at`` and ``awareness``).

The rules read the facts as stated in the file, so ``validate``, ``check`` and ``report`` agree; ``--as-of``
judges the same facts on another date and does not change them.
"""

from __future__ import annotations

import datetime as dt

from compliance.facts import Facts
from compliance.i18n import _
from compliance.loading import Problem
from compliance.located import Document

EVENTS = ("aware_at", "contained_at", "reported_to_pipc_at", "subjects_notified_at", "possible_leak_aware_at", "possible_leak_notified_at")
ACTS = ("reported_to_pipc_at", "subjects_notified_at", "possible_leak_notified_at")  # things one does about a known incident
OF_THE_LEAK = ("aware_at", "reported_to_pipc_at", "subjects_notified_at")  # cannot precede the leak itself


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()  # the calendar day in the timestamp's own offset
    return value if isinstance(value, dt.date) else None


def impossible_dates(facts: Facts, text: str, path: str) -> list[Problem]:
    doc = Document(path, text)
    problems: list[Problem] = []

    def add(loc: tuple, message: str) -> None:
        problems.append(doc.problem(loc, message))

    as_of = facts.as_of
    if facts.period_start is not None and as_of < facts.period_start:
        add(("period_start",), _("the audited period starts on {start} but as_of is {as_of}: an audit cannot end before it "
                                 "starts").format(start=facts.period_start, as_of=as_of))
    for i, inc in enumerate(facts.incidents or []):
        base = ("incidents", i)
        stamps = [((*base, k), getattr(inc, k)) for k in EVENTS]
        stamps += [((*base, "awareness", j, "at"), a.at) for j, a in enumerate(inc.awareness or [])]
        stamps += [((*base, "notices", j, "at"), n.at) for j, n in enumerate(inc.notices or [])]
        if inc.began_on is not None and inc.began_on > as_of:
            add((*base, "began_on"), _("{field} {value} is after as_of {as_of}: the facts cannot state what had not happened "
                                       "yet").format(field="began_on", value=inc.began_on, as_of=as_of))
        for loc, value in stamps:
            day = _day(value)
            if day is not None and day > as_of:
                add(loc, _("{field} {value} is after as_of {as_of}: the facts cannot state what had not happened yet").format(
                    field=loc[-1], value=value.isoformat(), as_of=as_of))
        if inc.began_on is not None:
            of_leak = [((*base, k), getattr(inc, k)) for k in OF_THE_LEAK]
            of_leak += [((*base, "notices", j, "at"), n.at) for j, n in enumerate(inc.notices or []) if n.kind == "confirmed"]
            for loc, value in of_leak:
                day = _day(value)
                if day is not None and day < inc.began_on:
                    add(loc, _("{field} {value} is before the leak began (began_on {began_on})").format(
                        field=loc[-1], value=value.isoformat(), began_on=inc.began_on))
        learned = [v for v in (inc.aware_at, inc.possible_leak_aware_at, *(a.at for a in inc.awareness or [])) if isinstance(v, dt.datetime)]
        if learned:
            first = min(learned)
            acts = [((*base, k), getattr(inc, k)) for k in ACTS] + [((*base, "notices", j, "at"), n.at) for j, n in enumerate(inc.notices or [])]
            for loc, value in acts:
                if isinstance(value, dt.datetime) and value < first:
                    add(loc, _("{field} {value} is before the organisation first learned of the incident ({first})").format(
                        field=loc[-1], value=value.isoformat(), first=first.isoformat()))
    return problems
