"""The evidence template ``pipa-audit init`` writes: every fact the catalogs read and everything the report
shows, commented in Korean and English with the provisions it serves.

- Leaves are left empty (null = unknown), so an unfilled template evaluates to ``insufficient-evidence``
  everywhere, never to a pass.
- Besides the facts the checks read, it asks for what the report prints (audit period, auditor, scope, what
  was not examined, the privacy officer, system names, the remediation plan, revenue — which only sets the
  statutory maximum), one attestation entry per control judged on an attestation (naming the control and what
  to attest), and lists the evidence kinds the controls expect.
- Its first line is a ``yaml-language-server`` modeline naming ``facts.schema.json``, which ``init`` writes
  beside the template (the same schema as ``pipa-audit schema facts``): a relative file, so completion and
  validation work offline and match the installed version.
- ``render_template(catalogs, existing)`` re-generates it around a facts file already filled (``init --from``):
  every stated value is kept (as stated, in the model's order), and what the catalogs need that the file does
  not state appears commented out, so the re-generated file states exactly the same facts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict

from pydantic import BaseModel

from compliance.catalog import Catalog
from compliance.expr import type_of_annotation
from compliance.facts import Facts

SCHEMA_FILE = "facts.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"

REPORT = "보고서/report"
LOGS = "접속기록 분석/logs analyze"
# what the access-record analysis reads that no check reads
LOGS_FIELDS = (
    "working_calendar.holidays.date", "working_calendar.holidays.name", "working_calendar.workdays",
    "working_calendar.working_hours.start", "working_calendar.working_hours.end",
)
# what the report shows that no check reads
REPORT_FIELDS = (
    "period_start", "auditor", "scope", "not_examined", "systems.name", "organization.revenue_krw",
    *(f"privacy_officer.{f}" for f in ("name", "position", "designated_on", "executive", "reports_to", "duties", "attachment")),
    *(f"remediation_plan.{f}" for f in ("control", "action", "owner", "due", "status")),
    "observed.path", "observed.sha256",
)
NOTES = {
    "organization.revenue_krw": "선택: 판정에는 쓰이지 않고 보고서의 과징금 법정 상한 계산에만 쓰임 / optional: no verdict depends on it; "
    "it only sets the statutory maximum (a legal cap, not an expected fine) the report may show",
    "remediation_plan": "보고서의 개선 계획: 항목 ID별 조치·담당·기한 / the report's remediation plan, per control",
    "observed": "도구 출력에서 가져온 사실: pipa-audit import KIND FILE --map identities.yaml -o evidence/observed/x.json / "
    "facts observed in your tools' outputs, written by pipa-audit import",
}


def _needs(catalogs: list[Catalog]) -> dict[str, list[str]]:
    """Model path ('handlers.left_on') -> citations of the controls that read it (or 'report')."""
    out: dict[str, list[str]] = defaultdict(list)

    def add(path: str, cite: str) -> None:
        parts = path.replace("[]", "").split(".")
        for i in range(1, len(parts) + 1):
            key = ".".join(parts[:i])
            if cite not in out[key]:
                out[key].append(cite)

    for cat in catalogs:
        for ctl in cat.controls:
            cite = ctl.cite("ko")
            evidence = ["attachments.sha256"] if ctl.control.evidence or ctl.control.attestation else []
            if ctl.control.attestation:
                evidence += [f"attestations.{f}" for f in ("attester", "role", "date", "attachment", "met", "statement")]
            for path in [*ctl.fact_paths, *evidence]:
                add(path, cite)
    for path in REPORT_FIELDS:
        add(path, REPORT)
    for path in LOGS_FIELDS:
        add(path, LOGS)
    return out


def _extra(field) -> dict:
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def _scalar(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------------------------------ values as YAML

_PLAIN = re.compile(r"^[A-Za-z\uac00-\ud7a3][A-Za-z0-9\uac00-\ud7a3 _./()+-]*$")
_RESERVED = re.compile(r"^(?:y|n|yes|no|on|off|true|false|null|nan|inf)$", re.IGNORECASE)


def _flow(value) -> str:
    """One value as YAML flow text that loads back to the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        if _PLAIN.match(value) and not value.endswith(" ") and not _RESERVED.match(value):
            return value
        text = json.dumps(value, ensure_ascii=False)
        if text.isprintable():
            return text
        # YAML reads a raw U+0085, U+2028 or U+2029 inside quotes as a line break (folded to a space): escaped
        return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in text)
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _nested(value) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value))


def _block(value: dict, indent: str, lines: list[str], first: str | None = None) -> None:
    """A mapping in block style (flow for flat values); ``first`` prefixes its first line ('- ')."""
    for n, (k, v) in enumerate(value.items()):
        lead = indent + (first if first is not None and n == 0 else "  " * (first is not None))
        inner = indent + "  " * (first is not None)
        if isinstance(v, dict) and v:
            lines.append(f"{lead}{_flow(str(k))}:")
            _block(v, inner + "  ", lines)
        elif isinstance(v, list) and any(isinstance(x, dict) for x in v):
            lines.append(f"{lead}{_flow(str(k))}:")
            _rows(v, inner + "  ", lines)
        else:
            lines.append(f"{lead}{_flow(str(k))}: {_flow(v)}" if v is not None else f"{lead}{_flow(str(k))}:")
    if not value:
        lines.append(f"{indent}{first or ''}{{}}")


