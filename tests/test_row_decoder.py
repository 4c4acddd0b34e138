"""The second decoder of the long lists (compliance.row_decoder) against pydantic, the one model: on random and
hostile rows the decoder either gives up (pydantic then validates) or gives exactly the values pydantic gives,
and a check reads the same result either way."""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
from pydantic import TypeAdapter, ValidationError

from compliance import row_decoder
from compliance.cli import main
from compliance.facts import Account, Credential, Facts, Handler, _row_lists, to_evaluation_dict
from compliance.loading import validate_file

DECODED = (Handler, Account, Credential)

TEXT = ["h-1", "", " h-1", "h-1 ", "h-\u00a0", "\u3000h", "h\n", "\th", "a b", "개인정보취급자", "x" * 4096, "x" * 4097,
        "a\x00b", "\x00", "\x1c", "h\u2028", "\u200bh", "h\u200b", "\ud800", "a\udfffb", "\u0085h", "h\u180e", "h\u1680",
        "\u202fh", "예", "unknown"]
DATES = ["2025-03-31", "2025.03.31", "2025. 3. 31.", "2025/3/31", "2025-3-31", " 2025-03-31", "2025-03-31 ",
         "2025-02-30", "2025-03-31 00:00:00", "2025-03-31T00:00", "2025-03-31T09:00", "20250331", "unknown", "Unknown",
         "", "0001-01-01", "9999-12-31", "2025-W13-1", "2025-090"]
STAMPS = ["2025-11-18T09:00+09:00", "2025-11-18T09:00:00+09:00", "2025-11-18 09:00 +09:00", "2025.11.18 09:00+0900",
          "2025-11-18T09:00Z", "2025-11-18t09:00z", "2025-11-18T09:00", "2025-11-18T09:00:00.9999999+09:00",
          "2025-11-18T24:00+09:00", "2025-11-18T09:00+25:00", "unknown", "2025-11-18"]
OTHER = [None, True, False, 0, 1, -1, 2**63, 2**70, 1.0, 1.5, [], ["h-1"], [" h-1"], ["h-1", 7], {}, {"a": 1},
         "true", "예", "아니오", "yes", dt.date(2025, 3, 31)]


def _pool(model, name: str) -> list:
    ann = str(model.model_fields[name].annotation)
    pool = list(OTHER)
    if "to_date" in ann:
        pool += DATES * 2
    elif "to_stamp" in ann:
        pool += STAMPS * 2
    elif "Literal" in ann:
        pool += ["api-key", "signing-key", "password", "API-KEY", " api-key", "none"]
    else:
        pool += TEXT + [["h-1", "h-2"], ["h-1", ""], ["h-1 "], ["\u3000"]]
    return pool


def _row(model, rnd: random.Random, clean: bool) -> dict:
    """A row of random values: valid ones (``clean``), or a valid row with one to three fields given hostile values
    (so that both sides of the line are reached)."""
    if not clean:
        row = _row(model, rnd, clean=True)
        for name in rnd.sample(list(model.model_fields), rnd.randint(1, 3)):
            row[name] = rnd.choice(_pool(model, name))
        if rnd.random() < 0.05:
            row[rnd.choice(["extra", "Id", "left on"])] = "x"
        return row
    row = {"id": rnd.choice(["h-1", "key-1", "acc-1"])}
    for name in model.model_fields:
        if name == "id" or rnd.random() < 0.5:
            continue
        if clean:
            ann = str(model.model_fields[name].annotation)
            if "to_date" in ann:
                row[name] = rnd.choice(["2025-03-31", "2024-12-01", "2025. 3. 31.", "2025/3/31", "unknown"] if "unknown" in ann
                                       else ["2025-03-31", "2025. 3. 31."])
            elif "to_stamp" in ann:
                row[name] = rnd.choice(["2025-11-18T09:00+09:00", "2025-11-18 09:00:00.5+00:00", "unknown"])
            elif "Literal" in ann:
                row[name] = rnd.choice([a for a in _literals(model, name)])
            elif "bool" in ann:
                row[name] = rnd.choice([True, False, None])
            elif "list" in ann:
                row[name] = rnd.choice([["sys-a"], [], ["개인", "a b"]])
            else:
                row[name] = rnd.choice(["x", "개인정보", "", None])
    return row


