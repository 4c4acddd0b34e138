"""The chain of ingests (Notice Art 8(3)): each ingest records the one it follows, and the record-integrity analysis
shows the records kept then are the records analysed now — or names the day rewritten, the days lost, the file
changed, the predecessor it could not reach (never counted as verified)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from compliance.facts import Facts
from compliance.loading import validate_file
from compliance.logs import engines, mapping
from compliance.logs.analyze import derive
from compliance.logs.compare import compare
from compliance.logs.ingest import ingest

from .conftest import SEED, cli
from .consumers import run_bundle_on_duckdb

FACTS = SEED / "facts.yaml"
HEADER = "account,timestamp,ip,system,action,subject,records,reason\n"


def rows(first: str, last: str, end_hour: int = 18, start_hour: int = 9) -> list[str]:
    """Lines of an export: one record an hour, 09:00–17:00, on every day from ``first`` to ``last`` (the first day
    from ``start_hour``, the last up to ``end_hour``: an export starting or ending mid-day)."""
    out, day, stop = [], dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    start = day
    while day <= stop:
        for hour in range(start_hour if day == start else 9, end_hour if day == stop else 18):
            out.append(f"acc-h0001,{day} {hour:02d}:15:00,10.20.0.{hour},sys-commerce,view,cust-{day.day}{hour},1,\n")
        day += dt.timedelta(days=1)
    return out


def export(tmp_path: Path, name: str, lines: list[str]) -> Path:
    p = tmp_path / "exports" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text(HEADER + "".join(lines), encoding="utf-8")
    return p


def ingested(tmp_path: Path, name: str, lines: list[str], previous: str | None = None) -> Path:
    out = tmp_path / "records" / name
    out.parent.mkdir(exist_ok=True)
    ingest([str(export(tmp_path, f"{name}.csv", lines))], str(out), mapping.build("auto", None, None, None),
           previous=None if previous is None else str(tmp_path / "records" / previous))
    return out


def analysed(folder: Path):
    """(the record-integrity section, the observations it files under notice/8.3)."""
    engine = engines.make("duckdb", 1, "256MB", None)
    try:
        derived = derive(str(folder), str(FACTS), None, engine)
    finally:
        engine.close()
    facts = validate_file(FACTS, Facts)[0]
    seen = [o for o in compare(facts, derived) if o.analysis == "record_integrity"]
    assert seen and all(o.control == "notice/8.3" for o in seen)
    return derived.analyses.record_integrity, seen


def statuses(seen) -> set[str]:
    return {o.status for o in seen}


@pytest.fixture
def q1(tmp_path):
    """January, ingested."""
    return ingested(tmp_path, "2025q1", rows("2025-01-01", "2025-01-31"))


def test_a_chain_of_two_ingests_is_verified_clean(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-01-01", "2025-02-28"), previous="2025q1")  # re-exports January
    manifest = json.loads((q2 / "manifest.json").read_text())
    assert manifest["version"] == 2 and manifest["previous"]["path"] == "2025q1"
    assert manifest["previous"]["last_day"] == "2025-01-31"
    day = next(x for x in manifest["days"] if x["day"] == "2025-01-15")
    assert day["rows"] == 9 and len(day["digest"]) == 16
    section, seen = analysed(q2)
    (link,) = section.items
    assert (link.folder, link.status, link.days_compared) == ("2025q1", "verified", 31)
    assert section.rewrites == [] and section.gaps == [] and section.counts["ingests"] == 2
    assert statuses(seen) == {"clear"} and "Chain of 2 ingests verified" in seen[0].text.en


def test_the_same_records_in_another_order_digest_the_same(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-01-01", "2025-02-28")[::-1], previous="2025q1")
    section, seen = analysed(q2)
    assert section.rewrites == [] and statuses(seen) == {"clear"}


def test_a_day_re_exported_with_one_row_altered_is_a_rewrite_naming_the_day(tmp_path, q1):
    lines = rows("2025-01-01", "2025-02-28")
    i = lines.index("acc-h0001,2025-01-15 11:15:00,10.20.0.11,sys-commerce,view,cust-1511,1,\n")
    lines[i] = lines[i].replace("10.20.0.11", "10.20.0.99")  # the address of one record changed at the source
    q2 = ingested(tmp_path, "2025q2", lines, previous="2025q1")
    section, seen = analysed(q2)
    (r,) = section.rewrites
    assert (r.system, str(r.day), r.earlier, r.later, r.earlier_rows, r.later_rows) == (
        "sys-commerce", "2025-01-15", "2025q1", "2025q2", 9, 9)
    assert r.earlier_digest != r.later_digest
    (v,) = [o for o in seen if o.status == "violation"]
    assert "2025-01-15" in v.text.en and r.earlier_digest in v.text.en and r.later_digest in v.text.en
    assert "2025-01-15" in v.text.ko and "clear" not in statuses(seen)


def test_a_deleted_row_is_a_rewrite(tmp_path, q1):
    lines = rows("2025-01-01", "2025-02-28")
    lines.remove("acc-h0001,2025-01-20 14:15:00,10.20.0.14,sys-commerce,view,cust-2014,1,\n")
    q2 = ingested(tmp_path, "2025q2", lines, previous="2025q1")
    section, seen = analysed(q2)
    assert [(str(r.day), r.earlier_rows, r.later_rows) for r in section.rewrites] == [("2025-01-20", 9, 8)]
    assert statuses(seen) == {"violation"}


def test_a_day_deleted_whole_is_a_rewrite(tmp_path, q1):
    lines = [x for x in rows("2025-01-01", "2025-02-28") if ",2025-01-22 " not in x]
    section, _ = analysed(ingested(tmp_path, "2025q2", lines, previous="2025q1"))
    assert [(str(r.day), r.earlier_rows, r.later_rows) for r in section.rewrites] == [("2025-01-22", 9, 0)]


def test_an_export_cut_mid_day_is_compared_up_to_its_last_record(tmp_path):
    """The earlier export ended at 12:00 on its last day: the later one's afternoon is new, not a rewrite; a record
    of that morning missing from the later one is."""
    ingested(tmp_path, "2025q1", rows("2025-01-01", "2025-01-31", end_hour=12))
    full = rows("2025-01-01", "2025-02-28")
    section, seen = analysed(ingested(tmp_path, "2025q2", full, previous="2025q1"))
    assert section.rewrites == [] and statuses(seen) == {"clear"}
    full.remove("acc-h0001,2025-01-31 10:15:00,10.20.0.10,sys-commerce,view,cust-3110,1,\n")
    section, _ = analysed(ingested(tmp_path, "2025q2b", full, previous="2025q1"))
    assert [(str(r.day), r.earlier_rows, r.later_rows) for r in section.rewrites] == [("2025-01-31", 3, 2)]


def test_an_export_starting_mid_day_is_compared_from_its_first_record(tmp_path, q1):
    """A later export that starts mid-January at 13:00 holds no morning of that day: not a rewrite; one that starts
    where the earlier one did cannot drop its first record unseen."""
    section, seen = analysed(ingested(tmp_path, "2025q2", rows("2025-01-15", "2025-02-28", start_hour=13),
                                      previous="2025q1"))
    assert section.rewrites == [] and section.items[0].days_compared == 17 and statuses(seen) == {"clear"}
    lines = rows("2025-01-01", "2025-02-28")[1:]  # 2025-01-01 09:15 gone
    section, _ = analysed(ingested(tmp_path, "2025q2b", lines, previous="2025q1"))
    assert [(str(r.day), r.earlier_rows, r.later_rows) for r in section.rewrites] == [("2025-01-01", 9, 8)]


def test_digests_of_blocks_add_up_to_the_digest_of_the_whole(q1):
    """Ingest digests each block in a worker and adds them up: any split gives the same rows, sums and times."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from compliance.logs import digests

    table = pq.read_table(q1 / "2025-01" / "records.parquet")
    whole = digests.of_table(table)
    parts: dict = {}
    for start in range(0, table.num_rows, 50):
        for key, value in digests.of_table(table.slice(start, 50)).items():
            digests.merge(parts, key, value)
    assert parts == whole and len(whole) == 31 and whole[("sys-commerce", 20103)][0] == 9
    counts = table.column("records").to_pylist()
    counts[5] = 2  # one record count altered
    changed = table.set_column(table.schema.get_field_index("records"), "records", pa.array(counts, pa.int64()))
    assert digests.of_table(changed) != whole


