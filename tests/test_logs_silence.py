"""Issue 21, "Silent results": every way the access-record pipeline could report a clean result it did not earn.

Each test reproduces one silent behaviour (it failed before the fix) and holds the promise that replaced it: a
value that means "no reason" is no reason, a duty the records cannot show is insufficient evidence naming what is
missing, task names the mapping does not know are counted and shown, look-alike accounts are rejected naming the
character, readers refuse what they used to guess, results from elsewhere carry the query's exact columns, the
lake and the address table are read without following links, and inputs that exhaust memory or disk are one
located line. Bad input is one line (file:line, file:row), exit 2, no traceback, and no ``.part`` folder left.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compliance.logs import synthetic

from .conftest import SEED, cli, write
from .consumers import run_bundle_on_duckdb

HEAD = "account,timestamp,ip,system,action,records,reason\n"
FACTS = "as_of: 2025-03-31\norganization: {name: X}\nsystems: [{id: sys}]\n"


def rows_of(folder: Path) -> list[dict]:
    files = sorted(folder.glob("*/records.parquet"))
    if not files:
        return []
    table = pa.concat_tables([pq.read_table(f) for f in files])
    return sorted(table.to_pylist(), key=lambda r: (r["source"], r["line"]))


def rejects_of(folder: Path) -> list[dict]:
    with open(folder / "rejects.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def one_line_error(proc, prefix: str) -> str:
    """Exit 2, one line on stderr starting with ``prefix`` (file:line), no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(prefix), (prefix, lines[0])
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    return lines[0]


def no_part(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".part")], list(folder.iterdir())


def ingest(tmp_path: Path, *sources_and_options, out: str = "rec"):
    proc = cli("logs", "ingest", *sources_and_options, "-o", tmp_path / out, "-q")
    assert proc.returncode == 0, proc.stderr
    return proc


def analyze(tmp_path: Path, facts_text: str = FACTS, params: str | None = None, rec: str = "rec") -> dict:
    facts = write(tmp_path, "facts.yaml", facts_text)
    args = ["logs", "analyze", tmp_path / rec, "--facts", facts, "-o", tmp_path / "d.json", "-q"]
    if params is not None:
        args += ["--params", write(tmp_path, "params.yaml", params)]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))


def observations(tmp_path: Path, facts_text: str = FACTS):
    from compliance.facts import Facts
    from compliance.loading import validate_file
    from compliance.logs.compare import compare, load_derived

    facts, _ = validate_file(tmp_path / "facts.yaml", Facts)
    return compare(facts, load_derived(tmp_path / "d.json", tmp_path / "facts.yaml"))


# ------------------------------------------------------------------------------- 1. what counts as no reason


DOWNLOADS = [  # (reason cell, counts as no reason by default)
    ("-", True), ("N/A", True), ("없음", True), ("", True), ("  ", True), ("n/a", True), ("해당 없음", True),
    ("None", True), ("고객 요청", False),
]


def test_a_placeholder_in_the_reason_column_is_no_reason(tmp_path):
    """'-', 'N/A', '없음' used to count as reasons: four of five reasonless downloads were missed."""
    lines = [f"u1,2025-03-{i + 3:02d} 10:00:00,10.0.0.1,sys,download,5000,{reason}"
             for i, (reason, _) in enumerate(DOWNLOADS)]
    src = write(tmp_path, "e.csv", HEAD + "\n".join(lines) + "\n")
    ingest(tmp_path, src)
    derived = analyze(tmp_path)
    (item,) = derived["analyses"]["downloads"]["items"]
    assert item["downloads"] == sum(1 for _, none in DOWNLOADS if none)
    assert "-" in derived["parameters"]["no_reason"] and "없음" in derived["parameters"]["no_reason"]
    (obs,) = [o for o in observations(tmp_path) if o.analysis == "downloads"]
    assert obs.status == "violation" and "'-'" in obs.text.en and "'N/A'" in obs.text.en  # the rule, in the report
    # the parameter: only '-' means no reason here (blank always does)
    derived = analyze(tmp_path, params="no_reason: ['-']\n")
    (item,) = derived["analyses"]["downloads"]["items"]
    assert item["downloads"] == 3 and derived["parameters"]["no_reason"] == ["-"]


