"""The small input tables every analysis joins with the records, built once in Python from the stated facts,
the parameters and the working calendar (stated in the facts). Every engine receives the same rows, so the SQL stays a pure function of its
inputs; dates are day numbers (days since 1970-01-01) and addresses 32-digit hex, never engine types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from compliance.logs import calendar as cal
from compliance.logs import geo
from compliance.logs.analyses.failed_logins import lockout_row
from compliance.logs.addresses import cidr_range
from compliance.logs.derived import ACCESS_REVOKED, LEFT, REVOKED, cutoff_reason
from compliance.logs.params import Params

MONTHLY_REVIEW_UNTIL = dt.date(2026, 10, 30)
"""Notice 2023-6 Art 8(2) (monthly review) applies to days up to this date; from 2026-10-31 Notice 2025-9
Art 8(2) lets the internal plan set the cycle (addendum: one year after 2025-10-31)."""

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "params": [("as_of", "BIGINT"), ("period_start", "BIGINT"), ("download_threshold", "BIGINT"),
               ("gap_workdays", "BIGINT"), ("burst_min", "BIGINT"), ("burst_factor", "BIGINT"),
               ("window_s", "BIGINT"), ("work_start", "BIGINT"), ("work_end", "BIGINT")],
    "systems": [("system", "STRING"), ("required_days", "BIGINT"), ("required_basis", "STRING"),
                ("stated_days", "BIGINT"), ("window_start", "BIGINT"), ("as_of", "BIGINT")],
    "principals": [("principal", "STRING"), ("kind", "STRING"), ("system", "STRING"), ("holder", "STRING"),
                   ("cutoff", "BIGINT"), ("cutoff_reason", "STRING")],
    "networks": [("system", "STRING"), ("lo", "STRING"), ("hi", "STRING"), ("label", "STRING")],
    "geo": [("lo", "STRING"), ("hi", "STRING"), ("country", "STRING"), ("priority", "BIGINT"), ("prefix", "BIGINT")],
    "calendar": [("day_num", "BIGINT"), ("workday", "BOOLEAN"), ("kind", "STRING"), ("name", "STRING")],
    "review_periods": [("system", "STRING"), ("period", "STRING"), ("start_day", "BIGINT"), ("end_day", "BIGINT"),
                       ("rule", "STRING")],
    "reviews": [("system", "STRING"), ("day_num", "BIGINT")],
    "no_reason": [("value", "STRING")],
    "lockout": [("max_failures", "BIGINT"), ("basis", "STRING"), ("quiet_s", "BIGINT")],
}


@dataclass
class Inputs:
    tables: dict[str, list[tuple]]
    notes: list[str]  # what the reader should know (uncovered calendar years, unknown review cycle, …)
    calendar: dict = field(default_factory=dict)  # the working calendar used, as the derived facts record it


def required_retention(system, org) -> tuple[int, str]:
    """Days Art 8(1) requires for one system, and why (2 years: ≥50,000 subjects, unique identifiers or
    sensitive data, or a key telecom operator; otherwise 1 year)."""
    reasons = []
    if system.subjects is not None and system.subjects >= 50_000:
        reasons.append(f"{system.subjects:,} subjects ≥ 50,000")
    if system.unique_identifiers:
        reasons.append("unique identifiers")
    if system.sensitive_data:
        reasons.append("sensitive data")
    if org is not None and org.key_telecom_operator:
        reasons.append("key telecom operator")
    if reasons:
        return 730, "2 years: " + ", ".join(reasons)
    if system.subjects is None:
        return 365, "1 year (the legal minimum; subjects not stated, so the 2-year rule could not be judged)"
    return 365, "1 year"


def _periods(system_id: str, start: dt.date, as_of: dt.date, cycle: int | None) -> tuple[list[tuple], bool]:
    rows, unknown_cycle = [], False
    d = dt.date(start.year, start.month, 1)
    while d <= min(as_of, MONTHLY_REVIEW_UNTIL):
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        end = min(nxt - dt.timedelta(days=1), MONTHLY_REVIEW_UNTIL)
        rows.append((system_id, d.strftime("%Y-%m"), cal.day_num(d), cal.day_num(end), "monthly (Notice 2023-6 Art 8(2))"))
        d = nxt
    if as_of > MONTHLY_REVIEW_UNTIL:
        d = max(MONTHLY_REVIEW_UNTIL + dt.timedelta(days=1), start)
        if cycle is None:
            unknown_cycle = True
        else:
            while d <= as_of:
                end = d + dt.timedelta(days=cycle - 1)
                rows.append((system_id, f"{d.isoformat()}/{end.isoformat()}", cal.day_num(d), cal.day_num(end),
                             f"every {cycle} days (internal plan, Notice 2025-9 Art 8(2))"))
                d = end + dt.timedelta(days=1)
    return rows, unknown_cycle


def no_reason_values(values: list[str]) -> list[str]:
    """Every reason cell that counts as no reason, in lower case (the SQL compares ``LOWER(reason)``): each value of
    the parameter, and without its spaces ('해당 없음', '해당없음'); ingest trims a cell and reads a blank one as none."""
    out = {form for v in values for form in (v.strip().lower(), "".join(v.lower().split()))}
    return sorted(form for form in out if form)


def period_start(facts) -> dt.date:
    """The audited period's first day: stated, or the first of the month a year before the as-of date."""
    return facts.period_start or dt.date(facts.as_of.year - 1, facts.as_of.month, 1)


