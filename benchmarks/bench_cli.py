"""Every command's `--help` and the usage errors against `python -c pass` (issue 22: each <= 3x), through the console
script users run.

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
    *([name, "--help"] for name in ("init", "validate", "check", "report", "diff", "demo", "import", "schema", "catalog")),
    ["logs", "--help"],
    *(["logs", name, "--help"] for name in ("ingest", "analyze", "export-sql", "import-results", "schema", "lint")),
    ["check", "facts.yaml", "-o", "result.foo"],  # an unknown output extension
    ["report", "facts.yaml", "-o", "a.pdf", "-o", "a.pdf"],  # a file given twice
    ["check", "facts.yaml", "--pdfa"],  # --pdfa without a PDF
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
