"""A realistic synthetic access-record export with planted anomalies, for tests, benchmarks and demos.

The organisation mirrors the seed example (an e-commerce platform: ``sys-commerce`` and the token service
``sys-auth``): handlers work in office hours on Korean working days from the office network or the VPN, a few
from home; most tasks are views. Planted, each with a known answer (``PLANTED``):

- intrusion: ``sign-key-7`` of departed handler h-0042 used at night from an overseas address (Art 5(2), 6(1)2)
- missed revocation: ``acc-0420`` keeps working after h-0420 left on 2025-05-30 (Art 5(2))
- bulk downloads with no reason by ``acc-0188`` (Art 8(2))
- an off-hours burst by ``acc-0230`` on 2025-10-06 (추석, a public holiday) (Art 8(2))
- the shared ``acc-ops-batch`` used from two networks within a minute (Art 5(4))
- a logging gap on ``sys-commerce`` 2025-08-04 – 2025-08-12 and ``sys-auth`` purged before 2025-03-01 (Art 8(1))
- password guessing: ``acc-cs-desk`` fails 12 times in a row on 2025-04-15, then logs in; that morning 2 failures
  then a login, within any limit (Art 5(6)). The export's only authentication events, written last without a random
  draw: every other line is as it was before they were planted

``write_world(folder, rows)`` writes ``export.csv``, ``facts.yaml`` and ``params.yaml`` that belong together.
Pure Python and deterministic (a seeded generator): the same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from compliance.logs.calendar import build as build_calendar

START, END = dt.date(2024, 12, 1), dt.date(2025, 11, 30)
GAP = (dt.date(2025, 8, 4), dt.date(2025, 8, 12))
AUTH_PURGED_BEFORE = dt.date(2025, 3, 1)
INTRUSION_FROM, INTRUSION_TO = dt.date(2025, 6, 24), dt.date(2025, 11, 17)
FOREIGN = ("198.51.100.23", "198.51.100.24")
BURST_DAY = dt.date(2025, 10, 6)
LEFT_0420 = dt.date(2025, 5, 30)

PLANTED = {
    "after_departure": {"sign-key-7", "acc-0420"},
    "outside_country": {"198.51.100.23": "SG", "198.51.100.24": "SG"},
    "downloads": {"acc-0188"},
    "burst": ("acc-0230", BURST_DAY),
    "concurrent": {"acc-ops-batch"},
    "gap": ("sys-commerce", GAP),
    "purged": ("sys-auth", AUTH_PURGED_BEFORE),
    "password_guessing": ("sys-commerce", "acc-cs-desk", 12),
}

HEADERS_KO = ["계정", "접속일시", "접속지 정보", "시스템", "수행업무", "처리한 정보주체 정보", "처리건수", "사유"]
HEADERS_EN = ["account", "timestamp", "ip", "system", "action", "subject", "records", "reason"]
ACTIONS_KO = ["조회"] * 85 + ["수정"] * 6 + ["입력"] * 4 + ["다운로드"] * 3 + ["출력", "삭제"]
ACTIONS_EN = ["view"] * 85 + ["update"] * 6 + ["insert"] * 4 + ["download"] * 3 + ["print", "delete"]
FAILED, LOGIN = 100, 101  # beyond the 100 tasks drawn at random: planted only
ACTIONS_KO += ["로그인 실패", "로그인"]
ACTIONS_EN += ["login failed", "login"]
GUESSED_ON = dt.date(2025, 4, 15)


def _ts_formats(d: dt.date, h: int, m: int, s: int, k: int) -> str:
    """The timestamp shapes Korean exports mix (naive = KST)."""
    if k == 0:
        return f"{d.year}/{d.month:02d}/{d.day:02d} {h:02d}:{m:02d}:{s:02d}"
    if k == 1:
        ap, h12 = ("오후", h - 12 if h > 12 else h) if h >= 12 else ("오전", h or 12)
        return f"{d.year}. {d.month}. {d.day}. {ap} {h12}:{m:02d}:{s:02d}"
    if k == 2:
        return f"{d.year}{d.month:02d}{d.day:02d}{h:02d}{m:02d}{s:02d}"
    if k == 3:
        return f"{d.year}-{d.month:02d}-{d.day:02d}T{h:02d}:{m:02d}:{s:02d}+09:00"
    return f"{d.year}.{d.month:02d}.{d.day:02d} {h:02d}:{m:02d}:{s:02d}"


class World:
    def __init__(self, rows: int, seed: int = 7):
        self.rng = random.Random(seed)
        self.rows = rows
        self.n_acc = max(12, rows // 20_000)
        cal, _ = build_calendar(START, END)
        days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
        self.workdays = [d for d, row in zip(days, cal) if row[1]]
        self.offdays = [d for d, row in zip(days, cal) if not row[1]]
        named = ["acc-0188", "acc-0230", "acc-0420"]  # the planted ones always exist
        self.accounts = named + [f"acc-{i:04d}" for i in range(1, self.n_acc + 1) if f"acc-{i:04d}" not in named]

    def ip_for(self, i: int, day: dt.date) -> str:
        """One place per account and day (office, VPN or home), as people work."""
        r = ((i * 7919 + day.toordinal() * 104729) % 1000) / 1000
        if r < 0.80:
            return f"10.20.{i // 200}.{i % 200 + 10}"  # office
        if r < 0.97 or i % 50:
            return f"10.99.{i // 200}.{i % 200 + 10}"  # VPN
        return f"211.234.{i % 250}.{i % 200 + 1}"  # home, outside the approved networks (every 50th account)

    def normal(self, n: int):
        rng, accs = self.rng, self.accounts
        for _ in range(n):
            i = rng.randrange(len(accs))
            acc = accs[i]
            system = "sys-auth" if i % 5 == 0 else "sys-commerce"
            pool = self.workdays if rng.random() < 0.97 else self.offdays
            day = rng.choice(pool)
            while ((system == "sys-auth" and day < AUTH_PURGED_BEFORE)  # purged, logging gap, account gone quiet:
                   or (system == "sys-commerce" and GAP[0] <= day <= GAP[1])  # drawn again, so no day gets the
                   or (acc == "acc-0420" and day > dt.date(2025, 7, 15))):  # displaced activity as a burst
                day = rng.choice(pool)
            r = rng.random()
            h = rng.randrange(9, 18) if r < 0.9 else rng.choice((7, 8, 18, 19, 20, 21)) if r < 0.99 else rng.randrange(0, 6)
            k = rng.randrange(100)
            records = rng.randrange(1, 200) if k in (95, 96, 97) else 1
            reason = "고객 요청 처리" if k in (95, 96, 97) and rng.random() < 0.8 else ""
            yield (acc, day, h, rng.randrange(60), rng.randrange(60), self.ip_for(i, day), system, k, records, reason)

    def planted(self):
        rng = self.rng
        n_intr = max(30, self.rows // 1000)
        span = (INTRUSION_TO - INTRUSION_FROM).days
        for j in range(n_intr):
            day = INTRUSION_FROM + dt.timedelta(days=j * span // n_intr)
            yield ("sign-key-7", day, rng.randrange(1, 5), rng.randrange(60), rng.randrange(60), FOREIGN[j % 2],
                   "sys-auth", 0, 1, "")
        for j in range(5):
            day = dt.date(2025, 9, 1) + dt.timedelta(days=j * 7)
            yield ("acc-0188", day, 15, 10 + j, 0, "10.20.0.198", "sys-commerce", 97, 20_000 + j * 15_000, "")
        for j in range(max(60, self.rows // 100_000)):
            yield ("acc-0230", BURST_DAY, 2 + j % 3, j % 60, j % 59, "10.99.1.40", "sys-commerce", 0, 1, "")
        for j in range(20):
            day = self.workdays[40 + j * 5]
            yield ("acc-ops-batch", day, 10, 0, 0, "10.20.1.5", "sys-commerce", 0, 1, "")
            yield ("acc-ops-batch", day, 10, 0, 30, "10.99.3.7", "sys-commerce", 0, 1, "")

    def password_guessing(self):
        """Password guessing on a shared desk account (no random draw: the other lines stay as they were)."""
        system, acc, n = PLANTED["password_guessing"]
        ip = "10.20.3.40"
        rows = [(acc, GUESSED_ON, 9, 30, 5 * j, ip, system, FAILED, 1, "") for j in range(2)]
        rows.append((acc, GUESSED_ON, 9, 30, 15, ip, system, LOGIN, 1, ""))
        rows += [(acc, GUESSED_ON, 14, j // 15, 4 * (j % 15), ip, system, FAILED, 1, "") for j in range(n)]
        rows.append((acc, GUESSED_ON, 14, 1, 0, ip, system, LOGIN, 1, ""))
        return rows

    def lines(self, korean: bool = True, mixed: bool = True):
        actions = ACTIONS_KO if korean else ACTIONS_EN
        rng = random.Random(self.rng.random())
        planted = list(self.planted())
        auth = self.password_guessing()
        normal = self.normal(max(0, self.rows - len(planted) - len(auth)))
        for acc, day, h, m, s, ip, system, k, records, reason in _chain(planted, normal, auth):
            if mixed:
                ts = _ts_formats(day, h, m, s, rng.randrange(5))
            else:
                ts = f"{day.isoformat()} {h:02d}:{m:02d}:{s:02d}"
            yield f"{acc},{ts},{ip},{system},{actions[k]},cust-{rng.randrange(10_000_000):07d},{records},{reason}\n"


def _chain(*parts):
    for part in parts:
        yield from part


def write_export(path: Path, rows: int, seed: int = 7, encoding: str = "utf-8", korean: bool = True,
                 mixed: bool = True) -> None:
    """One CSV export of ``rows`` data lines."""
    world = World(rows, seed)
    headers = HEADERS_KO if korean else HEADERS_EN
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(",".join(headers) + "\n")
        buf = []
        for line in world.lines(korean, mixed):
            buf.append(line)
            if len(buf) >= 100_000:
                fh.write("".join(buf))
                buf = []
        fh.write("".join(buf))


FACTS = """\
# Facts of the synthetic organisation (compliance.logs.synthetic): the stated side the records are compared with.
as_of: 2025-11-30
period_start: 2024-12-01
organization: {name: "Synthetic Commerce (generated)", kind: private, subjects: 33700000, ict_service_provider: true,
               key_telecom_operator: false}
