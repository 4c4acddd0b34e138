"""OSCAL assessment-results (JSON) for GRC tools: plain JSON written here, no OSCAL library at run time.

How pipa-audit maps onto OSCAL (documented in the README):

- **Control ids.** OSCAL control ids are tokens (letters, digits, ``.``, ``-``, ``_``; first a letter
  or ``_``), so ``/`` cannot appear: it becomes ``_`` — ``notice-2023-6/5-2`` is ``notice-2023-6_5-2``.
  pipa-audit ids never contain ``_``, so the mapping is reversible (:func:`control_id`); an id that
  starts with a digit would gain a leading ``_``. Each finding also carries the original id as a
  ``control-id`` property.
- **What the ids resolve to.** ``pipa-audit catalog export --format oscal --as-of DATE -o DIR``
  (:mod:`compliance.oscal_catalog`) publishes, for the audit's as-of date, one OSCAL catalog and one profile per
  catalog in force and one assessment plan. The results name the same control ids: ``reviewed-controls`` lists
  controls of those catalogs, and each finding targets the control's statement (``target.type`` statement-id,
  ``target-id`` ``<control-id>_smt``: OSCAL's way of targeting a whole control, its one top-level statement).
- **import-ap.** OSCAL requires a link to the assessment plan. ``import-ap`` points to a back-matter resource
  (``#uuid``, the form NIST documents for an import) whose ``rlinks`` name the plan file ``catalog export`` writes,
  ``pipa-audit_<as-of>.assessment-plan.json``, as a relative reference; each catalog's resource names its
  ``<catalog-id>_<as-of>.catalog.json`` the same way. The references are relative to the results file: export
  the catalogs into the folder the results are written to (``check -o out/result.oscal.json`` and ``catalog
  export --format oscal --as-of <as-of> -o out``) and a GRC tool follows results -> plan -> profile -> catalog.
  Why relative files and not the plan embedded: the results stay one file a run writes; the plan, profiles and
  catalogs depend only on the catalogs and the date, are the same for every organisation audited on that date,
  and are published (and imported into a GRC tool) once. The resource also states the plan in words, with the
  catalogs' ids, versions and hashes, so results read without the exported files still say what was assessed.
- **Findings and observations.** One observation (what the checks saw) and one finding (the verdict)
  per control. Verdicts map to ``target.status``: compliant = satisfied/pass; non-compliant =
  not-satisfied/fail; insufficient-evidence = not-satisfied/other; not-applicable = satisfied/other
  with implementation-status not-applicable; a waived control keeps the status of the verdict the
  waiver set aside and links a risk with status ``deviation-approved`` and the waiver's expiry as
  deadline.
- **Evidence hashes.** The facts file and every attachment are back-matter resources whose
  ``rlinks`` carry their SHA-256; observations link to them as ``relevant-evidence``.
- **Reproducible.** UUIDs are version 5, derived from the report id (a hash of the inputs) and the
  control id; timestamps are the as-of date at 00:00 KST. Same inputs, same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import quote

from compliance.render import Format, Options, evidence_note, finding_summary, headline, report_id
from compliance.result import AuditResult, ControlResult, failed_count

OSCAL_VERSION = "1.2.3"
NS = "urn:pipa-audit:oscal"
"""namespace of pipa-audit's own properties (OSCAL reserves un-namespaced property names)"""
_UUIDS = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_KST = "+09:00"
_STATUS = {
    "compliant": ("satisfied", "pass"),
    "non-compliant": ("not-satisfied", "fail"),
    "insufficient-evidence": ("not-satisfied", "other"),
    "not-applicable": ("satisfied", "other"),
}


def control_id(pipa_id: str) -> str:
    """pipa-audit control id -> OSCAL control-id token."""
    token = pipa_id.replace("/", "_")
    return token if token[:1].isalpha() else "_" + token


def pipa_id(oscal_id: str) -> str:
    """OSCAL control-id token -> pipa-audit control id (inverse of :func:`control_id`)."""
    return (oscal_id[1:] if oscal_id.startswith("_") else oscal_id).replace("_", "/")


def statement_id(oscal_control_id: str) -> str:
    """The id of a control's one top-level statement part in the exported catalog: what a finding targets."""
    return f"{oscal_control_id}_smt"


# The files `catalog export --format oscal` writes for a date, named here so that the results (one file a run
# writes) can reference them relatively without loading the catalogs.
def catalog_file(catalog_id: str, day: dt.date) -> str:
    return f"{catalog_id}_{day.isoformat()}.catalog.json"


def profile_file(catalog_id: str, day: dt.date) -> str:
    return f"{catalog_id}_{day.isoformat()}.profile.json"


