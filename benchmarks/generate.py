"""Generate a large facts file (default 100,000 handlers) for the benchmarks.

    python benchmarks/generate.py -n 100000 -o /tmp/big/facts.yaml [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path


def facts(n: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    start = dt.date(2015, 1, 1)
    handlers, credentials = [], []
    for i in range(n):
        granted = start + dt.timedelta(days=rnd.randrange(3650))
        h = {"id": f"h-{i:06d}", "role": "agent", "systems": ["sys-main"], "granted_on": granted.isoformat()}
        if rnd.random() < 0.2:
            left = granted + dt.timedelta(days=rnd.randrange(30, 900))
            if left < dt.date(2025, 11, 30):
                h["left_on"] = left.isoformat()
                if rnd.random() < 0.97:
                    h["access_revoked_on"] = (left + dt.timedelta(days=rnd.choice([0, 0, 0, 1, 5]))).isoformat()
        handlers.append(h)
        if i % 10 == 0:
            credentials.append({"id": f"key-{i:06d}", "kind": "api-key", "owner": h["id"], "issued_on": granted.isoformat()})
    reviews = [dt.date(2024, m, 28).isoformat() for m in range(11, 13)] + [dt.date(2025, m, 28).isoformat() for m in range(1, 12)]
    return {
        "as_of": "2025-11-30",
        "organization": {"name": "Benchmark Org", "kind": "private", "size": "large", "subjects": 5_000_000,
                         "key_telecom_operator": False},
        "systems": [{"id": "sys-main", "subjects": 5_000_000, "user_data": True, "unique_identifiers": False,
                     "sensitive_data": False, "ip_restricted": True, "ip_leak_detection": True,
                     "remote_access": {"allowed": True, "methods": ["otp"]}, "session_timeout_minutes": 15,
                     "password_storage": "one-way-hash", "identifiers_encrypted": True, "transit_encrypted": True,
                     "access_log": {"retention_days": 730, "tamper_protected": True, "reviews": reviews,
                                    "downloads_reason_checked": True}}],
        "handlers": handlers,
        "accounts": [{"id": f"acc-{h['id']}", "system": "sys-main", "holders": [h["id"]]} for h in handlers],
        "credentials": credentials,
        "password_policy": {"min_length": 10, "min_char_classes": 3, "lockout_after_failures": 5},
        "internal_plan": {"established_on": "2020-01-01", "approved_by": "CEO", "last_inspected_on": "2025-06-30"},
        "access_rights_records": {"retention_days": 1095, "records_since": "2015-01-01"},
        "incidents": [],
    }


def write_yaml(data: dict, path: Path) -> None:
    """Flow-style rows, as exports from an HR or IAM system usually look."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines += [f"  - {json.dumps(row, ensure_ascii=False)}" for row in value]
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = facts(args.n)
    if args.json:
        out.write_text(json.dumps(data), encoding="utf-8")
    else:
        write_yaml(data, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {args.n} handlers)")


if __name__ == "__main__":
    main()
