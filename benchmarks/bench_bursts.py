"""Off-hours bursts against ground truth: precision and recall of `pipa-audit logs analyze` on a generated export
whose answer is known (`compliance.logs.synthetic.write_burst_world`): handlers working office hours, two public
holidays the whole organisation worked, and one key used every night for two months after months of daytime use.

    python benchmarks/bench_bursts.py [--accounts 30 300] [--work /tmp/pipa-bench-bursts]

For each size and calendar (the public calendar alone; the facts' `working_calendar` stating the worked holidays):
rows, the bursts flagged, precision and recall against the planted truth, and the CPU seconds of
the analysis child (all seven analyses; DuckDB). Run it at two commits to compare detection rules: the figures of
the rule before (the account's own average as the baseline) are in benchmarks/README.md with the commit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from children import ENV  # noqa: E402

from compliance.logs import synthetic  # noqa: E402

EXE = [sys.executable, "-m", "compliance"]


def run(args: list[str]) -> float:
    """CPU seconds (user + system) of a child running the CLI."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([*EXE, *args], check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, nargs="+", default=[30, 300])
    ap.add_argument("--work", default="/tmp/pipa-bench-bursts")
    a = ap.parse_args()
    print("| accounts | calendar | rows | flagged | precision | recall | analyze CPU s |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, stated in [(n, stated) for n in a.accounts for stated in (False, True)]:
        work = Path(a.work) / f"{n}-{'stated' if stated else 'public'}"
        shutil.rmtree(work, ignore_errors=True)
        root, truth = synthetic.write_burst_world(work, accounts=n, stated=stated)
        rows = sum(1 for _ in open(root / "export.csv", encoding="utf-8")) - 1
        run(["logs", "ingest", str(root / "export.csv"), "-o", str(root / "rec"), "-q"])
        cpu = run(["logs", "analyze", str(root / "rec"), "--facts", str(root / "facts.yaml"), "--params",
                   str(root / "params.yaml"), "-o", str(root / "d.json"), "-q"])
        items = json.loads((root / "d.json").read_text())["analyses"]["off_hours_bursts"]["items"]
        got = {(b["account"], b["day"]) for b in items}
        hits = got & truth
        precision = len(hits) / len(got) if got else 0.0
        calendar = "worked holidays stated" if stated else "public"
        print(f"| {n} | {calendar} | {rows:,} | {len(got)} | {precision:.2f} | {len(hits) / len(truth):.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