def test_a_gap_between_ingests_is_records_lost(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-03-01", "2025-03-31"), previous="2025q1")  # February in neither
    section, seen = analysed(q2)
    (g,) = section.gaps
    assert (str(g.start), str(g.end), g.days, g.after, g.before) == ("2025-02-01", "2025-02-28", 28, "2025q1", "2025q2")
    (v,) = [o for o in seen if o.status == "violation"]
    assert "2025-02-01" in v.text.en and "lost" in v.text.en and "clear" not in statuses(seen)


def test_a_single_ingest_cannot_show_integrity_across_ingests(q1):
    section, seen = analysed(q1)
    assert section.items == [] and section.digests
    assert statuses(seen) == {"insufficient"} and "single ingest" in seen[0].text.en


def test_a_tampered_predecessor_parquet_is_an_input_error_at_the_file(tmp_path, q1):
    target = q1 / "2025-01" / "records.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    out = tmp_path / "records" / "2025q2"
    proc = cli("logs", "ingest", export(tmp_path, "q2.csv", rows("2025-02-01", "2025-02-28")), "-o", out,
               "--previous", q1, "-q")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{target}: ") and "SHA-256 differs" in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_predecessor_changed_after_it_was_chained_is_a_broken_link(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-02-01", "2025-02-28"), previous="2025q1")
    target = q1 / "2025-01" / "records.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    section, seen = analysed(q2)
    (link,) = section.items
    assert (link.status, link.problem, link.file) == ("broken", "records-changed", "2025q1/2025-01/records.parquet")
    assert statuses(seen) == {"violation"} and "2025q1/2025-01/records.parquet" in seen[0].text.en


