"""Access-record benchmark: pipa-audit against DuckDB doing the same work directly, as ratios in one run.

    python benchmarks/logs_generate.py -n 10000000 -o /tmp/logs10m
    python benchmarks/logs_bench.py /tmp/logs10m --threads 2 --memory-limit 1GB
    python benchmarks/logs_bench.py /tmp/logs10m --scale 10 --memory-limit 1.5GB --skip-ingest   # 100 M rows
    python benchmarks/logs_bench.py /tmp/logs10m --ingest-only --jsonl --runs 3                 # ingest only, CSV and JSON lines
    python benchmarks/logs_bench.py /tmp/logs10m --skip-ingest --engine spark --memory-limit 2GB  # Spark local

1. ingest: `pipa-audit logs ingest export.csv` vs DuckDB's own `COPY (FROM read_csv(...)) TO parquet` of that file,
   and the Parquet bytes per row of each;
2. analyses: `pipa-audit logs analyze` (hash checks, facts, every SQL file, derived facts JSON) vs the engine
   executing the same SQL files directly over the same Parquet and tables, same threads and memory cap (DuckDB, or
   with `--engine spark` Spark local); the direct run also reports each SQL file's wall and CPU time.
Each command runs in its own process; wall time, CPU time (user + system) and peak RSS (wait4) are reported, and
both ratios: on a shared machine the CPU-time ratio moves less than the wall-time one. The CPU time includes every
process the command started (Spark's JVM: this script is made their subreaper and reaps them), and the peak is
the largest single process's.
To compare two versions of pipa-audit, run this script with PYTHONPATH set to each one's source tree.
`--jsonl` also ingests the same rows as JSON lines (export.jsonl, written once from export.csv by DuckDB) against
DuckDB's `COPY (FROM read_json(...)) TO parquet`. `--runs N` repeats each ingest pair N times, alternating the two.
`--scale K` first builds a folder of K copies of the ingested log for K times as many accounts (accounts renamed
per copy), with its manifest, and benchmarks the analyses on it.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
CLI = [PY, "-m", "compliance"]


def _subreaper() -> bool:
    """Become the subreaper of the commands' descendants (Linux): a process they leave behind, such as Spark's JVM,
    is then reaped here and its CPU time counted, not lost with its parent."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


REAPS_ALL = _subreaper()


def run(cmd: list[str], label: str) -> dict:
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty JVM never blocks on it
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        while REAPS_ALL:  # what the command left running, once it has ended
            try:
                _, _, more = os.wait4(-1, 0)
            except ChildProcessError:
                break
            cpu, peak = cpu + more.ru_utime + more.ru_stime, max(peak, more.ru_maxrss)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"{label} failed:\n{err.read().decode(errors='replace')}")
    print(f"  {label:<44} {wall:7.2f} s  cpu {cpu:7.2f} s  peak {peak / 1024:7.0f} MB", flush=True)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak / 1024}


DIRECT = r"""
import sys, json, os, time
from pathlib import Path
from compliance.logs import tables, engines
from compliance.logs.analyze import load_inputs
folder, facts, params, threads, mem, engine, out = sys.argv[1:8]
m, f, p = load_inputs(folder, facts, params)
built = tables.build(f, p, m.first_day, m.last_day)
cpu = time.process_time  # every thread of this process (DuckDB's)
if engine == "spark":
    e = engines.SparkEngine(None, int(threads), mem)
    jvm = e.spark._jvm.java.lang.ProcessHandle.current().pid()
    tick = os.sysconf("SC_CLK_TCK")
    def cpu():  # this process and the JVM's (utime, stime of /proc/PID/stat)
        with open(f"/proc/{jvm}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return time.process_time() + (int(fields[11]) + int(fields[12])) / tick
else:
    e = engines.DuckDBEngine(int(threads), mem)
e.load([Path(folder) / o.path for o in m.outputs], built.tables)
timings = {}
for q in sorted((Path(engines.__file__).parent / "sql").glob("*.sql")):
    w, c = time.perf_counter(), cpu()
    e.query(q.read_text())
    timings[q.name] = {"wall": time.perf_counter() - w, "cpu": cpu() - c}
e.close()
Path(out).write_text(json.dumps(timings))
"""

