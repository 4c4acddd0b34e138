"""Observed facts: what a tool's output shows, written by ``pipa-audit import`` and listed by a facts file.

The document keeps its provenance — the importer's kind and the tool and format it read, the source file's name,
SHA-256 and size, the identity map's — and each row's location in the source, so every finding built on it cites
where it came from. Its rows are validated by the facts model's own row types when written and again when read,
so an observed fact means exactly what the same stated fact means.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.i18n import _
from compliance.importers import IdentityMap, Observed
from compliance.loading import InputError, Problem, fail, located, read_bytes

FORMAT = 1
MAX_IMPORT_BYTES = 512 * 1024 * 1024
"""A tool output larger than this is refused (a 1M-line Wazuh alerts file is about 1 KB a line: split it by month)."""

MAX_IMPORT_CONTAINERS = 10_000_000
"""Objects and arrays a tool's JSON document may open, counted on the bytes before parsing (an overcount: brackets in
text count too). Python holds each in 200 bytes or more, so 512 MiB of '{},' would be 170M of them, tens of GB; a
100,000-finding Trivy report holds about 1.5M. JSON lines and CSV are read a line at a time and need no bound."""
LINE_FORMATS = frozenset({"aws-iam-credential-report", "trufflehog", "wazuh-alerts"})


def bound_containers(kind: str, data: bytes, name: str) -> None:
    """Refuse a JSON document that would open more objects and arrays than MAX_IMPORT_CONTAINERS, before parsing."""
    if kind in LINE_FORMATS:
        return
    opened = data.count(b"{") + data.count(b"[")
    if opened > MAX_IMPORT_CONTAINERS:
        raise fail(name, _("opens {opened} objects and arrays, more than the {limit} an import may read at once (each "
                           "costs memory): export it in parts, e.g. per target or per page").format(
            opened=f"{opened:,}", limit=f"{MAX_IMPORT_CONTAINERS:,}"))
LISTS = ("handlers", "accounts", "credentials", "secrets")
SYSTEM_LISTS = ("components", "vulnerabilities", "alerts")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceInfo(_Strict):
    name: str = Field(description="the file read, as named on the command line (its folder left out)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class UnmappedRow(_Strict):
    at: str = Field(description="where in the source: file:line or file#/json/pointer")
    identity: str = Field(description="the tool's name for the identity (never a secret)")
    reason: str


class ObservedDocument(_Strict):
    """What ``pipa-audit import`` writes (``pipa-audit schema observed``)."""

    pipa_audit_observed: int = Field(FORMAT, description="version of this document's format")
    kind: str = Field(description="the importer, e.g. aws-iam-credential-report")
    tool: str = Field(description="the tool and output format read, e.g. 'AWS IAM credential report (CSV)'")
    format_version: str | None = Field(None, description="the format's own version, where the output states one")
    source: SourceInfo
    identities: SourceInfo | None = Field(None, description="the identity map used (tool identity -> facts id)")
    before: SourceInfo | None = Field(None, description="the earlier scan compared with this one (--before), which dates the fixes")
    lists: dict[str, list[dict[str, Any]]] = Field(default_factory=dict, description="rows of handlers, accounts, credentials, secrets; each with '_at'")
    systems: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per system id: System facts, lists' rows with '_at', and '_at' per scalar")
    unmapped: list[UnmappedRow] = Field(default_factory=list, description="rows whose identity maps to no facts id: listed, never dropped")
    notes: list[str] = Field(default_factory=list, description="what the format cannot tell (left unknown, not guessed)")
    proxies: list[str] = Field(default_factory=list, description="'list.field' given by a stand-in: fills an unknown, never contradicts a statement")


def _row_models():
    from compliance import facts as f

    return {"handlers": f.Handler, "accounts": f.Account, "credentials": f.Credential, "secrets": f.Secret,
            "components": f.Component, "vulnerabilities": f.Vulnerability, "alerts": f.Alert}


def check_rows(doc: ObservedDocument, name: str) -> list[Problem]:
    """Every row as the facts model reads it: a field it lacks, a value of the wrong type, is a problem here."""
    models, problems = _row_models(), []
    for lst, rows in [*doc.lists.items(), *((k, v) for s in doc.systems.values() for k, v in s.items() if k in SYSTEM_LISTS)]:
        model = models.get(lst)
        if model is None:
            problems.append(Problem(name, 0, _("no list {name} in observed facts (lists: {lists})").format(
                name=repr(lst), lists=", ".join(LISTS + SYSTEM_LISTS))))
            continue
        for row in rows:
            body = {k: v for k, v in row.items() if k != "_at"}
            try:
                model.model_validate(body)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                where = ".".join(str(x) for x in err["loc"])
                problems.append(Problem(name, 0, _("{list} row from {at}: {field}: {reason}").format(
                    list=lst, at=row.get("_at", "?"), field=where, reason=err["msg"])))
    from compliance.facts import System

    for sid, facts in doc.systems.items():  # scalars too, as the evaluator will read them: a name or a type
        body = {k: v for k, v in facts.items() if k not in SYSTEM_LISTS and k != "_at"}
        try:
            System.model_validate({"id": sid, **body})
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(str(x) for x in err["loc"])
            why = _("not a fact of a system") if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(name, 0, f"systems.{sid}.{where}: {why}"))
    return problems


def document(kind: str, observed: Observed, source: str, data: bytes, ids: IdentityMap,
             before: tuple[str, bytes] | None = None) -> ObservedDocument:
    """The document ``import`` writes for what ``kind``'s importer observed in ``data``."""
    systems: dict[str, dict[str, Any]] = {}
    for sid, facts in observed.systems.items():
        systems[sid] = {**facts, **({"_at": observed.system_at[sid]} if observed.system_at.get(sid) else {})}
    doc = ObservedDocument(
        kind=kind,
        tool=observed.tool,
        format_version=observed.format_version,
        source=SourceInfo(name=Path(source).name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),
        identities=SourceInfo(name=Path(ids.path).name, sha256=ids.sha256, size=ids.size) if ids.path and ids.sha256 else None,
        before=SourceInfo(name=Path(before[0]).name, sha256=hashlib.sha256(before[1]).hexdigest(), size=len(before[1])) if before else None,
        lists={k: [{**r.fields, "_at": r.at} for r in rows] for k, rows in observed.lists.items()},
        systems=systems,
        unmapped=[UnmappedRow(at=u.at, identity=u.identity, reason=u.reason) for u in observed.unmapped],
        notes=observed.notes,
        proxies=observed.proxies,
    )
    problems = check_rows(doc, source)
    if problems:  # an importer's bug, or a source the importer misread: never a document the evaluator would refuse
        raise InputError(problems)
    return doc


