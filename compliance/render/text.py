"""The findings table ``check`` prints: worst verdict first, failing rows (per --fail-on and
--insufficient) marked ✗, each non-passing check with its offenders or missing facts."""

from __future__ import annotations

from compliance.catalog import SEVERITIES
from compliance.gate import failing
from compliance.loading import inert
from compliance.render import Format, Options
from compliance.render import framework as by_framework
from compliance.result import VERDICTS, AuditResult


def table(result: AuditResult, threshold: str = "low", insufficient: str = "fail") -> str:
    failing_ids = {c.id for c in failing(result, threshold, insufficient)}
    lines = [
        f"pipa-audit {result.tool_version} · {result.organization.get('name', '')} · as of {result.as_of.isoformat()}",
        f"catalogs: {', '.join(f'{c.id} ({c.version})' for c in result.catalogs)}",
        "",
        f"{'VERDICT':<22} {'SEVERITY':<9} {'CONTROL':<22} {'CITATION':<26} TITLE",
    ]
    for c in sorted(result.controls, key=lambda c: (VERDICTS.index(c.verdict), SEVERITIES.index(c.severity), c.id)):
        mark = "✗" if c.id in failing_ids else " "
        lines.append(f"{mark} {c.verdict:<20} {c.severity:<9} {c.id:<22} {c.cite.en:<26} {c.title.en}")
        for ch in c.checks:
            if ch.status == "pass":
                continue
            scope = " none stated" if ch.none_stated else f" {len(ch.offenders)} of {ch.in_scope}" if ch.in_scope is not None else ""
            detail = ""
            if ch.offenders:
                shown = ", ".join(o.label for o in ch.offenders[:5])
                detail = f": {shown}{' …' if len(ch.offenders) > 5 else ''}"
            elif ch.observed:
                detail = ": " + ", ".join(f"{k}={v}" for k, v in ch.observed.items())
            if ch.missing:
                detail += " missing " + ", ".join(m.path + (f" ({len(m.items)} items)" if m.items else "") for m in ch.missing)
            lines.append(f"      - {ch.id} [{ch.status}]{scope}{detail}")
        for e in c.evidence:
            if e.status == "missing":
                lines.append(f"      - evidence '{e.kind}' not submitted")
        if c.waiver is not None:
            lines.append(f"      - waiver {c.waiver.status} (expires {c.waiver.expires}, owner {c.waiver.owner})")
        if c.verdict == "not-applicable" and c.not_applicable:
            lines.append(f"      - {c.not_applicable.en}")
        if c.scope_note is not None:
            lines.append(f"      - {c.scope_note.en}")
    s = result.summary.by_verdict
    policy = f"--fail-on {threshold}" + (f" --insufficient {insufficient}" if insufficient != "fail" else "")
    lines += [
        "",
        f"{result.summary.total} controls: " + ", ".join(f"{n} {v}" for v, n in s.items()),
        f"failing at {policy}: {len(failing_ids)}",
    ]
    return "\n".join(inert(line) for line in lines) + "\n"  # values from the facts never act on the terminal


def _render(result: AuditResult, options: Options) -> bytes:
    if options.framework:
        view = by_framework.grouped(result, options.framework, options.catalog_dir)
        text = "".join(inert(line) + "\n" for line in by_framework.as_text(view).splitlines())
    else:
        text = table(result, options.threshold, options.insufficient)
    return text.encode("utf-8")


FORMAT = Format("text", (".txt",), False, _render, "the findings table (check's default)", framework=True)