def _rows(items: list, indent: str, lines: list[str]) -> None:
    for item in items:
        if isinstance(item, dict) and any(_nested(v) for v in item.values()):
            _block(item, indent, lines, "- ")
        else:
            lines.append(f"{indent}- {_flow(item)}")


# ------------------------------------------------------------------------------------ the template


def _emit(model: type[BaseModel], prefix: str, indent: str, needs, lines: list[str], row: str | None, data=None, ctx=None) -> None:
    """Write ``model``'s needed fields. ``row`` is None at top level, else the text after '# '
    that starts a commented line ('- ' for an example row's first key, '  ' after, '' for a
    commented mapping). ``data``: the values stated at this level (``init --from``), kept as stated;
    with ``data``, fields not stated are written commented out."""
    stated_keys = set(data) if isinstance(data, dict) else set()
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{name}"
        extra = _extra(field)
        stated = key in stated_keys
        if not stated and path not in needs and extra.get("absent") != "error":
            continue
        t = type_of_annotation(field.annotation)
        comment = f"{extra.get('ko', '')} — {field.description or ''}"
        if extra.get("absent") == "none":
            comment += " (생략 = 없음 / omit = none)"
        elif extra.get("absent") == "default":
            comment += " (생략 = 기본값 / omit = the default)"
        if "example" in extra:
            comment += f" · 예/e.g. {_scalar(extra['example'])}"
        this_row = row
        if row is None and data is not None and not stated:
            this_row = ""  # --from: a field the file does not state is offered commented out
        lead = indent if this_row is None else f"{indent}# {this_row}"
        if row is not None and row.endswith("- "):
            row = row[:-2] + "  "
        child_row = None if this_row is None else this_row + "  "
        basis = needs.get(path, [])
        if row is None:
            lines.append(f"{indent}# {comment}")
            if path in NOTES:
                lines.append(f"{indent}#   {NOTES[path]}")
            if basis:
                lines.append(f"{indent}#   근거/basis: {', '.join(basis[:6])}{' …' if len(basis) > 6 else ''}")
            comment = ""
        suffix = f"   # {comment}" if comment else ""
        value = data.get(key) if stated else None
        if stated and row is None:
            _stated(name, value, t, path, indent, needs, lines, ctx)
        elif path == "attestations" and row is None and ctx is not None:
            lines.append(f"{lead}{name}:   # 항목별 확인서: 이름·일자·근거 첨부를 채우십시오 / one per control: fill attester, date, attachment")
            _attestations(ctx, indent, lines, commented=data is not None)
        elif t.kind == "object" and t.model is not None:
            lines.append(f"{lead}{name}:{suffix}")
            _emit(t.model, path + ".", indent + ("  " if this_row is None else ""), needs, lines, child_row)
        elif t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
            lines.append(f"{lead}{name}:{suffix or '   # 예시 행의 주석을 풀어 채우십시오 / uncomment and fill rows like this'}")
            _emit(t.elem.model, path + ".", indent, needs, lines, (this_row or "") + "  - ")
        else:
            lines.append(f"{lead}{name}:{suffix}")
        if path == "attachments" and row is None and ctx is not None:
            _evidence_kinds(ctx, value if stated else None, lines)
        if row is None and not prefix:
            lines.append("")
    for key in [k for k in stated_keys if k not in {f.alias or n for n, f in model.model_fields.items()}]:
        lines.append(f"{indent}# 사실 모델에 없는 항목(철자 확인) / not in the facts model (check the spelling)")
        _block({key: data[key]}, indent, lines)
        if not prefix:
            lines.append("")


def _stated(name: str, value, t, path: str, indent: str, needs, lines: list[str], ctx) -> None:
    """A field the file states, kept as stated; new fields of its rows offered as a commented example row."""
    if t.kind == "object" and t.model is not None and isinstance(value, dict):
        lines.append(f"{indent}{name}:")
        _emit(t.model, path + ".", indent + "  ", needs, lines, None, value, ctx)
    elif isinstance(value, list) and t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
        lines.append(f"{indent}{name}:" if value else f"{indent}{name}: []")
        _rows(value, indent + "  ", lines)
        if path == "attestations" and ctx is not None:
            _attestations(ctx, indent, lines, commented=True, stated={a.get("control") for a in value if isinstance(a, dict)})
        else:
            lines.append(f"{indent}#   예시 행 / example row:")
            _emit(t.elem.model, path + ".", indent, needs, lines, "  - ")
    elif isinstance(value, dict) and value:
        lines.append(f"{indent}{name}:")
        _block(value, indent + "  ", lines)
    else:
        lines.append(f"{indent}{name}: {_flow(value)}" if value is not None else f"{indent}{name}:")


