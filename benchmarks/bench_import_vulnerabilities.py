"""`pipa-audit import trivy` on a synthetic Trivy JSON report of 100k findings: the importer's time as a ratio to
``json.loads`` of the same file, both measured in this run (min of 3). Target: at most 2x.

    python benchmarks/bench_import_vulnerabilities.py [-n 100000] [-o /tmp/bench-trivy] [--cli]

The findings carry the fields Trivy writes for each (title, description, CVSS, references …), so the file is as
large per finding as a real report; 5,000 packages with 20 vulnerabilities each, split over an OS result and
language-package results. ``--cli`` also times the whole command (the document's rows are validated there).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from compliance.importers import IdentityMap  # noqa: E402
from compliance.importers.vulnerabilities import read  # noqa: E402

TARGET = "registry.example.com/shop/api:2025.11"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
STATUSES = ("fixed", "affected", "will_not_fix", "fix_deferred")


def finding(n: int, pkg: str, version: str) -> dict:
    cve = f"CVE-{2015 + n % 10}-{10000 + n}"
    return {
        "VulnerabilityID": cve,
        "PkgID": f"{pkg}@{version}",
        "PkgName": pkg,
        "PkgIdentifier": {"PURL": f"pkg:deb/debian/{pkg}@{version}?arch=amd64&distro=debian-12.4", "UID": f"{n:016x}"},
        "InstalledVersion": version,
        "FixedVersion": f"{version}+deb12u1",
        "Status": STATUSES[n % len(STATUSES)],
        "Layer": {"Digest": "sha256:" + "ab" * 32, "DiffID": "sha256:" + "cd" * 32},
        "SeveritySource": "debian",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.lower()}",
        "DataSource": {"ID": "debian", "Name": "Debian Security Tracker",
                       "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"},
        "Fingerprint": f"sha256:{n:064x}",
        "Title": f"{pkg}: heap-based buffer overflow in the parser of {pkg}",
        "Description": (f"A flaw was found in {pkg}. A remote attacker could send a crafted request that causes a heap "
                        "buffer overflow, leading to a denial of service or possibly code execution. " * 2),
        "Severity": SEVERITIES[n % len(SEVERITIES)],
        "CweIDs": ["CWE-787"],
        "VendorSeverity": {"debian": 1 + n % 4, "nvd": 1 + (n + 1) % 4, "redhat": 2},
        "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
        "References": [f"https://security-tracker.debian.org/tracker/{cve}", f"https://nvd.nist.gov/vuln/detail/{cve}",
                       f"https://www.cve.org/CVERecord?id={cve}"],
        "PublishedDate": "2023-03-01T15:15:00Z",
        "LastModifiedDate": "2024-11-21T07:45:00Z",
    }


def report(n: int) -> dict:
    per_package = 20
    results = [{"Target": f"{TARGET} (debian 12.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": []},
               {"Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": []}]
    for k in range(n):
        package = k // per_package
        results[package % 2]["Vulnerabilities"].append(finding(k, f"lib-{package}", f"1.{package % 50}.{package % 7}"))
    return {"SchemaVersion": 2, "Trivy": {"Version": "0.58.1"}, "CreatedAt": "2025-11-20T09:00:00.123456789+09:00",
            "ArtifactName": TARGET, "ArtifactType": "container_image",
            "Metadata": {"OS": {"Family": "debian", "Name": "12.4"}, "ImageID": "sha256:" + "ef" * 32},
            "Results": results}


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="findings in the report")
    ap.add_argument("-o", type=Path, default=Path("/tmp/bench-import-vulnerabilities"), help="folder for the files")
    ap.add_argument("--cli", action="store_true", help="also time the whole pipa-audit import command")
    args = ap.parse_args()
    args.o.mkdir(parents=True, exist_ok=True)
    source = args.o / "trivy.json"
    source.write_text(json.dumps(report(args.n), indent=2), encoding="utf-8")
    data = source.read_bytes()
    ids = IdentityMap(systems={TARGET: "sys-api"})
    gc.disable()  # as `pipa-audit` runs every command (cli.main): the cyclic collector only costs time here
    loads = best(lambda: json.loads(data))  # the parsed tree is freed inside the timing, as the importer's is
    observed = read(data, str(source), ids, kind="trivy")
    imported = best(lambda: read(data, str(source), ids, kind="trivy"))
    facts = observed.systems["sys-api"]
    print(f"{args.n} findings, {len(data) / 1e6:.0f} MB: {len(facts['vulnerabilities'])} vulnerabilities, "
          f"{len(facts['components'])} components")
    print(f"json.loads {loads:.2f} s, importer {imported:.2f} s: {imported / loads:.2f}x (target <= 2x)")
    gc.enable()
    if args.cli:
        mapping = args.o / "ids.yaml"
        mapping.write_text(f"systems: {{'{TARGET}': sys-api}}\n", encoding="utf-8")
        command = [sys.executable, "-m", "compliance", "import", "trivy", str(source), "--map", str(mapping),
                   "-o", str(args.o / "observed.json")]
        whole = best(lambda: subprocess.run(command, check=True, capture_output=True))
        print(f"pipa-audit import (read, validate every row, write) {whole:.2f} s: {whole / loads:.2f}x json.loads")


if __name__ == "__main__":
    main()
