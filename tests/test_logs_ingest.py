"""`pipa-audit logs ingest`: Korean exports read exactly, every refused or repaired line reported, nothing overwritten."""

import csv
import datetime as dt
import hashlib
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import cli, write

HEAD = "계정,접속일시,접속지 정보,수행업무,처리한 정보주체 정보,처리건수,사유,시스템\n"
KST = dt.timezone(dt.timedelta(hours=9))


def rows_of(folder):
    files = sorted(folder.glob("*/records.parquet"))
    table = pa.concat_tables([pq.read_table(f) for f in files])
    return sorted(table.to_pylist(), key=lambda r: (r["source"], r["line"]))


def rejects_of(folder):
    with open(folder / "rejects.csv", encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh)]


def assert_input_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


def test_cp949_export_with_korean_headers_and_mixed_timestamps(tmp_path):
    text = HEAD + (
        "acc-1,2025. 3. 1. 오후 2:05:09,10.1.2.3,다운로드,고객-1,\"1,200\",고객 요청,sys-a\n"
        "acc-1,2025/03/01 09:12:33,10.1.2.3,조회,고객-2,1,,sys-a\n"
        "acc-1,20250301091233,10.1.2.3,조회,고객-3,,,sys-a\n"
        "acc-1,2025.03.01 21:00,10.1.2.3,조회,고객-4,,,sys-a\n"
        "acc-1,2025-03-01T09:12:33+00:00,2001:DB8::1,수정,고객-5,,,sys-a\n"
    )
    src = tmp_path / "export.csv"
    src.write_bytes(text.encode("cp949"))
    proc = cli("logs", "ingest", src, "-o", tmp_path / "rec")
    assert proc.returncode == 0, proc.stderr
    rows = rows_of(tmp_path / "rec")
    got = [(r["ts"].astimezone(KST).isoformat(), r["action"], r["records"], r["reason"], r["subject"], r["ip"]) for r in rows]
    assert got == [
        ("2025-03-01T14:05:09+09:00", "download", 1200, "고객 요청", "고객-1", "10.1.2.3"),
        ("2025-03-01T09:12:33+09:00", "view", 1, None, "고객-2", "10.1.2.3"),
        ("2025-03-01T09:12:33+09:00", "view", None, None, "고객-3", "10.1.2.3"),
        ("2025-03-01T21:00:00+09:00", "view", None, None, "고객-4", "10.1.2.3"),
        ("2025-03-01T18:12:33+09:00", "change", None, None, "고객-5", "2001:db8::1"),
    ]
    assert [r["minute"] for r in rows] == [845, 552, 552, 1260, 1092]
    manifest = json.loads((tmp_path / "rec" / "manifest.json").read_text())
    entry = manifest["inputs"][0]
    assert entry["encoding"] == "cp949" and entry["columns"]["account"] == "계정" and entry["columns"]["ip"] == "접속지 정보"
    assert entry["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (entry["rows_in"], entry["rows_out"], entry["rows_rejected"]) == (5, 5, 0)


def test_utf8_bom_and_cp949_give_the_same_rows(tmp_path):
    text = HEAD + "acc-1,2025-03-01 09:00:00,10.0.0.1,조회,홍길동,,,시스템가\n"
    results = []
    for enc in ("utf-8", "utf-8-sig", "cp949"):
        src = tmp_path / enc / "e.csv"
        src.parent.mkdir()
        src.write_bytes(text.encode(enc))
        assert cli("logs", "ingest", src, "-o", tmp_path / enc / "rec").returncode == 0
        results.append(rows_of(tmp_path / enc / "rec"))
        assert json.loads((tmp_path / enc / "rec" / "manifest.json").read_text())["inputs"][0]["encoding"] == enc
    assert results[0] == results[1] == results[2]
    assert results[0][0]["subject"] == "홍길동" and results[0][0]["system"] == "시스템가"


def test_every_refused_or_repaired_line_is_reported_with_its_number(tmp_path):
    lines = [
        HEAD.strip(),
        "acc-1,2025-02-30 10:00:00,10.0.0.1,조회,s,,,sys-a",  # 2: no such day: never rolled into March
        "acc-1,2025-03-01 오후 13:00:00,10.0.0.1,조회,s,,,sys-a",  # 3
        "acc-1,2025-03-01 10:00:00,999.1.1.1,조회,s,,,sys-a",  # 4
        'acc-1,2025-03-01 10:00:00,10.0.0.1,조회,"두 줄\n메모",,,sys-a',  # 5-6: a quoted line break is kept
        "acc-1,2025-03-01 10:00:00,10.0.0.1,조회",  # 7
        "acc-1,2025-03-01 10:00:00,10.0.0.1:8443,조회,s,열두,,sys-a",  # 8: bad count (port would be repaired)
        ",2025-03-01 10:00:00,10.0.0.1,조회,s,,,sys-a",  # 9
        "acc-1,2025-03-01 10:00:00,10.0.0.1:8443,조회,s,,,sys-a",  # 10: repaired
        "acc-1,2025-03-01,10.0.0.1,조회,s,,,sys-a",  # 11: a date is not a time
    ]
    data = "\n".join(lines).encode("cp949") + b"\nacc-2,2025-03-01 10:00:00,10.0.0.2,\xff\xfe,s,,,sys-a\n"  # 12
    data += "acc-1,2025-03-02 10:00:00,10.0.0.1,조회,끝,,,sys-a\n".encode("cp949")  # 13
    src = tmp_path / "e.csv"
    src.write_bytes(data)
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec").returncode == 0
    got = sorted((int(r["line"]), r["outcome"], r["column"], r["reason"]) for r in rejects_of(tmp_path / "rec"))
    assert [g[:3] for g in got] == [
        (2, "rejected", "timestamp"), (3, "rejected", "timestamp"), (4, "rejected", "ip"), (7, "rejected", ""),
        (8, "rejected", "records"), (9, "rejected", "account"), (10, "repaired", "ip"), (11, "rejected", "timestamp"),
        (12, "rejected", ""),
    ]
    reasons = {g[0]: g[3] for g in got}
    assert "day does not exist" in reasons[2] and "2025-02-30" in reasons[2]
    assert "AM/PM" in reasons[3] and "not an IP address: '999.1.1.1'" == reasons[4]
    assert reasons[7] == "expected 8 columns, found 4" and "not a whole number: '열두'" in reasons[8]
    assert reasons[10] == "port 8443 removed" and reasons[11].startswith("no time of day")
    assert "not valid CP949" in reasons[12] and "byte 0xff" in reasons[12]
    kept = rows_of(tmp_path / "rec")
    assert [(r["line"], r["subject"]) for r in kept] == [(5, "두 줄\n메모"), (10, "s"), (13, "끝")]
    totals = json.loads((tmp_path / "rec" / "manifest.json").read_text())["totals"]
    assert totals == {"rows_in": 11, "rows_out": 3, "rows_rejected": 8, "rows_repaired": 1}


def test_block_boundaries_keep_line_numbers_and_quoted_fields(tmp_path, monkeypatch):
    """Blocks are cut at line ends but never inside a quoted field; numbering runs on across blocks."""
    from compliance.logs import ingest, mapping

    monkeypatch.setattr(ingest, "BLOCK", 50)
    body = []
    for i in range(2, 60):
        note = f'"메모 {i}\n둘째 줄"' if i % 7 == 0 else f"s{i}"
        bad = "2025-02-29 10:00:00" if i % 11 == 0 else f"2025-03-{i % 28 + 1:02d} 10:00:00"
        body.append(f"acc-{i},{bad},10.0.0.{i},조회,{note},,,sys-a")
    src = tmp_path / "e.csv"
    src.write_bytes((HEAD + "\n".join(body) + "\n").encode("cp949"))
    ingest.ingest([str(src)], str(tmp_path / "rec"), mapping.build())
    expected_line, lines = 2, {}
    for i in range(2, 60):
        lines[i] = expected_line
        expected_line += 2 if i % 7 == 0 else 1
    kept = {r["account"]: r for r in rows_of(tmp_path / "rec")}
    assert {a: r["line"] for a, r in kept.items()} == {f"acc-{i}": lines[i] for i in range(2, 60) if i % 11}
    assert kept["acc-14"]["subject"] == "메모 14\n둘째 줄"
    assert sorted(int(r["line"]) for r in rejects_of(tmp_path / "rec")) == [lines[i] for i in (11, 22, 33, 44, 55)]


def test_utf8_file_forced_as_cp949_is_refused_not_garbled(tmp_path):
    src = write(tmp_path, "e.csv", HEAD + "acc-1,2025-03-01 09:00:00,10.0.0.1,조회,홍길동,,,sys-a\n")
    proc = cli("logs", "ingest", src, "-o", tmp_path / "rec", "--encoding", "cp949")
    assert_input_error(proc, f"{src}: is valid UTF-8: reading it as CP949 would garble")
    assert not (tmp_path / "rec").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["e.csv"]


def test_garbled_text_in_a_field_is_rejected(tmp_path):
    src = write(tmp_path, "e.csv", HEAD + "acc-1,2025-03-01 09:00:00,10.0.0.1,조회,\ufffd\ufffd동,,,sys-a\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec").returncode == 0
    (r,) = rejects_of(tmp_path / "rec")
    assert (r["line"], r["column"]) == ("2", "subject") and "U+FFFD" in r["reason"]


def test_output_folder_is_never_overwritten_and_no_partial_folder_is_left(tmp_path):
    src = write(tmp_path, "e.csv", HEAD + "acc-1,2025-03-01 09:00:00,10.0.0.1,조회,s,,,sys-a\n")
    out = tmp_path / "rec"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert_input_error(cli("logs", "ingest", src, "-o", out), "not an empty folder")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    bad = write(tmp_path, "bad.csv", "who,when\nx,y\n")
    assert_input_error(cli("logs", "ingest", src, bad, "-o", tmp_path / "rec2"), f"{bad}:1: no column for account")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "e.csv", "rec"]


