"""Ingest reads a block with Arrow when that is exact, and line by line otherwise: both must read the same rows.

The fast readers decide per block whether Arrow's reading is exact (one row per line, nothing refused); these
tests hold every such decision to the line-by-line reading over the inputs that make the decision hard."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from compliance.logs.ingest import Block, _csv_block, _csv_block_slow, _jsonl_block, _jsonl_block_slow

CSV_COLS = {"timestamp": 0, "account": 1, "ip": 2}

CSV_CASES = {
    "plain": b"2025-03-01 09:00:00,alice,10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n",
    "quoted comma and quote": b'2025-03-01 09:00:00,"kim, j ""jay""",10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n',
    "quoted line break": b'2025-03-01 09:00:00,"a\nb",10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n',
    "bare CR in a field": b"2025-03-01 09:00:00,al\rice,10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n",
    "bare CR between records": b"2025-03-01 09:00:00,alice,10.0.0.1\r2025-03-01 09:01:00,bob,10.0.0.2\n",
    "CRLF endings": b"2025-03-01 09:00:00,alice,10.0.0.1\r\n2025-03-01 09:01:00,bob,10.0.0.2\r\n",
    "empty line": b"2025-03-01 09:00:00,alice,10.0.0.1\n\n2025-03-01 09:01:00,bob,10.0.0.2\n",
    "empty account and empty line": b"2025-03-01 09:00:00,,10.0.0.1\n\n2025-03-01 09:01:00,bob,10.0.0.2\n",
    "wrong column count": b"2025-03-01 09:00:00,alice\n2025-03-01 09:01:00,bob,10.0.0.2,extra\n2025-03-01 09:02:00,eve,10.0.0.3\n",
    "invalid UTF-8": b"2025-03-01 09:00:00,al\xffice,10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n",
    "replacement character": "2025-03-01 09:00:00,al\ufffdice,10.0.0.1\n".encode(),
    "Korean": "2025-03-01 09:00:00,김민준,10.0.0.1\n2025-03-01 09:01:00,이서연,::1\n".encode(),
    "unclosed quote": b'2025-03-01 09:00:00,"alice,10.0.0.1\n2025-03-01 09:01:00,bob,10.0.0.2\n',
}

JSONL_KEYS = {"timestamp": "ts", "account": "user", "records": "n"}

JSONL_CASES = {
    "plain": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3}\n{"ts": "2025-03-01T09:01:00", "user": "bob", "n": 4}\n',
    "null and absent": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": null}\n{"ts": "2025-03-01T09:01:00", "user": "bob"}\n',
    "type change": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3}\n{"ts": "2025-03-01T09:01:00", "user": "bob", "n": "4"}\n',
    "boolean and float": b'{"ts": "2025-03-01T09:00:00", "user": true, "n": 3.5}\n',
    "nested value": b'{"ts": "2025-03-01T09:00:00", "user": {"id": "a"}, "n": [1]}\n',
    "blank line": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3}\n\n{"ts": "2025-03-01T09:01:00", "user": "bob", "n": 4}\n',
    "bare value": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3}\nnull\n[1]\n',
    "trailing text": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3} x\n{"ts": "2025-03-01T09:01:00", "user": "bob", "n": 4}\n',
    "two objects on a line": b'{"ts": "2025-03-01T09:00:00", "user": "a", "n": 1}{"ts": "2025-03-01T09:00:01", "user": "b", "n": 2}\n',
    "duplicate key": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "user": "eve", "n": 3}\n',
    "escapes": '{"ts": "2025-03-01T09:00:00", "user": "\\uae40\\u0041\\"q\\"", "n": 3}\n'.encode(),
    "escaped replacement character": b'{"ts": "2025-03-01T09:00:00", "user": "a\\ufffdb", "n": 3}\n',
    "lone surrogate": b'{"ts": "2025-03-01T09:00:00", "user": "a\\ud800b", "n": 3}\n',
    "invalid UTF-8": b'{"ts": "2025-03-01T09:00:00", "user": "al\xffice", "n": 3}\n',
    "extra keys": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 3, "other": {"deep": [1, 2]}}\n',
    "big integer": b'{"ts": "2025-03-01T09:00:00", "user": "alice", "n": 123456789012345678901234567890}\n',
}


def _block(data: bytes) -> Block:
    return Block(bytearray(data), 0, len(data))


