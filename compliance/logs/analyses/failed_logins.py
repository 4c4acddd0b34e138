"""Failed authentications in a row beyond the limit (Notice Art 5(6): access restricted after a set number of
failed attempts), per system and account (``sql/failed_logins.sql``, ``sql/failed_logins_systems.sql``).

A run is one account's failed authentications on one system in time order, each within ``QUIET_SECONDS`` of the
one before; a successful login, or a longer pause, ends it. A run longer than the limit that ends in a login within
that pause is what a lock would have prevented: the stated limit was not enforced. A pause ends a run because a lock
that lifts after some minutes is a restriction the notice allows: a login after it shows nothing. Exactly the
limit, then a login, is not counted: systems differ on whether the locking attempt is the limit's last or the next.
The limit is the facts' ``password_policy.lockout_after_failures`` (the access records are the handlers'), else the
binding catalog's reading of "a set number" (``lockout_max_failures``); the ``lockout`` table carries it into the SQL.

Records without a login or without a failed login cannot show the duty, and say so per system: one system's logins
often sit in another export than its other tasks, so it is judged per system, never per export."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Literal

from compliance.i18n import _
from compliance.logs import derived as d
from compliance.logs.analyses import Spec, unmapped_actions, unmapped_seen

QUIET_SECONDS = 300
"""a pause (seconds) without an attempt that ends a run: a lock shorter than this reads as no lock"""
CATALOG_PARAMETER = "lockout_max_failures"
"""the catalog parameter that reads "a set number of failures" when the facts state no limit"""


def stated_limit(facts) -> int | None:
    policy = facts.password_policy
    return policy.lockout_after_failures if policy is not None else None


def lockout_row(facts) -> tuple[int | None, str, int]:
    """The ``lockout`` table's one row: (the limit compared, 'stated' or 'catalog', ``QUIET_SECONDS``). A stated 0 (no
    lockout) is no limit to hold the records to: the catalog's reading is."""
    stated = stated_limit(facts)
    if stated is not None and stated >= 1:
        return stated, "stated", QUIET_SECONDS
    return catalog_limit(), "catalog", QUIET_SECONDS


def catalog_limit() -> int | None:
    """``lockout_max_failures`` of the catalog binding this analysis (None: it reads no whole number there)."""
    from compliance.catalog import default_catalog_dir
    from compliance.logs import analyses

    return _catalog_limit(str(analyses.CATALOG_DIR or default_catalog_dir()))


@lru_cache(maxsize=4)
def _catalog_limit(where: str) -> int | None:
    from compliance.catalog import CatalogFile, catalog_files
    from compliance.loading import read_text, validate_file

    for path in catalog_files(where):
        if not re.search(r"^analyses:", read_text(path), re.M):
            continue
        model, _text = validate_file(path, CatalogFile)
        if model.analyses is None or "failed_logins" not in model.analyses.informs:
            continue
        found = model.parameters.get(CATALOG_PARAMETER)
        if found is not None and re.fullmatch(r"\s*\d+\s*", found.expr):
            return int(found.expr)
    return None


class FailedLoginItem(d.Item):
    """An account with a run longer than the limit, and its worst run (the longest ending in a login)."""

    system: str
    account: str
    runs: int
    failures: int
    longest: int
    runs_over: int  # runs longer than the limit
    runs_over_then_login: int  # of them, ended by a login within the quiet period
    run_failures: int
    run_from: dt.datetime
    run_to: dt.datetime
    login_at: dt.datetime | None
    login: d.Example | None  # the login that ended the run
    example: d.Example  # the run's first failure


class FailedLoginSystem(d.Item):
    system: str
    records: int
    logins: int
    failures: int
    accounts_failing: int
    runs: int
    longest: int
    accounts_over: int
    accounts_over_then_login: int


class FailedLoginsAnalysis(d.Analysis):
    items: list[FailedLoginItem] = []
    systems: list[FailedLoginSystem] = []
    limit: int | None = None  # failed attempts in a row allowed, as compared
    limit_basis: Literal["stated", "catalog"] | None = None
    quiet_seconds: int | None = None
    unmapped_rows: int = 0  # records whose task name the mapping does not know: a failure among them is not seen
    unmapped_actions: dict[str, int] = {}