def plan_file(day: dt.date) -> str:
    return f"pipa-audit_{day.isoformat()}.assessment-plan.json"


MEDIA_TYPES = {
    "catalog": "application/oscal.catalog+json",
    "profile": "application/oscal.profile+json",
    "assessment-plan": "application/oscal.ap+json",
}


def _line(text: object) -> str:
    """MarkupLine / String values: one line, no surrounding space, never empty."""
    return " ".join(str(text).split()) or "-"


def _prop(name: str, value: object) -> dict | None:
    if value is None or not str(value).strip():
        return None
    return {"name": name, "ns": NS, "value": _line(value)}


def _props(*pairs) -> list[dict]:
    return [p for p in (_prop(n, v) for n, v in pairs) if p is not None]


def _stamp(day: dt.date, end_of_day: bool = False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}{_KST}"


def _observation_text(c: ControlResult) -> str:
    if c.verdict == "not-applicable" or (c.underlying_verdict is None and not c.checks):
        reason = c.not_applicable.en if c.not_applicable else "the duty does not apply to the facts stated"
        return f"Not applicable: {reason}"
    lines = []
    for ch in c.checks:
        scope = f" ({ch.none_stated.en})" if ch.none_stated else f" ({failed_count(ch)} of {ch.in_scope} items)" if ch.in_scope is not None else ""
        lines.append(f"- `{ch.id}`: {ch.status}{scope} — {ch.description.en}")
    summary = finding_summary(c)
    if summary:
        lines += ["", summary]
    return "\n".join(lines) or "No check ran."


