"""The catalog's checks against hand-written loops over the same rows (issue 22: "the checks themselves: <= 3x
hand-written loops"); run on demand, not in CI.

    python benchmarks/generate.py -n 100000 -o /tmp/pipa-bench/facts.json --json
    python benchmarks/bench_checks.py /tmp/pipa-bench/facts.json [--runs 5]

Both sides start from the same evaluation form (the dicts the evaluator reads, made once) with the collector off,
as ``check`` runs. The evaluator side is ``evaluate()``: every control in force, its checks, verdicts and
offenders (id, label and the values the check read). The hand side is a plain loop for each check over a long list
of the file (handlers, accounts, keys: 6 checks, which hold all but a few hundred of the rows) that builds the
same offenders as (id, values) pairs; the small lists' ~60 checks are left to the evaluator alone, so the ratio
favours the hand side. Before timing, the script requires both sides to find the same offenders with the same
values, so the baseline is not a looser rule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import time


def hand(root: dict, grace: dt.timedelta) -> dict[str, list[tuple[str, dict]]]:
    """The six row checks of notice/4.2, 5.2 and 5.4 written as loops (offenders: id and the values read)."""
    def iso(v):
        return v.isoformat() if isinstance(v, dt.date) else v

    as_of = root["as_of"]
    year_ago = as_of - dt.timedelta(days=365)
    handlers = root.get("handlers") or []
    out: dict[str, list] = {}
    o = out["handlers-trained-yearly"] = []
    for h in handlers:
        left = h.get("left_on")
        if left is None or left > as_of:
            trained = h.get("trained_on", "(absent)")
            if not (trained != "(absent)" and trained is not None and trained > year_ago):
                o.append((h["id"], {"left_on": iso(left), "trained_on": iso(trained)}))
    o = out["departed-handlers-revoked"] = []
    for h in handlers:
        left = h.get("left_on")
        if left is not None and left <= as_of:
            revoked = h.get("access_revoked_on")
            if not (revoked is not None and revoked <= left + grace):
                o.append((h["id"], {"left_on": iso(left), "access_revoked_on": iso(revoked)}))
    o = out["changed-duties-access-changed"] = []
    for h in handlers:
        changed = h.get("duties_changed_on")
        if changed is not None and changed <= as_of:
            ok = any(v is not None and v <= changed + grace for v in (h.get("access_changed_on"), h.get("access_revoked_on")))
            if not ok:
                o.append((h["id"], {"duties_changed_on": iso(changed)}))
    by_id = {h["id"]: h for h in handlers}
    revoked_out = out["departed-owners-credentials-revoked"] = []
    used_out = out["no-use-after-departure"] = []
    for c in root.get("credentials") or []:
        left = by_id.get(c.get("owner"), {}).get("left_on")
        if left is not None and left <= as_of:
            revoked = c.get("revoked_on")
            if not (revoked is not None and revoked <= left + grace):
                revoked_out.append((c["id"], {"owner": c.get("owner"), "revoked_on": iso(revoked)}))
            used = c.get("last_used_at")
            if not (used is None or used.date() <= left):
                used_out.append((c["id"], {"owner": c.get("owner"), "last_used_at": iso(used)}))
    o = out["accounts-not-shared"] = []
    for a in root.get("accounts") or []:
        if not (len(a.get("holders") or ()) <= 1 or a.get("shared_reason") is not None):
            o.append((a["id"], {"holders": a.get("holders"), "shared_reason": a.get("shared_reason", "(absent)")}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("facts", help="a big JSON facts file (benchmarks/generate.py --json)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--structs", action="store_true",
                    help="the evaluator reads the long lists as the row decoder's structs, as `check` does (the hand "
                         "loops read the same rows as dicts)")
    args = ap.parse_args()

    from compliance.catalog import default_catalog_dir, in_force, load_catalogs
    from compliance.evaluate import Inputs, evaluate
    from compliance.facts import Facts, to_evaluation_dict
    from compliance.loading import load, validate_file

    catalogs = load_catalogs(default_catalog_dir())
    data, text = load(args.facts, rows_of=Facts if args.structs else None)
    facts, _ = validate_file(args.facts, Facts, data, text, rows_as_structs=args.structs)
    evaluated = to_evaluation_dict(facts, release=True, keep_structs=args.structs)
    root = dict(evaluated)
    if args.structs:  # the hand loops read dicts
        from compliance.facts import struct_lists_as_dicts

        struct_lists_as_dicts(root)
    del data, facts
    inputs = Inputs(in_force(catalogs, root["as_of"]), evaluated, args.facts, text, root["as_of"], [], [])
    from compliance.catalog import FACTS_TYPE
    from compliance.expr import compile_expr

    notice = next(c for c in catalogs if c.meta.id == "pipc-notice")
    grace = compile_expr(notice.defs["revocation_grace"].expr, FACTS_TYPE).fn(root, {})  # the catalog's own reading

    gc.disable()
    result = evaluate(inputs)  # warm: the generated functions are built on first use
    ours = {ch.id: [(o.id, o.values) for o in ch.offenders] for c in result.controls for ch in c.checks}
    theirs = hand(root, grace)
    for check, offenders in theirs.items():
        got = {i: {k: v for k, v in vals.items() if k in offenders[0][1]} if offenders else vals for i, vals in ours[check]}
        want = dict(offenders)
        if set(got) != set(want) or any(got[i] != want[i] for i in want):
            raise SystemExit(f"{check}: the hand loop and the evaluator disagree ({len(want)} against {len(got)} offenders)")
    ev, hd = [], []
    for _ in range(args.runs):  # paired, alternating
        t0 = time.process_time()
        evaluate(inputs)
        ev.append(time.process_time() - t0)
        t0 = time.process_time()
        hand(root, grace)
        hd.append(time.process_time() - t0)
    rows = sum(len(root.get(k) or ()) for k in ("handlers", "accounts", "credentials"))
    found = sum(len(v) for v in theirs.values())
    print(f"{args.facts}: {rows:,} rows, {found:,} offenders in the six row checks; CPU seconds, median of {args.runs}")
    print(f"| evaluate() (every control) | {statistics.median(ev):.3f} s |")
    print(f"| hand-written loops (six checks) | {statistics.median(hd):.3f} s |")
    print(f"| ratio (median of the paired ratios; target <= 3x) | {statistics.median(e / h for e, h in zip(ev, hd)):.2f}x |")


if __name__ == "__main__":
    main()
