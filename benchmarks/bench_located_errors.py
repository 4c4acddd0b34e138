"""Locating broken references in a one-line JSON facts file against the check of the same file without them (issue
22: 4,000 of them <= 2x the clean check).

    python benchmarks/bench_located_errors.py [-n 100000] [--bad 4000] [--runs 5] [--work /tmp/pipa-bench-located]

The file is `generate.py`'s 100,000 handlers, 100,000 accounts and 10,000 keys written as one line; ``--bad`` of the
accounts (which come after the handlers) name a system the file does not state.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
sys.path.insert(0, str(HERE))
from children import ENV, cpu_paired  # noqa: E402
from generate import facts  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--bad", type=int, default=4_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/pipa-bench-located")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = facts(args.n)
    clean = work / "clean.json"
    clean.write_text(json.dumps(data), encoding="utf-8")
    step = len(data["accounts"]) // args.bad
    for k in range(args.bad):
        data["accounts"][k * step]["system"] = "sys-gone"
    bad = work / f"bad-{args.bad}.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "compliance")], check=True, env=ENV)
    check = [PY, "-m", "compliance", "check", "--fail-on", "none", "--format", "json", "-o", "/dev/null"]
    t, b, r, peak = cpu_paired([*check, str(bad)], [*check, str(clean)], args.runs, codes=(0, 2))
    shown = subprocess.run([*check, str(bad)], capture_output=True, text=True, env=ENV).stderr.splitlines()
    print(f"{args.bad:,} broken references in {bad.stat().st_size / 1e6:.1f} MB of one-line JSON: check {t:.2f} s, "
          f"clean check {b:.2f} s, {r:.2f}x (child CPU, median of {args.runs} pairs), peak {peak} MB, "
          f"{len(shown):,} lines, e.g. {shown[0] if shown else '-'}")


if __name__ == "__main__":
    main()