def render_oscal(result: AuditResult, options: Options | None = None) -> bytes:
    rid = report_id(result)

    def uid(*parts: str) -> str:
        return str(uuid.uuid5(_UUIDS, "/".join((rid, *parts))))

    org = _line(result.organization.get("name") or "the organisation")
    facts_uuid, plan_uuid = uid("resource", "facts"), uid("resource", "assessment-plan")
    attachment_uuid = {a.id: uid("resource", "attachment", a.id) for a in result.attachments}
    resources = [
        {
            "uuid": plan_uuid,
            "title": f"Assessment plan: the catalogs in force on {result.as_of.isoformat()}",
            "description": (
                "The plan is the catalogs in force on the as-of date "
                f"({result.as_of.isoformat()}), each control's checks applied to the facts file, as listed here. "
                f"`pipa-audit catalog export --format oscal --as-of {result.as_of.isoformat()}` writes it as an OSCAL "
                "assessment plan, with a profile and a catalog per catalog listed, beside these results."
            ),
            "props": _props(*(("catalog", f"{c.id} {c.version} (effective {c.effective.isoformat()}, sha256 {c.sha256})")
                              for c in result.catalogs)),
            "rlinks": [{"href": plan_file(result.as_of), "media-type": MEDIA_TYPES["assessment-plan"]}],
        },
        {
            "uuid": facts_uuid,
            "title": f"Facts file {_line(result.facts_file)}",
            "description": "The evidence file the organisation stated; every check read it.",
            "rlinks": [{"href": quote(result.facts_file), "hashes": [{"algorithm": "SHA-256", "value": result.facts_sha256}]}],
        },
    ]
    for c in result.catalogs:
        resources.append({
            "uuid": uid("resource", "catalog", c.id),
            "title": _line(f"{c.instrument.en} — catalog {c.id} {c.version}"),
            "props": _props(("catalog-id", c.id), ("version", c.version), ("effective", c.effective.isoformat()), ("sha256", c.sha256)),
            "rlinks": [{"href": catalog_file(c.id, result.as_of), "media-type": MEDIA_TYPES["catalog"]}],
        })
    for a in result.attachments:
        rlink: dict = {"href": quote(a.path)}
        if a.sha256:
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": a.sha256}]
        resources.append({
            "uuid": attachment_uuid[a.id],
            "title": _line(f"Attachment {a.id} ({a.kind})"),
            "props": _props(("attachment-id", a.id), ("kind", a.kind), ("status", a.status), ("dated", a.dated), ("size", a.size)),
            "rlinks": [rlink],
            **({"remarks": a.note} if a.note else {}),
        })

    observations, findings, risks = [], [], []
    for c in result.controls:
        verdict = c.underlying_verdict if c.verdict == "waived" and c.underlying_verdict else c.verdict
        obs_uuid = uid("observation", c.id)
        evidence = [{"href": f"#{facts_uuid}", "description": "The facts file the checks read."}]
        for e in c.evidence:
            for att in e.attachments:
                if att in attachment_uuid:
                    evidence.append({"href": f"#{attachment_uuid[att]}", "description": _line(f"Attachment {att} ({e.kind})"),
                                     **({"props": _props(("evidence-status", e.status), ("evidence-dated", e.dated),
                                                         ("evidence-age-days", e.age_days))} if e.status != "ok" else {})})
        aged = [evidence_note(e) for e in c.evidence if e.status in ("stale", "undated")]
        attested = any(ch.id == "attestation" for ch in c.checks)
        observations.append({
            "uuid": obs_uuid,
            "title": _line(f"{c.cite.en}: {c.title.en}"),
            "description": _observation_text(c),
            "methods": ["EXAMINE", "TEST"] if attested else ["TEST"],
            "relevant-evidence": evidence,
            "collected": _stamp(result.as_of),
        })
        state, reason = _STATUS[verdict]
        target: dict = {"type": "statement-id", "target-id": statement_id(control_id(c.id)), "status": {"state": state, "reason": reason}}
        if verdict == "insufficient-evidence":
            target["status"]["remarks"] = ("Insufficient evidence: " + "; ".join(aged) if aged
                                           else "Insufficient evidence: a fact or document the checks need was not stated.")
        if verdict == "not-applicable":
            target["implementation-status"] = {"state": "not-applicable"}
        finding = {
            "uuid": uid("finding", c.id),
            "title": _line(f"{c.cite.en}: {c.title.en}"),
            "description": headline(c),
            "props": _props(("control-id", c.id), ("verdict", c.verdict), ("severity", c.severity), ("catalog", c.catalog)),
            "target": target,
            "related-observations": [{"observation-uuid": obs_uuid}],
        }
        if c.waiver is not None and c.waiver.status == "active":
            risk_uuid = uid("risk", c.id)
            risks.append({
                "uuid": risk_uuid,
                "title": _line(f"Accepted until {c.waiver.expires.isoformat()}: {c.title.en}"),
                "description": c.waiver.justification,
                "statement": c.remediation.en,
                "props": _props(("owner", c.waiver.owner), ("approved-by", c.waiver.approved_by)),
                "status": "deviation-approved",
                "deadline": _stamp(c.waiver.expires, end_of_day=True),
                "related-observations": [{"observation-uuid": obs_uuid}],
            })
            finding["related-risks"] = [{"risk-uuid": risk_uuid}]
        elif c.waiver is not None and c.waiver.status == "expired":
            finding["remarks"] = f"A waiver expired on {c.waiver.expires.isoformat()}; the finding counts again."
        findings.append(finding)

    parties = [{"uuid": uid("party", "organization"), "type": "organization", "name": org}]
    if result.auditor:
        parties.append({"uuid": uid("party", "auditor"), "type": "organization", "name": _line(result.auditor)})
    outcome = {
        "uuid": uid("result"),
        "title": _line(f"PIPA audit of {org} as of {result.as_of.isoformat()}"),
        "description": (
            f"{result.summary.total} controls judged from the facts file: "
            + ", ".join(f"{n} {v}" for v, n in result.summary.by_verdict.items())
            + "."
        ),
        "start": _stamp(result.period_start or result.as_of),
        "end": _stamp(result.as_of),
        "props": _props(("as-of", result.as_of.isoformat()), ("scope", result.scope)),
        "reviewed-controls": {"control-selections": [{"include-controls": [{"control-id": control_id(c.id)} for c in result.controls]}]},
        "observations": observations,
        "findings": findings,
    }
    if not result.controls:
        outcome["reviewed-controls"]["control-selections"] = [{"include-all": {}}]
        del outcome["observations"], outcome["findings"]
    if risks:
        outcome["risks"] = risks
    doc = {
        "assessment-results": {
            "uuid": uid("assessment-results"),
            "metadata": {
                "title": _line(f"pipa-audit assessment results: {org}"),
                "last-modified": _stamp(result.as_of),
                "version": rid,
                "oscal-version": OSCAL_VERSION,
                "props": _props(("tool", f"pipa-audit {result.tool_version}"), ("report-id", rid)),
                "parties": parties,
            },
            "import-ap": {
                "href": f"#{plan_uuid}",
                "remarks": (
                    f"The back-matter resource states the plan and links {plan_file(result.as_of)}, written by "
                    f"`pipa-audit catalog export --format oscal --as-of {result.as_of.isoformat()}` beside these results."
                ),
            },
            "results": [outcome],
            "back-matter": {"resources": resources},
        }
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


FORMAT = Format("oscal", (".oscal.json",), False, render_oscal, "OSCAL 1.2.3 assessment-results (JSON) for GRC tools")
