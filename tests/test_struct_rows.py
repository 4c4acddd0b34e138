"""The evaluator reads the long lists as the row decoder's structs (no evaluation dict per row) exactly as it reads
the evaluation form's dicts: every expression gives the same value or misses the same fact, and a whole audit gives
the same result either way."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import shutil
import sys
from pathlib import Path

import pytest

from compliance import expr, row_decoder
from compliance.catalog import FACTS_TYPE
from compliance.evaluate import evaluate
from compliance.expr import Missing, T
from compliance.facts import STRUCT_LISTS, Account, Credential, Handler, evaluation_row, struct_lists_as_dicts
from compliance.pipeline import prepare

ROOT = Path(__file__).resolve().parent.parent
DAYS = ["2024-01-10", "2025-06-01", "2025-11-30", "unknown"]


def _handler(rnd: random.Random, n: int) -> dict:
    row = {"id": f"h-{n}", "systems": rnd.choice([["sys-a"], [], ["sys-a", "sys-b"]])}
    for name in ("granted_on", "left_on", "duties_changed_on", "access_changed_on", "access_revoked_on", "trained_on"):
        k = rnd.random()
        if k < 0.6:
            row[name] = rnd.choice(DAYS if name != "granted_on" else DAYS[:3])
        elif k < 0.7:
            row[name] = None
    if rnd.random() < 0.5:
        row["role"] = rnd.choice(["agent", "developer", "admin"])
    return row


def _credential(rnd: random.Random, n: int, owners: int) -> dict:
    row = {"id": f"key-{n}", "kind": rnd.choice(["api-key", "signing-key"]), "owner": f"h-{rnd.randrange(owners + 3)}"}
    for name, values in (("revoked_on", DAYS), ("last_used_at", ["2025-11-18T09:00+09:00", "unknown"]),
                         ("issued_on", DAYS[:3])):
        k = rnd.random()
        if k < 0.6:
            row[name] = rnd.choice(values)
        elif k < 0.7:
            row[name] = None
    return row


def _account(rnd: random.Random, n: int) -> dict:
    row = {"id": f"acc-{n}", "system": "sys-a", "holders": [f"h-{n}"] + ([f"h-{n + 1}"] if rnd.random() < 0.2 else [])}
    k = rnd.random()
    if k < 0.3:
        row["shared_reason"] = rnd.choice(["a shared desk", "unknown"])
    elif k < 0.4:
        row["shared_reason"] = None
    return row


EXPRESSIONS = {
    Handler: ["item.left_on", "item.left_on == null", "has(item.left_on)", "has(item.granted_on)", "item.granted_on",
              "has(item.role)", "item.role", "item.systems", "size(item.systems)", "item.id",
              "item.trained_on != null && item.trained_on > as_of - days(365)",
              "item.left_on != null && (item.access_revoked_on == null || item.access_revoked_on > item.left_on)",
              "handlers.exists(h, h.left_on != null && h.id == item.id)", "get(handlers, item.id).left_on",
              "size(handlers.filter(h, has(h.access_revoked_on)))", "handlers.map(h, h.trained_on)"],
    Credential: ["item.revoked_on", "has(item.revoked_on)", "item.last_used_at", "has(item.last_used_at)",
                 "get(handlers, item.owner).left_on", "get(handlers, item.owner) == null", "item.issued_on",
                 "item.revoked_on != null && item.revoked_on <= get(handlers, item.owner).left_on + days(1)"],
    Account: ["item.shared_reason", "has(item.shared_reason)", "item.holders", "size(item.holders) > 1",
              "item.holders.all(h, get(handlers, h) != null && get(handlers, h).left_on == null)"],
}


def _value(fn, root, item):
    try:
        return ("value", fn(root, {"item": item}))
    except Missing as exc:
        return ("missing", exc.path)


def test_every_read_of_a_struct_row_is_the_read_of_its_dict():
    rnd = random.Random("struct rows")
    handlers = [_handler(rnd, n) for n in range(60)]
    rows = {"handlers": handlers, "credentials": [_credential(rnd, n, 60) for n in range(60)],
            "accounts": [_account(rnd, n) for n in range(60)]}
    structs = {name: row_decoder.decode(STRUCT_LISTS[name], copy.deepcopy(r)) for name, r in rows.items()}
    assert all(row_decoder.is_struct_list(s) for s in structs.values())
    as_structs = {"as_of": dt.date(2025, 11, 30), **structs}
    as_dicts = dict(as_structs)
    struct_lists_as_dicts(as_dicts)
    assert not row_decoder.is_struct_list(as_dicts["handlers"])
    lists = {Handler: "handlers", Credential: "credentials", Account: "accounts"}
    compared = {"value": 0, "missing": 0}
    for model, sources in EXPRESSIONS.items():
        for source in sources:
            fn = expr.compile_expr(source, FACTS_TYPE, {"item": (T("object", model=model), f"{lists[model]}[]")}).fn
            dict_side = [_value(fn, as_dicts, item) for item in as_dicts[lists[model]]]
            with expr.read_as_structs({m: as_structs[n][0].__class__ for m, n in lists.items()}):
                struct_side = [_value(fn, as_structs, item) for item in as_structs[lists[model]]]
            assert struct_side == dict_side, source
            for kind, _v in dict_side:
                compared[kind] += 1
    assert compared["value"] > 500 and compared["missing"] > 100, compared  # both outcomes reached


def test_a_row_as_the_report_shows_it_is_its_evaluation_dict():
    rnd = random.Random("one row")
    rows = [_handler(rnd, n) for n in range(40)]
    structs = row_decoder.decode(Handler, copy.deepcopy(rows))
    root = {"handlers": list(structs)}
    struct_lists_as_dicts(root)
    assert [evaluation_row(s) for s in structs] == root["handlers"]


def _audit_json(inputs) -> str:
    result = evaluate(inputs)
    return result.model_dump_json()


def _both_ways(facts_path: str):
    inputs = prepare(facts_path, ROOT / "controls")
    kept = [name for name in STRUCT_LISTS if row_decoder.is_struct_list(inputs.facts.get(name))]
    as_dicts = copy.copy(inputs)
    as_dicts.facts = dict(inputs.facts)
    struct_lists_as_dicts(as_dicts.facts)
    return kept, _audit_json(inputs), _audit_json(as_dicts)


@pytest.mark.parametrize("example", ["clean", "ecommerce-breach", "server-intrusion"])
def test_the_examples_audit_the_same_with_struct_rows(example):
    kept, structs, dicts = _both_ways(str(ROOT / "examples" / example / "facts.yaml"))
    assert "handlers" in kept
    assert structs == dicts


@pytest.mark.parametrize("mixed", [False, True])
def test_random_facts_audit_the_same_with_struct_rows(tmp_path, mixed):
    """Offenders (their values and labels), what is missing per item, the todo list: all from struct rows as from
    dicts, on handlers, keys and accounts with every form of 'did not happen', 'unknown' and absent. ``mixed``: one
    account's text has a space pydantic strips, so the accounts are its models' dicts beside struct handlers and keys."""
    from compliance.loading import load

    rnd = random.Random("random facts")
    folder = tmp_path / "clean"
    shutil.copytree(ROOT / "examples" / "clean", folder)  # its attachments, beside the facts
    doc, _text = load(folder / "facts.yaml")
    system = doc["systems"][0]["id"]
    handlers = [_handler(rnd, n) for n in range(300)]
    for h in handlers:
        h["systems"] = [system]
    accounts = [_account(rnd, n) for n in range(300)]
    for a in accounts:
        a["system"] = system
        a["holders"] = [x for x in a["holders"] if int(x[2:]) < 300]
    doc |= {"handlers": handlers, "accounts": accounts,
            "credentials": [{**_credential(rnd, n, 300), "system": system} for n in range(200)]}
    for c in doc["credentials"]:
        c["owner"] = f"h-{int(c['owner'][2:]) % 300}"
    if mixed:
        accounts[7]["shared_reason"] = "a shared desk "
    path = folder / "facts-random.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")
    kept, structs, dicts = _both_ways(str(path))
    assert set(kept) == set(STRUCT_LISTS) - ({"accounts"} if mixed else set())
    result = json.loads(structs)
    assert sum(len(ch["offenders"]) for c in result["controls"] for ch in c["checks"]) > 100
    assert any(m["items"] for c in result["controls"] for ch in c["checks"] for m in ch["missing"])
    assert structs == dicts


def test_an_evaluation_keeps_no_frame_that_holds_the_facts(tmp_path):
    """CEL's && and || try the other side when one misses a fact, and all/exists the other items: the missing fact's
    exception is kept meanwhile. A kept exception that held its traceback made a cycle with the frame keeping it;
    the collector is off for a command, so every such frame, and the facts its locals hold, stayed until the end
    (a 1M-row check could not free its facts before a PDF's layout: 3.2 GB instead of 2.2)."""
    import gc
    import types

    from compliance.loading import load
    from compliance.pipeline import evaluate, prepare

    from .conftest import CATALOGS, SEED

    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    data, _text = load(folder / "facts.yaml")
    del data["privacy_officer"]  # read by checks that say "||": the other side decides
    (folder / "facts.json").write_text(json.dumps(data, default=str), encoding="utf-8")
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        prepared = prepare(folder / "facts.json", CATALOGS, folder / "waivers.yaml")
        evaluate(prepared)
        kept = [f for f in gc.get_objects() if isinstance(f, types.FrameType) and f.f_code.co_filename.startswith("<catalog")]
        assert kept == []
        assert sys.getrefcount(prepared.facts) == 3  # the inputs, the argument, and this call's own
    finally:
        if enabled:
            gc.enable()
