"""JUnit XML for CI dashboards: one testcase per control, grouped by catalog.

non-compliant and insufficient-evidence are failures (distinct ``type``); not-applicable and
waived are skipped with their reason. No timestamps, so output is reproducible.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from compliance.render import finding_summary
from compliance.result import FAILING, AuditResult


def render_junit(result: AuditResult) -> bytes:
    suites = ET.Element("testsuites", name="pipa-audit", tests=str(result.summary.total))
    for cat in result.catalogs:
        controls = [c for c in result.controls if c.catalog == cat.id]
        failing = [c for c in controls if c.verdict in FAILING]
        skipped = [c for c in controls if c.verdict in ("not-applicable", "waived")]
        suite = ET.SubElement(
            suites, "testsuite", name=cat.id, tests=str(len(controls)), failures=str(len(failing)),
            errors="0", skipped=str(len(skipped)),
        )
        for c in controls:
            case = ET.SubElement(suite, "testcase", classname=cat.id, name=f"{c.id} {c.cite.en}: {c.title.en}")
            if c.verdict in FAILING:
                failure = ET.SubElement(case, "failure", type=c.verdict, message=f"[{c.severity}] {c.verdict}: {c.title.en}")
                failure.text = finding_summary(c)
            elif c.verdict == "not-applicable":
                ET.SubElement(case, "skipped", message=c.not_applicable.en if c.not_applicable else "not applicable")
            elif c.verdict == "waived" and c.waiver:
                ET.SubElement(case, "skipped", message=f"waived until {c.waiver.expires}: {c.waiver.justification}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