COPY = r"""
import sys, duckdb
src, dst, threads, mem = sys.argv[1:5]
con = duckdb.connect(config={"threads": int(threads), "memory_limit": mem})
reader = "read_json" if src.endswith(".jsonl") else "read_csv"
con.execute(f"COPY (SELECT * FROM {reader}('{src}')) TO '{dst}' (FORMAT parquet)")
"""


def jsonl_of(root: Path) -> Path:
    """export.jsonl: the rows of export.csv as JSON lines (counts as numbers, empty reasons as null)."""
    import duckdb

    out = root / "export.jsonl"
    if not out.exists():
        tmp = root / ".export.jsonl.part"
        con = duckdb.connect()
        con.execute(f"COPY (FROM read_csv('{root / 'export.csv'}', types={{'timestamp': 'VARCHAR', 'reason': 'VARCHAR', "
                    f"'records': 'BIGINT'}})) TO '{tmp}' (FORMAT json)")
        tmp.rename(out)
    return out


def ingest_pair(root: Path, src: Path, t: str, mem: str, runs: int) -> list[dict]:
    """DuckDB's COPY and pipa-audit's ingest of one file, ``runs`` times alternating; one result per run."""
    rec, dst = root / f"rec-{src.suffix[1:]}", root / f"duckdb-copy-{src.suffix[1:]}.parquet"
    print(f"ingest {src} ({src.stat().st_size / 1e6:,.0f} MB)")
    out = []
    for _ in range(runs):
        shutil.rmtree(rec, ignore_errors=True)
        dst.unlink(missing_ok=True)
        copy = run([PY, "-c", COPY, str(src), str(dst), t, mem], "DuckDB COPY ... TO parquet")
        ingest = run([*CLI, "logs", "ingest", str(src), "-o", str(rec), "-q"], "pipa-audit logs ingest")
        copy["bytes"], ingest["bytes"] = parquet_bytes(dst), parquet_bytes(rec)
        out.append({"copy": copy, "ingest": ingest})
    shutil.rmtree(rec, ignore_errors=True)
    dst.unlink(missing_ok=True)
    return out


def parquet_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in ([path] if path.is_file() else path.glob("*/records.parquet")))


def ratios(label: str, a: dict, b: dict, rows: int | None = None) -> str:
    text = f"  {label:<9}{a['wall'] / b['wall']:.2f}x wall  {a['cpu'] / b['cpu']:.2f}x cpu"
    return text + (f"  ({rows / a['wall']:,.0f} rows/s)" if rows else "")