def test_a_predecessor_manifest_changed_after_it_was_chained_is_a_broken_link(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-02-01", "2025-02-28"), previous="2025q1")
    m = q1 / "manifest.json"
    m.write_text(m.read_text().replace('"rows": 9', '"rows": 8', 1))
    section, seen = analysed(q2)
    assert [(x.status, x.problem) for x in section.items] == [("broken", "manifest-changed")]
    assert statuses(seen) == {"violation"}


def test_a_missing_predecessor_is_not_verifiable_never_clean(tmp_path, q1):
    q2 = ingested(tmp_path, "2025q2", rows("2025-02-01", "2025-02-28"), previous="2025q1")
    shutil.move(q1, tmp_path / "elsewhere")
    section, seen = analysed(q2)
    assert [(x.status, x.problem) for x in section.items] == [("not-verifiable", "missing")]
    assert statuses(seen) == {"insufficient"} and "not verifiable" in seen[0].text.en
    assert section.counts["ingests"] == 1


def test_a_predecessor_that_is_a_symlink_to_outside_is_refused(tmp_path):
    outside = ingested(tmp_path, "outside", rows("2025-01-01", "2025-01-31"))
    shutil.move(outside, tmp_path / "kept")
    (tmp_path / "records" / "2025q1").symlink_to(tmp_path / "kept", target_is_directory=True)
    # at ingest: one located line, nothing written
    out = tmp_path / "records" / "2025q2"
    proc = cli("logs", "ingest", export(tmp_path, "q2.csv", rows("2025-02-01", "2025-02-28")), "-o", out,
               "--previous", tmp_path / "records" / "2025q1", "-q")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "symlink" in lines[0], proc.stderr
    assert lines[0].startswith(str(tmp_path / "records" / "2025q1")) and not out.exists()
    # chained while it was a folder, replaced by a link since: not read, not verifiable
    (tmp_path / "records" / "2025q1").unlink()
    shutil.copytree(tmp_path / "kept", tmp_path / "records" / "2025q1")
    q2 = ingested(tmp_path, "2025q2", rows("2025-02-01", "2025-02-28"), previous="2025q1")
    shutil.rmtree(tmp_path / "records" / "2025q1")
    (tmp_path / "records" / "2025q1").symlink_to(tmp_path / "kept", target_is_directory=True)
    section, seen = analysed(q2)
    assert [(x.status, x.problem) for x in section.items] == [("not-verifiable", "link")]
    assert statuses(seen) == {"insufficient"}


def test_a_predecessor_outside_the_folder_holding_the_new_one_is_refused(tmp_path, q1):
    out = tmp_path / "other" / "2025q2"
    out.parent.mkdir()
    proc = cli("logs", "ingest", export(tmp_path, "q2.csv", rows("2025-02-01", "2025-02-28")), "-o", out,
               "--previous", q1, "-q")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"{q1}: "), proc.stderr


