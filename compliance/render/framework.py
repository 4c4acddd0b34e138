"""The result regrouped by a certification framework's criteria (``--framework isms-p``, ``--framework
iso27001-2022``), each criterion with the worst verdict of the controls mapped to it. Used by the text and JSON
formats. The mappings are the framework file's (``frameworks/<id>.yaml``, ``mappings:``), given to each control's
result when the catalogs are loaded.

It speaks the current language (``compliance.i18n.current()``): in Korean the controls' citations are the Korean
ones and the text's verdicts and date are Korean words; criterion names are the framework's own (ISMS-P's Korean,
ISO/IEC 27001's English titles). In English the view is what it has always been."""

from __future__ import annotations

from compliance.i18n import _, current
from compliance.loading import fail
from compliance.result import VERDICTS, AuditResult


def grouped(result: AuditResult, framework: str, catalog_dir) -> dict:
    from compliance.coverage import load_frameworks

    frameworks = load_frameworks(catalog_dir)
    fw = frameworks.get(framework)
    if fw is None:
        there = _("frameworks there: {known}").format(known=", ".join(frameworks) or "-")
        raise fail(catalog_dir, _("no framework '{framework}' in frameworks/").format(framework=framework) + f"; {there}")
    lang = "ko" if current() == "ko" else "en"
    criteria = []
    for crit in fw.criteria:
        mapped = [c for c in result.controls if crit.id in c.mappings.get(framework, [])]
        if not mapped:
            continue
        worst = min((c.verdict for c in mapped), key=VERDICTS.index)
        criteria.append({
            "id": crit.id, "name": crit.name, "group": crit.group, "verdict": worst,
            "controls": [{"id": c.id, "cite": getattr(c.cite, lang), "verdict": c.verdict, "severity": c.severity}
                         for c in mapped],
        })
    return {"framework": fw.framework.id, "version": fw.framework.version, "as_of": result.as_of.isoformat(),
            "criteria": criteria}


def as_text(view: dict) -> str:
    lang = current()
    head = f"{view['framework']} ({view['version']}) · " + _("as of {date}").format(date=view["as_of"])
    rows = [(crit["verdict"], crit["id"], crit["name"], [(c["verdict"], c["id"], c["cite"]) for c in crit["controls"]])
            for crit in view["criteria"]]
    if lang == "en":  # the ids scripts grep ("non-compliant"), in the columns they always had
        lines = [head, ""]
        for verdict, cid, name, controls in rows:
            lines.append(f"{verdict:<22} {cid:<7} {name}")
            lines += [f"    {v:<22} {i:<22} {cite}" for v, i, cite in controls]
        return "\n".join(lines) + "\n"
    from compliance.render import labels
    from compliance.render.text import _pad, _width

    words = labels()["verdicts"]

    def word(verdict: str) -> str:
        return (words.get(verdict) or {}).get(lang) or verdict

    verdicts = [word(v) for v, *_rest in rows] + [word(v) for *_rest, controls in rows for v, _i, _c in controls]
    vw = max([_width(v) for v in verdicts], default=0)
    cw = max([_width(cid) for _v, cid, *_rest in rows], default=0)
    iw = max([_width(i) for *_rest, controls in rows for _v, i, _c in controls], default=0)
    lines = [head, ""]
    for verdict, cid, name, controls in rows:
        lines.append(f"{_pad(word(verdict), vw)} {_pad(cid, cw)} {name}")
        lines += [f"    {_pad(word(v), vw)} {_pad(i, iw)} {cite}" for v, i, cite in controls]
    return "\n".join(lines) + "\n"
