"""What is still missing, by item: the list ``check --todo`` prints and the internal report opens with.

One entry per (item, field): a fact not stated, an attestation whose condition holds and that is absent or lacks its
attester, date or document, an attachment of a kind a control expects that was not submitted, or is too old for its rule
(to renew: 갱신 필요, with its age), or undated where the rule needs its date. Each names where to
state it (``systems[].network_zone``), the item (``sys-crm``), the field as the facts model labels it, and every
provision that needs it.

It is computed once, from the controls' results (their checks' missing facts and evidence), and completed from the
catalogs: a check stops at the first fact an item lacks, so the other facts the same check reads of that item and
the item does not state are listed too — an officer fills them in one pass, not one run per field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from msgspec import Struct

from compliance.catalog import Text
from compliance.facts import evaluation_row
from compliance.result import CatalogInfo, ControlResult, TodoItem

KINDS = ("fact", "attestation", "attachment")
_ATTESTATION_ROW = re.compile(r"^attestations\[control=(?P<control>.+)\]$")
_WITHIN = re.compile(r"^within (?P<within>\S+) before (?P<date>\S+)$")
# the evidence a list stated empty lacks, as evaluate._none_stated words it
NONE_STATED = re.compile(r"^(?P<list>[^:\s]+): stated as none \(\[\]\); .*: attach the (?P<kind>\S+) that shows none$", re.S)
ATTACHMENT = Text(ko="첨부 증적", en="attachment")


# ----------------------------------------------------------------------------------------------- labels of fields


@lru_cache(maxsize=1)
def _model_labels() -> dict[str, tuple[str, str]]:
    """Every path of the facts model ('systems.access_log.retention_days', list steps without '[]') -> (ko, en), as
    the template ``init`` writes labels them; an enumeration's choices after ': ' are left out."""
    return _model()[0]


@lru_cache(maxsize=1)
def _model_lists() -> frozenset[str]:
    """The paths of the facts model that are lists ('systems', 'systems.alerts')."""
    return _model()[1]


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, tuple[str, str]], frozenset[str]]:
    from compliance.expr import type_of_annotation
    from compliance.facts import Facts

    out: dict[str, tuple[str, str]] = {}
    lists: set[str] = set()

    def walk(model, prefix: str) -> None:
        for name, f in model.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            ko, en = str(extra.get("ko") or ""), f.description or ""
            out[prefix + name] = (ko.split(": ", 1)[0], en.split(": ", 1)[0])
            t = type_of_annotation(f.annotation)
            if t.kind == "list":
                lists.add(prefix + name)
            if t.kind == "object" and t.model is not None:
                walk(t.model, f"{prefix}{name}.")
            elif t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
                walk(t.elem.model, f"{prefix}{name}.")

    walk(Facts, "")
    return out, frozenset(lists)


@lru_cache(maxsize=4096)
def field_label(field: str) -> Text:
    """A fact path as a reader names it: the facts model's label (what ``init`` writes beside the field), else the
    report's (labels.yaml ``fields``), else the path itself."""
    key = field.replace("[]", "")
    if key.startswith("item."):
        key = key[len("item."):]
    found = _model_labels().get(key)
    if found and found[0] and found[1]:
        return Text(ko=found[0], en=found[1])
    from compliance.render import labels

    steps = key.split(".")
    fields = labels().get("fields", {})
    entry = fields.get(".".join(steps[-2:])) or fields.get(steps[-1])
    if entry:
        return Text(ko=entry["ko"], en=entry["en"])
    return Text(ko=field, en=field)


# ------------------------------------------------------------------------------------- what the catalogs read


def _reads(catalogs) -> dict[tuple[str, str], list[tuple[str | None, set[str]]]]:
    """(control id, check id) -> [(the list its items come from, or None; the fact paths it reads)], over every
    wording: 'applies-when' and 'deferred' are the evaluator's own judgements, read from the control's conditions."""
    out: dict[tuple[str, str], list[tuple[str | None, set[str]]]] = {}
    for cat in catalogs or []:
        for ctl in cat.controls:
            cid = ctl.control.id
            conditions = [ctl.applies_when, *(w.applies_when for w in ctl.wordings)]
            out.setdefault((cid, "applies-when"), []).extend((None, c.paths) for c in conditions if c is not None)
            out.setdefault((cid, "deferred"), []).extend((None, cond.paths) for _, cond in ctl.deferrals)
            for cc in ctl.checks:
                paths = set(cc.expect.paths) | (cc.where.paths if cc.where is not None else set())
                listed = cc.for_each.result_path if cc.for_each is not None else None
                if cc.for_each is not None and listed is None:
                    continue  # a computed collection: its items are no list of the facts
                out.setdefault((cid, cc.check.id), []).append((listed, paths))
    return out


