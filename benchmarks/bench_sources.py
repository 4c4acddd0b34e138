"""The same 100k-row lists stated as YAML rows, as JSON, and as CSV files referenced from the facts file
(``handlers: {source: {path: …}}``): `pipa-audit check` time of each.

    python benchmarks/bench_sources.py -n 100000 -o /tmp/bench-sources [--xlsx]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import facts, write_yaml  # noqa: E402

LISTS = {  # list -> columns (field -> header, Korean as an HR/IAM export would have them); every field whose
    # absence means "did not happen" has its column (empty where the generator states none), as a source must
    "handlers": {"id": "사번", "role": "직무", "systems": "시스템", "granted_on": "권한부여일", "left_on": "퇴사일",
                 "access_revoked_on": "권한말소일", "duties_changed_on": "직무변경일", "access_changed_on": "권한변경일",
                 "trained_on": "교육일"},
    "accounts": {"id": "계정", "system": "시스템", "holders": "사용자", "shared_reason": "공유사유"},
    "credentials": {"id": "키", "kind": "종류", "owner": "소유자", "issued_on": "발급일", "revoked_on": "폐기일",
                    "last_used_at": "최종사용일시", "last_used_from": "최종사용위치"},
}


def write_sources(data: dict, folder: Path, xlsx: bool) -> Path:
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    stated = dict(data)
    for name, columns in LISTS.items():
        rows = data[name]
        path = folder / "evidence" / f"{name}.{'xlsx' if xlsx else 'csv'}"
        table = [list(columns.values())] + [
            [";".join(v) if isinstance(v := row.get(f), list) else (v or "") for f in columns] for row in rows
        ]
        if xlsx:
            import openpyxl

            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("export")
            for r in table:
                ws.append(r)
            wb.save(path)
        else:
            with path.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(table)
        stated[name] = {"source": {"path": f"evidence/{path.name}", "columns": columns}}
    out = folder / "facts-sources.yaml"
    out.write_text(json.dumps(stated, ensure_ascii=False, indent=1), encoding="utf-8")  # JSON is YAML
    return out


def timed(facts_path: Path, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "compliance", "check", str(facts_path), "--fail-on", "none", "--format", "json", "-o", "/dev/null"],
                              capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"{facts_path}: exit {proc.returncode}\n{proc.stderr}")
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-o", "--output", default="/tmp/bench-sources")
    ap.add_argument("--xlsx", action="store_true", help="also XLSX sources (needs openpyxl)")
    args = ap.parse_args()
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    data = facts(args.n)
    write_yaml(data, folder / "facts.yaml")
    (folder / "facts.json").write_text(json.dumps(data), encoding="utf-8")
    rows = {f: timed(folder / f) for f in ("facts.yaml", "facts.json")}
    rows["CSV sources"] = timed(write_sources(data, folder, False))
    if args.xlsx:
        xfolder = folder / "xlsx"
        rows["XLSX sources"] = timed(write_sources(data, xfolder, True), runs=1)
    for name, secs in rows.items():
        print(f"| {name} | {secs:.1f} s |")


if __name__ == "__main__":
    main()