def load_identity_map(path: str | Path | None) -> IdentityMap:
    """``handlers:`` and ``systems:`` mappings of tool identities (text) to facts ids; absent: an empty map."""
    if path is None:
        return IdentityMap()
    from compliance.loading import load

    data, text = load(path)
    if not isinstance(data, dict) or set(data) - {"handlers", "systems"}:
        extra = sorted(set(data) - {"handlers", "systems"}) if isinstance(data, dict) else []
        if extra:
            raise fail(path, _("an identity map holds 'handlers:' and 'systems:' mappings only (not {key})").format(key=repr(extra[0])), 1)
        raise fail(path, _("an identity map holds 'handlers:' and 'systems:' mappings only"), 1)
    out = {}
    for key in ("handlers", "systems"):
        section = data.get(key) or {}
        if not isinstance(section, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in section.items()):
            raise fail(path, _("{key}: map each tool identity (text) to a facts id (text)").format(key=key), 1)
        out[key] = section
    raw = text.encode("utf-8")
    return IdentityMap(out["handlers"], out["systems"], str(path), hashlib.sha256(raw).hexdigest(), len(raw))


def read_document(path: str | Path) -> ObservedDocument:
    """An observed-facts document as ``import`` wrote it; anything else is one located line."""
    return parse_document(read_bytes(path, MAX_IMPORT_BYTES), str(path))




# ------------------------------------------------------------------------------------ observed beside stated

KEYS = {"components": ("name",), "vulnerabilities": ("id", "component"), "alerts": ("id",)}


@dataclass
class Disagreement:
    """A fact the organisation states one way and a tool's output shows another: both are reported."""

    path: str  # the fact's path as the catalogs' checks read it, e.g. 'credentials[].revoked_on'
    item: str  # the row's id (or system id)
    field: str
    stated: Any
    observed: Any
    at: str  # where the observed value stands in the tool's output


