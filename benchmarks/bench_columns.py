"""Would checks over columns beat checks over rows? One check ("handlers in service trained within the year", the one
with the most offenders in the generator's facts) three ways over the same decoded rows: a plain Python loop over the
struct rows, and NumPy over the two date columns (taking the columns out of the rows, then the vector operations).

    python benchmarks/bench_columns.py /tmp/pipa-bench/facts-1000000.json

The evaluator's own scan of the same check is in bench_checks.py (and `check`'s time per check in benchmarks/README).
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from operator import attrgetter

import numpy as np

from compliance.catalog import default_catalog_dir
from compliance.pipeline import prepare


def main(path: str) -> None:
    gc.disable()
    facts = prepare(path, default_catalog_dir()).facts
    rows, as_of = facts["handlers"], facts["as_of"]
    year_ago = as_of - dt.timedelta(days=365)

    t0 = time.perf_counter()
    failed = [n for n, x in enumerate(rows)
              if (x.left_on is None or x.left_on > as_of) and not (x.trained_on is not None and x.trained_on > year_ago)]
    t1 = time.perf_counter()

    def days(column):  # a date column as day numbers, -1 for none
        return np.fromiter((-1 if d is None else d.toordinal() for d in column), dtype=np.int64, count=len(rows))

    left, trained = days(map(attrgetter("left_on"), rows)), days(map(attrgetter("trained_on"), rows))
    t2 = time.perf_counter()
    in_scope = (left == -1) | (left > as_of.toordinal())
    ok = (trained != -1) & (trained > year_ago.toordinal())
    found = np.flatnonzero(in_scope & ~ok)
    t3 = time.perf_counter()
    if found.tolist() != failed:
        raise SystemExit("the two ways disagree")
    print(f"{len(rows):,} rows ({type(rows[0]).__name__}), {len(failed):,} fail")
    print(f"Python loop over the rows      {t1 - t0:.3f} s")
    print(f"NumPy: taking the two columns  {t2 - t1:.3f} s")
    print(f"NumPy: the vector operations   {t3 - t2:.4f} s")


if __name__ == "__main__":
    main(sys.argv[1])
