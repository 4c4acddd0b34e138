"""`pipa-audit logs analyze`: each analysis finds what was planted, cites its provision, and carries its evidence."""

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from compliance.logs import synthetic
from compliance.logs.derived import DerivedFacts

from .conftest import SEED, cli, write

SQL = Path(__file__).resolve().parent.parent / "compliance" / "logs" / "sql"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The synthetic organisation, ingested and analysed once (CP949 export, mixed timestamp formats)."""
    root = synthetic.write_world(tmp_path_factory.mktemp("world"), 3000, encoding="cp949")
    assert cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", root / "derived.json")
    assert proc.returncode == 0, proc.stderr
    return root, json.loads((root / "derived.json").read_text())


def items(derived, analysis):
    return derived["analyses"][analysis]["items"]


def test_access_after_departure_including_the_departed_developers_key(world):
    _, derived = world
    got = {i["principal"]: i for i in items(derived, "after_departure")}
    assert set(got) == synthetic.PLANTED["after_departure"]
    key = got["sign-key-7"]
    assert (key["kind"], key["holder"], key["cutoff"]) == ("credential", "h-0042", "2024-12-31")
    assert key["example"]["at"].startswith("2025-06-24") and key["example"]["ip"] in synthetic.FOREIGN
    assert key["example"]["source"] == "export.csv" and key["example"]["line"] >= 2
    assert got["acc-0420"]["cutoff"] == "2025-05-30" and got["acc-0420"]["first_at"] > "2025-05-31"
    assert derived["analyses"]["after_departure"]["provision"]["cite"]["en"] == "Notice Art 5(2)"


def test_outside_networks_with_country(world):
    _, derived = world
    foreign = {(i["account"], i["ip"]): i for i in items(derived, "outside_networks") if i["country"] == "SG"}
    assert set(foreign) == {("sign-key-7", ip) for ip in synthetic.FOREIGN}
    assert all(i["country_source"] == "address table" for i in foreign.values())
    assert not [i for i in items(derived, "outside_networks") if i["ip"].startswith(("10.20.", "10.99."))]


def test_downloads_bursts_concurrency_gaps_and_retention(world):
    _, derived = world
    (dl,) = items(derived, "downloads")
    assert (dl["account"], dl["downloads"], dl["records_total"]) == ("acc-0188", 5, 250_000)
    bursts = [(b["account"], b["day"], b["day_kind"]) for b in items(derived, "off_hours_bursts")]
    assert bursts == [("acc-0230", "2025-10-06", "holiday")]  # 추석: a holiday of the shipped calendar
    assert [c["account"] for c in items(derived, "concurrent_addresses")] == ["acc-ops-batch"]
    gaps = [(g["system"], g["start"], g["end"]) for g in derived["analyses"]["retention"]["gaps"]]
    assert ("sys-commerce", "2025-08-02", "2025-08-12") in gaps  # planted 08-04..08-12, after a weekend
    auth = next(i for i in items(derived, "retention") if i["system"] == "sys-auth")
    assert (auth["required_days"], auth["stated_days"]) == (730, 365)
    assert auth["first_record"] >= "2025-03-01" and auth["missing_head_days"] > 365
    reviews = {(r["system"], r["period"]): r for r in items(derived, "reviews")}
    assert reviews[("sys-commerce", "2025-04")]["missed"] and not reviews[("sys-commerce", "2025-03")]["missed"]


def test_evidence_hashes_engine_and_parameters(world):
    root, derived = world
    DerivedFacts.model_validate(derived)  # the documented shape
    assert derived["engine"]["name"] == "duckdb" and derived["engine"]["version"] == duckdb.__version__
    for q in (q for a in derived["analyses"].values() for q in a["queries"]):
        assert q["sha256"] == hashlib.sha256((SQL / Path(q["file"]).name).read_bytes()).hexdigest()
    refs = {(r["role"], r["path"]): r["sha256"] for r in derived["inputs"]}
    for (role, path), digest in refs.items():
        base = root / "rec" if role in ("records", "manifest", "rejects") else Path()
        assert hashlib.sha256((base / path).read_bytes()).hexdigest() == digest, path
    assert sum(1 for role, _ in refs if role == "records") == 12
    assert derived["parameters"]["download_threshold"] == 1000 and derived["dataset"]["sufficient"] is True


def test_examples_are_bounded_but_counts_are_not(world, tmp_path):
    root, full = world
    out = tmp_path / "d.json"
    assert cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", root / "params.yaml",
               "-o", out, "--examples", "1").returncode == 0
    short = json.loads(out.read_text())["analyses"]["outside_networks"]
    assert len(short["items"]) == 1 and short["items_truncated"] and short["items_total"] == 3
    assert short["counts"] == full["analyses"]["outside_networks"]["counts"]


def test_changed_records_and_overwriting_inputs_are_refused(world, tmp_path):
    root, _ = world
    import shutil

    rec = tmp_path / "rec"
    shutil.copytree(root / "rec", rec)
    before = (root / "facts.yaml").read_bytes()
    proc = cli("logs", "analyze", rec, "--facts", root / "facts.yaml", "-o", root / "facts.yaml")
    assert proc.returncode == 2 and "is one of the inputs" in proc.stderr and "Traceback" not in proc.stderr
    assert (root / "facts.yaml").read_bytes() == before
    part = rec / "2025-03" / "records.parquet"
    part.write_bytes(part.read_bytes()[:-10] + b"0" * 10)
    proc = cli("logs", "analyze", rec, "--facts", root / "facts.yaml")
    assert proc.returncode == 2 and f"{part}: SHA-256 differs from the manifest" in proc.stderr
    bad = write(tmp_path, "p.yaml", "networks:\n  - {network: 10.0.0.0/33}\n")
    proc = cli("logs", "analyze", root / "rec", "--facts", root / "facts.yaml", "--params", bad)
    assert proc.returncode == 2 and f"{bad}:2: networks[0].network" in proc.stderr


def _tiny(tmp_path, lines, facts, params=""):
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + "".join(l + "\n" for l in lines))
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
    f = write(tmp_path, "facts.yaml", facts)
    args = ["logs", "analyze", tmp_path / "rec", "--facts", f, "-o", tmp_path / "d.json"]
    if params:
        args += ["--params", write(tmp_path, "params.yaml", params)]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads((tmp_path / "d.json").read_text())


def test_bursts_follow_the_korean_calendar_not_the_weekday(tmp_path):
    """Ten in the morning is off-hours on a substitute holiday (2025-03-03) and not on an ordinary Tuesday."""
    lines = [f"u1,2025-02-{d:02d} 10:00:00,10.0.0.1,sys,view" for d in range(3, 28) if dt.date(2025, 2, d).weekday() < 5]
    lines += [f"u1,2025-03-03 10:{m:02d}:00,10.0.0.1,sys,view" for m in range(25)]
    lines += [f"u1,2025-03-04 10:{m:02d}:00,10.0.0.1,sys,view" for m in range(25)]
    derived = _tiny(tmp_path, lines, "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    assert [(b["day"], b["day_kind"], b["off_hours_events"]) for b in items(derived, "off_hours_bursts")] == [
        ("2025-03-03", "holiday", 25)]


def test_reviews_are_monthly_until_2026_10_30_then_follow_the_plans_cycle(tmp_path):
    lines = [f"u1,2026-{m:02d}-{d:02d} 10:00:00,10.0.0.1,sys,view" for m in (9, 10, 11, 12) for d in (3, 13, 23)]
    facts = ("as_of: 2026-12-31\nperiod_start: 2026-09-01\norganization: {name: X}\n"
             "systems: [{id: sys, access_log: {reviews: [2026-09-30, 2026-11-15]}}]\n")
    derived = _tiny(tmp_path, lines, facts)
    periods = [(r["period"], r["missed"]) for r in items(derived, "reviews")]
    assert periods == [("2026-09", False), ("2026-10", True)]
    assert any("internal_plan.access_log_review.cycle_days" in n for n in derived["notes"])
    planned = facts + "internal_plan: {access_log_review: {cycle_days: 31}}\n"
    derived = _tiny(tmp_path / "b", lines, planned)
    after = [(r["start"], r["end"], r["reviews"], r["missed"]) for r in items(derived, "reviews")][2:]
    assert after == [("2026-10-31", "2026-11-30", 1, False), ("2026-12-01", "2026-12-31", 0, True)]


def test_the_seed_examples_access_records_show_the_departed_key_used_from_overseas(tmp_path):
    export = SEED / "evidence" / "access-records-sys-auth.csv"
    assert cli("logs", "ingest", export, "-o", tmp_path / "rec", "-q").returncode == 0
    proc = cli("logs", "analyze", tmp_path / "rec", "--facts", SEED / "facts.yaml",
               "--params", SEED / "evidence" / "access-log-analysis.yaml", "-o", tmp_path / "d.json")
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((tmp_path / "d.json").read_text())
    (key,) = items(derived, "after_departure")
    assert (key["principal"], key["last_at"]) == ("sign-key-7", "2025-11-17T23:40:00+09:00")
    (out,) = items(derived, "outside_networks")
    assert (out["account"], out["ip"], out["country"], out["country_source"]) == ("sign-key-7", "198.51.100.23", "SG", "export")
    manifest = json.loads((tmp_path / "rec" / "manifest.json").read_text())
    assert manifest["inputs"][0]["encoding"] == "cp949" and manifest["totals"]["rows_rejected"] == 0


def test_observations_compare_stated_with_observed_for_the_checks(world, tmp_path):
    from compliance.facts import Facts
    from compliance.loading import InputError, validate_file
    from compliance.logs.compare import compare, load_derived

    root, _ = world
    facts, _ = validate_file(root / "facts.yaml", Facts)
    obs = compare(facts, load_derived(root / "derived.json", root / "facts.yaml"))
    violations = {(o.control, o.subject) for o in obs if o.status == "violation"}
    assert {("notice/5.2", "sign-key-7"), ("notice/5.2", "acc-0420"), ("notice/8.2", "sys-commerce/acc-0188"),
            ("notice/6.1", "sys-auth/sign-key-7"), ("notice/8.1", "sys-auth")} <= violations
    auth = next(o for o in obs if (o.control, o.subject, o.status) == ("notice/8.1", "sys-auth", "violation"))
    assert auth.text.en.startswith("sys-auth: stated retention 365 days; records exist from 2025-03-")
    assert auth.stated == {"retention_days": 365} and auth.observed["required_days"] == 730
    assert {(o.control, o.subject, o.status) for o in obs if o.analysis == "concurrent_addresses"} == {
        ("notice/5.4", "acc-ops-batch", "anomaly")}
    other = write(tmp_path, "facts.yaml", (root / "facts.yaml").read_text() + "# edited\n")
    with pytest.raises(InputError, match="another version"):
        load_derived(root / "derived.json", other)
    doc = json.loads((root / "derived.json").read_text())
    doc["dataset"].update(rows_rejected=500, rejected_ratio=0.2, sufficient=False)
    (tmp_path / "d.json").write_text(json.dumps(doc))
    obs = compare(facts, load_derived(tmp_path / "d.json"))
    assert obs and {o.status for o in obs} == {"insufficient"} and "notice/8.1" in {o.control for o in obs}


def test_two_networks_at_once_including_across_midnight(tmp_path):
    lines = [
        "u1,2025-03-03 23:59:00,10.0.1.5,sys,view", "u1,2025-03-04 00:01:00,10.0.2.5,sys,view",  # 2 min apart
        "u2,2025-03-03 10:00:00,10.0.1.6,sys,view", "u2,2025-03-03 10:20:00,10.0.2.6,sys,view",  # 20 min: moved
        "u3,2025-03-03 10:00:00,10.0.1.7,sys,view", "u3,2025-03-03 10:04:00,10.0.1.8,sys,view",  # same /24
    ]
    derived = _tiny(tmp_path, lines, "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    (only,) = items(derived, "concurrent_addresses")
    assert (only["account"], only["example"]["ip"], only["example"]["previous_ip"]) == ("u1", "10.0.2.5", "10.0.1.5")


def test_the_review_cycle_has_one_source_the_internal_plan(tmp_path):
    """A cycle in the parameters could disagree with the plan the facts state: it is refused at its line."""
    lines = ["u1,2026-11-03 10:00:00,10.0.0.1,sys,view"]
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action\n" + "".join(l + "\n" for l in lines))
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec", "-q").returncode == 0
    f = write(tmp_path, "facts.yaml", "as_of: 2026-12-31\norganization: {name: X}\nsystems: [{id: sys}]\n")
    p = write(tmp_path, "params.yaml", "download_threshold: 500\nreview_cycle_days: 31\n")
    proc = cli("logs", "analyze", tmp_path / "rec", "--facts", f, "--params", p, "-o", tmp_path / "d.json")
    assert proc.returncode == 2 and "params.yaml:2" in proc.stderr and "internal_plan.access_log_review.cycle_days" in proc.stderr
    assert not (tmp_path / "d.json").exists()