_ABSENT = object()


def _first_absent(obj: Any, steps: list[str]) -> int | None:
    """How many steps of ``steps`` lead to the first one ``obj`` does not state (None: all stated, or a stated null,
    or a list on the way: what follows is no fact of this object)."""
    for n, step in enumerate(steps):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step, _ABSENT)
        if obj is _ABSENT:
            return n + 1
        if obj is None:
            return None
    return None


def _to_list(path: str, model_prefix: str) -> str:
    """``path`` cut after its first step that is a list (``alerts[].followed_up`` and, as a lookup reads it,
    ``handlers.left_on`` name the list: what its rows say comes after the list is stated)."""
    steps = path.split("[]", 1)[0].rstrip(".").split(".")
    lists = _model_lists()
    for n in range(1, len(steps)):
        if model_prefix + ".".join(steps[:n]) in lists:
            return ".".join(steps[:n])
    return ".".join(steps)


def _leaves(relative: Iterable[str], model_prefix: str = "") -> list[tuple[str, list[str]]]:
    """The paths among ``relative`` an object can lack, as (path, steps): an object read for its fields is named by
    those fields (``access_log.retention_days``), a list by itself (``alerts``: what its rows say comes after).
    ``model_prefix``: where the object is in the facts model ('systems.' for a system)."""
    cut = {_to_list(path, model_prefix) for path in relative}
    return [(path, path.split(".")) for path in sorted(cut) if not any(other.startswith(path + ".") for other in cut)]


def _unstated(obj: dict, leaves: list[tuple[str, list[str]]]) -> list[str]:
    """The leaves (see :func:`_leaves`) ``obj`` does not state."""
    return [path for path, steps in leaves
            if (steps[0] not in obj if len(steps) == 1 else _first_absent(obj, steps) is not None)]


def _most_specific(paths: list[str]) -> list[str]:
    """``paths`` without one another's prefixes: 'systems[].access_log' goes when 'systems[].access_log.retention_days'
    is listed."""
    if len(paths) == 1:
        return paths
    return [p for p in dict.fromkeys(paths) if not any(q.startswith(p + ".") for q in paths)]


# ---------------------------------------------------------------------------------------------- the list


class _Entries:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str | None, str, str | None], dict[str, Any]] = {}

    def add(self, kind: str, item: str | None, field: str, label: Text, control: ControlResult,
            distinct: str | None = None) -> None:
        """``distinct``: what else tells this entry from another of the same item and field (each thing the access
        records cannot show is its own entry)."""
        key = (kind, item, field, distinct)
        entry = self.by_key.get(key)
        if entry is None:
            entry = self.by_key[key] = [label, {}]
        entry[1].setdefault(control.id, control)


_RUNS = re.compile(r"\d+|\D+")


def _natural(text: str | None) -> tuple:
    """'sys-2' before 'sys-10'."""
    if text is None:
        return ()
    return tuple((0, int(p), "") if p[0].isdigit() else (1, 0, p) for p in _RUNS.findall(text))