_NO_RUNS = {"accounts_failing": 0, "runs": 0, "longest": 0, "accounts_over": 0, "accounts_over_then_login": 0}
"""a system's run figures before any account's row is added (and for a system where no account failed)"""


def build(c, results, as_of):
    items = []
    per_system: dict[str, dict[str, int]] = {}  # the runs' figures per system, summed from every account's row
    for r in results["failed_logins.sql"]:
        s = per_system.setdefault(r["system"], dict(_NO_RUNS))
        s["accounts_failing"] += 1
        s["runs"] += r["runs"]
        s["longest"] = max(s["longest"], r["longest"])
        s["accounts_over"] += r["runs_over"] > 0
        s["accounts_over_then_login"] += r["runs_over_login"] > 0
        if not r["runs_over"]:
            continue  # within the limit: counted above, not an item
        login = None
        if r["login_source"] is not None:
            login = d.Example(source=r["login_source"], line=r["login_line"], at=c.at(r["login_epoch"]),
                              ip=r["login_ip"])
        items.append(FailedLoginItem(
            system=r["system"], account=r["account"], runs=r["runs"], failures=r["failures"], longest=r["longest"],
            runs_over=r["runs_over"], runs_over_then_login=r["runs_over_login"], run_failures=r["run_failures"],
            run_from=c.at(r["run_first_epoch"]), run_to=c.at(r["run_last_epoch"]), login_at=c.at(r["login_epoch"]),
            login=login, example=c.example(r)))
    items.sort(key=lambda i: (-i.runs_over_then_login, -i.longest, i.system, i.account))
    rows = results["failed_logins_systems.sql"]
    systems = sorted((FailedLoginSystem(system=r["system"], records=r["records"], logins=r["logins"],
                                        failures=r["failures"], **per_system.get(r["system"], _NO_RUNS))
                      for r in rows), key=lambda s: s.system)
    first = rows[0] if rows else {}
    counts = {"systems": len(systems), "failures": sum(s.failures for s in systems),
              "accounts_over": sum(s.accounts_over for s in systems),
              "accounts_over_then_login": sum(s.accounts_over_then_login for s in systems)}
    return items, counts, {"systems": systems, "limit": first.get("max_failures"), "limit_basis": first.get("basis"),
                           "quiet_seconds": first.get("quiet_s")}


def extra(inputs) -> dict:
    rows, names = unmapped_actions(inputs)
    return {"unmapped_rows": rows, "unmapped_actions": names}


def _limit_words(a: FailedLoginsAnalysis, stated: int | None) -> tuple[str, str]:
    """(Korean, English) of the limit compared and where it comes from."""
    if a.limit_basis == "stated":
        return f"허용 횟수 {a.limit}회(사실 파일에 밝힌 값)", f"limit {a.limit} failed attempts (stated)"
    if stated == 0:
        return (f"허용 횟수 {a.limit}회(잠금 없음(0)으로 밝혀 본 카탈로그 기준과 비교)",
                f"limit {a.limit} failed attempts (stated: no lockout, 0; this catalog's reading compared)")
    return (f"허용 횟수 {a.limit}회(밝힌 값이 없어 본 카탈로그 기준과 비교)",
            f"limit {a.limit} failed attempts (none stated; this catalog's reading compared)")


def _stated(a: FailedLoginsAnalysis, stated: int | None) -> dict:
    out: dict = {"password_policy.lockout_after_failures": stated}
    if a.limit_basis == "catalog":
        out[CATALOG_PARAMETER] = a.limit
    return out


def _span(start: dt.datetime, end: dt.datetime) -> str:
    """'2025-03-04 14:00:00 – 14:00:44' (the end's date only when it differs)."""
    shown = f"{end:%H:%M:%S}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M:%S}"
    return f"{start:%Y-%m-%d %H:%M:%S} – {shown}"


