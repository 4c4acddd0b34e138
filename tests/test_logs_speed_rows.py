"""The faster queries of issue 21 return the rows the definitions give.

``concurrent_addresses.sql`` orders only the records of candidate days (an account-day with two networks, or one
whose first record follows the previous active day's last within the window). It must return what ordering every
record of every account returns: here over planted cases with a known answer (the window's edge, midnight, a day
with two networks before midnight, two exports in the same second, IPv6 /64s, days without records between two
records) and over random records dense in switches, on DuckDB and on Spark, against a Python reference that orders
every record, and against the query it replaced (``BEFORE``, kept here as the yardstick)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from compliance.logs import engines
from compliance.logs.analyze import load_inputs
from compliance.logs.tables import build

from .conftest import cli

SQL = Path(engines.__file__).parent / "sql" / "concurrent_addresses.sql"
KST = dt.timezone(dt.timedelta(hours=9))
FACTS = "as_of: 2025-06-30\nperiod_start: 2025-03-01\norganization: {name: Speed rows}\nsystems: [{id: sys-a}]\n"

# the query before issue 21: pairs of networks found by joining every account-day-network with all of the
# account's others (an OR in the join condition), then the same ordering of the kept days
BEFORE = """
WITH nets AS (
  SELECT account, day_num, ip_net, MIN(epoch_s) AS first_s, MAX(epoch_s) AS last_s
  FROM records GROUP BY account, day_num, ip_net
),
pairs AS (
  SELECT DISTINCT a.account, a.day_num
  FROM nets a
  CROSS JOIN params p
  JOIN nets b ON b.account = a.account AND b.ip_net <> a.ip_net
             AND (b.day_num = a.day_num OR (b.day_num = a.day_num - 1 AND a.first_s - b.last_s <= p.window_s))
),
days AS (
  SELECT account, day_num FROM pairs
  UNION
  SELECT account, day_num - 1 AS day_num FROM pairs
),
seq AS (
  SELECT r.account, r.system, r.epoch_s, r.day_num, r.ip, r.ip_net, r.source, r.line,
         LAG(r.epoch_s) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_epoch,
         LAG(r.ip_net) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_net,
         LAG(r.ip) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_ip
  FROM records r
  JOIN days d ON d.account = r.account AND d.day_num = r.day_num
),
hits AS (
  SELECT s.*
  FROM seq s CROSS JOIN params p
  WHERE s.prev_net IS NOT NULL AND s.prev_net <> s.ip_net AND s.epoch_s - s.prev_epoch <= p.window_s
),
ranked AS (
  SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.account
                                 ORDER BY h.epoch_s ASC NULLS LAST, h.source ASC NULLS LAST, h.line ASC NULLS LAST) AS k
  FROM hits h
),
agg AS (
  SELECT account, COUNT(*) AS switches, COUNT(DISTINCT day_num) AS days, MIN(epoch_s) AS first_epoch,
         MAX(epoch_s) AS last_epoch
  FROM hits GROUP BY account
)
SELECT a.account, a.switches, a.days, a.first_epoch, a.last_epoch,
       k.epoch_s AS ex_epoch, k.ip AS ex_ip, k.prev_epoch AS ex_previous_epoch, k.prev_ip AS ex_previous_ip,
       k.system AS ex_system, k.source AS ex_source, k.line AS ex_line
