"""What each output adds to a big check: `check FACTS -o out.EXT` against the same check without an output, paired
(children.cpu_paired), with the peak memory of the run with the output. The issue's memory target (<= 2 GB at
1M rows) holds for a check only if it holds with the outputs CI and auditors ask for.

    python benchmarks/bench_outputs.py /tmp/pipa-bench/facts-1000000.json [--runs 3] [--formats csv,xlsx,sarif]

The facts are the generator's (benchmarks/generate.py --json); at 1M rows, 870,000 items fail a check, so every
export that lists offenders lists that many.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
EXE = str(Path(PY).parent / "pipa-audit") if (Path(PY).parent / "pipa-audit").exists() else shutil.which("pipa-audit")
sys.path.insert(0, str(HERE))
from children import cpu_paired  # noqa: E402

FORMATS = ["json", "csv", "xlsx", "sarif", "xml", "md", "html", "oscal.json", "txt"]
"""one file name ending per output format (.xml is JUnit, .csv and .xlsx the findings exports); PDF is measured by
bench_render.py"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("facts")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    check = [EXE, "check", "--fail-on", "none", args.facts]
    print(f"{Path(args.facts).name}; median of {args.runs} paired runs; CPU seconds (user+sys)\n")
    print("| output | check with it | check alone | ratio | peak MB |\n|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for ext in args.formats.split(","):
            out = Path(folder) / f"out.{ext}"
            with_it, alone, ratio, peak = cpu_paired([*check, "-o", str(out)], check, args.runs, codes=(0,))
            print(f"| `.{ext}` ({out.stat().st_size / 1e6:,.1f} MB) | {with_it:.2f} | {alone:.2f} | {ratio:.2f}x | {peak} |")
            out.unlink()


if __name__ == "__main__":
    main()
