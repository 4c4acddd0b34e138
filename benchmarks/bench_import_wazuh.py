"""Wazuh alerts importer on a 1M-line alerts.json, timed against reading the same lines with ``json.loads`` per line
in the same run (best of 3). Target: at most 2x.

    python benchmarks/bench_import_wazuh.py [-n 1000000] [-o /tmp/bench-wazuh]

The lines are shaped like Wazuh 4.x's (sshd, PAM, syscheck, ClamAV and Windows Defender rules, full_log, decoder,
data); 60 agents, 55 of them mapped to 11 systems, and about one alert in ten at level 7 or above, so the importer
counts most lines, lists a tenth and reports five unmapped agents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from compliance.importers import IdentityMap  # noqa: E402
from compliance.importers.wazuh import read  # noqa: E402
from pairing import best_of  # beside this script (run as python benchmarks/NAME.py)

START = dt.datetime(2025, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=9)))
AGENTS = 60
RULES = [  # (id, level, description, groups, full_log) — weights by repetition: mostly low-level noise
    ("5501", 3, "PAM: Login session opened.", ["pam", "syslog", "authentication_success"],
     "Jun  1 00:00:00 host sshd[1200]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)"),
    ("5502", 3, "PAM: Login session closed.", ["pam", "syslog"],
     "Jun  1 00:00:00 host sshd[1200]: pam_unix(sshd:session): session closed for user deploy"),
    ("5715", 3, "sshd: authentication success.", ["syslog", "sshd", "authentication_success"],
     "Jun  1 00:00:00 host sshd[1200]: Accepted publickey for deploy from 10.0.0.5 port 50122 ssh2"),
    ("5402", 3, "Successful sudo to ROOT executed.", ["syslog", "sudo"],
     "Jun  1 00:00:00 host sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl"),
    ("5710", 5, "sshd: Attempt to login using a non-existent user", ["syslog", "sshd", "authentication_failed"],
     "Jun  1 00:00:00 host sshd[1200]: Invalid user admin from 203.0.113.7 port 40022"),
    ("52507", 3, "ClamAV database update", ["clamd", "freshclam", "virus"],
     "Jun  1 00:00:00 host freshclam[900]: daily.cld updated (version: 27000, sigs: 2000000)"),
    ("550", 7, "Integrity checksum changed.", ["ossec", "syscheck", "syscheck_entry_modified", "syscheck_file"],
     "File '/etc/hosts.allow' modified\nMode: scheduled\nChanged attributes: size,mtime,md5,sha1,sha256\n"),
    ("5712", 10, "sshd: brute force trying to get access to the system. Non existent user.",
     ["syslog", "sshd", "authentication_failures"], "Jun  1 00:00:00 host sshd[1200]: Invalid user guest from "
     "203.0.113.7 port 40022"),
]
WEIGHTS = [30, 30, 12, 8, 8, 2, 6, 4]  # per 100 lines: 10 of level >= 7


def alert(i: int, rule: tuple) -> dict:
    rid, level, description, groups, full_log = rule
    at = START + dt.timedelta(seconds=i * 2.6)
    agent = (i // 3) % AGENTS
    line = {
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{i % 1000:03d}" + at.strftime("%z"),
        "rule": {"level": level, "description": description, "id": rid, "firedtimes": i % 97 + 1, "mail": False,
                 "groups": groups, "pci_dss": ["10.2.5"], "gdpr": ["IV_32.2"]},
        "agent": {"id": f"{agent + 1:03d}", "name": f"srv-{agent:02d}", "ip": f"10.0.{agent}.10"},
        "manager": {"name": "wazuh-manager"},
        "id": f"{int(at.timestamp())}.{i}",
        "full_log": full_log,
        "decoder": {"name": groups[1] if len(groups) > 1 else groups[0]},
        "location": "syscheck" if rid == "550" else "/var/log/secure",
    }
    if rid in ("5710", "5712", "5715"):
        line["data"] = {"srcip": "203.0.113.7", "srcport": "40022", "srcuser": "admin"}
    return line


def write(path: Path, n: int) -> None:
    deck = [rule for rule, weight in zip(RULES, WEIGHTS) for _ in range(weight)]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            rule = deck[((i * 2654435761 & 0xFFFFFFFF) >> 8) % len(deck)]  # spread over agents and time
            out.write(json.dumps(alert(i, rule), separators=(",", ":")) + "\n")


def baseline(data: bytes) -> None:
    for line in io.BytesIO(data):
        json.loads(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="alert lines")
    ap.add_argument("-o", type=Path, default=None, help="folder for the generated file (default: a temporary one)")
    args = ap.parse_args()
    folder = args.o or Path(tempfile.mkdtemp(prefix="bench-wazuh-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "alerts.json"
    write(path, args.n)
    data = path.read_bytes()
    ids = IdentityMap(systems={f"srv-{a:02d}": f"sys-{a // 5}" for a in range(AGENTS - 5)})
    observed = read(data, str(path), ids, kind="wazuh-alerts")
    listed = sum(len(s["alerts"]) for s in observed.systems.values())
    assert len(observed.unmapped) == 5 and listed
    base, importer = best_of(lambda: baseline(data), lambda: read(data, str(path), ids, kind="wazuh-alerts"))
    print(f"wazuh-alerts: {args.n} lines, {len(data) / 1e6:.1f} MB, {listed} alerts listed: json.loads per line "
          f"{base:.2f} s, importer {importer:.2f} s, ratio {importer / base:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
