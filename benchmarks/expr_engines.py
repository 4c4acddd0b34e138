"""Measure the check-expression engine against alternatives on 100,000 handlers.

    pip install common-expression-language   # optional: the Rust-backed CEL, for comparison
    python benchmarks/expr_engines.py

Compares, for "a departed handler's access was revoked by the day after departure":
  - compliance.expr (this project's typed CEL subset compiled to generated Python), one call per item, and the
    generated loop a for_each check runs (``compile_scan``: where and expect inlined, no call per item);
  - a hand-written Python comprehension (the floor);
  - CEL (common-expression-language) per item, with dates converted to timestamps
    (it does not accept datetime.date), and once over the whole list.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from compliance.catalog import FACTS_TYPE
from compliance.expr import T, compile_expr, compile_scan
from compliance.facts import Handler

N = 100_000
WHERE = "item.left_on != null"
EXPECT = "item.access_revoked_on != null && item.access_revoked_on <= item.left_on + days(1)"


def handlers(n: int) -> list[dict]:
    rnd = random.Random(1)
    out = []
    for i in range(n):
        left = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(600)) if rnd.random() < 0.2 else None
        revoked = left + dt.timedelta(days=rnd.choice([0, 1, 3])) if left and rnd.random() < 0.95 else None
        out.append({"id": f"h{i}", "left_on": left, "access_revoked_on": revoked})
    return out


def bench(label: str, fn) -> None:
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - t0:8.3f} s   offenders={result}")


def main() -> None:
    items = handlers(N)
    scope_t = {"item": (T("object", model=Handler), "handlers[]")}
    t0 = time.perf_counter()
    where = compile_expr(WHERE, FACTS_TYPE, scope_t)
    expect = compile_expr(EXPECT, FACTS_TYPE, scope_t)
    where.fn, expect.fn  # noqa: B018 - built on first use: count the build with the compile
    scan = compile_scan(where, expect)
    print(f"compile (both expressions, type checks, loop)  {time.perf_counter() - t0:8.5f} s")

    def ours():
        bad = 0
        for it in items:
            s = {"item": it}
            if where.fn({}, s) and not expect.fn({}, s):
                bad += 1
        return bad

    def python():
        one = dt.timedelta(days=1)
        return sum(
            1
            for it in items
            if it["left_on"] is not None
            and not (it["access_revoked_on"] is not None and it["access_revoked_on"] <= it["left_on"] + one)
        )

    bench("compliance.expr, one call per item", ours)
    bench("compliance.expr, generated check loop", lambda: len(scan({}, items)[1]))
    bench("plain Python comprehension", python)
    try:
        import cel
    except ImportError:
        print("common-expression-language not installed: CEL rows skipped")
        return

    def ts(d):
        return None if d is None else dt.datetime.combine(d, dt.time(), dt.timezone.utc)

    converted = [{"left_on": ts(it["left_on"]), "access_revoked_on": ts(it["access_revoked_on"])} for it in items]
    prog = cel.compile(
        "item.left_on != null && !(item.access_revoked_on != null && "
        "item.access_revoked_on <= item.left_on + duration('24h'))"
    )
    bench("CEL (Rust) per item", lambda: sum(1 for it in converted if prog.execute({"item": it})))
    whole = cel.compile(
        "size(items.filter(i, i.left_on != null && !(i.access_revoked_on != null && "
        "i.access_revoked_on <= i.left_on + duration('24h'))))"
    )
    bench("CEL (Rust) one call over the list", lambda: whole.execute({"items": converted}))


if __name__ == "__main__":
    main()