# ------------------------------------------------------------------------------- 2. columns the export lacks


def test_an_export_without_task_subject_count_or_reason_columns_is_insufficient_naming_them(tmp_path):
    """Without those columns every download was invisible and the downloads analysis reported a clean zero."""
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system\nu1,2025-03-03 10:00:00,10.0.0.1,sys\n")
    proc = ingest(tmp_path, src)
    assert "e.csv" in proc.stderr and "action, subject, records, reason" in proc.stderr  # said at ingest
    derived = analyze(tmp_path)
    downloads = derived["analyses"]["downloads"]
    assert downloads["status"] == "not-run" and downloads["missing_columns"] == {"e.csv": ["action", "records", "reason"]}
    assert derived["analyses"]["retention"]["missing_columns"] == {"e.csv": ["subject", "action"]}
    seen = {(o.control, o.analysis): o for o in observations(tmp_path) if o.status == "insufficient"}
    assert "action, records, reason" in seen[("notice/8.2", "downloads")].text.en
    assert "처리건수" in seen[("notice/8.2", "downloads")].text.ko
    assert "subject, action" in seen[("notice/8.1", "retention")].text.en
    assert not [o for o in observations(tmp_path) if o.analysis == "downloads" and o.status == "clear"]


def test_a_count_or_reason_column_is_needed_only_where_downloads_are(tmp_path):
    """An export with a task column and no download in it shows the duty (no downloads); with downloads and no reason
    column it cannot (every download used to be a violation, or, with the task column gone, none)."""
    quiet = write(tmp_path / "a", "e.csv", "account,timestamp,ip,system,action,subject\n"
                  "u1,2025-03-03 10:00:00,10.0.0.1,sys,view,c1\n")
    ingest(tmp_path / "a", quiet)
    derived = analyze(tmp_path / "a")
    assert derived["analyses"]["downloads"]["status"] == "ran" and not derived["analyses"]["downloads"]["missing_columns"]
    busy = write(tmp_path / "b", "e.csv", "account,timestamp,ip,system,action,subject\n"
                 "u1,2025-03-03 10:00:00,10.0.0.1,sys,download,c1\n")
    ingest(tmp_path / "b", busy)
    derived = analyze(tmp_path / "b")
    assert derived["analyses"]["downloads"]["status"] == "not-run"
    assert derived["analyses"]["downloads"]["missing_columns"] == {"e.csv": ["records", "reason"]}


# ------------------------------------------------------------------------------- 3. task names the mapping lacks


def test_task_names_the_mapping_does_not_know_are_counted_shown_and_make_downloads_insufficient(tmp_path):
    """'엑셀 다운' is no shipped task name: 113,850 such rows silently stopped counting as downloads."""
    lines = [f"u1,2025-03-03 10:{i % 60:02d}:00,10.0.0.1,sys,엑셀 다운,5000," for i in range(30)]
    lines += [f"u1,2025-03-04 10:{i % 60:02d}:00,10.0.0.1,sys,화면 캡처,1," for i in range(5)]
    lines += ["u1,2025-03-05 10:00:00,10.0.0.1,sys,조회,1,"]
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action,records,reason,subject\n"
                + "".join(line + ",c\n" for line in lines))
    proc = ingest(tmp_path, src)
    assert "35 rows" in proc.stderr and "'엑셀 다운' 30" in proc.stderr and "'화면 캡처' 5" in proc.stderr
    entry = json.loads((tmp_path / "rec" / "manifest.json").read_text(encoding="utf-8"))["inputs"][0]
    assert entry["unmapped_actions"] == {"엑셀 다운": 30, "화면 캡처": 5} and entry["unmapped_rows"] == 35
    derived = analyze(tmp_path)
    assert derived["analyses"]["downloads"]["unmapped_rows"] == 35
    (obs,) = [o for o in observations(tmp_path) if o.analysis == "downloads"]
    assert obs.status == "insufficient" and "'엑셀 다운' 30" in obs.text.en and "'엑셀 다운' 30" in obs.text.ko
    # named in a mapping (as a download, or as 'other' when it is not one), nothing is unknown any more
    mapping = write(tmp_path, "m.yaml", "actions: {엑셀 다운: download, 화면 캡처: other}\n")
    proc = ingest(tmp_path, src, "--mapping", mapping, out="rec2")
    assert "task names" not in proc.stderr
    derived = analyze(tmp_path, rec="rec2")
    assert derived["analyses"]["downloads"]["items"][0]["downloads"] == 30


