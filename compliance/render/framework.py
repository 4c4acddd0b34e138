"""The result regrouped by a certification framework's criteria (``--framework isms-p``), each
criterion with the worst verdict of the controls mapped to it. Used by the text and JSON formats."""

from __future__ import annotations

from compliance.loading import fail
from compliance.result import VERDICTS, AuditResult


def grouped(result: AuditResult, framework: str, catalog_dir) -> dict:
    from compliance.coverage import load_frameworks

    fw = load_frameworks(catalog_dir).get(framework)
    if fw is None:
        raise fail(catalog_dir, f"no framework '{framework}' in frameworks/")
    criteria = []
    for crit in fw.criteria:
        mapped = [c for c in result.controls if crit.id in c.mappings.get(framework, [])]
        if not mapped:
            continue
        worst = min((c.verdict for c in mapped), key=VERDICTS.index)
        criteria.append({
            "id": crit.id, "name": crit.name, "group": crit.group, "verdict": worst,
            "controls": [{"id": c.id, "cite": c.cite.en, "verdict": c.verdict, "severity": c.severity} for c in mapped],
        })
    return {"framework": fw.framework.id, "version": fw.framework.version, "as_of": result.as_of.isoformat(),
            "criteria": criteria}


def as_text(view: dict) -> str:
    lines = [f"{view['framework']} ({view['version']}) · as of {view['as_of']}", ""]
    for crit in view["criteria"]:
        lines.append(f"{crit['verdict']:<22} {crit['id']:<7} {crit['name']}")
        lines += [f"    {c['verdict']:<22} {c['id']:<22} {c['cite']}" for c in crit["controls"]]
    return "\n".join(lines) + "\n"
