"""The speed targets of the hardening issue, each measured as a ratio against a baseline run in the same process
tree at the same time (CPU seconds of child processes, median of --runs; peak RSS of the slowest run).

    python benchmarks/bench_targets.py [-n 100000] [--runs 3] [--work /tmp/pipa-bench]

Baselines: json.loads of the same file, PyYAML's CSafeLoader with the collector off on the same file, the same
file without its one bad row, `python -c pass`, `python -c "import pydantic, yaml"`.

The project's modules are byte-compiled first and the children run with bytecode caching on, as in any install
(pip compiles at install time): with PYTHONDONTWRITEBYTECODE set, every run would recompile `compliance` from source
while the baselines' libraries load from their caches, which measured --help at 21x instead of 2.6x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
EXE = str(Path(PY).parent / "pipa-audit") if (Path(PY).parent / "pipa-audit").exists() else shutil.which("pipa-audit")


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu(cmd: list[str], runs: int, codes: tuple[int, ...] = (0, 1)) -> tuple[float, int]:
    """Median CPU seconds (user+sys) of ``cmd`` over ``runs`` runs, and the largest peak RSS in MB. An exit code
    outside ``codes`` stops the measure: a check refusing its input (exit 2) reads no rows, and timing it would
    measure the refusal (the CSV sources' row did, from commit fe19ef6 until the generator mapped every field)."""
    times, peak = [], 0
    for _ in range(runs):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own CPU time and peak memory
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in codes:
            raise SystemExit(f"{cmd} exited {proc.returncode} (expected {' or '.join(map(str, codes))})")
        times.append(usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss // 1024)
    return statistics.median(times), peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default="/tmp/pipa-bench")
    ap.add_argument("--large", type=int, default=0,
                    help="also measure JSON facts and CSV sources at this many rows (e.g. 1000000), with peak memory")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    js, ym, bad = work / "facts.json", work / "facts.yaml", work / "bad.yaml"
    for path, flag in ((js, ["--json"]), (ym, [])):
        if not path.exists():
            subprocess.run([PY, str(HERE / "generate.py"), "-n", str(args.n), "-o", str(path), *flag], check=True)
    if not bad.exists():
        text = ym.read_text(encoding="utf-8")
        key = '"granted_on": "'
        i = text.rfind(key)  # the last handler's grant date becomes an impossible date
        if i < 0:
            raise SystemExit("generator format changed: no granted_on in the YAML file")
        bad.write_text(text[:i] + key + "2025-13-01" + text[i + len(key) + 10:], encoding="utf-8")
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "compliance")], check=True, env=ENV)
    rows = []

    def ratio(name, target, cmd, base, codes=(0, 1)):
        t, m = cpu(cmd, args.runs, codes)
        b, _ = cpu(base, args.runs)
        rows.append((name, t, b, t / b if b else float("inf"), target, m))

    check = [EXE, "check", "--fail-on", "none"]
    ratio("JSON check vs json.loads", "<= 3x", [*check, str(js)],
          [PY, "-c", f"import gc,json; gc.disable(); json.loads(open({str(js)!r}, encoding='utf-8').read())"])
    ratio("YAML check vs CSafeLoader (gc off)", "<= 1.2x", [*check, str(ym)],
          [PY, "-c", f"import gc,yaml; gc.disable(); yaml.load(open({str(ym)!r}, encoding='utf-8').read(), Loader=yaml.CSafeLoader)"])
    ratio("YAML with one bad row vs without", "<= 1.5x", [*check, str(bad)], [*check, str(ym)], codes=(2,))
    ratio("--help vs python -c pass", "<= 3x", [EXE, "--help"], [PY, "-c", "pass"])
    ratio("check clean example vs import pydantic, yaml", "<= 2x",
          [*check, str(ROOT / "examples" / "clean" / "facts.yaml")], [PY, "-c", "import pydantic, yaml"])
    if args.large:
        big_js, big_csv = _large_inputs(work, args.large)
        ratio(f"JSON check at {args.large:,} rows vs json.loads", "<= 3x, peak <= 2 GB", [*check, str(big_js)],
              [PY, "-c", f"import gc,json; gc.disable(); json.loads(open({str(big_js)!r}, encoding='utf-8').read())"])
        files = sorted(str(p) for p in (big_csv.parent / "evidence").glob("*.csv"))
        ratio(f"CSV sources check at {args.large:,} rows vs csv.reader", "<= 1.5x", [*check, str(big_csv)],
              [PY, "-c", f"import csv; [list(csv.reader(open(f, newline='', encoding='utf-8'))) for f in {files!r}]"])
    print(f"{args.n} rows; median of {args.runs} runs; CPU seconds (user+sys)\n")
    print("| measure | pipa-audit | baseline | ratio | target | peak MB |\n|---|---:|---:|---:|---|---:|")
    for name, t, b, r, target, m in rows:
        print(f"| {name} | {t:.2f} | {b:.2f} | {r:.1f}x | {target} | {m} |")
    (work / "targets.json").write_text(json.dumps(rows), encoding="utf-8")


def _large_inputs(work: Path, n: int) -> tuple[Path, Path]:
    """The generator's facts at ``n`` rows as one JSON file, and as CSV files referenced from a small facts file."""
    js = work / f"facts-{n}.json"
    if not js.exists():
        subprocess.run([PY, str(HERE / "generate.py"), "-n", str(n), "-o", str(js), "--json"], check=True)
    folder = work / f"sources-{n}"
    facts_file = folder / "facts-sources.yaml"
    if not facts_file.exists():
        sys.path.insert(0, str(HERE))
        from bench_sources import write_sources  # noqa: PLC0415 - benchmark helper
        from generate import facts as generated  # noqa: PLC0415

        write_sources(generated(n), folder, xlsx=False)
    return js, facts_file


if __name__ == "__main__":
    main()