# ------------------------------------------------------------------------------- 4. look-alike accounts


def _seed_rows(replace) -> str:
    text = (SEED / "evidence" / "access-records-sys-auth.csv").read_bytes().decode("cp949")
    head, *rows = text.splitlines()
    return "\n".join([head, *map(replace, rows)]) + "\n"


def test_a_departed_key_with_a_zero_width_space_is_rejected_naming_the_character(tmp_path):
    """sign-key-7 with U+200B appended: 26 uses after departure became 0, and no row was rejected."""
    text = _seed_rows(lambda r: r.replace("sign-key-7,", "sign-key-7\u200b,", 1))
    src = tmp_path / "e.csv"
    src.write_bytes(text.encode("utf-8"))
    ingest(tmp_path, src)
    bad = [r for r in rejects_of(tmp_path / "rec") if r["column"] == "account"]
    assert len(bad) == 48 and all("U+200B ZERO WIDTH SPACE" in r["reason"] and "'sign-key-7'" in r["reason"]
                                  for r in bad)
    proc = cli("logs", "analyze", tmp_path / "rec", "--facts", SEED / "facts.yaml", "--params",
               SEED / "evidence" / "access-log-analysis.yaml", "-o", tmp_path / "d.json", "-q")
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert derived["dataset"]["rows_rejected"] == 48 and derived["dataset"]["sufficient"] is False


@pytest.mark.parametrize("column, value, named", [
    ("account", "sign-k\u0435y-7", "U+0435 CYRILLIC SMALL LETTER IE"),
    ("account", "\uff53ign-key-7", "U+FF53 FULLWIDTH LATIN SMALL LETTER S"),
    ("account", "sign-key-7\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("system", "sys\u200d", "U+200D ZERO WIDTH JOINER"),
    ("system", "sy\u0455", "U+0455 CYRILLIC SMALL LETTER DZE"),
    ("ip", "10.0.0.1:80\u200b", "U+200B ZERO WIDTH SPACE"),
])
def test_look_alike_accounts_systems_and_addresses_are_rejected(tmp_path, column, value, named):
    row = {"account": "sign-key-7", "ip": "10.0.0.1", "system": "sys", column: value}
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system\n"
                f"{row['account']},2025-03-03 10:00:00,{row['ip']},{row['system']}\n"
                "김민준,2025-03-03 10:00:00,10.0.0.2,시스템가\n")  # Korean names are no look-alikes
    ingest(tmp_path, src)
    (r,) = rejects_of(tmp_path / "rec")
    assert (r["line"], r["outcome"], r["column"]) == ("2", "rejected", column) and named in r["reason"], r
    assert [x["account"] for x in rows_of(tmp_path / "rec")] == ["김민준"]


# ------------------------------------------------------------------------------- 5. what readers used to guess