def _rows(batch) -> tuple:
    columns = {f: (c.to_pylist() if not isinstance(c, pa.ChunkedArray) else c.combine_chunks().to_pylist())
               for f, c in batch.columns.items()}
    return columns, batch.lines.to_pylist(), sorted(batch.refused, key=lambda r: (r[0], r[2])), batch.span


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_csv_block_reads_what_the_line_by_line_reader_reads(case):
    data = CSV_CASES[case]
    fast = _csv_block(_block(data), "utf-8", 3, CSV_COLS, Path("export.csv"))
    slow = _csv_block_slow(data, "utf-8", 3, CSV_COLS, Path("export.csv"))
    assert _rows(fast) == _rows(slow)


def test_csv_cp949_block_reads_what_the_line_by_line_reader_reads():
    data = "2025-03-01 09:00:00,김민준,10.0.0.1\n2025-03-01 09:01:00,이서연,10.0.0.2\n".encode("cp949")
    fast = _csv_block(_block(data), "cp949", 3, CSV_COLS, Path("export.csv"))
    slow = _csv_block_slow(data, "cp949", 3, CSV_COLS, Path("export.csv"))
    assert _rows(fast) == _rows(slow)
    assert _rows(fast)[0]["account"] == ["김민준", "이서연"]


@pytest.mark.parametrize("case", list(JSONL_CASES))
def test_jsonl_block_reads_what_the_line_by_line_reader_reads(case):
    data = JSONL_CASES[case]
    # the schema read_jsonl takes from a first object of text, whole number and text (as in "plain")
    schema = pa.schema([("ts", pa.string()), ("user", pa.string()), ("n", pa.int64())])
    fast = _jsonl_block(_block(data), "utf-8", JSONL_KEYS, schema)
    slow = _jsonl_block_slow(data, "utf-8", JSONL_KEYS)
    assert _rows(fast) == _rows(slow)


@pytest.mark.parametrize("months", [[202501] * 3 + [202502] * 4 + [202503] * 2, [202502, 202501, 202503, 202501, 202502, 202502]],
                         ids=["in time order across month ends", "out of order"])
def test_a_block_is_split_by_month_keeping_input_order(months):
    from compliance.logs.ingest import _by_month

    table = pa.table({"month": pa.array(months, pa.int32()), "line": pa.array(range(len(months)), pa.int64())})
    parts = _by_month(table)
    assert [m for m, _ in parts] == sorted(set(months))
    for m, part in parts:
        assert part.column("line").to_pylist() == [i for i, x in enumerate(months) if x == m]


_PIECES = [b"a", b",", b'"', b"\r", b"\n", b" ", "\u00e9".encode(), b"\xff", "\ufffd".encode(), b"1", b"\\", "김".encode(),
           b"\r\n", b'""']
_VALUES = ['"a"', '"김"', "1", "-3", "12345678901234567890123", "true", "null", "1.5", "[1]", '{"x":1}', '"\\ud800"',
           '"\\ufffd"', '"a\\"b"', '""', "1e3"]


@pytest.mark.parametrize("seed", range(4))
def test_random_blocks_read_the_same_both_ways(seed):
    import random

    rnd = random.Random(seed)
    schema = pa.schema([("ts", pa.string()), ("user", pa.string()), ("n", pa.int64())])
    for _ in range(150):
        cells = lambda: b"".join(rnd.choice(_PIECES) for _ in range(rnd.randrange(4)))  # noqa: E731
        data = b"".join(b",".join(cells() for _ in range(rnd.choice([2, 3, 3, 4]))) + b"\n" for _ in range(rnd.randrange(1, 10)))
        fast = _csv_block(_block(data), "utf-8", 3, CSV_COLS, Path("export.csv"))
        assert _rows(fast) == _rows(_csv_block_slow(data, "utf-8", 3, CSV_COLS, Path("export.csv"))), data
        lines = []
        for _ in range(rnd.randrange(1, 8)):
            keys = rnd.sample(["ts", "user", "n", "other", "ts"], rnd.randrange(5))
            lines.append("{" + ", ".join(f'"{k}": {rnd.choice(_VALUES)}' for k in keys) + "}" if rnd.random() > 0.05
                         else rnd.choice(["", "null", "{", '{"ts": "a"} x', '{"ts":"a"}{"ts":"b"}']))
        data = ("\n".join(lines) + "\n").encode()
        fast = _jsonl_block(_block(data), "utf-8", JSONL_KEYS, schema)
        assert _rows(fast) == _rows(_jsonl_block_slow(data, "utf-8", JSONL_KEYS)), data
