"""Generate a synthetic access-record export with planted anomalies (see compliance/logs/synthetic.py).

    python benchmarks/logs_generate.py -n 10000000 -o /tmp/logs10m            # UTF-8, ISO times (DuckDB reads it too)
    python benchmarks/logs_generate.py -n 100000 -o /tmp/logs-ko --korean --mixed --encoding cp949
    python benchmarks/logs_generate.py -n 10000000 -o /tmp/logs10m-ordered --time-order   # as exports come

Writes export.csv, facts.yaml and params.yaml into the folder. The generator draws each line's day at random;
--time-order then sorts the lines by time (with DuckDB, same text), as a logging system exports them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from compliance.logs.synthetic import write_world


def in_time_order(path: Path) -> None:
    """Sort the lines of a generated export by their time (then account), every field kept as the same text."""
    import duckdb

    tmp = path.with_name(".sorted.csv")
    con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False})
    header = path.open(encoding="utf-8").readline().rstrip("\n").split(",")
    con.execute(f"COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true) ORDER BY \"{header[1]}\", "
                f"\"{header[0]}\") TO '{tmp}' (HEADER, QUOTE '')", [str(path)])
    tmp.replace(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--rows", type=int, default=1_000_000)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--encoding", default="utf-8", choices=["utf-8", "cp949", "utf-8-sig"])
    p.add_argument("--korean", action="store_true", help="Korean headers and task names (수행업무)")
    p.add_argument("--mixed", action="store_true", help="mix the timestamp shapes Korean exports use")
    p.add_argument("--time-order", action="store_true", help="sort the lines by time (UTF-8, ISO times only)")
    a = p.parse_args()
    if a.time_order and (a.mixed or a.encoding != "utf-8"):
        p.error("--time-order sorts ISO times in UTF-8: not with --mixed or another encoding")
    t = time.perf_counter()
    out = write_world(a.output, a.rows, a.seed, a.encoding, a.korean, a.mixed)
    if a.time_order:
        in_time_order(out / "export.csv")
    print(f"{out}/export.csv: {a.rows:,} rows in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