def _literals(model, name):
    import typing

    out = []
    for a in typing.get_args(model.model_fields[name].annotation):
        if typing.get_origin(a) is typing.Literal:
            out += list(typing.get_args(a))
    return out or ["x"]


def _pydantic(model, rows):
    """pydantic's rows (or None when it refuses), as the evaluation form dumps them."""
    adapter = TypeAdapter(list[model])
    try:
        made = adapter.validate_python(rows)
    except ValidationError:
        return None, None
    return made, adapter.dump_python(made, exclude_unset=True, exclude_none=True)


def _same(model, rows) -> str:
    """'decoded', 'gave up' or 'refused' (both refuse); fails when the decoder accepts what pydantic would not, or
    gives another value."""
    made, dumped = _pydantic(model, rows)
    structs = row_decoder.decode(model, [dict(r) for r in rows])
    if structs is None:
        return "gave up" if made is not None else "refused"
    assert made is not None, f"the decoder accepted rows pydantic refuses: {rows!r}"
    assert row_decoder.evaluation_rows(structs) == dumped, rows
    for ours, theirs in zip(structs, made):  # attribute reads (integrity, the access-record tables) alike too
        for name in model.model_fields:
            a, b = getattr(ours, name), getattr(theirs, name)
            assert a == b and type(a) is type(b), (name, a, b)
    return "decoded"


def test_the_long_lists_have_a_decoder():
    """Handlers, accounts and keys are the lists that grow to a million rows: if a new field type leaves them without
    a decoder, they silently lose the fast path (this says so instead)."""
    for model in DECODED:
        assert row_decoder.decoder(model) is not None, model.__name__
    assert row_decoder.decoder(_row_lists()["systems"]) is None  # nested models: pydantic's


@pytest.mark.parametrize("model", DECODED, ids=lambda m: m.__name__)
def test_hostile_rows_one_at_a_time(model):
    rnd = random.Random(f"hostile-{model.__name__}")
    seen = {"decoded": 0, "gave up": 0, "refused": 0}
    for _ in range(3000):
        seen[_same(model, [_row(model, rnd, clean=False)])] += 1
    assert seen["decoded"] > 100 and seen["refused"] > 100, seen  # the sample reaches both sides


@pytest.mark.parametrize("model", DECODED, ids=lambda m: m.__name__)
def test_random_lists(model):
    rnd = random.Random(f"lists-{model.__name__}")
    seen = {"decoded": 0, "gave up": 0, "refused": 0}
    for _ in range(300):
        rows = [_row(model, rnd, clean=rnd.random() < 0.9) for _ in range(rnd.randint(1, 12))]
        seen[_same(model, rows)] += 1
    assert seen["decoded"] > 20, seen


@pytest.mark.parametrize("value", TEXT + [["a", " b"], ["a\u00a0"], [""], ["x" * 4097]])
def test_text_pydantic_would_change_is_not_decoded(value):
    field = "holders" if isinstance(value, list) else "shared_reason"
    made, _ = _pydantic(Account, [{"id": "a", field: value}])
    structs = row_decoder.decode(Account, [{"id": "a", field: value}])
    if made is None or getattr(made[0], field) != value:  # refused, or stripped by pydantic
        assert structs is None
    elif structs is not None:  # giving up is always allowed; a value taken is taken as it is
        assert getattr(structs[0], field) == value


@pytest.mark.parametrize("value", DATES)
def test_dates_mean_the_same_day(value):
    _same(Handler, [{"id": "h", "left_on": value, "granted_on": value}])
    _same(Handler, [{"id": "h", "left_on": value}])