def dumps(doc: ObservedDocument) -> bytes:
    """The document as JSON a reviewer can diff: one row per line (Python's C encoder for each; an indented dump of
    the whole took longer than the import itself)."""
    import json

    data = doc.model_dump(mode="json", exclude_none=True)
    enc = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731

    def rows(items: list) -> str:
        return "[]" if not items else "[\n" + ",\n".join("  " + enc(r) for r in items) + "\n ]"

    parts = []
    for key, value in data.items():
        if key == "lists":
            body = "{" + ",".join(f"\n {enc(k)}: {rows(v)}" for k, v in value.items()) + ("\n}" if value else "}")
        elif key == "systems":
            body = "{" + ",".join(
                f"\n {enc(sid)}: {{" + ",".join(f"\n  {enc(k)}: {rows(v) if isinstance(v, list) else enc(v)}" for k, v in facts.items())
                + "\n }" for sid, facts in value.items()) + ("\n}" if value else "}")
        elif key in ("unmapped", "notes"):
            body = rows(value)
        else:
            body = enc(value)
        parts.append(f"{enc(key)}: {body}")
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def parse_document(data: bytes, name: str) -> ObservedDocument:
    """``read_document`` for bytes already read (under the evidence folder's rules)."""
    from compliance.loading import parse

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(name, _("not UTF-8 text (byte {offset})").format(offset=exc.start)) from None
    raw = parse(text, name, as_json=True)
    if not isinstance(raw, dict) or "pipa_audit_observed" not in raw:
        raise fail(name, _("not observed facts (written by 'pipa-audit import'): no 'pipa_audit_observed' key"), 1)
    try:
        doc = ObservedDocument.model_validate(raw)
    except ValidationError as exc:
        raise located(name, text, exc) from None
    if doc.pipa_audit_observed != FORMAT:
        raise fail(name, _("observed facts of format {found}; this version reads {expected}: import again").format(
            found=doc.pipa_audit_observed, expected=FORMAT), 1)
    problems = check_rows(doc, name)
    if problems:
        raise InputError(problems)
    return doc


def _evaluation_row(body: dict, model) -> dict:
    """An observed row in the form the evaluator reads stated rows in (compliance.facts.to_evaluation_dict)."""
    from compliance.facts import _normalise

    row = model.model_validate({k: v for k, v in body.items() if k != "_at"}).model_dump(exclude_unset=True, exclude_none=True)
    _normalise(row, model)
    row["_at"] = body.get("_at", "")
    return row


def _merge_rows(stated: list, observed: list[dict], key: tuple[str, ...], path: str, out: list[Disagreement],
                proxies: frozenset = frozenset()) -> None:
    """Observed rows join the stated list; a row stated with the same key takes what the tool shows, and every value
    the two tell differently is a disagreement (an unknown on either side is not one: it is filled in). A field the
    format gives by a stand-in (``proxies``) only fills an unknown."""
    index = {tuple(r.get(k) for k in key): r for r in stated if isinstance(r, dict)}
    for row in observed:
        mine = index.get(tuple(row.get(k) for k in key))
        if mine is None:
            stated.append(row)
            continue
        for f, value in row.items():
            if f in key or f == "_at":
                continue
            if f in proxies and f in mine:
                continue  # a stand-in never overrides, nor contradicts, what is stated
            if f in mine and mine[f] != value:
                out.append(Disagreement(f"{path}[].{f}", str(row.get(key[0])), f, mine[f], value, row["_at"]))
            mine[f] = value
        mine["_at"] = row["_at"]


def _system_scalars(sid: str, facts: dict) -> dict:
    """A system's observed scalar facts (and nested objects such as access_log) in evaluation form."""
    from compliance.facts import System, _normalise

    body = {k: v for k, v in facts.items() if k not in SYSTEM_LISTS and k != "_at"}
    if not body:
        return {}
    row = System.model_validate({"id": sid, **body}).model_dump(exclude_unset=True, exclude_none=True)
    _normalise(row, System)
    row.pop("id")
    return row


