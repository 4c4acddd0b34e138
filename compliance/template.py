"""The evidence template ``pipa-audit init`` writes: every fact the catalogs read, commented
in Korean and English with the provisions it serves.

Leaves are left empty (null = unknown), so an unfilled template evaluates to
``insufficient-evidence`` everywhere, never to a pass.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel

from compliance.catalog import Catalog
from compliance.expr import type_of_annotation
from compliance.facts import Facts


def _needs(catalogs: list[Catalog]) -> dict[str, list[str]]:
    """Model path ('handlers.left_on') -> citations of the controls that read it."""
    out: dict[str, list[str]] = defaultdict(list)
    for cat in catalogs:
        for ctl in cat.controls:
            cite = ctl.cite("ko")
            evidence = ["attachments.sha256"] if ctl.control.evidence or ctl.control.attestation else []
            if ctl.control.attestation:
                evidence += [f"attestations.{f}" for f in ("attester", "role", "date", "attachment", "met", "statement")]
            for path in [*ctl.fact_paths, *evidence]:
                parts = path.replace("[]", "").split(".")
                for i in range(1, len(parts) + 1):
                    key = ".".join(parts[:i])
                    if cite not in out[key]:
                        out[key].append(cite)
    return out


def _extra(field) -> dict:
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def _scalar(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _emit(model: type[BaseModel], prefix: str, indent: str, needs, lines: list[str], row: str | None) -> None:
    """Write ``model``'s needed fields. ``row`` is None at top level, else the text after '# '
    that starts a commented example row ('- ' for its first key, '  ' after)."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = _extra(field)
        if path not in needs and extra.get("absent") != "error":
            continue
        t = type_of_annotation(field.annotation)
        comment = f"{extra.get('ko', '')} — {field.description or ''}"
        if extra.get("absent") == "none":
            comment += " (생략 = 없음 / omit = none)"
        if "example" in extra:
            comment += f" · 예/e.g. {_scalar(extra['example'])}"
        lead = indent if row is None else f"{indent}# {row}"
        if row is not None and row.endswith("- "):
            row = row[:-2] + "  "
        child_row = None if row is None else row + "  "
        basis = needs.get(path, [])
        if row is None:
            lines.append(f"{lead}# {comment}")
            if basis:
                lines.append(f"{lead}#   근거/basis: {', '.join(basis[:6])}{' …' if len(basis) > 6 else ''}")
            comment = ""
        suffix = f"   # {comment}" if comment else ""
        if t.kind == "object" and t.model is not None:
            lines.append(f"{lead}{name}:{suffix}")
            _emit(t.model, path + ".", indent + ("  " if row is None else ""), needs, lines, child_row)
        elif t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
            lines.append(f"{lead}{name}:{suffix or '   # 예시 행의 주석을 풀어 채우십시오 / uncomment and fill rows like this'}")
            _emit(t.elem.model, path + ".", indent, needs, lines, (row or "") + "  - ")
        else:
            lines.append(f"{lead}{name}:{suffix}")
        if row is None and not prefix:
            lines.append("")


def render_template(catalogs: list[Catalog]) -> str:
    needs = _needs(catalogs)
    lines = [
        "# pipa-audit evidence file (facts). 점검 증적 파일.",
        "# 빈 값(null)은 '알 수 없음'으로 처리되어 해당 항목은 '증적 부족'으로 판정됩니다.",
        "# An empty value means unknown: the controls that need it are judged insufficient-evidence.",
        "# Fill at least as_of and organization.name, then run: pipa-audit check <this file>",
        "# Catalogs: " + ", ".join(f"{c.meta.id} ({c.meta.version})" for c in catalogs),
        "",
    ]
    _emit(Facts, "", "", needs, lines, None)
    return "\n".join(lines).rstrip() + "\n"
