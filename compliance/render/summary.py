"""A short Markdown summary for a CI job page or a pull-request comment: the gate's outcome, verdict
counts, the failing findings with their first offenders, and the waivers in force. (The full
auditor's report in Markdown is the ``md`` format.)"""

from __future__ import annotations

from compliance.catalog import SEVERITIES
from compliance.gate import failing
from compliance.render import Format, Options, detail, md_escape
from compliance.result import FAILING, VERDICTS, AuditResult


def render_summary(result: AuditResult, options: Options) -> str:
    gate = {c.id for c in failing(result, options.threshold, options.insufficient)}
    policy = f"--fail-on {options.threshold}" + (f" --insufficient {options.insufficient}" if options.insufficient != "fail" else "")
    org = md_escape(result.organization.get("name") or "")
    mark = "❌" if gate else "✅"
    lines = [
        f"## {mark} pipa-audit: {len(gate)} failing finding(s) · {org} · as of {result.as_of.isoformat()}",
        "",
        f"{result.summary.total} controls: "
        + ", ".join(f"{n} {v}" for v, n in result.summary.by_verdict.items())
        + f" · gate {policy}",
    ]
    findings = sorted(
        (c for c in result.controls if c.verdict in FAILING),
        key=lambda c: (c.id not in gate, SEVERITIES.index(c.severity), VERDICTS.index(c.verdict), c.id),
    )
    if findings:
        lines += ["", "| | verdict | severity | control | provision | detail |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {'✗' if c.id in gate else ''} | {c.verdict} | {c.severity} | `{c.id}` | "
            f"{md_escape(c.cite.en)}: {md_escape(c.title.en)} | {md_escape(detail(c))} |"
            for c in findings
        ]
    waived = [c for c in result.controls if c.verdict == "waived" and c.waiver]
    if waived:
        lines += ["", "**Waived**", "", "| control | was | expires | owner | justification |", "|---|---|---|---|---|"]
        lines += [
            f"| `{c.id}` | {c.underlying_verdict} | {c.waiver.expires.isoformat()} | {md_escape(c.waiver.owner)} | "
            f"{md_escape(c.waiver.justification)} |"
            for c in waived
        ]
    return "\n".join(lines) + "\n"


FORMAT = Format(
    "summary", (".summary.md",), False, lambda result, options: render_summary(result, options).encode("utf-8"),
    "a short Markdown summary for a CI job page",
)