def test_a_json_line_naming_a_key_twice_is_rejected_not_read_as_the_second_value(tmp_path):
    good = {"account": "u1", "timestamp": "2025-03-03 10:00:00", "ip": "10.0.0.1", "system": "sys"}
    lines = [json.dumps(good)] * 3
    lines.insert(1, '{"account": "sign-key-7", "account": "acc-x", "timestamp": "2025-03-03 10:00:00", '
                    '"ip": "10.0.0.1", "system": "sys"}')
    src = write(tmp_path, "e.jsonl", "\n".join(lines) + "\n")
    ingest(tmp_path, src)
    (r,) = rejects_of(tmp_path / "rec")
    assert r["line"] == "2" and "duplicate key 'account'" in r["reason"]
    assert {x["account"] for x in rows_of(tmp_path / "rec")} == {"u1"}


def test_a_mapping_naming_a_header_the_export_lacks_is_refused(tmp_path):
    """The profile's 계정 used to be read instead of the 직원번호 the mapping named."""
    src = write(tmp_path, "e.csv", "계정,사번,접속일시,IP,시스템\nacc-1,7,2025-03-01 09:00:00,10.0.0.1,sys-a\n")
    mapping = write(tmp_path, "m.yaml", "columns: {직원번호: account}\n")
    proc = cli("logs", "ingest", src, "-o", tmp_path / "rec", "--mapping", mapping)
    line = one_line_error(proc, f"{src}:1: ")
    assert "'직원번호'" in line and "account" in line
    assert not (tmp_path / "rec").exists()
    no_part(tmp_path)


def test_a_mapping_for_several_exports_names_headers_one_of_them_has(tmp_path):
    """One mapping may serve two layouts of one run (its header in one export, not the other); a header that no export
    of the run has is refused at the first export without it, after all were read, and nothing is kept."""
    a = write(tmp_path, "a.csv", "account,접속시각정보,ip,system\nu1,2025-03-01 09:00:00,10.0.0.1,s\n")
    b = write(tmp_path, "b.csv", "account,timestamp,ip,system\nu2,2025-03-01 09:00:00,10.0.0.1,s\n")
    ok = write(tmp_path, "ok.yaml", "columns: {접속시각정보: timestamp}\n")
    ingest(tmp_path, a, b, "--mapping", ok)
    assert [r["account"] for r in rows_of(tmp_path / "rec")] == ["u1", "u2"]
    typo = write(tmp_path, "typo.yaml", "columns: {접속시각정보: timestamp, 사용자: account}\n")
    line = one_line_error(cli("logs", "ingest", a, b, "-o", tmp_path / "rec2", "--mapping", typo), f"{a}:1: ")
    assert "'사용자'" in line
    assert not (tmp_path / "rec2").exists()
    no_part(tmp_path)


@pytest.mark.parametrize("cell, column, reason", [
    ("acc\x00-1,2025-03-01 09:00:00,10.0.0.1,s,c,1", "account", "NUL"),
    ("acc-1,2025-03-01 09:00:00,10.0.0.1,s,c\x00d,1", "subject", "NUL"),
    ("acc-1,2025-03-01 09:00:00,10.0.0.1:999999999999999999999,s,c,1", "ip", "not a port number"),
    ("acc-1,2025-03-01 09:00:00,10.0.0.1:65536,s,c,1", "ip", "not a port number"),
    ('acc-1,2025-03-01 09:00:00,10.0.0.1,s,c,"1,2,3"', "records", "not a whole number"),
])
def test_nul_and_over_long_numbers_are_rejected_with_their_reason(tmp_path, cell, column, reason):
    src = tmp_path / "e.csv"
    src.write_bytes(("account,timestamp,ip,system,subject,records\n" + cell + "\n"
                     "acc-2,2025-03-01 09:00:00,10.0.0.1:8080,s,c,1\n").encode())
    ingest(tmp_path, src)
    got = [(r["line"], r["outcome"], r["column"]) for r in rejects_of(tmp_path / "rec")]
    assert got == [("2", "rejected", column), ("3", "repaired", "ip")]
    assert reason in rejects_of(tmp_path / "rec")[0]["reason"]


