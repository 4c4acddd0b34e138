"""Renderers: each turns an AuditResult into bytes. They read AuditResult only.

Words come from ``reports/templates/labels.yaml`` and the catalogs, never from Python.
WeasyPrint is imported only by the PDF renderer, so ``check`` stays fast.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import yaml

from compliance.bundled import bundled_dir
from compliance.catalog import SEVERITIES
from compliance.result import FAILING, VERDICTS, AuditResult, ControlResult

def templates_dir():
    return bundled_dir("templates")


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.load((templates_dir() / "labels.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def report_id(result: AuditResult) -> str:
    """Stable id derived from the inputs: same facts, catalogs and date give the same id."""
    h = hashlib.sha256()
    h.update(result.facts_sha256.encode())
    for c in result.catalogs:
        h.update(c.sha256.encode())
    h.update(result.as_of.isoformat().encode())
    return "PA-" + h.hexdigest()[:12].upper()


def _md_escape(value: Any) -> str:
    text = "" if value is None else str(value)
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r", " ").replace("\n", " ")


def environment(markup: bool):
    """Jinja2 environment; autoescape is on for HTML so any fact value shows as text."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=markup,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md_escape
    env.filters["code"] = lambda v: "`" + str(v).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"
    env.filters["thousands"] = lambda n: "" if n is None else f"{n:,}"
    return env


def context(result: AuditResult, lang: str) -> dict[str, Any]:
    lab = labels()

    def t(key: str, **kw) -> str:
        text = lab[key][lang]
        return text.format(**kw) if kw else text

    def pick(group: str, key: str) -> str:
        return lab[group][key][lang]

    findings = [c for c in result.controls if c.verdict in FAILING]
    findings.sort(key=lambda c: (SEVERITIES.index(c.severity), VERDICTS.index(c.verdict), c.id))
    inline = 25
    annexed = {}  # (control id, check id) -> annex label, for offender lists too long to show inline
    for c in findings:
        for ch in c.checks:
            if len(ch.offenders) > inline:
                annexed[(c.id, ch.id)] = f"B-{len(annexed) + 1}"
    return {
        "r": result,
        "lang": lang,
        "t": t,
        "pick": pick,
        "L": lambda text: getattr(text, lang),
        "report_id": report_id(result),
        "findings": findings,
        "verdict_order": VERDICTS,
        "waived": [c for c in result.controls if c.waiver is not None],
        "offender_limit": inline,
        "annex_cap": 5000,
        "annexed": annexed,
        "heatmap": _heatmap(result, lang),
        "planned": {item.get("control") for item in result.remediation_plan},
    }


def _heatmap(result: AuditResult, lang: str) -> list[dict[str, Any]]:
    """Verdict counts per article (rows in catalog order), for the summary's heat map."""
    from compliance.catalog import LegalRef

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    prefixes = {c.id: getattr(c.cite_as, lang) for c in result.catalogs}
    for c in result.controls:
        key = (c.catalog, c.ref.article)
        if key not in rows:
            cite = f"{prefixes[c.catalog]} {LegalRef(article=c.ref.article).cite(lang)}"
            rows[key] = {"cite": cite, "counts": dict.fromkeys(VERDICTS, 0), "total": 0}
        rows[key]["counts"][c.verdict] += 1
        rows[key]["total"] += 1
    return list(rows.values())


def finding_summary(c: ControlResult) -> str:
    """Plain-text account of a failing control (checks, offenders, missing facts, evidence): CI formats."""
    lines = []
    for ch in c.checks:
        if ch.status == "pass":
            continue
        ids = ", ".join(o.label for o in ch.offenders[:50])
        more = f" (+{len(ch.offenders) - 50} more)" if len(ch.offenders) > 50 else ""
        missing = ", ".join(m.path for m in ch.missing)
        lines.append(
            f"{ch.id}: {ch.status}"
            + (f"; offenders: {ids}{more}" if ids else "")
            + (f"; observed: {ch.observed}" if ch.observed else "")
            + (f"; missing facts: {missing}" if missing else "")
        )
    lines += [f"evidence '{e.kind}' not submitted" for e in c.evidence if e.status == "missing"]
    return "\n".join(lines)


def render(result: AuditResult, fmt: str, lang: str = "ko", pdfa: bool = False) -> bytes:
    if fmt == "json":
        return (result.model_dump_json(indent=2) + "\n").encode("utf-8")
    if fmt == "md":
        return environment(False).get_template("report.md.j2").render(context(result, lang)).encode("utf-8")
    if fmt == "html":
        from compliance.render.html import render_html

        return render_html(result, lang).encode("utf-8")
    if fmt == "pdf":
        from compliance.render.pdf import render_pdf

        return render_pdf(result, lang, pdfa)
    if fmt == "junit":
        from compliance.render.junit import render_junit

        return render_junit(result)
    if fmt == "sarif":
        from compliance.render.sarif import render_sarif

        return render_sarif(result)
    raise ValueError(f"unknown format {fmt!r}")