def test_a_chain_of_three_is_walked_back_and_an_older_manifest_is_still_read(tmp_path, q1):
    ingested(tmp_path, "2025q2", rows("2025-02-01", "2025-02-28"), previous="2025q1")
    q3 = ingested(tmp_path, "2025q3", rows("2025-03-01", "2025-03-31"), previous="2025q2")
    section, seen = analysed(q3)
    assert [(x.folder, x.follows, x.status) for x in section.items] == [
        ("2025q2", "2025q3", "verified"), ("2025q1", "2025q2", "verified")]
    assert section.counts["ingests"] == 3 and statuses(seen) == {"clear"}
    # a folder written before the digests (manifest version 1): read, and said to show nothing across ingests
    old = tmp_path / "records" / "old"
    shutil.copytree(q1, old)
    m = json.loads((old / "manifest.json").read_text())
    for key in ("days", "previous"):
        m.pop(key)
    m["version"] = 1
    (old / "manifest.json").write_text(json.dumps(m))
    section, seen = analysed(old)
    assert not section.digests and statuses(seen) == {"insufficient"}
    q4 = ingested(tmp_path, "q4", rows("2025-02-01", "2025-02-28"), previous="old")
    section, seen = analysed(q4)
    assert [(x.status, x.problem) for x in section.items] == [("not-comparable", "no-digests")]
    assert statuses(seen) == {"insufficient"}


def test_results_imported_from_another_engine_do_not_verify_the_chain(tmp_path, q1):
    """Results computed elsewhere come without the folder: the chain is not read, and that is insufficient evidence,
    not a clean result."""
    from compliance.logs import analyses
    from compliance.logs.compare import load_derived

    q2 = ingested(tmp_path, "2025q2", rows("2025-01-01", "2025-02-28"), previous="2025q1")
    bundle = tmp_path / "bundle"
    proc = cli("logs", "export-sql", "--dialect", "duckdb", "--facts", FACTS, "--folder", q2, "-o", bundle)
    assert proc.returncode == 0, proc.stderr
    run_bundle_on_duckdb(bundle, q2, json.loads((bundle / "bundle.json").read_text(encoding="utf-8")))
    proc = cli("logs", "import-results", bundle, "-o", tmp_path / "imported.json")
    assert proc.returncode == 0, proc.stderr
    derived = load_derived(tmp_path / "imported.json")
    section = derived.analyses.record_integrity
    assert (section.status, section.reason) == ("not-run", analyses.NOT_READ)
    facts = validate_file(FACTS, Facts)[0]
    seen = [o for o in compare(facts, derived) if o.analysis == "record_integrity"]
    assert statuses(seen) == {"insufficient"} and "cannot be shown" in seen[0].text.en