def observe(ctx, a: FailedLoginsAnalysis):
    if a.status != "ran":
        return []
    stated = stated_limit(ctx.facts)
    out = []
    if a.limit is None:
        for s in a.systems:
            out.append(ctx.seen(
                s.system, "insufficient",
                f"{s.system}: 인증 실패 허용 횟수를 밝히지 않았고(password_policy.lockout_after_failures) 카탈로그에도 "
                f"기준({CATALOG_PARAMETER})이 없어 연속 인증 실패를 판단할 수 없음",
                f"{s.system}: no limit is stated (password_policy.lockout_after_failures) and the catalog reads none "
                f"({CATALOG_PARAMETER}): runs of failed attempts cannot be judged",
                _stated(a, stated), {"failures": s.failures}))
        return out
    limit_ko, limit_en = _limit_words(a, stated)
    minutes = (a.quiet_seconds or QUIET_SECONDS) // 60
    for item in a.items:
        observed = {"longest_run": item.longest, "runs_over_limit": item.runs_over,
                    "runs_over_limit_then_login": item.runs_over_then_login, "run_failures": item.run_failures,
                    "run_from": item.run_from.isoformat(), "run_to": item.run_to.isoformat()}
        examples = [item.example, *([item.login] if item.login else [])]
        span = _span(item.run_from, item.run_to)
        if item.runs_over_then_login and item.login_at is not None:
            gap = int((item.login_at - item.run_to).total_seconds())
            observed |= {"login_at": item.login_at.isoformat(), "login_after_seconds": gap}
            out.append(ctx.seen(
                f"{item.system}/{item.account}", "violation",
                f"{item.account}({item.system}): {limit_ko}; 접속기록에는 {item.run_failures}회 연속 인증에 실패한 "
                f"뒤({span}) {gap}초 만에 로그인에 성공한 기록이 있음({item.login_at:%Y-%m-%d %H:%M:%S}): 접근이 "
                f"제한되지 않음. 허용 횟수를 넘긴 뒤 로그인에 성공한 경우 {item.runs_over_then_login}회",
                f"{item.account} on {item.system}: {limit_en}; the records show {item.run_failures} failed "
                f"authentications in a row ({span}), then a successful login {gap} s later "
                f"({item.login_at:%Y-%m-%d %H:%M:%S}): access was not restricted. Runs past the limit that ended in a "
                f"login: {item.runs_over_then_login}",
                _stated(a, stated), observed, examples, contradicts=a.limit_basis == "stated"))
        else:
            out.append(ctx.seen(
                f"{item.system}/{item.account}", "anomaly",
                f"{item.account}({item.system}): {limit_ko}; 허용 횟수를 넘긴 연속 인증 실패 구간 {item.runs_over}개(가장 긴 "
                f"것 {item.longest}회, {span}), 그 뒤 {minutes}분 안에 로그인에 성공한 기록은 없음. 잠긴 계정에 대한 "
                f"시도도 실패로 기록될 수 있으므로 비밀번호 대입 시도인지 확인 필요",
                f"{item.account} on {item.system}: {limit_en}; {item.runs_over} run(s) of failed "
                f"authentications past it (the longest {item.longest}, {span}), none followed by a login within "
                f"{minutes} minutes. Attempts on a locked account may be recorded as failures too: check for password "
                f"guessing",
                _stated(a, stated), observed, examples))
    for s in a.systems:
        counts = {"records": s.records, "logins": s.logins, "failures": s.failures}
        lacking = _cannot_show(s)
        if lacking is not None:
            out.append(ctx.seen(s.system, "insufficient", *lacking, _stated(a, stated), counts))
        elif not s.accounts_over_then_login:
            out.append(ctx.seen(
                s.system, "clear",
                f"{s.system}: {limit_ko}; 인증 실패 {s.failures:,}건, 연속 실패 구간 {s.runs:,}개 중 가장 긴 것 "
                f"{s.longest}회; 허용 횟수를 넘긴 뒤 로그인에 성공한 계정 없음",
                f"{s.system}: {limit_en}; {s.failures:,} failed authentications in {s.runs:,} run(s), the longest "
                f"{s.longest}; no account logged in after more failures in a row than the limit",
                _stated(a, stated), {**counts, "runs": s.runs, "longest_run": s.longest}))
    return out


