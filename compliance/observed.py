"""Observed facts: what a tool's output shows, written by ``pipa-audit import`` and listed by a facts file.

The document keeps its provenance — the importer's kind and the tool and format it read, the source file's name,
SHA-256 and size, the identity map's — and each row's location in the source, so every finding built on it cites
where it came from. Its rows are validated by the facts model's own row types when written and again when read,
so an observed fact means exactly what the same stated fact means.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from compliance.importers import IdentityMap, Observed
from compliance.loading import InputError, Problem, fail, located, read_bytes

FORMAT = 1
MAX_IMPORT_BYTES = 512 * 1024 * 1024
"""A tool output larger than this is refused (a 1M-line Wazuh alerts file is about 1 KB a line: split it by month)."""
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
    lists: dict[str, list[dict[str, Any]]] = Field(default_factory=dict, description="rows of handlers, accounts, credentials, secrets; each with '_at'")
    systems: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per system id: System facts, lists' rows with '_at', and '_at' per scalar")
    unmapped: list[UnmappedRow] = Field(default_factory=list, description="rows whose identity maps to no facts id: listed, never dropped")
    notes: list[str] = Field(default_factory=list, description="what the format cannot tell (left unknown, not guessed)")


def _row_models():
    from compliance import facts as f

    return {"handlers": f.Handler, "accounts": f.Account, "credentials": f.Credential, "secrets": f.Secret,
            "components": f.Component, "vulnerabilities": f.Vulnerability, "alerts": f.Alert}


def _scalar_fields() -> dict[str, Any]:
    from compliance.facts import System

    return {k: v for k, v in System.model_fields.items() if k not in SYSTEM_LISTS and k != "id"}


def check_rows(doc: ObservedDocument, name: str) -> list[Problem]:
    """Every row as the facts model reads it: a field it lacks, a value of the wrong type, is a problem here."""
    models, problems = _row_models(), []
    for lst, rows in [*doc.lists.items(), *((k, v) for s in doc.systems.values() for k, v in s.items() if k in SYSTEM_LISTS)]:
        model = models.get(lst)
        if model is None:
            problems.append(Problem(name, 0, f"no list {lst!r} in observed facts (lists: {', '.join(LISTS + SYSTEM_LISTS)})"))
            continue
        for row in rows:
            body = {k: v for k, v in row.items() if k != "_at"}
            try:
                model.model_validate(body)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                where = ".".join(str(x) for x in err["loc"])
                problems.append(Problem(name, 0, f"{lst} row from {row.get('_at', '?')}: {where}: {err['msg']}"))
    scalars = _scalar_fields()
    for sid, facts in doc.systems.items():
        for k in facts:
            if k not in scalars and k not in SYSTEM_LISTS and k != "_at":
                problems.append(Problem(name, 0, f"systems.{sid}.{k}: not a fact of a system"))
    return problems


def document(kind: str, observed: Observed, source: str, data: bytes, ids: IdentityMap) -> ObservedDocument:
    """The document ``import`` writes for what ``kind``'s importer observed in ``data``."""
    systems: dict[str, dict[str, Any]] = {}
    for sid, facts in observed.systems.items():
        systems[sid] = {**facts, **({"_at": observed.system_at[sid]} if observed.system_at.get(sid) else {})}
    doc = ObservedDocument(
        kind=kind,
        tool=observed.tool,
        format_version=observed.format_version,
        source=SourceInfo(name=Path(source).name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),
        identities=SourceInfo(name=Path(ids.path).name, sha256=ids.sha256, size=0) if ids.path and ids.sha256 else None,
        lists={k: [{**r.fields, "_at": r.at} for r in rows] for k, rows in observed.lists.items()},
        systems=systems,
        unmapped=[UnmappedRow(at=u.at, identity=u.identity, reason=u.reason) for u in observed.unmapped],
        notes=observed.notes,
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
        raise fail(path, f"an identity map holds 'handlers:' and 'systems:' mappings only{f' (not {extra[0]!r})' if extra else ''}", 1)
    out = {}
    for key in ("handlers", "systems"):
        section = data.get(key) or {}
        if not isinstance(section, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in section.items()):
            raise fail(path, f"{key}: map each tool identity (text) to a facts id (text)", 1)
        out[key] = section
    return IdentityMap(out["handlers"], out["systems"], str(path), hashlib.sha256(text.encode("utf-8")).hexdigest())


def read_document(path: str | Path) -> ObservedDocument:
    """An observed-facts document as ``import`` wrote it; anything else is one located line."""
    from compliance.loading import load

    data, text = load(path, as_json=True)
    if not isinstance(data, dict) or "pipa_audit_observed" not in data:
        raise fail(path, "not observed facts (written by 'pipa-audit import'): no 'pipa_audit_observed' key", 1)
    try:
        doc = ObservedDocument.model_validate(data)
    except ValidationError as exc:
        raise located(path, text, exc) from None
    if doc.pipa_audit_observed != FORMAT:
        raise fail(path, f"observed facts of format {doc.pipa_audit_observed}; this version reads {FORMAT}: import again", 1)
    problems = check_rows(doc, str(path))
    if problems:
        raise InputError(problems)
    return doc


def read_source(path: str | Path) -> bytes:
    """The tool's output, bounded and a regular file (a FIFO or /dev/zero is refused), noted as an input."""
    return read_bytes(path)


SCHEMA = TypeAdapter(ObservedDocument)
