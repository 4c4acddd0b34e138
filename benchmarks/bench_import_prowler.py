"""Prowler JSON-OCSF importer on a large scan, timed against ``json.loads`` of the same file in the same run (best of
3). Target: at most 2x.

    python benchmarks/bench_import_prowler.py [-n 20000] [-o /tmp/bench-prowler]

A real multi-region AWS scan is about 15,000 findings and 120 MB. The findings are the shape of Prowler 5's
(tests/data/import/prowler/prowler-aws.ocsf.json), spread over 20 accounts (18 mapped), every check of the check table
and as many checks outside it, PASS, FAIL and MANUAL, a tenth muted, so each finding takes the importer's full path.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from compliance.importers import IdentityMap  # noqa: E402
from compliance.importers.prowler import _table, read  # noqa: E402
from pairing import best_of  # beside this script (run as python benchmarks/NAME.py)

SAMPLE = ROOT / "tests" / "data" / "import" / "prowler" / "prowler-aws.ocsf.json"
ACCOUNTS = 20


def findings(n: int) -> list:
    template = json.loads(SAMPLE.read_text(encoding="utf-8"))[0]
    checks = sorted(_table()) + [f"other_check_{k}" for k in range(len(_table()))]
    out = []
    for i in range(n):
        item = copy.deepcopy(template)
        account = f"{100000000000 + i % ACCOUNTS}"
        check = checks[i * 5 % len(checks)]
        item["metadata"]["event_code"] = check
        item["metadata"]["product"]["version"] = "5.4.0"
        item["status_code"] = ("PASS", "FAIL", "PASS", "MANUAL")[i % 4]
        item["status"], item["status_id"] = ("Suppressed", 3) if i % 10 == 0 else ("New", 1)
        item["finding_info"]["uid"] = f"prowler-aws-{check}-{account}-ap-northeast-2-{i}"
        item["cloud"]["account"]["uid"] = account
        for resource in item["resources"]:
            resource["uid"] = f"arn:aws:service:ap-northeast-2:{account}:resource/{i}"
            resource["region"] = "ap-northeast-2"
        out.append(item)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="findings")
    ap.add_argument("-o", type=Path, default=None, help="folder for the generated file (default: a temporary one)")
    args = ap.parse_args()
    folder = args.o or Path(tempfile.mkdtemp(prefix="bench-prowler-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prowler-output.ocsf.json"
    path.write_text(json.dumps(findings(args.n), indent=4), encoding="utf-8")  # Prowler writes indent=4
    data = path.read_bytes()
    ids = IdentityMap(systems={f"{100000000000 + a}": f"sys-{a}" for a in range(ACCOUNTS - 2)})
    observed = read(data, str(path), ids, kind="prowler-ocsf")
    assert len(observed.unmapped) == 2 and observed.systems
    baseline, importer = best_of(lambda: json.loads(data), lambda: read(data, str(path), ids, kind="prowler-ocsf"))
    print(f"prowler-ocsf: {args.n} findings, {len(data) / 1e6:.1f} MB: json.loads {baseline:.2f} s, importer "
          f"{importer:.2f} s, ratio {importer / baseline:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