def scale(folder: Path, k: int) -> Path:
    """K copies of an ingested folder for K times as many accounts, with a valid manifest."""
    import duckdb

    from compliance.logs.manifest import Manifest, OutputFile, sha256_file

    out = folder.parent / f"{folder.name}-x{k}"
    if out.exists():
        return out
    tmp = folder.parent / f".{out.name}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    m = Manifest.model_validate_json((folder / "manifest.json").read_text())
    con = duckdb.connect(config={"memory_limit": "1GB"})
    outputs = []
    for o in m.outputs:
        (tmp / o.month).mkdir()
        dst = tmp / o.path
        union = " UNION ALL ".join(
            f"SELECT * REPLACE (CASE WHEN account LIKE 'acc-%' THEN account || '-{i}' ELSE account END AS account, "
            f"line + {i} * CAST(1000000000 AS BIGINT) AS line) FROM read_parquet('{folder / o.path}')" for i in range(k))
        con.execute(f"COPY ({union}) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{dst}')").fetchone()[0]
        outputs.append(OutputFile(path=o.path, month=o.month, rows=rows, sha256=sha256_file(dst)))
        print(f"    {o.path}: {rows:,} rows", flush=True)
    m = m.model_copy(update={"outputs": outputs, "rejects": None,
                             "totals": m.totals.model_copy(update={"rows_in": m.totals.rows_in * k,
                                                                   "rows_out": m.totals.rows_out * k,
                                                                   "rows_rejected": m.totals.rows_rejected * k})})
    (tmp / "manifest.json").write_text(json.dumps(m.model_dump(mode="json"), indent=2))
    tmp.rename(out)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="a folder from logs_generate.py")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--skip-ingest", action="store_true", help="reuse FOLDER/rec from an earlier run")
    p.add_argument("--scale", type=int, default=1, help="analyse K copies of the log (K times the accounts)")
    p.add_argument("--ingest-only", action="store_true", help="compare the ingest only (no analyses)")
    p.add_argument("--jsonl", action="store_true", help="also ingest the same rows as JSON lines")
    p.add_argument("--runs", type=int, default=1, help="ingest pairs to run (alternating DuckDB and pipa-audit)")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="the engine of the analyses (spark: local mode; give it --memory-limit 2GB or more)")
    a = p.parse_args()
    root = Path(a.folder).resolve()
    rec = root / "rec"
    t, mem = str(a.threads), a.memory_limit
    results = {}
    if a.ingest_only:
        a.skip_ingest = False
    if not a.skip_ingest:
        shutil.rmtree(rec, ignore_errors=True)
        (root / "duckdb-copy.parquet").unlink(missing_ok=True)
        print(f"ingest {root / 'export.csv'} ({(root / 'export.csv').stat().st_size / 1e6:,.0f} MB)")
        results["copy"] = run([PY, "-c", COPY, str(root / "export.csv"), str(root / "duckdb-copy.parquet"), t, mem],
                              "DuckDB COPY ... TO parquet")
        results["ingest"] = run([*CLI, "logs", "ingest", str(root / "export.csv"), "-o", str(rec), "-q"],
                                "pipa-audit logs ingest")
        results["copy"]["bytes"] = parquet_bytes(root / "duckdb-copy.parquet")
        results["ingest"]["bytes"] = parquet_bytes(rec)
        if a.runs > 1:
            results["ingest_runs"] = [{"copy": results["copy"], "ingest": results["ingest"]}]
            results["ingest_runs"] += ingest_pair(root, root / "export.csv", t, mem, a.runs - 1)
        if a.jsonl:
            results["jsonl_runs"] = ingest_pair(root, jsonl_of(root), t, mem, a.runs)
    rows = json.loads((rec / "manifest.json").read_text())["totals"]["rows_out"]
    if not a.ingest_only:
        target = scale(rec, a.scale) if a.scale > 1 else rec
        rows = json.loads((target / "manifest.json").read_text())["totals"]["rows_out"]
        name = {"duckdb": "DuckDB", "spark": "Spark"}[a.engine]
        print(f"analyses over {rows:,} rows, {name}, threads {t}, memory limit {mem}")
        per_query = root / f"queries-{a.engine}.json"
        results["direct"] = run([PY, "-c", DIRECT, str(target), str(root / "facts.yaml"), str(root / "params.yaml"), t,
                                 mem, a.engine, str(per_query)], f"{name} running the SQL files directly")
        results["queries"] = json.loads(per_query.read_text())
        total = sum(q["cpu"] for q in results["queries"].values()) or 1
        for q, v in sorted(results["queries"].items(), key=lambda kv: -kv[1]["cpu"]):
            print(f"    {q:<42} {v['wall']:7.2f} s  cpu {v['cpu']:7.2f} s  {100 * v['cpu'] / total:3.0f} %")
        results["analyze"] = run([*CLI, "logs", "analyze", str(target), "--facts", str(root / "facts.yaml"), "--params",
                                  str(root / "params.yaml"), "--engine", a.engine, "--threads", t, "--memory-limit",
                                  mem, "-q", "-o", str(root / "derived.json")], "pipa-audit logs analyze")
    print(f"ratios (pipa-audit / {'Spark' if a.engine == 'spark' and 'analyze' in results else 'DuckDB'}):")
    if "ingest" in results:
        for r in results.get("ingest_runs") or [{"copy": results["copy"], "ingest": results["ingest"]}]:
            print(ratios("ingest", r["ingest"], r["copy"], rows))
        b, c = results["ingest"]["bytes"], results["copy"]["bytes"]
        print(f"  parquet  {b / c:.2f}x bytes  ({b / rows:.1f} vs {c / rows:.1f} bytes a row)")
    for r in results.get("jsonl_runs", []):
        print(ratios("jsonl", r["ingest"], r["copy"], rows))
    if "analyze" in results:
        print(ratios("analyses", results["analyze"], results["direct"], rows)
              + f"  peak {results['analyze']['peak_mb']:.0f} MB")
    (root / "bench.json").write_text(json.dumps({"rows": rows, "threads": a.threads, "memory_limit": mem,
                                                "engine": a.engine, **results}, indent=2))


if __name__ == "__main__":
    main()
