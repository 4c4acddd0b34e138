"""Identity-provider importer on 100k users: Microsoft Graph GET /users (entra-users) and Okta GET /api/v1/users
(okta-users), each timed against ``json.loads`` of the same file in the same run (best of 3). Target: at most 2x.

    python benchmarks/bench_import_identity.py [-n 100000] [-o /tmp/bench-identity]

Every user maps to a handler (the identity map is built in memory), a tenth are disabled or deprovisioned and a
twentieth have a leave date, so each row takes the importer's full path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from compliance.importers import IdentityMap  # noqa: E402
from compliance.importers.identity import read  # noqa: E402

START = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)


def stamp(i: int, offset_days: int = 0) -> str:
    return (START + dt.timedelta(days=offset_days + i % 2000, seconds=i * 37 % 86400)).strftime("%Y-%m-%dT%H:%M:%SZ")


def okta_stamp(i: int, offset_days: int = 0) -> str:
    return stamp(i, offset_days)[:-1] + ".000Z"  # Okta writes milliseconds


def graph_users(n: int) -> dict:
    users = []
    for i in range(n):
        users.append({
            "id": f"{i:08x}-e32e-41a1-b7bd-d2d185eed0e0", "displayName": f"User {i}",
            "userPrincipalName": f"user{i}@contoso.com", "mail": f"user{i}@contoso.com", "employeeId": f"E{i:06d}",
            "userType": "Member", "accountEnabled": i % 10 != 0, "createdDateTime": stamp(i),
            "employeeLeaveDateTime": stamp(i, 400) if i % 20 == 0 else None,
            "signInActivity": {  # Graph returns all six when signInActivity is selected
                "lastSignInDateTime": stamp(i, 900), "lastSignInRequestId": f"{i:08x}-2c81-4ef7-b578-5b5392b571df",
                "lastNonInteractiveSignInDateTime": stamp(i, 901),
                "lastNonInteractiveSignInRequestId": f"{i:08x}-249e-4595-bb86-495ea9a81e00",
                "lastSuccessfulSignInDateTime": stamp(i, 900),
                "lastSuccessfulSignInRequestId": f"{i:08x}-2c81-4ef7-b578-5b5392b571df"},
        })
    return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": users}


def okta_users(n: int) -> list:
    users = []
    for i in range(n):
        status = "DEPROVISIONED" if i % 10 == 0 else "ACTIVE"
        users.append({
            "id": f"00u{i:017d}", "status": status, "created": okta_stamp(i), "activated": okta_stamp(i),
            "statusChanged": okta_stamp(i, 300), "lastLogin": okta_stamp(i, 900), "lastUpdated": okta_stamp(i, 300),
            "passwordChanged": okta_stamp(i, 10), "type": {"id": "oty1deo07mJai2ulD5d6"},
            "profile": {"firstName": "User", "lastName": str(i), "mobilePhone": None, "secondEmail": None,
                        "login": f"user{i}@example.com", "email": f"user{i}@example.com",
                        "employeeNumber": f"E{i:06d}"},
            "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": f"https://example.okta.com/api/v1/users/00u{i:017d}"}},
        })
    return users


def best(fn, runs: int = 3) -> tuple[float, float]:
    """Best wall and best CPU time of ``runs``, each run started with no garbage left by the one before (the CPU
    time is the steadier figure on a machine other work shares)."""
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        del result
    return min(wall), min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="users per file")
    ap.add_argument("-o", type=Path, default=None, help="folder for the generated files (default: a temporary one)")
    args = ap.parse_args()
    folder = args.o or Path(tempfile.mkdtemp(prefix="bench-identity-"))
    folder.mkdir(parents=True, exist_ok=True)
    ids = IdentityMap(handlers={f"E{i:06d}": f"h-{i}" for i in range(args.n)},
                      systems={"entra": "sys-sso", "okta": "sys-sso"})
    for kind, users in (("entra-users", graph_users), ("okta-users", okta_users)):
        path = folder / f"{kind}.json"
        path.write_text(json.dumps(users(args.n), indent=2), encoding="utf-8")  # indented as az and PowerShell write
        data = path.read_bytes()
        observed = read(data, str(path), ids, kind=kind)
        assert len(observed.lists["handlers"]) == args.n and not observed.unmapped
        del observed
        baseline = best(lambda: json.loads(data))
        importer = best(lambda: read(data, str(path), ids, kind=kind))
        print(f"{kind}: {args.n} users, {len(data) / 1e6:.1f} MB: json.loads {baseline[0]:.3f} s, importer "
              f"{importer[0]:.3f} s, ratio {importer[0] / baseline[0]:.2f}x wall, {importer[1] / baseline[1]:.2f}x CPU "
              "(target <= 2x)")


if __name__ == "__main__":
    main()