def test_month_partitions_follow_the_local_day(tmp_path):
    src = write(tmp_path, "e.csv", HEAD + "acc-1,2025-03-31T16:30:00Z,10.0.0.1,조회,s,,,sys-a\n"
                "acc-1,2025-03-31 23:59:59,10.0.0.1,조회,s,,,sys-a\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec").returncode == 0
    manifest = json.loads((tmp_path / "rec" / "manifest.json").read_text())
    assert [(o["month"], o["rows"]) for o in manifest["outputs"]] == [("2025-03", 1), ("2025-04", 1)]
    for o in manifest["outputs"]:
        assert hashlib.sha256((tmp_path / "rec" / o["path"]).read_bytes()).hexdigest() == o["sha256"]
    april = pq.read_table(tmp_path / "rec" / "2025-04" / "records.parquet").to_pylist()[0]
    assert (april["day"], april["month"], april["minute"]) == (dt.date(2025, 4, 1), 202504, 90)


def test_naive_times_take_the_stated_zone(tmp_path):
    src = write(tmp_path, "e.csv", HEAD + "acc-1,2025-03-01 09:00:00,10.0.0.1,조회,s,,,sys-a\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "kst").returncode == 0
    assert cli("logs", "ingest", src, "-o", tmp_path / "utc", "--timezone", "UTC").returncode == 0
    kst, utc = rows_of(tmp_path / "kst")[0], rows_of(tmp_path / "utc")[0]
    assert utc["epoch_s"] - kst["epoch_s"] == 9 * 3600


def test_english_jsonl_and_parquet_exports(tmp_path):
    jl = write(tmp_path, "e.jsonl", "\n".join([
        json.dumps({"user_id": "u1", "timestamp": "2025-03-01 09:00:00", "client_ip": "10.0.0.1", "action": "export",
                    "records": 5000, "system": "crm"}),
        "not json",
        json.dumps({"user_id": "u2", "timestamp": "2025-03-01 09:00:00", "client_ip": "10.0.0.2", "action": "read",
                    "records": None, "system": "crm"}),
    ]) + "\n")
    ts = pa.array([dt.datetime(2025, 3, 1, 9, 0)], pa.timestamp("s"))  # naive: KST
    table = pa.table({"account": ["u3"], "accessed_at": ts, "ip": ["10.0.0.3"], "task": ["view"]})
    pq.write_table(table, tmp_path / "e.parquet")
    mapping = write(tmp_path, "map.yaml", "columns: {accessed_at: timestamp, task: action}\nsystem: crm\n")
    proc = cli("logs", "ingest", jl, tmp_path / "e.parquet", "-o", tmp_path / "rec", "--mapping", mapping)
    assert proc.returncode == 0, proc.stderr
    rows = rows_of(tmp_path / "rec")
    assert [(r["source"], r["line"], r["account"], r["action"], r["records"], r["epoch_s"]) for r in rows] == [
        ("e.jsonl", 1, "u1", "download", 5000, 1740787200), ("e.jsonl", 3, "u2", "view", None, 1740787200),
        ("e.parquet", 1, "u3", "view", None, 1740787200)]
    (r,) = rejects_of(tmp_path / "rec")
    assert (r["file"], r["line"]) == ("e.jsonl", "2") and r["reason"].startswith("invalid JSON")


def test_headers_that_two_fields_claim_are_an_error_and_a_mapping_file_resolves_them(tmp_path):
    src = write(tmp_path, "e.csv", "사번,account,접속일시,IP,시스템\n7,acc-1,2025-03-01 09:00:00,10.0.0.1,sys-a\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "a").returncode == 0  # 사번 means nothing: account is used
    src2 = write(tmp_path, "f.csv", "계정,account,접속일시,IP,시스템\nx,acc-1,2025-03-01 09:00:00,10.0.0.1,sys-a\n")
    assert_input_error(cli("logs", "ingest", src2, "-o", tmp_path / "b"), f"{src2}:1: columns '계정' and 'account' both mean 'account'")
    m = write(tmp_path, "m.yaml", "columns: {계정: subject}\n")
    assert cli("logs", "ingest", src2, "-o", tmp_path / "c", "--mapping", m).returncode == 0
    assert rows_of(tmp_path / "c")[0]["subject"] == "x"
    bad = write(tmp_path, "bad.yaml", "columns:\n  계정: acount\n")
    assert_input_error(cli("logs", "ingest", src2, "-o", tmp_path / "d", "--mapping", bad), f"{bad}:2: columns.계정")


@pytest.mark.parametrize("value", ["2025-13-01 10:00:00", "2024-02-30 10:00:00", "2025-03-01 10:60:00", "2025-03-01 오전 0:10:00"])
def test_impossible_times_are_rejected_not_repaired(tmp_path, value):
    src = write(tmp_path, "e.csv", HEAD + f"acc-1,{value},10.0.0.1,조회,s,,,sys-a\n")
    assert cli("logs", "ingest", src, "-o", tmp_path / "rec").returncode == 0
    assert [r["line"] for r in rejects_of(tmp_path / "rec")] == ["2"]
    assert not list((tmp_path / "rec").glob("*/records.parquet"))
    shutil.rmtree(tmp_path / "rec")


def test_sigterm_leaves_no_partial_folder(tmp_path):
    import signal
    import subprocess
    import time

    from compliance.logs import synthetic

    synthetic.write_export(tmp_path / "big.csv", 400_000, korean=False, mixed=True)
    exe = shutil.which("pipa-audit") or str(__import__("pathlib").Path(__import__("sys").executable).parent / "pipa-audit")
    proc = subprocess.Popen([exe, "logs", "ingest", str(tmp_path / "big.csv"), "-o", str(tmp_path / "rec"), "-q"],
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rec.*.part")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]
