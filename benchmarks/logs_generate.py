"""Generate a synthetic access-record export with planted anomalies (see compliance/logs/synthetic.py).

    python benchmarks/logs_generate.py -n 10000000 -o /tmp/logs10m            # UTF-8, ISO times (DuckDB reads it too)
    python benchmarks/logs_generate.py -n 100000 -o /tmp/logs-ko --korean --mixed --encoding cp949

Writes export.csv, facts.yaml and params.yaml into the folder.
"""

from __future__ import annotations

import argparse
import time

from compliance.logs.synthetic import write_world


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--rows", type=int, default=1_000_000)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--encoding", default="utf-8", choices=["utf-8", "cp949", "utf-8-sig"])
    p.add_argument("--korean", action="store_true", help="Korean headers and task names (수행업무)")
    p.add_argument("--mixed", action="store_true", help="mix the timestamp shapes Korean exports use")
    a = p.parse_args()
    t = time.perf_counter()
    out = write_world(a.output, a.rows, a.seed, a.encoding, a.korean, a.mixed)
    print(f"{out}/export.csv: {a.rows:,} rows in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
