"""`--help` and usage errors against `python -c pass` (issue 22: each <= 3x), through the console script users run.

    python benchmarks/bench_cli.py [--runs 21]

Each command and the baseline run in turn (children.cpu_paired); the ratio is the median of the pairs' CPU ratios.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
EXE = str(Path(PY).parent / "pipa-audit") if (Path(PY).parent / "pipa-audit").exists() else shutil.which("pipa-audit")
sys.path.insert(0, str(HERE))
from children import ENV, cpu_paired  # noqa: E402

COMMANDS = [
    ["--help"],
    ["check", "--help"],
    ["report", "--help"],
    ["logs", "--help"],
    ["check", "facts.yaml", "-o", "result.foo"],  # an unknown output extension
    ["check", "facts.yaml", "--todo", "--format", "json"],
    ["diff", "old.json", "new.json", "-o", "diff.foo"],
    ["check", "--no-such-option"],
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "compliance")], check=True, env=ENV)
    print("| command | pipa-audit | python -c pass | ratio (target <= 3x) |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as work:
        for argv in COMMANDS:
            t, b, r, _ = cpu_paired([EXE, *argv], [PY, "-c", "pass"], args.runs, codes=(0, 2), cwd=work)
            print(f"| `pipa-audit {' '.join(argv)}` | {t * 1000:.0f} ms | {b * 1000:.0f} ms | {r:.1f}x |")


if __name__ == "__main__":
    main()
