"""The secret scanners' importer against the JSON parse it cannot avoid: a 100k-finding gitleaks report read by
``compliance.importers.secrets`` vs ``json.loads`` of the same bytes, and the same number of TruffleHog --json
lines vs ``json.loads`` of each line; best of three, in the same run. Run on demand (no external tool needed):

    python benchmarks/bench_import_secrets.py [-n 100000] [-o /tmp/bench-secrets]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from compliance.importers import IdentityMap  # noqa: E402
from compliance.importers.secrets import read  # noqa: E402
from compliance.observed import document  # noqa: E402

RULES = ("aws-access-token", "generic-api-key", "private-key", "github-pat", "slack-bot-token", "jwt",
         "stripe-access-token", "gcp-api-key", "postgres-password", "sidekiq-secret")
DETECTORS = ("AWS", "Github", "Slack", "PrivateKey", "URI", "Postgres", "Stripe", "JDBC", "SendGrid", "Box")
REPO = "https://github.com/example/shop"
FILES = 5000  # findings spread over this many files: about 20 per file, so rows are about a tenth of the findings


def _value(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def gitleaks_report(n: int, rng: random.Random) -> bytes:
    findings = []
    for i in range(n):
        folder = f"services/svc{i % 50}"
        path = f"{folder}/src/module{i % FILES}.py" if i % 3 else f"{folder}/config/app{i % FILES}.yaml"
        secret = _value(rng, 40)
        commit = f"{rng.getrandbits(160):040x}"
        findings.append({
            "RuleID": RULES[i % len(RULES)], "Description": "Detected a Generic API Key, potentially exposing access.",
            "StartLine": i % 400 + 1, "EndLine": i % 400 + 1, "StartColumn": 8, "EndColumn": 60,
            "Match": f"api_key = '{secret}'", "Secret": secret, "File": path, "SymlinkFile": "", "Commit": commit,
            "Link": f"{REPO}/blob/{commit}/{path}#L{i % 400 + 1}", "Entropy": 4.5, "Author": "Author Name",
            "Email": "author@example.com", "Date": "2025-03-24T21:18:09Z", "Message": "Add configuration",
            "Tags": [], "Fingerprint": f"{commit}:{path}:{RULES[i % len(RULES)]}:{i % 400 + 1}",
        })
    return (json.dumps(findings, indent=1) + "\n").encode("utf-8")  # gitleaks indents by one space


def trufflehog_lines(n: int, rng: random.Random) -> bytes:
    lines = []
    for i in range(n):
        raw = _value(rng, 40)
        lines.append(json.dumps({
            "SourceMetadata": {"Data": {"Git": {
                "commit": f"{rng.getrandbits(160):040x}", "file": f"src/module{i % FILES}.py",
                "email": "Committer Name <committer@example.com>", "repository": REPO,
                "timestamp": "2022-06-16 10:17:40 -0700 PDT", "line": i % 400 + 1}}},
            "SourceID": 0, "SourceType": 16, "SourceName": "trufflehog - git", "DetectorType": 2,
            "DetectorName": DETECTORS[i % len(DETECTORS)], "DetectorDescription": "A credential of a service.",
            "DecoderName": "PLAIN", "Verified": i % 97 == 0, "VerificationFromCache": False, "Raw": raw,
            "RawV2": f"{raw}:{_value(rng, 20)}", "Redacted": raw[:8] + "****", "ExtraData": {"account": "595918472158"},
            "StructuredData": None,
        }, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8")


def paused(fn):
    """``fn`` with the garbage collector paused, as the importer reads (a baseline on equal terms)."""
    def run():
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()
    return run


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="findings in each file")
    ap.add_argument("-o", type=Path, default=None, help="folder for the generated files (default: a temporary one)")
    args = ap.parse_args()
    folder = args.o or Path(tempfile.mkdtemp(prefix="bench-secrets-"))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(18)
    ids = IdentityMap(systems={REPO: "sys-shop", "services": "sys-shop", "src": "sys-shop"})
    for kind, make, baseline_name, baseline in (
        ("gitleaks", gitleaks_report, "json.loads", lambda b: json.loads(b)),
        ("trufflehog", trufflehog_lines, "json.loads per line", lambda b: [json.loads(x) for x in b.split(b"\n") if x]),
    ):
        path = folder / (f"{kind}.json" if kind == "gitleaks" else f"{kind}.jsonl")
        path.write_bytes(make(args.n, rng))
        data = path.read_bytes()
        base = best(lambda: baseline(data))
        base_paused = best(paused(lambda: baseline(data)))
        ours = best(lambda: read(data, str(path), ids, kind))
        observed = read(data, str(path), ids, kind)
        doc = best(lambda: document(kind, observed, str(path), data, ids), runs=1)
        rows = len(observed.lists["secrets"])
        print(f"{kind}: {args.n:,} findings, {len(data) / 1e6:.1f} MB -> {rows:,} rows | "
              f"{baseline_name} {base:.3f} s | "
              f"importer {ours:.3f} s = {ours / base:.2f}x | same with GC paused {base_paused:.3f} s: "
              f"{ours / base_paused:.2f}x | document (pydantic, rows) {doc:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
