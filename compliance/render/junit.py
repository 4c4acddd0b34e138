"""JUnit XML for CI test reports (GitLab, Jenkins): one testcase per control, one suite per catalog.

non-compliant and insufficient-evidence are failures (distinct ``type``); not-applicable and
waived are skipped with their reason. Every failure carries a ``message`` — verdict, severity and
the first offenders — because GitLab's test report shows that attribute and nothing else; the
full account is the element's text. Valid against the Jenkins JUnit schema (junit-10.xsd). No
timestamps, so the same inputs give the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from compliance.render import Format, finding_summary, headline
from compliance.result import FAILING, AuditResult

# characters XML 1.0 cannot carry, even escaped: a fact value containing one would make the file unreadable
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(result: AuditResult) -> bytes:
    suites = ET.Element("testsuites", name="pipa-audit", tests=str(result.summary.total))
    failures_total = 0
    for cat in result.catalogs:
        controls = [c for c in result.controls if c.catalog == cat.id]
        failing = [c for c in controls if c.verdict in FAILING]
        skipped = [c for c in controls if c.verdict in ("not-applicable", "waived")]
        failures_total += len(failing)
        suite = ET.SubElement(
            suites, "testsuite", name=cat.id, tests=str(len(controls)), failures=str(len(failing)),
            errors="0", skipped=str(len(skipped)),
        )
        for c in controls:
            case = ET.SubElement(suite, "testcase", classname=cat.id, name=_x(f"{c.id} {c.cite.en}: {c.title.en}"))
            if c.verdict in FAILING:
                message = headline(c)
                if c.waiver is not None and c.waiver.status == "expired":
                    message += f" (waiver expired {c.waiver.expires})"
                failure = ET.SubElement(case, "failure", type=c.verdict, message=_x(message))
                failure.text = _x(finding_summary(c))
            elif c.verdict == "not-applicable":
                ET.SubElement(case, "skipped", message=_x(c.not_applicable.en if c.not_applicable else "not applicable"))
            elif c.verdict == "waived" and c.waiver:
                ET.SubElement(
                    case, "skipped",
                    message=_x(f"waived until {c.waiver.expires} ({c.underlying_verdict}, {c.severity}): {c.waiver.justification}"),
                )
    suites.set("failures", str(failures_total))
    suites.set("errors", "0")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


FORMAT = Format("junit", (".xml",), False, lambda result, options: render_junit(result),
                "JUnit XML for CI test reports (GitLab, Jenkins)")
