"""SARIF 2.1.0 for code-scanning dashboards: one rule per control, one result per failing check."""

from __future__ import annotations

import json

from compliance.render import finding_summary
from compliance.result import FAILING, AuditResult

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(result: AuditResult) -> bytes:
    rules = [
        {
            "id": c.id,
            "name": c.id.replace("/", "-"),
            "shortDescription": {"text": f"{c.cite.en}: {c.title.en}"},
            "fullDescription": {"text": c.text.en},
            "help": {"text": c.remediation.en},
            "defaultConfiguration": {"level": _LEVEL[c.severity]},
            "properties": {"severity": c.severity, "cite_ko": c.cite.ko, "tags": ["pipa", *c.mappings.get("isms-p", [])]},
        }
        for c in result.controls
    ]
    index = {c.id: i for i, c in enumerate(result.controls)}
    results = []
    for c in result.controls:
        if c.verdict not in FAILING:
            continue
        results.append(
            {
                "ruleId": c.id,
                "ruleIndex": index[c.id],
                "kind": "fail" if c.verdict == "non-compliant" else "review",
                "level": _LEVEL[c.severity],
                "message": {"text": f"{c.verdict}: {c.title.en}\n{finding_summary(c)}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": result.facts_file}}}],
                "properties": {"verdict": c.verdict},
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "pipa-audit", "version": result.tool_version, "rules": rules}},
                "results": results,
                "properties": {"as_of": result.as_of.isoformat(), "facts_sha256": result.facts_sha256},
            }
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