def build(controls: list[ControlResult], catalogs: list[CatalogInfo], compiled=None, root: dict | None = None,
          observed: dict[str, dict] | None = None) -> list[TodoItem]:
    """The todo list of an audit. ``compiled`` (the catalogs evaluated) and ``root`` (the facts as evaluated) let it
    list every fact a check reads of an item that could not be judged, not only the first one it stopped at.
    ``observed``: what the access records showed, {English text: {ko, en}}, so what they cannot show is said in
    the reader's language."""
    reads = _reads(compiled) if compiled is not None and root is not None else {}
    lists: dict[str, dict[str, dict]] = {}  # list name -> item id -> item, built for the lists that need it

    def item_of(name: str, ident: str) -> dict | None:
        if name not in lists:
            rows = root.get(name) if root is not None else None
            index: dict[str, dict] = {}
            for n, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, dict):
                    index.setdefault(str(row.get("id", f"#{n + 1}")), row)
                elif isinstance(row, Struct):  # a long list read as structs (facts.to_evaluation_dict)
                    index.setdefault(row.id, row)
            lists[name] = index
        row = lists[name].get(ident)
        return row if row is None or row.__class__ is dict else evaluation_row(row)

    entries = _Entries()
    for c in controls:
        for ch in c.checks:
            for m in ch.missing:
                if ch.id == "attestation":
                    _attestation(entries, c, ch, m.path)
                    continue
                stated_none = NONE_STATED.match(m.path)
                if stated_none:  # a list stated empty where it cannot be: the document that shows it is
                    what = field_label(stated_none["list"])
                    label = Text(ko=f"첨부 증적({what.ko}: 없음의 근거)",
                                 en=f"attachment showing there are no {what.en[:1].lower()}{what.en[1:]}")
                    entries.add("attachment", stated_none["kind"], "attachments[].kind", label, c)
                    continue
                if m.path.startswith("access records: "):  # what the access records could not show (--derived)
                    what = m.path[len("access records: "):]
                    said = (observed or {}).get(what)  # the observation in both languages, by its English
                    label = Text(ko=f"접속기록 분석: {said['ko'] if said else what}", en=f"access records: {what}")
                    entries.add("fact", None, "access records", label, c, distinct=what)
                    continue
                paths = [m.path]
                judged = reads.get((c.id, ch.id), [])
                if not m.items or not _of_items(m.path, root):
                    paths += [p for _, read in judged for p in _unstated(root or {}, _leaves(_top_level(read)))]
                    for p in _most_specific(paths):
                        entries.add("fact", None, p, field_label(p), c)
                    continue
                name = m.path.split("[]", 1)[0] if "[]." in m.path and not m.path.startswith("item.") else None
                leaves = _leaves({p[len(name) + 3:] for listed, read in judged if listed == name for p in read
                                  if p.startswith(f"{name}[].")}, f"{name}.") if name else []
                said: dict[tuple[str, ...], list[tuple[str, Text]]] = {}  # what items lacking the same facts are told
                for ident in m.items:
                    row = item_of(name, ident) if leaves else None
                    lacks = tuple(_unstated(row, leaves)) if row is not None else ()
                    told = said.get(lacks)
                    if told is None:
                        found = _most_specific([m.path, *(f"{name}[].{p}" for p in lacks)])
                        told = said[lacks] = [(p, field_label(p)) for p in found]
                    for p, label in told:
                        entries.add("fact", ident, p, label, c)
        for e in c.evidence:
            if e.status == "missing":
                entries.add("attachment", e.kind, "attachments[].kind", ATTACHMENT, c)
            elif e.status == "stale":  # a newer document of the kind: the one found is too old for the rule
                rule = e.rule or Text(ko="—", en="—")
                entries.add("attachment", e.kind, "attachments[].kind", Text(
                    ko=f"첨부 증적 갱신 필요({e.dated} 작성, {e.age_days:,}일 경과; 기준: {rule.ko})",
                    en=f"attachment to renew (dated {e.dated}, {e.age_days:,} days old; rule: {rule.en})"), c)
            elif e.status == "undated":  # the duty recurs: the document's date shows whether it is recent enough
                rule = e.rule or Text(ko="—", en="—")
                entries.add("attachment", e.kind, "attachments[].dated", Text(
                    ko=f"첨부 증적 작성일 기재 필요(기준: {rule.ko})", en=f"date of the attachment (rule: {rule.en})"), c)
    return _finish(entries, catalogs)


def _of_items(path: str, root: dict | None) -> bool:
    """Whether a fact an item lacks is the item's own (``systems[].network_zone``, ``item.x``) or read through a list
    (``handlers.left_on`` of a credential's owner), rather than a top-level fact its condition read (``organization.x``),
    which is one fact, not one per item."""
    if "[]" in path or path.startswith("item."):
        return True
    first = path.split(".", 1)[0]
    return root is not None and isinstance(root.get(first), list)


def _top_level(paths: Iterable[str]) -> list[str]:
    return sorted(p for p in paths if "[]" not in p and p != "as_of")


def attestation_label(path: str) -> Text | None:
    """The attestation check's notes on a missing fact ('attestations[].date within 365d before 2026-11-30', '… (a
    submitted document)') said in each language; None for any other path."""
    field, _, note = path.partition(" ")
    if not note or not field.startswith("attestations[]."):
        return None
    label = field_label(field)
    within = _WITHIN.match(note)
    if within:
        days = re.sub(r"^(\d+)d$", r"\1일", within["within"])
        return Text(ko=f"{label.ko}({within['date']} 이전 {days} 이내)",
                    en=f"{label.en} (within {within['within']} before {within['date']})")
    if note == "(a submitted document)":
        return Text(ko=f"{label.ko}(제출되어 확인된 첨부)", en=f"{label.en} (of an attachment submitted and found)")
    return None