def review_cycle(facts) -> int | None:
    """The internal plan's review cycle in days (Notice Art 8(2) from 2026-10-31): the facts are its one source."""
    plan = facts.internal_plan
    rule = plan.access_log_review if plan else None
    return rule.cycle_days if rule else None


def build(facts, params: Params, first_day: dt.date | None, last_day: dt.date | None) -> Inputs:
    """All input tables; the calendar covers the audited period and every day with records."""
    as_of = facts.as_of
    start = period_start(facts)
    working = cal.of_facts(facts)
    notes: list[str] = [working.note()]
    t: dict[str, list[tuple]] = {k: [] for k in SCHEMAS}
    t["params"] = [(cal.day_num(as_of), cal.day_num(start), params.download_threshold, params.gap_workdays,
                    params.burst.min_events, params.burst.factor, params.concurrent_window_seconds,
                    cal.hhmm(working.start), cal.hhmm(working.end))]
    unknown_cycle = False
    for s in facts.systems or []:
        req, basis = required_retention(s, facts.organization)
        window = cal.day_num(as_of) - req + 1
        if s.operating_since:
            window = max(window, cal.day_num(s.operating_since))
        stated = s.access_log.retention_days if s.access_log else None
        t["systems"].append((s.id, req, basis, stated, window, cal.day_num(as_of)))
        rows, unknown = _periods(s.id, start, as_of, review_cycle(facts))
        t["review_periods"] += rows
        unknown_cycle |= unknown
        for r in (s.access_log.reviews or []) if s.access_log else []:
            t["reviews"].append((s.id, cal.day_num(r)))
    if unknown_cycle:
        notes.append("Reviews after 2026-10-30 follow the internal plan's cycle (Notice 2025-9 Art 8(2)); "
                     "state internal_plan.access_log_review.cycle_days in the facts to judge them.")
    handlers = {h.id: h for h in facts.handlers or []}

    def cutoff(h) -> tuple[dt.date, str] | None:
        dates = [(d, cutoff_reason(kind, h.id, d)) for d, kind in ((h.left_on, LEFT), (h.access_revoked_on, ACCESS_REVOKED)) if d]
        return min(dates) if dates else None

    for a in facts.accounts or []:
        holders = [handlers.get(x) for x in a.holders or []]
        cuts = [cutoff(h) for h in holders if h is not None]
        if holders and len(cuts) == len(holders) and all(cuts):  # every holder gone
            when, why = max(cuts)
            t["principals"].append((a.id, "account", a.system, ",".join(a.holders), cal.day_num(when), why))
    for c in facts.credentials or []:
        cuts = []
        if c.revoked_on:
            cuts.append((c.revoked_on, cutoff_reason(REVOKED, c.id, c.revoked_on)))
        owner = handlers.get(c.owner) if c.owner else None
        if owner is not None and cutoff(owner):
            cuts.append(cutoff(owner))
        if cuts:
            when, why = min(cuts)
            t["principals"].append((c.id, "credential", c.system, c.owner, cal.day_num(when), why))
    for n in params.networks:
        lo, hi = cidr_range(n.network)
        for system in n.systems or [None]:
            t["networks"].append((system, lo, hi, n.label or n.network))
    user_geo = params.geo_table()
    if params.geo_file and user_geo is None:  # read only by params.load, under the attachment rules
        raise RuntimeError("parameters with a geo_file must be read by compliance.logs.params.load")
    t["geo"] = geo.table([(g.network, g.country) for g in params.geo], user_geo[:2] if user_geo else None)
    t["no_reason"] = [(v,) for v in no_reason_values(params.no_reason)]
    t["lockout"] = [lockout_row(facts)]  # the failed-login limit: stated, else the catalog's (Notice Art 5(6))
    rows, uncovered = cal.build(min(first_day or start, start), max(last_day or as_of, as_of),
                                working.holidays, working.workdays)
    t["calendar"] = rows
    if uncovered:
        notes.append(f"The shipped holiday list does not cover {', '.join(map(str, uncovered))}: only weekends and "
                     "the holidays the facts state (working_calendar.holidays) count as non-working days there.")
    return Inputs(t, notes, working.record())