systems:
  - id: sys-commerce
    subjects: 33700000
    operating_since: 2014-03-01
    access_log: {retention_days: 730, reviews: [2024-12-20, 2025-01-22, 2025-02-25, 2025-03-21, 2025-08-29, 2025-11-20]}
  - id: sys-auth
    subjects: 33700000
    operating_since: 2019-06-01
    access_log: {retention_days: 365, reviews: [2024-12-20, 2025-01-22, 2025-02-25, 2025-03-21, 2025-08-29, 2025-11-20]}
handlers:
  - {id: h-0042, role: developer, systems: [sys-auth], granted_on: 2021-03-02, left_on: 2024-12-31}
  - {id: h-0420, role: cs-agent, systems: [sys-commerce], granted_on: 2022-01-03, left_on: 2025-05-30}
  - {id: h-0188, role: data-analyst, systems: [sys-commerce], granted_on: 2023-01-09}
  - {id: h-0230, role: developer, systems: [sys-commerce], granted_on: 2024-02-19}
accounts:
  - {id: acc-0420, system: sys-commerce, holders: [h-0420]}
  - {id: acc-ops-batch, system: sys-commerce, holders: [h-0188, h-0230]}
credentials:
  - {id: sign-key-7, kind: signing-key, owner: h-0042, system: sys-auth, issued_on: 2022-01-10}
