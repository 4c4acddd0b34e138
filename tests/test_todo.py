"""What is still missing, by item (issue 19): ``AuditResult.todo``, ``check --todo`` and the text table naming items.

The promises: every fact a check needed of an item it could not judge is listed once, with the provisions that need
it — all of them in one pass, so filling what the list names leaves nothing of that item missing; on the seed the
list is exactly what the checks and the evidence found missing; an attestation is listed when its condition holds and
it is absent, never when its condition does not hold; ``--todo`` exits 1 while anything is missing and 0 when nothing
is; lines read in Korean and in English; the table names items and never counts two things on one line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from compliance import i18n, todo
from compliance.pipeline import audit

from . import consumers
from .conftest import CATALOGS, CLEAN, SEED, cli

SEED_MISSING = [  # the seed's facts state everything its checks read; two documents the controls expect are not there
    ("attachment", "breach-notification-record", "attachments[].kind", ["pipa/34.1"], "PIPA Art 34(1)"),
    ("attachment", "internal-plan-inspection-report", "attachments[].kind", ["notice/4.4"], "PIPC Safety Notice Art 4(4)"),
]


@pytest.fixture
def english():
    yield
    i18n.use("en")


def _copy_seed(tmp_path, edit=None):
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    facts = folder / "facts.yaml"
    if edit is not None:
        facts.write_text(edit(facts.read_text(encoding="utf-8")), encoding="utf-8")
    return facts


def _without_web_exposure_check(text: str) -> str:
    """sys-auth's web_exposure_checked taken out (read by notice/6.3 only; until issue 20 this helper took out its
    network_zone, which Art 6(1) no longer reads)."""
    head, sep, tail = text.partition("  - id: sys-auth\n")
    line = "    web_exposure_checked: true\n"
    assert sep and tail.count(line) >= 1
    return head + sep + tail.replace(line, "", 1)


def _blank(tmp_path, rows: str) -> Path:
    """The template ``init`` writes, with the two facts a check needs to start and the list rows given."""
    facts = tmp_path / "facts.yaml"
    assert cli("init", "-o", facts).returncode == 0
    text = facts.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^as_of:$", "as_of: 2025-11-30", text, count=1)
    text = re.sub(r"(?m)^(organization:\n(?:  #.*\n)*  name:)$", r"\1 Blank Co", text, count=1)
    text = re.sub(r"(?m)^systems:.*$", "systems:\n" + rows, text, count=1)
    facts.write_text(text, encoding="utf-8")
    return facts


def _reported(result) -> set[tuple[str | None, str, str]]:
    """(item, fact path, control) for every fact a check of the result says is missing (attestations and the
    access records' own notes aside)."""
    out = set()
    for c in result.controls:
        for ch in c.checks:
            if ch.id == "attestation":
                continue
            for m in ch.missing:
                out |= {(i, m.path, c.id) for i in m.items} if m.items else {(None, m.path, c.id)}
    return out


# ------------------------------------------------------------------------------------------------ the list


def test_blank_template_lists_every_fact_of_each_item_with_its_provisions(tmp_path):
    facts = _blank(tmp_path, "  - id: sys-a\n  - id: sys-b\n")
    result = audit(facts, CATALOGS)
    by_key = {(e.item, e.field): e for e in result.todo}
    assert len(by_key) == len(result.todo), "one entry per item and field"
    cites = {c.id: c.cite for c in result.controls}
    for item, path, control in _reported(result):  # every fact a check stopped at is there, with that check's provision
        named = [e for (i, f), e in by_key.items() if i == item and (f == path or f.startswith(path + "."))]
        entry = next(e for e in named if control in e.controls)  # an object is named by the fields the check reads
        ref = cites[control].en.rsplit(" ", 1)[-1]  # 'Art 6(1)': the instrument is named once per provision list
        assert f" {ref}" in entry.provision.en and cites[control].ko.rsplit(" ", 1)[-1] in entry.provision.ko
    systems = [e for e in result.todo if e.field.startswith("systems[].")]
    assert {e.item for e in systems} == {"sys-a", "sys-b"}
    assert {e.field for e in systems if e.item == "sys-a"} == {e.field for e in systems if e.item == "sys-b"}
    labels = {e.field: e.label for e in systems}
    assert labels["systems[].network_zone"].ko == "네트워크 구간" and labels["systems[].network_zone"].en == "Network zone"
    assert "systems[].access_log.retention_days" in labels and "systems[].access_log" not in labels  # fields, not the object
    assert all(e.label.ko != e.field and e.label.en != e.field for e in systems), "every field has its model label"
    # sorted by provision (the catalogs' order, then the instrument's), then item
    catalog = {c.id: n for n, c in enumerate(result.catalogs)}
    first = {c.id: (catalog[c.catalog], c.ref.order) for c in result.controls}
    places = [(first[e.controls[0]], todo._natural(e.item)) for e in result.todo]
    assert places == sorted(places)
    assert all(first[e.controls[0]] == min(first[c] for c in e.controls) for e in result.todo)


def test_filling_what_the_list_names_leaves_nothing_of_that_item_missing(tmp_path):
    """A check stops at the first fact an item lacks; the list names every fact it reads of that item, so one pass of
    filling them is enough (with only what the checks stopped at, sys-a would still lack facts after the pass)."""
    from compliance.expr import type_of_annotation
    from compliance.facts import Facts

    examples, lists = {}, set()

    def walk(model, prefix):
        for name, f in model.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            if "example" in extra:
                examples[prefix + name] = extra["example"]
            t = type_of_annotation(f.annotation)
            if t.kind == "list":
                lists.add(prefix + name)
            if t.kind == "object" and t.model is not None:
                walk(t.model, f"{prefix}{name}.")
            elif t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
                walk(t.elem.model, f"{prefix}{name}[].")

    walk(Facts, "")
    facts = _blank(tmp_path, "  - id: sys-a\n")
    first = [e for e in audit(facts, CATALOGS).todo if e.item == "sys-a"]
    assert len(first) > 20
    data = yaml.safe_load(facts.read_text(encoding="utf-8"))
    row = data["systems"][0]
    for e in first:
        value = [] if e.field in lists else examples[e.field]
        *path, leaf = e.field[len("systems[]."):].split(".")
        target = row
        for step in path:
            target = target.setdefault(step, {})
        target[leaf] = value
    facts.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = audit(facts, CATALOGS)
    assert [e.field for e in after.todo if e.item == "sys-a"] == []
    assert not any(i == "sys-a" for i, _, _ in _reported(after))


def test_seed_lists_exactly_what_the_checks_and_the_evidence_found_missing(seed_result, tmp_path):
    got = [(e.kind, e.item, e.field, e.controls, e.provision.en) for e in seed_result.todo]
    assert got == SEED_MISSING
    assert {(e.item, e.field) for e in seed_result.todo if e.kind == "fact"} == {(i, p) for i, p, _ in _reported(seed_result)}
    assert {(e.item, c) for e in seed_result.todo if e.kind == "attachment" for c in e.controls} == {
        (e.kind, c.id) for c in seed_result.controls for e in c.evidence if e.status == "missing"}
    # one fact taken out of the seed: the list gains exactly that fact of that item, with its provision
    result = audit(_copy_seed(tmp_path, _without_web_exposure_check), CATALOGS, SEED / "waivers.yaml")
    facts = [(e.kind, e.item, e.field, e.controls, e.provision.en, e.provision.ko) for e in result.todo if e.kind == "fact"]
    assert facts == [("fact", "sys-auth", "systems[].web_exposure_checked", ["notice/6.3"], "PIPC Safety Notice Art 6(3)",
                      "「개인정보의 안전성 확보조치 기준」 제6조제3항")]
    assert {(i, p) for i, p, _ in _reported(result)} == {("sys-auth", "systems[].web_exposure_checked")}
    assert [x[:4] for x in SEED_MISSING] == [(e.kind, e.item, e.field, e.controls) for e in result.todo if e.kind != "fact"]


def test_a_list_stated_empty_where_it_cannot_be_asks_for_the_document_that_shows_it(tmp_path):
    facts = _blank(tmp_path, "  - id: sys-a\n")
    facts.write_text(re.sub(r"(?m)^handlers:.*$", "handlers: []", facts.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    result = audit(facts, CATALOGS)
    entry = next(e for e in result.todo if e.item == "access-rights-register")
    assert (entry.kind, entry.field) == ("attachment", "attachments[].kind")
    assert entry.label.ko == "첨부 증적(개인정보취급자 목록: 없음의 근거)"
    assert {"notice/4.2", "notice/5.2"} <= set(entry.controls)
    assert not [e for e in result.todo if "stated as none" in e.field]
    from compliance.render.text import table

    line = next(x for x in table(result).splitlines() if "departed-handlers-revoked" in x)
    assert line.endswith("[insufficient] none stated; evidence 'access-rights-register' not submitted"), line


def _drop_attestation(control: str):
    def edit(text: str) -> str:
        line = next(x for x in text.splitlines(keepends=True) if x.startswith(f"  - {{control: {control}, "))
        return text.replace(line, "")

    return edit


def _no_incidents(text: str) -> str:
    return re.sub(r"(?m)^incidents:\n(?:(?:[ #].*)?\n)*", "incidents: []\n\n", text, count=1)


def test_an_attestation_is_listed_when_its_condition_holds_and_it_is_absent(tmp_path):
    # pipa/34.3 (harm minimisation) is attested only when there was an incident; the seed had one
    result = audit(_copy_seed(tmp_path, _drop_attestation("pipa/34.3")), CATALOGS, SEED / "waivers.yaml")
    listed = [(e.kind, e.item, e.field, e.controls, e.provision.ko) for e in result.todo if e.kind == "attestation"]
    assert listed == [("attestation", "pipa/34.3", "attestations[]", ["pipa/34.3"], "「개인정보 보호법」 제34조제2항")]
    entry = next(e for e in result.todo if e.kind == "attestation")
    assert entry.label.ko.startswith("확인서: ") and entry.label.en.startswith("attestation: ")


def test_an_attestation_whose_condition_does_not_hold_is_not_listed(tmp_path):
    facts = _copy_seed(tmp_path, lambda t: _no_incidents(_drop_attestation("pipa/34.3")(t)))
    result = audit(facts, CATALOGS, SEED / "waivers.yaml")
    assert next(c for c in result.controls if c.id == "pipa/34.3").verdict == "not-applicable"
    assert [e for e in result.todo if e.kind == "attestation"] == []


def test_an_incomplete_or_stale_attestation_names_what_it_lacks(tmp_path):
    def edit(text: str) -> str:
        old = '  - {control: notice/10.2, attester: "Park CPO", role: CPO, date: 2025-11-25,'
        assert old in text
        return text.replace(old, '  - {control: notice/10.2, role: CPO, date: 2024-01-05,')

    result = audit(_copy_seed(tmp_path, edit), CATALOGS, SEED / "waivers.yaml")
    listed = {e.field: e for e in result.todo if e.kind == "attestation"}
    assert set(listed) == {"attestations[].attester", "attestations[].date"}
    assert all(e.item == "notice/10.2" and e.controls == ["notice/10.2"] for e in listed.values())
    assert "365d" in listed["attestations[].date"].label.en and "365일" in listed["attestations[].date"].label.ko


# ------------------------------------------------------------------------------------------------ check --todo


def test_todo_exit_codes(tmp_path):
    clean = cli("check", CLEAN / "facts.yaml", "--todo")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout == "nothing is missing: every fact, attestation and attachment the audit needs is stated\n"
    seed = cli("check", SEED / "facts.yaml", "--waivers", SEED / "waivers.yaml", "--todo", "--fail-on", "none")
    assert seed.returncode == 1, seed.stderr  # something is missing, whatever --fail-on
    assert seed.stdout.splitlines() == [
        "breach-notification-record · attachment · attachments[].kind · PIPA Art 34(1)",
        "internal-plan-inspection-report · attachment · attachments[].kind · PIPC Safety Notice Art 4(4)",
        "",
        "2 missing — facts 0, attestations 0, attachments 2",
    ]
    # the JSON result is still written beside the list; the list itself never goes to a format
    out = tmp_path / "result.json"
    both = cli("check", SEED / "facts.yaml", "--todo", "-o", out)
    assert both.returncode == 1 and both.stdout.startswith("breach-notification-record · ")
    assert [e["item"] for e in json.loads(out.read_text(encoding="utf-8"))["todo"]] == [x[1] for x in SEED_MISSING]
    for extra in (["--format", "json"], ["-o", "-"]):
        bad = cli("check", SEED / "facts.yaml", "--todo", *extra)
        assert bad.returncode == 2 and bad.stdout == "" and "--todo" in bad.stderr
    assert "check --todo - nothing missing" in cli("check", "--help").stdout


def test_todo_lines_in_korean_and_in_english(tmp_path, english):
    facts = _copy_seed(tmp_path, _without_web_exposure_check)
    en = cli("check", facts, "--todo", "--lang", "en").stdout.splitlines()
    ko = cli("check", facts, "--todo", "--lang", "ko").stdout.splitlines()
    assert ("sys-auth · Are disclosure and leaks via web pages, P2P and sharing settings prevented on this system? · "
            "systems[].web_exposure_checked · PIPC Safety Notice Art 6(3)") in en
    assert ("sys-auth · 홈페이지·P2P·공유설정 등을 통한 노출·유출 방지 조치 여부 · systems[].web_exposure_checked · "
            "「개인정보의 안전성 확보조치 기준」 제6조제3항") in ko
    assert "breach-notification-record · 첨부 증적 · attachments[].kind · 「개인정보 보호법」 제34조제1항" in ko
    result = audit(facts, CATALOGS)
    i18n.use("ko")
    assert todo.text(result.todo).splitlines()[:3] == ko[:3]  # the current language when none is given
    i18n.use("en")
    assert todo.text(result.todo).splitlines()[:3] == en[:3]
    top = todo.line(next(e for e in audit(_blank(tmp_path, "  - id: sys-a\n"), CATALOGS).todo if e.item is None), "en")
    assert top.startswith("— · ")  # a top-level fact has no item


# ------------------------------------------------------------------------------------------------ the table


def test_the_table_names_the_items_and_its_counts_cannot_contradict(tmp_path, english):
    from compliance.render.text import table

    rows = "".join(f"  - {{id: sys-{n}, name: S{n}}}\n" for n in range(1, 8))
    text = table(audit(_blank(tmp_path, rows), CATALOGS))
    line = next(x for x in text.splitlines() if "systems-exposure-prevented" in x)
    assert line.endswith("of 7 listed: 0 fail, 7 not judged; not stated: systems[].web_exposure_checked "
                         "(sys-1, sys-2, sys-3, sys-4, sys-5 … and 2 more)"), line
    assert not re.search(r"\d+ of \d+ missing|\(\d+ items\)", text)  # "0 of 1 missing … (2 items)"
    assert "still missing: facts " in text.splitlines()[-1] and "check --todo" in text.splitlines()[-1]
    seed = table(audit(_copy_seed(tmp_path, _without_web_exposure_check), CATALOGS, SEED / "waivers.yaml"))
    assert "      - ip-restricted [fail] 1 of 2 in scope fail: sys-auth" in seed.splitlines()
    assert ("      - systems-exposure-prevented [insufficient] of 2 listed: 0 fail, 1 not judged; "
            "not stated: systems[].web_exposure_checked (sys-auth)") in seed.splitlines()


def test_the_table_speaks_korean(tmp_path, english):
    from compliance.render.text import table

    result = audit(_copy_seed(tmp_path, _without_web_exposure_check), CATALOGS, SEED / "waivers.yaml")
    i18n.use("ko")
    text = table(result)
    row = next(x for x in text.splitlines() if " notice/6.1 " in x)
    assert row.startswith("✗ 미준수") and "매우 높음" in row and "「개인정보의 안전성 확보조치 기준」 제6조제1항" in row
    assert "IP 주소" in row  # the Korean title
    check = next(x for x in text.splitlines() if "systems-exposure-prevented" in x)
    assert "[판단 불가(증적 부족)]" in check and "systems[].web_exposure_checked (sys-auth)" in check
    assert "미준수" in text.splitlines()[-3] and "적용 제외" in text.splitlines()[-3]  # the summary line's verdicts
    i18n.use("en")
    assert next(x for x in table(result).splitlines() if " notice/6.1 " in x).startswith("✗ non-compliant")


# ------------------------------------------------------------------------------------------------ JSON


def test_the_json_result_carries_the_todo_and_passes_its_schema(tmp_path):
    out = tmp_path / "result.json"
    assert cli("check", _blank(tmp_path, "  - id: sys-a\n"), "-o", out).returncode == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {e["kind"] for e in data["todo"]} == {"fact", "attestation", "attachment"}
    assert all(list(e) == ["kind", "item", "label", "field", "provision", "controls"] for e in data["todo"])
    schema = json.loads(cli("schema", "result").stdout)
    assert consumers.errors(consumers.json_schema(schema), data) == []
