"""JUnit XML for CI test reports (GitLab, Jenkins): one testcase per control, one suite per catalog.

non-compliant and insufficient-evidence are failures (distinct ``type``); not-applicable and
waived are skipped with their reason. Valid against the Jenkins JUnit schema (junit-10.xsd).

What each consumer shows:

- GitLab's parser keeps the *text* of ``<failure>`` and ``<skipped>`` and drops their attributes
  (``Gitlab::Ci::Parsers::Test::Junit``: ``system_output`` is the element's text). The text is
  therefore the whole finding, Korean first and then English: verdict, severity, provision, the
  facts file and line (``evidence/facts.yaml:102``), what failed item by item (the report's own
  sentences, from ``labels.yaml`` and the catalogs), the evidence not submitted, and last the
  checks by id with every offender. A skipped control's text is its reason (waiver or why the duty
  does not apply).
- Jenkins shows ``message`` — verdict, severity, provision and the first offenders, in English — and
  the text.
- The facts file is named as SARIF names it (relative to the git repository holding it, or to
  ``--sarif-root``) in each ``<testsuite file=…>`` and in the text. Not on ``<testcase>``: GitLab
  reads ``testcase/@file``, but junit-10.xsd does not allow it there, and a report the Jenkins xUnit
  plugin refuses would be worse than a missing link (pytest's default ``xunit2`` leaves it out for the
  same reason).
- ``time`` is ``0`` on every testcase and suite: controls are not timed, and the same inputs give
  the same bytes (no timestamps).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from compliance.render import Format, Options, Say, evidence_lines, failure_lines, finding_summary, headline
from compliance.render.sarif import Source
from compliance.result import FAILING, AuditResult, ControlResult

# characters XML 1.0 cannot carry, even escaped: a fact value containing one would make the file unreadable
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
LANGS = ("ko", "en")
"""the failure text: Korean first (the report's language), then English"""


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _file(source: Source) -> str:
    """The facts file as a path a reader can open: relative like SARIF's uri, unquoted."""
    return unquote(source.uri) if source.relative else (str(source.path) if source.path else unquote(source.uri))


def _first_line(c: ControlResult, source: Source) -> int | None:
    for ch in c.checks:
        for o in ch.offenders:
            line = source.line_of(ch.for_each, o.id)
            if line is not None:
                return line
    return None


def _account(c: ControlResult, result: AuditResult, say: Say, where: str) -> str:
    """One language's account of a failing control: what GitLab shows of the failure."""
    verdict = c.underlying_verdict if c.verdict == "waived" else c.verdict
    cite, title = getattr(c.cite, say.lang), getattr(c.title, say.lang)
    lab = say.lab
    lines = [
        f"{say.t('verdict')}: {lab['verdicts'][verdict][say.lang]} | {say.t('severity')}: "
        f"{lab['severities'][c.severity][say.lang]} | {say.t('legal_basis')}: {cite} — {title}",
        f"{say.t('facts_file')}: {where}",
    ]
    if c.waiver is not None and c.waiver.status == "expired":
        lines.append(f"{say.t('waivers')}: {lab['waiver_states']['expired'][say.lang]} "
                     f"({say.t('waiver_expires')} {c.waiver.expires.isoformat()})")
    failed = failure_lines(c, result, say)
    if failed:
        lines.append(f"{say.t('failed_items')}:")
        lines += [f"- {line}" for line in failed]
    unsubmitted = [e.kind for e in c.evidence if e.status == "missing"]
    if unsubmitted:
        lines.append(f"{say.t('evidence_required')} ({say.t('evidence_missing')}): {', '.join(unsubmitted)}")
    aged = [e for e in c.evidence if e.status in ("stale", "undated")]
    if aged:  # found, but not recent enough under its rule (or undated where the rule needs a date): with age and rule
        lines.append(f"{say.t('evidence_required')}:")
        lines += [f"- {line}" for line in evidence_lines(c, say, ("stale", "undated"))]
    return "\n".join(lines)


def failure_text(c: ControlResult, result: AuditResult, source: Source) -> str:
    line = _first_line(c, source)
    where = f"{_file(source)}:{line}" if line else _file(source)
    parts = [_account(c, result, Say(lang), where) for lang in LANGS]
    summary = finding_summary(c)
    return "\n\n".join(parts + ([summary] if summary else []))


def _skipped_text(c: ControlResult, say: Say) -> str:
    lab = say.lab
    if c.verdict == "not-applicable":
        verdict = lab["verdicts"]["not-applicable"][say.lang]
        return f"{verdict}: {getattr(c.not_applicable, say.lang)}" if c.not_applicable else verdict
    w = c.waiver
    underlying = lab["verdicts"].get(c.underlying_verdict or "", {}).get(say.lang, c.underlying_verdict or "")
    return (f"{lab['verdicts']['waived'][say.lang]} | {say.t('waiver_expires')}: {w.expires.isoformat()} | "
            f"{say.t('underlying')}: {underlying} | {say.t('severity')}: {lab['severities'][c.severity][say.lang]} | "
            f"{say.t('waiver_owner')}: {w.owner} | {say.t('waiver_justification')}: {w.justification}")


def render_junit(result: AuditResult, options: Options | None = None) -> bytes:
    source = Source(result, options or Options())
    where = _x(_file(source))
    suites = ET.Element("testsuites", name="pipa-audit", tests=str(result.summary.total))
    failures_total = 0
    for cat in result.catalogs:
        controls = [c for c in result.controls if c.catalog == cat.id]
        failing = [c for c in controls if c.verdict in FAILING]
        skipped = [c for c in controls if c.verdict in ("not-applicable", "waived")]
        failures_total += len(failing)
        suite = ET.SubElement(
            suites, "testsuite", name=cat.id, tests=str(len(controls)), failures=str(len(failing)),
            errors="0", skipped=str(len(skipped)), time="0", file=where,
        )
        for c in controls:
            case = ET.SubElement(suite, "testcase", classname=cat.id, name=_x(f"{c.id} {c.cite.en}: {c.title.en}"),
                                 time="0")
            if c.verdict in FAILING:
                message = headline(c)
                if c.waiver is not None and c.waiver.status == "expired":
                    message += f" (waiver expired {c.waiver.expires})"
                failure = ET.SubElement(case, "failure", type=c.verdict, message=_x(message))
                failure.text = _x(failure_text(c, result, source))
            elif c.verdict == "not-applicable" or (c.verdict == "waived" and c.waiver):
                if c.verdict == "not-applicable":
                    message = c.not_applicable.en if c.not_applicable else "not applicable"
                else:
                    w = c.waiver
                    message = f"waived until {w.expires} ({c.underlying_verdict}, {c.severity}): {w.justification}"
                skip = ET.SubElement(case, "skipped", message=_x(message))
                skip.text = _x("\n\n".join(_skipped_text(c, Say(lang)) for lang in LANGS))
    suites.set("failures", str(failures_total))
    suites.set("errors", "0")
    suites.set("time", "0")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


FORMAT = Format("junit", (".xml",), False, render_junit, "JUnit XML for CI test reports (GitLab, Jenkins)")