FROM agg a
JOIN ranked k ON k.account = a.account AND k.k = 1
"""

D1, D2, D4 = dt.date(2025, 4, 1), dt.date(2025, 4, 2), dt.date(2025, 4, 4)


def _ts(day: dt.date, clock: str) -> str:
    return f"{day} {clock}"


# (export, account, local time, address): the planted cases, each with its answer in PLANTED
CASES = [
    # a switch 240 s later is one; the same /24 is no switch; 3,570 s later is outside the window
    ("a.csv", "acc-day", _ts(D1, "10:00:00"), "10.1.1.5"),
    ("a.csv", "acc-day", _ts(D1, "10:04:00"), "10.1.2.5"),
    ("a.csv", "acc-day", _ts(D1, "10:04:30"), "10.1.2.9"),
    ("a.csv", "acc-day", _ts(D1, "11:00:00"), "10.1.1.5"),
    # exactly the window (300 s) counts, one second more does not
    ("a.csv", "acc-edge", _ts(D1, "09:00:00"), "10.2.1.1"),
    ("a.csv", "acc-edge", _ts(D1, "09:05:00"), "10.2.2.1"),
    ("a.csv", "acc-edge", _ts(D1, "09:10:01"), "10.2.1.1"),
    # across local midnight, each day on one network
    ("a.csv", "acc-night", _ts(D1, "23:58:00"), "10.3.0.1"),
    ("a.csv", "acc-night", _ts(D2, "00:02:00"), "10.4.0.1"),
    # the day before had two networks (no switch within the window), then midnight back to the first one
    ("a.csv", "acc-two", _ts(D1, "10:00:00"), "10.5.0.1"),
    ("a.csv", "acc-two", _ts(D1, "10:30:00"), "10.6.0.1"),
    ("a.csv", "acc-two", _ts(D1, "23:59:00"), "10.6.0.1"),
    ("a.csv", "acc-two", _ts(D2, "00:01:00"), "10.5.0.1"),
    # the same second in two exports: a.csv's record comes first, so b.csv's is the switch
    ("a.csv", "acc-tie", _ts(D1, "12:00:00"), "10.7.0.1"),
    ("b.csv", "acc-tie", _ts(D1, "12:00:00"), "10.8.0.1"),
    # IPv6: another /64 is a switch, the same /64 is not; two days with switches
    ("b.csv", "acc-v6", _ts(D1, "08:00:00"), "2001:db8:1:1::5"),
    ("b.csv", "acc-v6", _ts(D1, "08:01:00"), "2001:db8:1:2::5"),
    ("b.csv", "acc-v6", _ts(D1, "08:02:00"), "2001:db8:1:2::9"),
    ("b.csv", "acc-v6", _ts(D2, "08:00:00"), "2001:db8:1:1::5"),
    ("b.csv", "acc-v6", _ts(D2, "08:00:10"), "2001:db8:1:2::5"),
    # a day without records between two: 24 h 1 min apart, a switch only for a window of two days
    ("b.csv", "acc-gap", _ts(D2, "23:59:00"), "10.9.0.1"),
    ("b.csv", "acc-gap", _ts(D4, "00:00:00"), "10.10.0.1"),
    # one network all along: never a switch
    ("b.csv", "acc-calm", _ts(D1, "23:59:00"), "10.11.0.1"),
    ("b.csv", "acc-calm", _ts(D2, "00:00:30"), "10.11.0.2"),
]


def _epoch(day: dt.date, clock: str) -> int:
    h, m, s = map(int, clock.split(":"))
    return int(dt.datetime(day.year, day.month, day.day, h, m, s, tzinfo=KST).timestamp())


# account: (switches, days, example time, example address, previous address, example export), window 300 s
PLANTED = {
    "acc-day": (1, 1, _epoch(D1, "10:04:00"), "10.1.2.5", "10.1.1.5", "a.csv"),
    "acc-edge": (1, 1, _epoch(D1, "09:05:00"), "10.2.2.1", "10.2.1.1", "a.csv"),
    "acc-night": (1, 1, _epoch(D2, "00:02:00"), "10.4.0.1", "10.3.0.1", "a.csv"),
    "acc-two": (1, 1, _epoch(D2, "00:01:00"), "10.5.0.1", "10.6.0.1", "a.csv"),
    "acc-tie": (1, 1, _epoch(D1, "12:00:00"), "10.8.0.1", "10.7.0.1", "b.csv"),
    "acc-v6": (2, 2, _epoch(D1, "08:01:00"), "2001:db8:1:2::5", "2001:db8:1:1::5", "b.csv"),
}


def _random_rows(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """Dense in switches: 30 accounts, a few networks each, records clustered near midnight and each other."""
    rows = []
    for k in range(30):
        nets = [f"10.{20 + k}.{j}.{rng.randrange(1, 250)}" for j in range(rng.randrange(1, 4))]
        if k % 7 == 0:
            nets.append(f"2001:db8:{k:x}:{rng.randrange(4)}::{rng.randrange(1, 99):x}")
        day = dt.date(2025, 3, 1)
        for _ in range(rng.randrange(20, 60)):
            day += dt.timedelta(days=rng.choice((1, 1, 1, 2, 3)))
            base = rng.choice((0, 86_100, rng.randrange(86_400)))  # often the last minutes before midnight
            for _ in range(rng.randrange(1, 8)):
                t = min(86_399, base + rng.randrange(0, 900))
                clock = f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
                rows.append((rng.choice(("a.csv", "b.csv")), f"acc-r{k:02d}", _ts(day, clock), rng.choice(nets)))
    return rows


def _write(root: Path, rows) -> None:
    for name in ("a.csv", "b.csv"):
        lines = ["account,timestamp,ip,system,action"]
        lines += [f"{acc},{ts},{ip},sys-a,view" for f, acc, ts, ip in rows if f == name]
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    out = {}
    for name, rows in (("planted", CASES), ("random", CASES + _random_rows(random.Random(21)))):
        root = tmp_path_factory.mktemp(name)
        _write(root, rows)
        (root / "facts.yaml").write_text(FACTS, encoding="utf-8")
        for window in (300, 172_800):
            (root / f"w{window}.yaml").write_text(f"concurrent_window_seconds: {window}\n", encoding="utf-8")
        proc = cli("logs", "ingest", root / "a.csv", root / "b.csv", "-o", root / "rec", "-q")
        assert proc.returncode == 0, proc.stderr
        out[name] = root
    return out


@pytest.fixture(scope="module")
def spark():
    engine = engines.SparkEngine("local[2]")
    yield engine
    engine.close()


def reference(root: Path, window: int) -> list[tuple]:
    """Every record of every account in order (epoch_s, source, line): the definition, in Python."""
    cols = ["account", "epoch_s", "source", "line", "day_num", "ip", "ip_net", "system"]
    table = pq.ParquetDataset(sorted(str(p) for p in (root / "rec").glob("*/records.parquet"))).read(columns=cols)
    by_account: dict[str, list[dict]] = {}
    for r in table.to_pylist():
        by_account.setdefault(r["account"], []).append(r)
    out = []
    for account, recs in by_account.items():
        recs.sort(key=lambda r: (r["epoch_s"], r["source"], r["line"]))
        hits = [(r, p) for p, r in zip(recs, recs[1:])
                if p["ip_net"] != r["ip_net"] and r["epoch_s"] - p["epoch_s"] <= window]
        if hits:
            r, p = hits[0]
            out.append((account, len(hits), len({h["day_num"] for h, _ in hits}), hits[0][0]["epoch_s"],
                        hits[-1][0]["epoch_s"], r["epoch_s"], r["ip"], p["epoch_s"], p["ip"], r["system"], r["source"],
                        r["line"]))
    return sorted(out)


def _rows(engine, root: Path, params: str, sql: str) -> list[tuple]:
    manifest, facts, p = load_inputs(root / "rec", root / "facts.yaml", root / params)
    built = build(facts, p, manifest.first_day, manifest.last_day)
    engine.load([root / "rec" / o.path for o in manifest.outputs], built.tables)
    cols, rows = engine.query(sql)
    assert cols[:3] == ["account", "switches", "days"]
    return sorted(tuple(int(v) if isinstance(v, int) else v for v in r) for r in rows)


def test_planted_switches_are_found_as_stated(worlds):
    rows = _rows(engines.DuckDBEngine(threads=2, memory_limit="512MB"), worlds["planted"], "w300.yaml", SQL.read_text())
    got = {r[0]: (r[1], r[2], r[5], r[6], r[8], r[10]) for r in rows}
    assert got == PLANTED
    assert rows == reference(worlds["planted"], 300)


@pytest.mark.parametrize("world", ["planted", "random"])
def test_same_rows_as_ordering_every_record_on_duckdb_and_spark(worlds, spark, world):
    root = worlds[world]
    duck = engines.DuckDBEngine(threads=2, memory_limit="512MB")
    for window in (300, 172_800):
        expected = reference(root, window)
        assert len(expected) >= (6 if world == "planted" else 20), "too few switches to prove anything"
        assert _rows(duck, root, f"w{window}.yaml", SQL.read_text()) == expected, window
        assert _rows(spark, root, f"w{window}.yaml", SQL.read_text()) == expected, window
    # the query it replaced gives the same rows for windows up to a day (it looked back one calendar day only)
    assert _rows(duck, root, "w300.yaml", BEFORE) == reference(root, 300)
    assert _rows(spark, root, "w300.yaml", BEFORE) == reference(root, 300)
    if world == "planted":
        long = {r[0] for r in reference(root, 172_800)}
        assert "acc-gap" in long and "acc-gap" not in {r[0] for r in _rows(duck, root, "w172800.yaml", BEFORE)}


# ------------------------------------------------------------------------------------------ the Parquet layout

FORMER = {"compression": "snappy", "use_dictionary": ["system", "account", "action", "action_raw", "ip", "ip_hex",
                                                      "ip_net", "country", "reason", "source"]}


@pytest.fixture(scope="module")
def synthetic_world(tmp_path_factory):
    from compliance.logs import synthetic

    root = synthetic.write_world(tmp_path_factory.mktemp("layout"), 30_000)
    proc = cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q")
    assert proc.returncode == 0, proc.stderr
    return root


def test_parquet_is_zstd_with_narrow_types_dictionaries_and_deltas(synthetic_world):
    files = sorted((synthetic_world / "rec").glob("*/records.parquet"))
    meta = pq.ParquetFile(files[0]).metadata
    schema = pq.ParquetFile(files[0]).schema_arrow
    assert str(schema.field("minute").type) == "int16" and str(schema.field("day_num").type) == "int32"
    assert str(schema.field("ts").type) == "timestamp[us, tz=UTC]" and str(schema.field("day").type) == "date32[day]"
    for g in range(meta.num_row_groups):
        cols = {meta.row_group(g).column(i).path_in_schema: meta.row_group(g).column(i)
                for i in range(meta.num_columns)}
        assert {c.compression for c in cols.values()} == {"ZSTD"}
        for name in ("ip", "ip_hex", "ip_net", "account", "day_num", "minute"):  # never fallen back to plain
            assert "RLE_DICTIONARY" in cols[name].encodings, name
        for name in ("ts", "epoch_s", "line"):
            assert "DELTA_BINARY_PACKED" in cols[name].encodings, name


def test_every_analysis_gives_the_same_rows_as_on_the_former_layout(synthetic_world, tmp_path):
    """The files rewritten as ingest wrote them before (snappy, minute int32, dictionaries only for text) give every
    SQL file the same rows; and they were much larger."""
    import pyarrow as pa

    root = synthetic_world
    manifest, facts, params = load_inputs(root / "rec", root / "facts.yaml", root / "params.yaml")
    built = build(facts, params, manifest.first_day, manifest.last_day)
    now = [root / "rec" / o.path for o in manifest.outputs]
    former = []
    for f in now:
        table = pq.read_table(f, read_dictionary=FORMER["use_dictionary"])
        table = table.set_column(table.schema.get_field_index("minute"), pa.field("minute", pa.int32()),
                                 table.column("minute").cast(pa.int32()))
        out = tmp_path / f.parent.name / f.name
        out.parent.mkdir()
        pq.write_table(table, out, **FORMER)
        former.append(out)
    assert sum(f.stat().st_size for f in now) < 0.75 * sum(f.stat().st_size for f in former)
    results = []
    for files in (now, former):
        engine = engines.DuckDBEngine(threads=2, memory_limit="512MB")
        engine.load(files, built.tables)
        results.append({q.name: sorted(map(repr, engine.query(q.read_text())[1])) for q in sorted(SQL.parent.glob("*.sql"))})
        engine.close()
    assert results[0] == results[1]
    assert all(results[0].values()), "an analysis without rows proves nothing here"