@pytest.mark.parametrize("value", STAMPS)
def test_times_mean_the_same_moment(value):
    _same(Credential, [{"id": "k", "last_used_at": value}])


def _facts_file(tmp_path, handlers: list[dict]) -> str:
    doc = {"as_of": "2025-11-30", "organization": {"name": "Org", "kind": "private"},
           "systems": [{"id": "sys-a"}], "handlers": handlers,
           "accounts": [{"id": f"acc-{h['id'].strip()}", "system": "sys-a", "holders": [h["id"].strip()]} for h in handlers],
           "credentials": [{"id": f"key-{h['id']}", "owner": h["id"], "kind": "api-key", "revoked_on": h.get("left_on")}
                           for h in handlers[:50]]}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _handlers(n: int, rnd: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        h = {"id": f"h-{i}", "systems": ["sys-a"], "granted_on": rnd.choice(["2020-01-02", "2020. 1. 2."])}
        if rnd.random() < 0.3:
            h["left_on"] = rnd.choice(["2025-01-10", "2025. 6. 1.", "unknown"])
            if rnd.random() < 0.7:
                h["access_revoked_on"] = rnd.choice(["2025-01-10", "2025-01-20", "unknown"])
        if rnd.random() < 0.6:
            h["trained_on"] = rnd.choice(["2025-03-01", "2024-01-01", "unknown"])
        out.append(h)
    return out


def _check(path: str, tmp_path, name: str) -> dict:
    out = tmp_path / f"{name}.json"
    assert main(["check", path, "--fail-on", "none", "-o", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    result.pop("generated_at", None)
    return result


def test_a_check_reads_the_same_facts_either_way(tmp_path, monkeypatch):
    """The whole result of `check` is the same whether the rows went through the decoder or through pydantic."""
    path = _facts_file(tmp_path, _handlers(400, random.Random(7)))
    facts, _ = validate_file(path, Facts, rows_as_structs=True)
    assert row_decoder.is_struct_list(facts.handlers) and row_decoder.is_struct_list(facts.accounts)
    decoded = _check(path, tmp_path, "decoded")
    monkeypatch.setattr(row_decoder, "decode", lambda model, rows: None)
    facts, _ = validate_file(path, Facts, rows_as_structs=True)
    assert not row_decoder.is_struct_list(facts.handlers)
    assert _check(path, tmp_path, "pydantic") == decoded


def test_one_row_pydantic_would_strip_sends_the_list_to_pydantic(tmp_path):
    """The 300th handler's id has a trailing space: the decoder gives up on that list, pydantic strips the id, and the
    accounts naming 'h-299' still resolve (no input error, no other verdict)."""
    handlers = _handlers(400, random.Random(8))
    handlers[299]["id"] = "h-299 "
    path = _facts_file(tmp_path, handlers)
    facts, _ = validate_file(path, Facts, rows_as_structs=True)
    assert not row_decoder.is_struct_list(facts.handlers) and facts.handlers[299].id == "h-299"
    assert row_decoder.is_struct_list(facts.accounts)
    root = to_evaluation_dict(facts)
    assert root["handlers"][299]["id"] == "h-299"


def test_errors_in_decoded_lists_are_pydantics_own(tmp_path, capsys):
    """A bad row makes the decoder give up, and the message is the one pydantic's path gives, at its place."""
    handlers = _handlers(30, random.Random(9))
    handlers[20]["left_on"] = "2025-02-30"
    path = _facts_file(tmp_path, handlers)
    assert main(["check", path]) == 2
    err = capsys.readouterr().err
    assert "handlers[20].left_on" in err and "calendar" in err


def _json_text(doc, rnd: random.Random) -> str:
    """``doc`` as JSON the way different tools write it: compact, spaced, indented, ASCII-escaped or not."""
    text = json.dumps(doc, ensure_ascii=rnd.random() < 0.3, indent=rnd.choice([None, None, 1, 2]),
                      separators=rnd.choice([(",", ":"), (", ", ": "), None]), default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot be in a file as itself: escaped, as JSON writes it
        text = json.dumps(doc, default=str)
    return text


def _unnulled(row: dict) -> dict:
    return {k: v for k, v in row.items() if v is not None}


def test_rows_decoded_from_the_bytes_are_the_rows_decoded_from_the_parsed_file():
    """``decode_json`` (the big JSON file's rows straight from its bytes) against ``json.loads`` then ``decode``: on
    random files (hostile rows, repeated keys at either level, nulls, escapes, other layouts) it gives up, or gives
    every list as the parsed file gives it, and the rows as structs only where ``decode`` takes the same rows."""
    from compliance.loading import _DuplicateKey, _row_models, _unique_keys

    rnd = random.Random("decode_json")
    seen = {"structs": 0, "plain": 0, "gave up": 0}
    for _ in range(400):
        doc = {"as_of": "2025-11-30", "organization": {"name": rnd.choice(["Org", "기관: 본사", 'a "b"'])}}
        for name, model in (("handlers", Handler), ("accounts", Account), ("credentials", Credential)):
            if rnd.random() < 0.8:
                rows = [_row(model, rnd, clean=rnd.random() < 0.93) for _ in range(rnd.randint(0, 8))]
                doc[name] = [_unnulled(r) for r in rows] if rnd.random() < 0.85 else rows
        text = _json_text(doc, rnd)
        if rnd.random() < 0.1:  # a key repeated in a row, or at the top level
            pair = re.search(r'"%s"\s*:\s*"[^"\\]*"' % rnd.choice(["id", "as_of"]), text)
            if pair:
                text = text[:pair.end()] + "," + pair.group() + text[pair.end():]
        try:
            parsed = json.loads(text, object_pairs_hook=_unique_keys)
        except _DuplicateKey:
            parsed = None
        read = row_decoder.decode_json(Facts, text.encode("utf-8"), _row_models)
        if read is None:
            seen["gave up"] += 1
            continue
        assert parsed is not None, f"read a file with a repeated key: {text!r}"
        assert list(read) == list(parsed)
        lists = {name: model for name, model, _rows in _row_models(Facts, parsed)}
        for key, value in read.items():
            if row_decoder.is_struct_list(value):
                seen["structs"] += 1
                assert row_decoder.is_decoded(lists[key], value)
                assert value == row_decoder.decode(lists[key], parsed[key]), (key, text)
            else:
                seen["plain"] += 1
                assert value == parsed[key] and json.dumps(value) == json.dumps(parsed[key]), (key, text)
    assert seen["structs"] > 200 and seen["plain"] > 400 and seen["gave up"] > 40, seen


def test_a_big_json_file_is_read_into_structs_from_its_bytes(tmp_path, monkeypatch):
    """``check`` reads a big JSON file's rows straight into structs (not through parsed dicts), and refuses a key
    repeated in a row at its line."""
    from compliance import loading

    handlers = [_unnulled(h) for h in _handlers(2000, random.Random(9))]
    path = _facts_file(tmp_path, handlers)
    text = open(path, encoding="utf-8").read().replace(": null", ': "unknown"')
    assert len(text) >= loading.FAST_JSON_CHARS and "null" not in text
    open(path, "w", encoding="utf-8").write(text)
    monkeypatch.setattr(row_decoder, "decode", lambda model, rows, stripped=False:
                        pytest.fail("decoded from parsed rows") if model in (Handler, Account) else None)
    facts, _ = validate_file(path, Facts, *loading.load(path, rows_of=Facts), rows_as_structs=True)
    assert row_decoder.is_struct_list(facts.handlers) and row_decoder.is_struct_list(facts.accounts)
    monkeypatch.undo()
    where = text.index('"id": "h-1500"')
    open(path, "w", encoding="utf-8").write(text[:where] + '"id": "h-1500", ' + text[where:])
    with pytest.raises(loading.InputError) as exc:
        loading.load(path, rows_of=Facts)
    (problem,) = exc.value.problems
    assert "duplicate key 'id'" in problem.message and problem.line == 1


@pytest.mark.parametrize("field, value", [("id", " h-1"), ("id", "h-1 "), ("id", "h-1\t"), ("systems", ["sys-a "]),
                                          ("systems", ["\u3000sys-a"]), ("id", "\u00a0h-1"), ("id", "h-1\x1c")])
@pytest.mark.parametrize("ascii_only", [True, False])
def test_text_pydantic_would_strip_is_not_read_into_structs_from_the_bytes(field, value, ascii_only):
    from compliance.loading import _row_models

    rows = [{"id": f"h-{n}", "systems": ["sys-a"]} for n in range(5)]
    rows[3][field] = value
    text = json.dumps({"as_of": "2025-11-30", "handlers": rows}, ensure_ascii=ascii_only)
    read = row_decoder.decode_json(Facts, text.encode("utf-8"), _row_models)
    assert read is not None and read["handlers"] == rows  # plain values: pydantic strips them, as before


@pytest.mark.parametrize("model", DECODED, ids=lambda m: m.__name__)
def test_structs_made_from_columns_are_the_structs_decoded_from_the_rows(model):
    """``from_columns`` (a table's converted columns, ``compliance.sources``) against ``decode`` of the same rows as
    dicts: it gives up, or gives the same structs. Columns left out, an unknown one, a required one missing, a column
    of one value stated as not tracked ('unknown'), hostile values."""
    from itertools import repeat

    rnd = random.Random(f"columns-{model.__name__}")
    seen = {"same": 0, "gave up": 0}
    for _ in range(400):
        rows = [_row(model, rnd, clean=rnd.random() < 0.85) for _ in range(rnd.randint(1, 8))]
        names = sorted({k for r in rows for k in r} - {"extra", "Id", "left on"})
        if rnd.random() < 0.1 and "id" in names:
            names.remove("id")
        columns: list = [[r.get(n) for r in rows] for n in names]
        if rnd.random() < 0.1:
            names.append("extra")
            columns.append([None] * len(rows))
        optional = [f for f in model.model_fields if f not in names and f != "id"]
        if optional and rnd.random() < 0.3:
            names.append(rnd.choice(optional))
            columns.append(repeat("unknown"))
        made = row_decoder.from_columns(model, list(names), list(columns))
        if made is None:
            seen["gave up"] += 1
            continue
        dicts = [{n: v for n, v in zip(names, values) if v is not None} for values in zip(*columns)]
        assert made == row_decoder.decode(model, dicts, stripped=True), (names, columns)
        seen["same"] += 1
    assert seen["same"] > 100 and seen["gave up"] > 40, seen


def test_every_character_python_strips_begins_with_a_lead_the_fast_check_looks_for():
    """``row_decoder._may_strip`` looks for these beginnings of UTF-8 only: every non-ASCII character ``str.strip``
    removes must begin with one of them, or a row ending in it would be taken as a struct unstripped."""
    import sys

    stripped = [c for c in map(chr, range(0x80, sys.maxunicode + 1)) if (c + "x").strip() == "x"]
    assert stripped and all(c.encode("utf-8").startswith(row_decoder.WIDE_SPACE_LEADS) for c in stripped)
    for c in stripped:  # and a row with one at an end is never read into a struct from the bytes
        assert row_decoder._may_strip(json.dumps([{"id": f"h-1{c}", "name": "개인정보"}], ensure_ascii=False).encode())


def test_korean_text_without_spaces_at_its_ends_is_read_into_structs_from_the_bytes():
    from compliance.loading import _row_models

    rows = [{"id": f"h-{n}", "role": "개인정보 취급자 (상담·“고객” 응대)", "systems": ["sys-a"]} for n in range(5)]
    text = json.dumps({"as_of": "2025-11-30", "handlers": rows}, ensure_ascii=False)
    read = row_decoder.decode_json(Facts, text.encode("utf-8"), _row_models)
    assert row_decoder.is_struct_list(read["handlers"]) and read["handlers"][0].role == rows[0]["role"]