def _cannot_show(s) -> tuple[str, str] | None:
    """(Korean, English) of why a system's records cannot show whether failures are limited, or None when they can."""
    if not s.logins and not s.failures:
        return (f"{s.system}: 접속기록 {s.records:,}건에 로그인·인증 실패 기록이 없어 인증 실패 시 접근 제한을 접속기록으로 "
                f"확인할 수 없음",
                f"{s.system}: its {s.records:,} records hold no login and no failed authentication: they cannot show "
                f"whether access is restricted after failed attempts")
    if not s.failures:
        return (f"{s.system}: 로그인 기록 {s.logins:,}건이 있으나 인증 실패 기록이 없음: 실패를 기록하지 않는지 실패가 "
                f"없었는지 접속기록으로 구별할 수 없음",
                f"{s.system}: {s.logins:,} logins and no failed authentication in the records: whether failures go "
                f"unrecorded or none occurred, the records cannot tell")
    if not s.logins:
        return (f"{s.system}: 인증 실패 기록 {s.failures:,}건이 있으나 로그인 성공 기록이 없어 허용 횟수를 넘긴 뒤의 "
                f"로그인을 접속기록으로 확인할 수 없음",
                f"{s.system}: {s.failures:,} failed authentications and no successful login in the records: a login "
                f"after the limit cannot be seen")
    return None


def limits(ctx, a: FailedLoginsAnalysis):
    return unmapped_seen(ctx, a, "인증 실패·로그인은 확인할 수 없음", "failed authentication or login",
                         "(매핑 파일의 actions 항목에 login-failed 또는 login으로 지정, 둘 다 아니면 other)",
                         "name them in a mapping file (actions: login-failed or login, 'other' if neither)")


def lacking_text(name: str, en_fields: str, ko_fields: str) -> tuple[str, str]:
    return (f"{name}: no column for {en_fields}: logins and failed authentications cannot be told from other records",
            f"{name}: {ko_fields} 열이 없어 로그인·인증 실패 기록을 구별할 수 없음")


def notes(a: FailedLoginsAnalysis, derived) -> list[str]:
    if a.status != "ran":
        return []
    if a.limit is None:
        return [_("  failed logins: no limit is stated (password_policy.lockout_after_failures) and the catalog reads "
                  "none (lockout_max_failures): runs of failures were not judged")]
    basis = (_("stated in the facts: password_policy.lockout_after_failures") if a.limit_basis == "stated" else
             _("this catalog's reading: lockout_max_failures"))
    minutes = (a.quiet_seconds or QUIET_SECONDS) // 60
    return [_("  failed logins: limit {limit} failed attempts in a row ({basis}); a run ends at a successful login or "
              "after {minutes} minutes without an attempt").format(limit=a.limit, basis=basis, minutes=minutes)]


def words() -> dict[str, str]:
    return {"systems": _("systems"), "failures": _("failures"), "accounts_over": _("accounts_over"),
            "accounts_over_then_login": _("accounts_over_then_login")}


SPEC = Spec(
    id="failed_logins",
    order=45,
    title=d.Text(ko="허용 횟수를 넘긴 연속 인증 실패", en="Failed authentications in a row beyond the limit"),
    files={"failed_logins.sql": ("system", "account", "runs", "failures", "longest", "runs_over", "runs_over_login",
                                 "run_failures", "run_first_epoch", "run_last_epoch", "login_epoch", "login_source",
                                 "login_line", "login_ip", "ex_epoch", "ex_source", "ex_line", "ex_ip"),
           "failed_logins_systems.sql": ("system", "records", "logins", "failures", "max_failures", "basis", "quiet_s")},
    model=FailedLoginsAnalysis, build=build, observe=observe,
    fields=("action",), extra=extra, limits=limits, lacking_text=lacking_text, words=words, notes=notes,
    text=("system", "account", "login_source", "login_ip", "basis"),
)