class _Ctx:
    """What the catalogs expect: controls judged on an attestation, and evidence kinds."""

    def __init__(self, catalogs: list[Catalog]):
        superseded = {s for c in catalogs for s in getattr(c.meta, "supersedes", None) or []}
        current = [c for c in catalogs if c.meta.id not in superseded] or catalogs
        self.attest: dict[str, object] = {}
        self.kinds: dict[str, list[str]] = defaultdict(list)
        for cat in current:
            for ctl in cat.controls:
                c = ctl.control
                if c.attestation is not None:
                    self.attest.setdefault(c.id, ctl)
                for kind in c.evidence:
                    if c.id not in self.kinds[kind]:
                        self.kinds[kind].append(c.id)


def _attestations(ctx: _Ctx, indent: str, lines: list[str], commented: bool, stated: set | None = None) -> None:
    """One skeleton per control judged on an attestation: the control, what to attest, how recent."""
    for cid, ctl in ctx.attest.items():
        if stated and cid in stated:
            continue
        c = ctl.control
        cond = f" · 해당 시에만/only if: {c.applies_when}" if c.applies_when else ""
        lines.append(f"{indent}  # {cid} — {c.title.ko} / {c.title.en} ({ctl.cite('ko')}){cond}")
        lines.append(f"{indent}  #   확인할 사항/attest: {c.attestation.what.ko} / {c.attestation.what.en}")
        lines.append(f"{indent}  #   기준일 전 {c.attestation.within} 이내 / dated within {c.attestation.within} before as_of"
                     + (f"; 증적/evidence: {', '.join(c.evidence)}" if c.evidence else ""))
        mark = "# " if commented or c.applies_when else ""
        lines.append(f"{indent}  {mark}- control: {cid}")
        for f in ("attester", "role", "date", "attachment", "met", "statement"):
            lines.append(f"{indent}  {mark}  {f}:")


def _evidence_kinds(ctx: _Ctx, stated, lines: list[str]) -> None:
    have = {a.get("kind") for a in stated or [] if isinstance(a, dict)}
    lines.append("#   점검자가 기대하는 증적 종류(kind) / evidence kinds an auditor expects, and the controls that ask for them:")
    for kind, controls in sorted(ctx.kinds.items()):
        lines.append(f"#     {kind}: {', '.join(controls)}{'  (stated)' if kind in have else ''}")
    lines.append("#   목록(취급자·계정·점검일 등)은 CSV/XLSX로 둘 수 있음 / lists may stay in a CSV or XLSX export:")
    lines.append("#     handlers: {source: {path: evidence/hr.csv, columns: {id: 사번, left_on: 퇴사일}}}")


def render_template(catalogs: list[Catalog], existing: dict | None = None, source: str | None = None) -> str:
    """The template; with ``existing`` (a facts file's parsed content), re-generated around its values."""
    needs = _needs(catalogs)
    lines = [
        MODELINE,
        f"# 편집기 자동완성·검증용 스키마 / editor completion and validation: {SCHEMA_FILE} beside this file"
        f" (pipa-audit init writes it; or: pipa-audit schema facts -o {SCHEMA_FILE})",
        "# pipa-audit evidence file (facts). 점검 증적 파일.",
        "# 빈 값(null)은 '알 수 없음'으로 처리되어 해당 항목은 '증적 부족'으로 판정됩니다.",
        "# An empty value means unknown: the controls that need it are judged insufficient-evidence.",
        "# Fill at least as_of and organization.name, then run: pipa-audit check <this file>",
        "# Catalogs: " + ", ".join(f"{c.meta.id} ({c.meta.version})" for c in catalogs),
    ]
    if existing is not None:
        lines.append(f"# Re-generated around {source or 'an existing file'}: its values are kept; '# field:' lines are what the catalogs also read.")
    lines.append("")
    data = None if existing is None else {k: v for k, v in existing.items() if k != "$schema"}
    _emit(Facts, "", "", needs, lines, None, data, _Ctx(catalogs))
    return "\n".join(lines).rstrip() + "\n"


def facts_schema() -> dict:
    """The facts JSON Schema for editors: the model's, where every list may also be ``{source: …}``."""
    from compliance.sources import SourceRef

    schema = Facts.model_json_schema()
    defs = schema.setdefault("$defs", {})
    src = SourceRef.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(src.pop("$defs", {}))
    defs["SourceRef"] = src
    ref = {"$ref": "#/$defs/SourceRef"}

    def patch(props: dict) -> None:
        for name, p in props.items():
            alts = p.get("anyOf")
            if alts and any(a.get("type") == "array" for a in alts):
                alts.insert(len(alts) - 1 if alts[-1].get("type") == "null" else len(alts), ref)
            elif p.get("type") == "array":
                props[name] = {"anyOf": [{k: v for k, v in p.items() if k not in ("title", "description")}, ref],
                               **{k: p[k] for k in ("title", "description") if k in p}}

    patch(schema.get("properties", {}))
    for name, d in defs.items():
        if name not in ("SourceRef", "TabularSource"):
            patch(d.get("properties", {}))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_bytes() -> bytes:
    return (json.dumps(facts_schema(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