@pytest.mark.parametrize("value, reason", [
    ('"a\\u0000b"', "NUL"),
    ("123456789012345678901234567890", "64-bit"),
    ("1e999", "not a finite number"),
])
def test_json_nul_and_numbers_beyond_64_bits_are_rejected(tmp_path, value, reason):
    good = '{"account": "u1", "timestamp": "2025-03-03 10:00:00", "ip": "10.0.0.1", "system": "sys"}'
    bad = '{"account": %s, "timestamp": "2025-03-03 10:00:00", "ip": "10.0.0.1", "system": "sys"}' % value
    src = write(tmp_path, "e.jsonl", "\n".join([good, bad, good]) + "\n")
    ingest(tmp_path, src)
    (r,) = rejects_of(tmp_path / "rec")
    assert r["line"] == "2" and reason in r["reason"], r
    assert [x["account"] for x in rows_of(tmp_path / "rec")] == ["u1", "u1"]


# ------------------------------------------------------------------------------- 6. results brought back


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A synthetic world, ingested, exported as a DuckDB bundle and "run in a lake" (DuckDB over the bundle)."""
    root = synthetic.write_world(tmp_path_factory.mktemp("lake"), 2000)
    assert cli("logs", "ingest", root / "export.csv", "-o", root / "rec", "-q").returncode == 0
    out = root / "bundle"
    proc = cli("logs", "export-sql", "--dialect", "duckdb", "--facts", root / "facts.yaml", "--params",
               root / "params.yaml", "--folder", root / "rec", "-o", out)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / "bundle.json").read_text())
    run_bundle_on_duckdb(out, root / "rec", meta)
    assert cli("logs", "import-results", out, "-o", root / "ok.json").returncode == 0
    return out


def _copy(bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy, symlinks=True)
    return copy


def test_an_empty_result_file_is_an_input_error_naming_it(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    (b / "results" / "after_departure.csv").write_bytes(b"")
    line = one_line_error(cli("logs", "import-results", b, "-o", tmp_path / "d.json"),
                          f"{b / 'results' / 'after_departure.csv'}:")
    assert "empty" in line and not (tmp_path / "d.json").exists()


def test_a_result_with_another_header_is_an_input_error_naming_the_columns(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    (b / "results" / "after_departure.csv").write_text("principal,accesses\n")  # a header, no rows: nothing seen?
    line = one_line_error(cli("logs", "import-results", b), f"{b / 'results' / 'after_departure.csv'}:1:")
    assert "principal, kind, holder, cutoff_day" in line


def test_a_result_with_the_query_header_and_no_rows_is_a_result(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    path = b / "results" / "after_departure.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    proc = cli("logs", "import-results", b, "-o", tmp_path / "d.json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "d.json").read_text())["analyses"]["after_departure"]["items"] == []


def test_an_empty_or_truncated_json_lines_result_is_an_input_error(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    (b / "results" / "after_departure.csv").unlink()
    (b / "results" / "after_departure.jsonl").write_bytes(b"")
    one_line_error(cli("logs", "import-results", b), f"{b / 'results' / 'after_departure.jsonl'}:")
    csv_path = b / "results" / "downloads.csv"
    (b / "results" / "after_departure.jsonl").unlink()
    shutil.copy(bundle / "results" / "after_departure.csv", b / "results" / "after_departure.csv")
    csv_path.write_bytes(csv_path.read_bytes().rstrip(b"\n")[:-2])  # cut inside the last row
    line = one_line_error(cli("logs", "import-results", b), f"{csv_path}:")
    assert "line break" in line


def test_a_result_that_is_a_symlink_to_a_file_outside_the_bundle_is_refused(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(b / "results" / "after_departure.csv", outside)  # the same bytes: still not the bundle's file
    (b / "results" / "after_departure.csv").unlink()
    (b / "results" / "after_departure.csv").symlink_to(outside)
    line = one_line_error(cli("logs", "import-results", b), f"{b / 'results' / 'after_departure.csv'}:")
    assert "symlink" in line
    os.mkfifo(b / "results" / "downloads.jsonl")  # not a regular file either (never opened for reading)
    (b / "results" / "after_departure.csv").unlink()
    shutil.copy(outside, b / "results" / "after_departure.csv")
    (b / "results" / "downloads.csv").unlink()
    line = one_line_error(cli("logs", "import-results", b), f"{b / 'results' / 'downloads.jsonl'}:")
    assert "regular file" in line


# ------------------------------------------------------------------------------- 7. reading without links


@pytest.fixture
def small_lake(tmp_path):
    src = write(tmp_path, "e.csv", "account,timestamp,ip,system,action,subject\n"
                "u1,2025-02-03 10:00:00,10.0.0.1,sys,view,c\nu1,2025-03-03 10:00:00,10.0.0.1,sys,view,c\n")
    ingest(tmp_path, src)
    write(tmp_path, "facts.yaml", FACTS)
    return tmp_path


def test_a_month_folder_of_the_lake_symlinked_elsewhere_is_refused(small_lake):
    rec = small_lake / "rec"
    outside = small_lake / "outside"
    outside.mkdir()
    shutil.move(rec / "2025-03", outside / "2025-03")  # the same bytes, read from outside the lake
    (rec / "2025-03").symlink_to(outside / "2025-03")
    proc = cli("logs", "analyze", rec, "--facts", small_lake / "facts.yaml", "-o", small_lake / "d.json")
    line = one_line_error(proc, f"{rec / '2025-03' / 'records.parquet'}:")
    assert "symlink" in line and not (small_lake / "d.json").exists()
    (rec / "2025-03").unlink()
    shutil.move(outside / "2025-03", rec / "2025-03")
    shutil.move(rec / "manifest.json", outside / "manifest.json")
    (rec / "manifest.json").symlink_to(outside / "manifest.json")
    line = one_line_error(cli("logs", "analyze", rec, "--facts", small_lake / "facts.yaml"), f"{rec / 'manifest.json'}:")
    assert "symlink" in line


def test_geo_file_is_read_beside_the_params_file_under_the_attachment_rules(small_lake, tmp_path):
    params_dir = small_lake / "params"
    write(params_dir, "geo.csv", "network,country\n10.0.0.0/8,KR\n")
    write(params_dir, "params.yaml", "networks: [{network: 192.168.0.0/16}]\ngeo_file: geo.csv\n")
    elsewhere = small_lake / "cwd"
    elsewhere.mkdir()
    proc = cli("logs", "analyze", small_lake / "rec", "--facts", small_lake / "facts.yaml", "--params",
               params_dir / "params.yaml", "-o", small_lake / "d.json", cwd=elsewhere)  # relative to the params file
    assert proc.returncode == 0, proc.stderr
    derived = json.loads((small_lake / "d.json").read_text())
    assert {i["country"] for i in derived["analyses"]["outside_networks"]["items"]} == {"KR"}
    secret = write(small_lake, "secret.csv", "network,country\nhunter2-topsecret,KR\n")
    for geo_file, fragment in ((str(secret), "absolute"), ("../secret.csv", "'..'")):
        p = write(params_dir, "p.yaml", f"geo_file: {geo_file}\n")
        line = one_line_error(cli("logs", "analyze", small_lake / "rec", "--facts", small_lake / "facts.yaml",
                                  "--params", p), f"{p}:1:")
        assert fragment in line
    (params_dir / "link.csv").symlink_to(secret)
    p = write(params_dir, "p.yaml", "geo_file: link.csv\n")
    line = one_line_error(cli("logs", "analyze", small_lake / "rec", "--facts", small_lake / "facts.yaml",
                              "--params", p), f"{p}:1:")
    assert "symlink" in line
    shutil.copy(secret, params_dir / "copy.csv")  # inside and readable, but its cell is never quoted back
    p = write(params_dir, "p.yaml", "geo_file: copy.csv\n")
    line = one_line_error(cli("logs", "analyze", small_lake / "rec", "--facts", small_lake / "facts.yaml",
                              "--params", p), f"{params_dir / 'copy.csv'}:2:")
    assert "hunter2" not in line and "topsecret" not in line


# ------------------------------------------------------------------------------- 8. memory and disk


def _limited(limit_bytes: int):
    def set_limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return set_limit


def _cli_limited(limit_bytes: int, *args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "pipa-audit"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=600,
                          preexec_fn=_limited(limit_bytes))


def test_a_300_mb_json_line_is_one_located_line_within_bounded_memory(tmp_path):
    """It used to abort the process (std::bad_alloc, exit 134) and leave the .part folder, or exit 70."""
    src = tmp_path / "e.jsonl"
    with open(src, "wb") as fh:
        fh.write(b'{"account": "u1", "timestamp": "2025-03-03 10:00:00", "ip": "10.0.0.1", "system": "sys"}\n')
        fh.write(b'{"account": "' + b"a" * (300 << 20) + b'", "timestamp": "2025-03-03 10:00:00"}\n')
    proc = _cli_limited(3 << 30, "logs", "ingest", src, "-o", tmp_path / "rec", "-q")  # 3 GiB address space
    line = one_line_error(proc, f"{src}:2: ")
    assert "MiB" in line and not (tmp_path / "rec").exists()
    no_part(tmp_path)


def test_lines_are_bounded_exactly_where_they_start(tmp_path, monkeypatch):
    """The bound, in process with small limits: a long line is refused at its own number in JSON lines and CSV alike;
    a quote inside an unquoted CSV field (5" floppy, which CSV readers keep as text) is no open quoted field, so the
    rows after it are read, as the line-by-line reading reads them; a quoted field left open is refused at its line."""
    from compliance.loading import InputError
    from compliance.logs import ingest as ing
    from compliance.logs import mapping

    monkeypatch.setattr(ing, "BLOCK", 300)
    monkeypatch.setattr(ing, "MAX_LINE", 1000)
    good = [f"u{i},2025-03-01 09:{i % 60:02d}:00,10.0.0.{i % 250 + 1},s,view" for i in range(200)]

    def run(name: str, lines: list[str]):
        src = write(tmp_path, name, "account,timestamp,ip,system,action\n" + "\n".join(lines) + "\n")
        out = tmp_path / (name + ".rec")
        try:
            ing.ingest([str(src)], str(out), mapping.build())
        except InputError as exc:
            return src, str(exc.problems[0])
        return src, [r["account"] for r in rows_of(out)]

    stray = list(good)
    stray[10] = 'u10,2025-03-01 09:10:00,10.0.0.11,s,5" floppy copy'
    assert run("stray.csv", stray)[1] == [f"u{i}" for i in range(200)]
    opened = list(good)
    opened[150] = 'u150,2025-03-01 09:10:00,10.0.0.11,s,"memo never closed'
    src, error = run("open.csv", opened)
    assert error.startswith(f"{src}:152: ") and "quoted field left open" in error
    long = list(good)
    long[100] = "u100," + "x" * 1500 + ",10.0.0.1,s,view"
    src, error = run("long.csv", long)
    assert error.startswith(f"{src}:102: ") and "longer than" in error
    jl = write(tmp_path, "long.jsonl", "".join(
        json.dumps({"account": f"u{i}", "timestamp": "2025-03-01 09:00:00", "ip": "10.0.0.1", "system": "s",
                    "action": "x" * (1500 if i == 7 else 1)}) + "\n" for i in range(50)))
    with pytest.raises(InputError) as caught:
        ing.ingest([str(jl)], str(tmp_path / "jl.rec"), mapping.build())
    assert str(caught.value.problems[0]).startswith(f"{jl}:8: ")
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_parquet_dictionary_bomb_is_one_located_line(tmp_path):
    """13 KB of Parquet whose one dictionary value (10 kB) repeats for a million rows: 10 GB once decoded. It was an
    internal error (exit 70) after 2 GB of memory; written without the Arrow schema, 11 GB were decoded."""
    import datetime as dt

    n = 1_000_000
    for store_schema in (True, False):
        src = tmp_path / f"bomb-{store_schema}.parquet"
        one = lambda v: pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), pa.array([v]))  # noqa: E731
        table = pa.table({"account": one("x" * 10_000), "timestamp": pa.array([dt.datetime(2025, 3, 1, 9)] * n),
                          "ip": one("10.0.0.1"), "system": one("s")})
        pq.write_table(table, src, compression="zstd", store_schema=store_schema)
        assert src.stat().st_size < 100_000
        proc = _cli_limited(3 << 30, "logs", "ingest", src, "-o", tmp_path / "rec", "-q")
        line = one_line_error(proc, f"{src}:1: ")
        assert "column 'account'" in line and "decodes to 10,000,000,000 bytes" in line
        assert not (tmp_path / "rec").exists()
        no_part(tmp_path)


def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


def test_disk_full_during_ingest_names_the_file_and_leaves_nothing(tmp_path):
    src = tmp_path / "big.csv"
    synthetic.write_export(src, 100_000, korean=False, mixed=True)
    small = tmp_path / "small"
    small.mkdir()
    mounted = _can_mount() and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)],
                                              capture_output=True).returncode == 0
    try:
        if mounted:  # a real full disk
            proc = cli("logs", "ingest", src, "-o", small / "rec", "-q")
        else:  # the Parquet writer fails as a full disk makes it fail
            code = (
                "import errno, sys, pyarrow.parquet as pq\n"
                "from compliance.cli import main\n"
                "real = pq.ParquetWriter.write_table\n"
                "def full(self, *a, **k):\n"
                "    raise OSError(errno.ENOSPC, 'Error writing bytes to file. Detail: [errno 28] No space left on device')\n"
                "pq.ParquetWriter.write_table = full\n"
                "sys.exit(main(sys.argv[1:]))\n"
            )
            proc = subprocess.run([sys.executable, "-c", code, "logs", "ingest", str(src), "-o", str(small / "rec"),
                                   "-q"], capture_output=True, text=True, timeout=300)
        line = one_line_error(proc, f"{small / 'rec'}")
        assert "records.parquet" in line and "no space left on device" in line.lower()
        assert not (small / "rec").exists()
        no_part(small)
    finally:
        if mounted:
            subprocess.run(["umount", str(small)], check=True)


@pytest.mark.parametrize("header, odd", [("결과\u200b", "U+200B"), ("rеsult", "U+0435"), ("수행업무\u2060", "U+2060"),
                                         ("ｒｅｓｕｌｔ", "U+FF52")])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_header_that_nearly_names_a_field_is_refused_at_its_line(tmp_path, header, odd, fmt):
    """The facts' near-miss rule on the records' headers: an outcome column with a zero-width space would be left
    unread and every failed login read as a login; the export is refused at the header's line, naming only the odd
    character (not the Hangul of the header), and nothing is written."""
    row = ["u1", "2025-03-04 14:00:00", "10.0.0.1", "sys-a", "로그인", "실패"]
    names = ["계정", "접속일시", "접속지정보", "시스템", "수행업무", "결과"]
    names[4 if "수행업무" in header else 5] = header
    if fmt == "csv":
        src = tmp_path / "e.csv"
        src.write_text(",".join(names) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    else:
        src = tmp_path / "e.jsonl"
        src.write_text(json.dumps(dict(zip(names, row)), ensure_ascii=False) + "\n", encoding="utf-8")
    proc = cli("logs", "ingest", src, "-o", tmp_path / "rec")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"{src}:1: ") and odd in lines[0] and "HANGUL" not in lines[0]
    assert not (tmp_path / "rec").exists()