"""

PARAMS = """\
# Analysis parameters of the synthetic organisation.
networks:
  - {network: 10.20.0.0/16, label: office}
  - {network: 10.99.0.0/16, label: vpn}
geo:
  - {network: 198.51.100.0/24, country: SG}   # the organisation's GeoIP lookup, stated (documentation range)
  - {network: 211.234.0.0/16, country: KR}
download_threshold: 1000
"""


def write_world(folder: str | Path, rows: int, seed: int = 7, encoding: str = "utf-8", korean: bool = True,
                mixed: bool = True) -> Path:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_export(out / "export.csv", rows, seed, encoding, korean, mixed)
    (out / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (out / "params.yaml").write_text(PARAMS, encoding="utf-8")
    return out


# ---------------------------------------------------------------- off-hours bursts with a known answer

BURST_START, BURST_END = dt.date(2025, 3, 1), dt.date(2025, 6, 30)
WORKED_HOLIDAYS = (dt.date(2025, 5, 5), dt.date(2025, 6, 6))  # 어린이날, 현충일: the whole organisation worked
NIGHTS_FROM = dt.date(2025, 5, 1)
INTRUDER = "key-7"
BURST_PARAMS = "burst: {min_events: 10, factor: 5}\nexamples: 1000\n"


def write_burst_world(folder: str | Path, accounts: int = 30, seed: int = 11,
                      stated: bool = False) -> tuple[Path, set[tuple[str, str]]]:
    """An export in which the off-hours answer is known: ``accounts`` handlers working office hours on working days
    (and, all of them, on two public holidays the organisation worked); ``key-7`` used by day until April, then
    every night from May from abroad — months of nightly use that poison an account's own average. ``stated``: the
    facts state the worked holidays (``working_calendar.workdays``), else they leave the public calendar alone.
    Returns the folder (``export.csv``, ``facts.yaml``, ``params.yaml``) and the true bursts as (account, day)."""
    rng = random.Random(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    days, _uncovered = build_calendar(BURST_START, BURST_END)
    workday = {row[0]: row[1] for row in days}
    lines = ["account,timestamp,ip,system,action"]
    truth: set[tuple[str, str]] = set()

    def add(acc: str, day: dt.date, hour: int, ip: str) -> None:
        lines.append(f"{acc},{day} {hour:02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d},{ip},sys-a,view")

    day = BURST_START
    while day <= BURST_END:
        office = workday[(day - dt.date(1970, 1, 1)).days] or day in WORKED_HOLIDAYS
        for k in range(accounts):
            if office:
                for _ in range(rng.randrange(12, 21)):
                    add(f"acc-{k:03d}", day, rng.randrange(9, 18), f"10.20.0.{k + 1}")
                if rng.random() < 0.05:  # a little evening work, now and then
                    for _ in range(rng.randrange(1, 4)):
                        add(f"acc-{k:03d}", day, rng.randrange(19, 22), f"10.20.0.{k + 1}")
        if day < NIGHTS_FROM:
            if workday[(day - dt.date(1970, 1, 1)).days]:
                for _ in range(rng.randrange(12, 21)):
                    add(INTRUDER, day, rng.randrange(9, 18), "10.20.0.200")
        else:
            for _ in range(rng.randrange(25, 41)):
                add(INTRUDER, day, rng.randrange(0, 4), "198.51.100.23")
            truth.add((INTRUDER, day.isoformat()))
        day += dt.timedelta(days=1)
    (out / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    worked = f"working_calendar: {{workdays: [{', '.join(map(str, WORKED_HOLIDAYS))}]}}\n" if stated else ""
    (out / "facts.yaml").write_text(f"as_of: {BURST_END}\nperiod_start: {BURST_START}\norganization: {{name: Burst test}}\n"
                                    f"systems: [{{id: sys-a}}]\n{worked}", encoding="utf-8")
    (out / "params.yaml").write_text(BURST_PARAMS, encoding="utf-8")
    return out, truth