def merge(root: dict, docs: list[tuple[str, ObservedDocument]]) -> tuple[list[Disagreement], list[tuple[str, str]]]:
    """Put what the documents observed beside what ``root`` states (the evaluation form); returns the disagreements
    and, as (document path, message), each system id a document names that the facts do not list."""
    models, out, unknown_systems = _row_models(), [], []
    for name, doc in docs:
        for lst, rows in doc.lists.items():
            observed = [_evaluation_row(r, models[lst]) for r in rows]
            proxies = frozenset(p.split(".", 1)[1] for p in doc.proxies if p.startswith(lst + "."))
            _merge_rows(root.setdefault(lst, []), observed, ("id",), lst, out, proxies)
        systems = {s.get("id"): s for s in root.get("systems") or [] if isinstance(s, dict)}
        for sid, facts in doc.systems.items():
            system = systems.get(sid)
            if system is None:
                unknown_systems.append((name, _("{document} names system '{system}', which the facts' systems do not "
                                                "list (map the tool's target to a listed system id, or list the system)")
                                        .format(document=name, system=sid)))
                continue
            where = facts.get("_at") or {}
            for f, value in facts.items():
                if f in SYSTEM_LISTS:
                    observed = [_evaluation_row(r, models[f]) for r in value]
                    _merge_rows(system.setdefault(f, []), observed, KEYS[f], f"systems[].{f}", out)
            scalars = _system_scalars(sid, facts)
            for f, value in scalars.items():
                pairs = [(f"{f}.{k}", system.setdefault(f, {}), k, v) for k, v in value.items()] if isinstance(value, dict) else [(f, system, f, value)]
                for dotted, holder, key, v in pairs:
                    if key in holder and holder[key] != v:
                        out.append(Disagreement(f"systems[].{dotted}", sid, dotted, holder[key], v, where.get(dotted, where.get(f, name))))
                    holder[key] = v
    return out, unknown_systems


def read_listed(facts, facts_path: str, text: str):
    """The documents a facts file lists under ``observed:``, read under the attachments' rules (inside the facts
    file's folder, no link followed, bounded, hashed): (documents, evidence-manifest entries, problems)."""
    from compliance.evidence import AttachmentStatus, read_stated
    from compliance.located import Document

    doc, root = Document(facts_path, text), Path(facts_path).parent
    docs, statuses, problems = [], [], []
    for i, ref in enumerate(facts.observed or []):
        try:
            data, digest = read_stated(doc, ("observed", i), root, ref.path, ref.sha256, MAX_IMPORT_BYTES, "observed facts")
        except InputError as exc:
            problems += exc.problems
            continue
        shown = str(root / ref.path) if str(root) not in ("", ".") else ref.path
        try:
            observed = parse_document(data, shown)
        except InputError as exc:
            problems += exc.problems
            continue
        docs.append((ref.path, observed))
        rows = sum(len(v) for v in observed.lists.values()) + sum(
            len(v) for s in observed.systems.values() for k, v in s.items() if k in SYSTEM_LISTS)
        unmapped = f"; {len(observed.unmapped)} rows whose identity maps to no id (first: {observed.unmapped[0].at} {observed.unmapped[0].identity})" if observed.unmapped else ""
        note = (f"{observed.tool}: {rows} rows from {observed.source.name} (sha256 {observed.source.sha256[:12]}…)"
                f"{unmapped}")
        statuses.append(AttachmentStatus(f"observed:{ref.path}", "observed-facts", ref.path, "ok", digest, len(data), note, None))
    _READ[facts_path] = docs
    return docs, statuses, problems


_READ: dict[str, list] = {}


def listed(facts_path: str) -> list:
    """The documents ``read_listed`` read for this facts file in this run (read once: what was hashed is what counts)."""
    return _READ.get(facts_path, [])


def with_observed(facts, facts_path: str, text: str):
    """``facts`` with the rows its observed documents add to its lists (a row stated with the same id is kept as
    stated: the comparison of the two is the evaluator's), for the access-record analyses, which name principals
    (accounts and credentials) and their holders from the facts."""
    docs, _statuses, problems = read_listed(facts, facts_path, text)
    if problems:
        raise InputError(problems)
    models, update = _row_models(), {}
    for lst in LISTS:
        rows = [r for _path, doc in docs for r in doc.lists.get(lst, [])]
        if not rows:
            continue
        stated = list(getattr(facts, lst) or [])
        known = {r.id for r in stated}
        for r in rows:
            if r["id"] not in known:
                known.add(r["id"])
                stated.append(models[lst].model_validate({k: v for k, v in r.items() if k != "_at"}))
        update[lst] = stated
    return facts.model_copy(update=update)