def _attestation(entries: _Entries, c: ControlResult, ch, path: str) -> None:
    """The attestation check's missing facts: the whole attestation, or its attester, date or document."""
    row = _ATTESTATION_ROW.match(path)
    if row:
        what = ch.description
        entries.add("attestation", c.id, "attestations[]", Text(ko=f"확인서: {what.ko}", en=f"attestation: {what.en}"), c)
        return
    field = path.partition(" ")[0]
    label = attestation_label(path) or field_label(field)
    entries.add("attestation", c.id, field, label, c)


def _finish(entries: _Entries, catalogs: list[CatalogInfo]) -> list[TodoItem]:
    order = {cat.id: n for n, cat in enumerate(catalogs)}

    def place(c: ControlResult) -> tuple:
        return (order.get(c.catalog, len(order)), c.ref.order, c.id)

    needs: dict[tuple[str, ...], tuple[tuple, Text, list[str]]] = {}  # the controls of an entry -> (first place, provision, ids)
    rows = []
    natural: dict[str | None, tuple] = {}
    for (kind, item, field, _distinct), (label, by_id) in entries.by_key.items():
        key = tuple(by_id)
        need = needs.get(key)
        if need is None:
            ctls = sorted(by_id.values(), key=place)
            need = needs[key] = (place(ctls[0]), Text(ko=_cite(ctls, "ko"), en=_cite(ctls, "en")), [c.id for c in ctls])
        order_of_item = natural.get(item)
        if order_of_item is None:
            order_of_item = natural[item] = _natural(item)
        rows.append((need[0], order_of_item, field, KINDS.index(kind), kind, item, label, need))
    rows.sort(key=lambda r: r[:4])
    return [_item(kind, item, label, field, need[1], list(need[2])) for _, _, field, _, kind, item, label, need in rows]


_new, _set = object.__new__, object.__setattr__
_FIELDS = {"kind", "item", "label", "field", "provision", "controls"}


def _item(kind: str, item: str | None, label: Text, field: str, provision: Text, controls: list[str]) -> TodoItem:
    """A TodoItem from values already checked, built as ``model_construct`` would without its per-call work (a file
    of 100,000 handlers lacking four facts each has 400,000 entries)."""
    t = _new(TodoItem)
    _set(t, "__dict__", {"kind": kind, "item": item, "label": label, "field": field, "provision": provision,
                         "controls": controls})
    _set(t, "__pydantic_fields_set__", _FIELDS)
    _set(t, "__pydantic_extra__", None)
    _set(t, "__pydantic_private__", None)
    return t


def _cite(ctls: list[ControlResult], lang: str) -> str:
    """The controls' provisions, the instrument named once: '「개인정보의 안전성 확보조치 기준」 제6조제1항, 제8조제1항'."""
    groups: dict[str, list[str]] = {}
    for c in ctls:
        full = getattr(c.cite, lang)
        ref = c.ref.cite(lang)
        prefix = full[: -len(ref)].rstrip() if full.endswith(ref) else full
        shown = groups.setdefault(prefix, [])
        part = ref if full.endswith(ref) else ""
        if part not in shown:
            shown.append(part)
    return ", ".join(f"{prefix} {', '.join(p for p in parts if p)}".strip() for prefix, parts in groups.items())


# ------------------------------------------------------------------------------------------ as check --todo says it


def line(entry: TodoItem, lang: str) -> str:
    """``sys-crm · 네트워크 구간 · systems[].network_zone · 「개인정보의 안전성 확보조치 기준」 제6조제1항``"""
    return " · ".join((entry.item or "—", getattr(entry.label, lang), entry.field, getattr(entry.provision, lang)))


def count(todo: list[TodoItem]) -> dict[str, int]:
    return {k: sum(1 for e in todo if e.kind == k) for k in KINDS}


def text(todo: list[TodoItem], lang: str | None = None) -> str:
    """The list ``check --todo`` prints: one line per entry, then how many (values from the facts made inert)."""
    from compliance.i18n import _, current
    from compliance.loading import inert

    lang = lang or current()
    lines = [line(e, lang) for e in todo]
    n = count(todo)
    if todo:
        lines += ["", _("{total} missing — facts {facts}, attestations {attestations}, attachments {attachments}").format(
            total=len(todo), facts=n["fact"], attestations=n["attestation"], attachments=n["attachment"])]
    else:
        lines.append(_("nothing is missing: every fact, attestation and attachment the audit needs is stated"))
    return "".join(inert(x) + "\n" for x in lines)
