"""JUnit XML for CI dashboards: one testcase per control, grouped by catalog.

non-compliant and insufficient-evidence are failures (distinct ``type``); not-applicable and
waived are skipped with their reason. No timestamps, so output is reproducible.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from compliance.result import AuditResult


def _message(c) -> str:
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


def render_junit(result: AuditResult) -> bytes:
    suites = ET.Element("testsuites", name="pipa-audit", tests=str(result.summary.total))
    for cat in result.catalogs:
        controls = [c for c in result.controls if c.catalog == cat.id]
        failing = [c for c in controls if c.verdict in ("non-compliant", "insufficient-evidence")]
        skipped = [c for c in controls if c.verdict in ("not-applicable", "waived")]
        suite = ET.SubElement(
            suites, "testsuite", name=cat.id, tests=str(len(controls)), failures=str(len(failing)),
            errors="0", skipped=str(len(skipped)),
        )
        for c in controls:
            case = ET.SubElement(suite, "testcase", classname=cat.id, name=f"{c.id} {c.cite.en}: {c.title.en}")
            if c.verdict in ("non-compliant", "insufficient-evidence"):
                failure = ET.SubElement(case, "failure", type=c.verdict, message=f"[{c.severity}] {c.verdict}: {c.title.en}")
                failure.text = _message(c)
            elif c.verdict == "not-applicable":
                ET.SubElement(case, "skipped", message=c.not_applicable.en if c.not_applicable else "not applicable")
            elif c.verdict == "waived" and c.waiver:
                ET.SubElement(case, "skipped", message=f"waived until {c.waiver.expires}: {c.waiver.justification}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
